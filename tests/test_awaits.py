"""SSOT003 awaited-sync-call and SSOT005 missing-await: fixes, CLI, inference, prefilter."""

from __future__ import annotations

import ast
import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, copy_fixture, marker_counts, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssot_lint.facts import extract_facts
from ssot_lint.fixes import apply_edits
from ssot_lint.index import ProjectIndex, module_for_path
from ssot_lint.inference import Inference
from ssot_lint.registry import load_rules
from ssot_lint.testing import lint_example

RULES = load_rules()
SSOT003 = RULES.by_code("SSOT003")
SSOT005 = RULES.by_code("SSOT005")
ROUTES = "netra_backend/app/await_cases/routes.py"
MISSING = "netra_backend/app/await_cases/missing.py"


def _json(project: Path, *args: str) -> dict:
    # From the project root: paths are relative to the working directory.
    proc = run_cli("check", str(project), "--format", "json", "--select", "SSOT003,SSOT005", *args, cwd=project)
    doc = json.loads(proc.stdout)
    assert proc.returncode == (1 if doc["diagnostics"] else 0), proc.stderr.decode()  # 1: findings
    return doc


def _codes(doc: dict) -> list[str]:
    return [d["code"] for d in doc["diagnostics"]]


@pytest.fixture()
def legacy_copy(tmp_path: Path) -> Path:
    return copy_fixture("legacy_service", tmp_path)


# --- findings ------------------------------------------------------------------------------------
def test_exact_positions_and_messages(legacy_copy: Path):
    doc = _json(legacy_copy)
    by_line = {(d["path"], d["range"]["start"]["line"]): d for d in doc["diagnostics"]}
    d = by_line[(ROUTES, 30)]
    assert d["code"] == "SSOT003"
    assert d["range"]["start"]["column"] == 16
    assert d["range"]["end"] == {"line": 30, "column": 48}
    assert "`await get_user_settings(user_id)`" in d["message"]
    assert "netra_backend/app/await_cases/sync_api.py:8" in d["message"]
    assert d["fix"]["applicability"] == "safe"
    assert d["fix"]["edits"] == [{"range": d["range"], "content": "get_user_settings(user_id)"}]
    d = by_line[(MISSING, 15)]
    assert d["code"] == "SSOT005" and d["range"]["start"]["column"] == 5
    assert "never awaited" in d["message"] and "discarded" in d["message"]
    assert d["fix"]["applicability"] == "unsafe"
    assert d["fix"]["edits"][0]["content"] == 'await notify_user(user_id, "done")'


def test_fixture_counts(legacy_copy: Path):
    markers = marker_counts(FIXTURES / "legacy_service")
    assert Counter(_codes(_json(legacy_copy))) == {"SSOT003": markers["SSOT003"], "SSOT005": markers["SSOT005"]}


# --- fixes -------------------------------------------------------------------------------------
def test_fix_removes_every_awaited_sync_call_and_keeps_comments(legacy_copy: Path):
    proc = run_cli("check", str(legacy_copy), "--fix", "--select", "SSOT003,SSOT005")
    assert proc.returncode == 1, proc.stderr.decode()  # SSOT005 findings remain (unsafe fixes)
    after = _json(legacy_copy)
    assert "SSOT003" not in _codes(after)
    assert (
        _codes(after).count("SSOT005") == marker_counts(FIXTURES / "legacy_service")["SSOT005"]
    )  # unsafe: not applied
    for path in legacy_copy.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    routes = (legacy_copy / ROUTES).read_text(encoding="utf-8")
    assert "        return get_user_settings(user_id)  # expect: SSOT003\n" in routes
    assert "        return (  # expect: SSOT003\n            self.service.get_store()\n        )\n" in routes
    assert "    broken = SessionStore()  # expect: SSOT003\n" in routes
    # The enclosing async def keeps its signature, even with no `await` left.
    assert "async def summary_route(events):\n    return render_summary(events)" in routes


def test_unsafe_fixes_add_await_where_the_function_is_async(legacy_copy: Path):
    proc = run_cli("check", str(legacy_copy), "--fix", "--unsafe-fixes", "--select", "SSOT005")
    assert proc.returncode == 1, proc.stderr.decode()
    after = _json(legacy_copy)
    left = sorted((d["path"], d["range"]["start"]["line"]) for d in after["diagnostics"] if d["code"] == "SSOT005")
    # What remains cannot be awaited: a plain def and module level.
    params = "tests/test_fixture_params.py"
    values = "netra_backend/app/await_shapes/values.py"
    assert left == [(MISSING, 20), (MISSING, 63)] + [(values, line) for line in (26, 31, 36)] + [
        ("tests/test_await_patterns.py", 41)
    ] + [(params, line) for line in (31, 40, 44, 69)]
    missing = (legacy_copy / MISSING).read_text(encoding="utf-8")
    assert '    await notify_user(user_id, "done")  # expect: SSOT005\n' in missing
    assert "    profile = await fetch_profile(user_id)  # expect: SSOT005\n" in missing
    assert "    first = (await load_history(user_id)).copy()  # expect: SSOT005\n" in missing
    assert "    if await load_history(user_id):  # expect: SSOT005\n" in missing
    for path in legacy_copy.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"))


def test_diff_prints_and_does_not_write(legacy_copy: Path):
    before = (legacy_copy / ROUTES).read_text(encoding="utf-8")
    proc = run_cli("check", str(legacy_copy), "--diff", "--select", "SSOT003,SSOT005")
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert "-        return await get_user_settings(user_id)  # expect: SSOT003" in out
    assert "+        return get_user_settings(user_id)  # expect: SSOT003" in out
    assert "+    await notify_user" not in out  # unsafe: only with --unsafe-fixes
    assert (legacy_copy / ROUTES).read_text(encoding="utf-8") == before
    unsafe = run_cli("check", str(legacy_copy), "--diff", "--unsafe-fixes", "--select", "SSOT005").stdout.decode()
    assert '+    await notify_user(user_id, "done")  # expect: SSOT005' in unsafe


# --- explain / options ----------------------------------------------------------------------------
def test_explain_documents_what_is_and_is_not_flagged():
    out3 = " ".join(run_cli("explain", "SSOT003").stdout.decode().split())
    assert "awaited-sync-call" in out3 and "applies to test code" in out3
    for phrase in (
        "twins",
        "super().m()",
        "not reported at all",
        "Not flagged",
        "transparent-decorators",
        "Remove the `await`",
    ):
        assert phrase in out3, phrase
    out5 = " ".join(run_cli("explain", "missing-await").stdout.decode().split())
    for phrase in ("discarded", "Not flagged", "create_task", "unsafe", "--unsafe-fixes"):
        assert phrase in out5, phrase


def test_transparent_decorators_option_from_pyproject(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ssot-lint.rules.awaited-sync-call]\ntransparent-decorators = ["somelib.keep"]\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "m.py").write_text(
        "import somelib\n@somelib.keep\ndef f():\n    return 1\nasync def g():\n    await f()\n"
    )
    doc = json.loads(run_cli("check", str(tmp_path), "--format", "json").stdout)
    assert [(d["code"], d["range"]["start"]["line"]) for d in doc["diagnostics"]] == [("SSOT003", 6)]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ssot-lint.rules.awaited-sync-call]\ntransparent-decorators = "somelib.keep"\n'
    )
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1
    assert "pyproject.toml" in err and "transparent-decorators" in err


# --- inference ----------------------------------------------------------------------------------
def _index(files: dict[str, str]) -> ProjectIndex:
    facts = []
    for path, text in files.items():
        module, is_package = module_for_path(path)
        facts.append(extract_facts(text, module, path, is_package))
    return ProjectIndex(facts)


LIB = {
    "app/__init__.py": "",
    "app/models.py": (
        "from typing import Optional\n"
        "class Store:\n"
        "    def get(self, k):\n        return 1\n"
        "    async def fetch(self, k):\n        return 1\n"
        "class Fancy(Store):\n"
        "    async def get(self, k):\n        return 2\n"
        "class Holder:\n"
        "    cls_store: Store\n"
        "    def __init__(self, store: Optional[Store], other: 'Store | None' = None):\n"
        "        self.store = store\n"
        "        self.built = Store()\n"
        "        self.maybe = None\n"
        "        self.other = other\n"
        "    @property\n"
        "    def prop(self) -> Store:\n        return self.built\n"
        "def make() -> Store:\n    return Store()\n"
        "async def amake() -> Store:\n    return Store()\n"
    ),
    "app/use.py": (
        "from app.models import Holder, Store, make, amake\n"
        "import thirdparty\n"
        "async def f(h: Holder, s: Store, untyped):\n"
        "    a = Store()\n"
        "    b = make()\n"
        "    c = await amake()\n"
        "    d = thirdparty.thing()\n"
        "    e = Store()\n"
        "    e = thirdparty.other()\n"
    ),
}


def test_value_types_shapes():
    index = _index(LIB)
    inf = Inference(index)

    def names(dotted):
        got = inf.value_types("app.use", "f", dotted)
        return None if got is None else sorted((t.cls.qualname, t.exact, t.is_type) for t in got)

    assert names("a") == [("Store", True, False)]
    assert names("b") == [("Store", False, False)]
    assert names("c") == [("Store", False, False)]
    assert names("s") == [("Store", False, False)]
    assert names("h.store") == [("Store", False, False)]
    assert names("h.built") == [("Store", True, False)]
    assert names("h.other") == [("Store", False, False)]
    assert names("h.prop") == [("Store", False, False)]
    assert names("h.cls_store") == [("Store", False, False)]
    assert names("Store") == [("Store", False, True)]
    for unknown in ("d", "e", "untyped", "h.maybe", "h.nothing", "thirdparty"):
        assert names(unknown) is None, unknown


def test_resolve_call_sees_subclass_overrides_but_not_for_exact_receivers():
    index = _index(LIB)
    inf = Inference(index)
    res = inf.resolve_call("app.use", "f", "s.get")
    assert res is not None
    assert sorted(t.fullname for t in res.targets) == ["app.models.Fancy.get", "app.models.Store.get"]
    assert {inf.call_kind(t) for t in res.targets} == {"plain", "coroutine"}
    exact = inf.resolve_call("app.use", "f", "a.get")
    assert exact is not None and [t.fullname for t in exact.targets] == ["app.models.Store.get"]
    assert inf.resolve_call("app.use", "f", "untyped.get") is None
    assert inf.resolve_call("app.use", "f", "d.get") is None


def test_call_kind_of_returns():
    src = (
        "import asyncio\nfrom typing import Any, Awaitable, Coroutine\n"
        "async def co():\n    pass\n"
        "async def agen():\n    yield 1\n"
        "def plain():\n    return {'a': 1}\n"
        "def task():\n    return asyncio.create_task(co())\n"
        "def coro():\n    return co()\n"
        "def cond(x):\n    return co() if x else None\n"
        "def passthrough(x):\n    return x\n"
        "def typed() -> Awaitable[int]:\n    pass\n"
        "def typed_coro() -> 'Coroutine[Any, Any, int]':\n    pass\n"
        "def anything() -> Any:\n    pass\n"
        "def stub() -> int:\n    ...\n"
        'def abstract():\n    """Doc."""\n    raise NotImplementedError\n'
        "def gen():\n    yield 1\n"
        "def subscript(d):\n    return d['k']\n"
        "def none() -> None:\n    pass\n"
        "def executor(loop):\n    return loop.run_in_executor(None, print)\n"
        "class Tasks:\n"
        "    def __init__(self):\n        self._t = asyncio.ensure_future(co())\n"
        "    def current(self):\n        return self._t\n"
        "class Awaitish:\n    def __await__(self):\n        yield\n"
        "class Repo:\n    def __init__(self, session):\n        self.session = session\n"
        "        self.cache: dict[str, int] = {}\n        self.seen = set()\n"
        "    def run(self, q):\n        return self.session.execute(q)\n"
        "    def cached(self, k):\n        return self.cache.get(k)\n"
        "    def was_seen(self, k):\n        return self.seen.copy()\n"
        "class PlainCls:\n    pass\n"
    )
    index = _index({"app/__init__.py": "", "app/k.py": src})
    inf = Inference(index)
    expected = {
        "co": "coroutine",
        "agen": "asyncgen",
        "plain": "plain",
        "task": "awaitable",
        "coro": "coroutine",
        "cond": "coroutine",
        "passthrough": None,
        "typed": "awaitable",
        "typed_coro": "coroutine",
        "anything": None,
        "stub": None,
        "abstract": None,
        "gen": "generator",
        "subscript": None,
        "none": "plain",
        "executor": "awaitable",
        "Tasks.current": "awaitable",
        "Repo.run": None,
        "Repo.cached": "plain",
        "Repo.was_seen": "plain",
        "Awaitish": "awaitable",
        "PlainCls": "plain",
    }
    for qual, kind in expected.items():
        assert inf.call_kind(index.definition("app.k", qual)) == kind, qual


def test_wraps_style_decorators_are_transparent_others_are_not():
    src = (
        "import functools\nfrom functools import wraps\n"
        "def traced(fn):\n    @wraps(fn)\n    def wrapper(*a, **k):\n        return fn(*a, **k)\n    return wrapper\n"
        "def retry(n):\n    def deco(fn):\n        @functools.wraps(fn)\n        def inner(*a):\n"
        "            return fn(*a)\n        return inner\n    return deco\n"
        "def to_async(fn):\n    @wraps(fn)\n    async def wrapper(*a):\n        return fn(*a)\n    return wrapper\n"
        "def swallow(fn):\n    @wraps(fn)\n    def wrapper(*a):\n        return None\n    return wrapper\n"
        "@traced\ndef a():\n    return 1\n"
        "@retry(3)\ndef b():\n    return 1\n"
        "@to_async\ndef c():\n    return 1\n"
        "@swallow\ndef d():\n    return 1\n"
        "class K:\n    @staticmethod\n    def s():\n        return 1\n"
        "    @classmethod\n    def k(cls):\n        return 1\n"
    )
    index = _index({"app/__init__.py": "", "app/d.py": src})
    inf = Inference(index)
    kinds = {q: inf.call_kind(index.definition("app.d", q)) for q in ("a", "b", "c", "d", "K.s", "K.k")}
    assert kinds == {"a": "plain", "b": "plain", "c": None, "d": None, "K.s": "plain", "K.k": "plain"}


def test_super_resolution_follows_the_mro_of_every_subclass():
    src = (
        "class A:\n    def setup(self):\n        pass\n"
        "class B(A):\n    async def go(self):\n        await super().setup()\n"
        "class Mixin(A):\n    async def setup(self):\n        pass\n"
        "class C(B, Mixin):\n    pass\n"
        "import unittest\n"
        "class T(unittest.TestCase):\n    async def asyncSetUp(self):\n        await super().setUp()\n"
    )
    index = _index({"app/__init__.py": "", "app/s.py": src})
    inf = Inference(index)
    res = inf.resolve_super_call("app.s", "B.go", "setup")
    # For a C instance, super() in B reaches Mixin.setup (async): both are possible.
    assert res is not None and sorted(t.fullname for t in res.targets) == ["app.s.A.setup", "app.s.Mixin.setup"]
    assert inf.resolve_super_call("app.s", "T.asyncSetUp", "setUp") is None  # outside the project


# --- the prefilter -------------------------------------------------------------------------------
def _diagnostics_with_prefilter(monkeypatch, project: Path, disable: bool) -> set:
    from ssot_lint.config import load_config
    from ssot_lint.engine import Linter, RunOptions

    if disable:
        for rule in (SSOT003, SSOT005):
            monkeypatch.setattr(rule, "could_fire", classmethod(lambda cls, ctx: True))
    # No cache: a warm second run would give the first run's findings back, whatever the prefilter.
    linter = Linter(
        load_config(project, None), RULES, select=["SSOT003", "SSOT005"], options=RunOptions(use_cache=False)
    )
    result = linter.run([str(project)])
    return {(d.code, d.path, d.range.start.line, d.range.start.column) for d in result.diagnostics}


@pytest.mark.parametrize("project", ["legacy_service", "clean_service"])
def test_could_fire_is_sound_on_the_fixtures(monkeypatch, project, fixture_copy):
    root = fixture_copy(project)
    with_filter = _diagnostics_with_prefilter(monkeypatch, root, False)
    without = _diagnostics_with_prefilter(monkeypatch, root, True)
    assert with_filter == without
    assert len(without) == sum(n for code, n in marker_counts(root).items() if code in ("SSOT003", "SSOT005"))


def test_could_fire_skips_files_that_cannot_report():
    files = {"app/__init__.py": "", "app/lib.py": "async def go():\n    pass\ndef sync():\n    return 1\n"}
    no_await = "from app.lib import sync\ndef f():\n    return sync()\n"
    result = lint_example(SSOT003, no_await, files=files)
    assert result.diagnostics == []
    from ssot_lint.context import RuleContext

    index = _index(
        {
            **files,
            "app/x.py": no_await,
            "app/y.py": "import os\nasync def f():\n    await os.x()\n",
            "app/z.py": "from app.lib import go\ndef f():\n    go()\n",
        }
    )
    ctx = RuleContext("app/x.py", "app.x", index.get_module("app.x"), index, None, None, False)  # type: ignore[arg-type]
    assert SSOT003.could_fire(ctx) is False  # no await
    ctx_y = RuleContext("app/y.py", "app.y", index.get_module("app.y"), index, None, None, False)  # type: ignore[arg-type]
    assert SSOT003.could_fire(ctx_y) is False  # no name of a project def
    assert SSOT005.could_fire(ctx_y) is False
    assert SSOT005.could_fire(ctx) is False  # `sync` returns a literal: never a coroutine
    ctx_z = RuleContext("app/z.py", "app.z", index.get_module("app.z"), index, None, None, False)  # type: ignore[arg-type]
    assert SSOT005.could_fire(ctx_z) is True  # `go` is an async def


# --- twins both ways -------------------------------------------------------------------------------
TWINS = {
    "app/__init__.py": "",
    "app/sync_api.py": "def fetch():\n    return 1\n",
    "app/async_api.py": "async def fetch():\n    return 1\n",
}


@pytest.mark.parametrize(
    "code,ssot003,ssot005",
    [
        ("from app.sync_api import fetch\nasync def f():\n    await fetch()\n", [3], []),
        ("from app.async_api import fetch\nasync def f():\n    await fetch()\n", [], []),
        ("from app.async_api import fetch\nasync def f():\n    fetch()\n", [], [3]),
        ("from app.sync_api import fetch\nasync def f():\n    fetch()\n", [], []),
        (
            "from app import sync_api, async_api\nasync def f():\n    await sync_api.fetch()\n"
            "    await async_api.fetch()\n    async_api.fetch()\n",
            [3],
            [5],
        ),
        (
            "async def f():\n    from app.async_api import fetch\n    await fetch()\n"
            "def g():\n    from app.sync_api import fetch\n    fetch()\n",
            [],
            [],
        ),
    ],
)
def test_twins_only_the_imported_binding_counts(code, ssot003, ssot005):
    for rule, lines in ((SSOT003, ssot003), (SSOT005, ssot005)):
        result = lint_example(rule, code, files=TWINS)
        assert [d.range.start.line for d in result.diagnostics if d.code == rule.code] == lines, rule.code


# --- property: an exact oracle on generated modules ---------------------------------------------------

_STMT = st.tuples(
    st.sampled_from(["await", "bare", "assign_await", "assign_attr", "create_task"]),
    st.booleans(),  # the callee is async
    st.sampled_from(["direct", "module", "alias", "method"]),
    st.integers(0, 2),
)


def _generated(stmts) -> tuple[dict[str, str], str, set[int], set[int]]:
    lib = ["import asyncio", ""]
    for i in range(3):
        lib += [f"def s{i}(x=None):", "    return {'k': x}", f"async def a{i}(x=None):", "    return {'k': x}"]
    lib += ["class Svc:"]
    for i in range(3):
        lib += [f"    def s{i}(self):", "        return 1", f"    async def a{i}(self):", "        return 1"]
    code = [
        "import asyncio",
        "import app.lib as lib",
        "from app.lib import Svc, " + ", ".join(f"s{i}, a{i}" for i in range(3)),
    ]
    code += [f"alias_s{i} = s{i}" for i in range(3)] + [f"alias_a{i} = a{i}" for i in range(3)]
    code += ["async def body(svc: Svc):"]
    want3: set[int] = set()
    want5: set[int] = set()
    for kind, is_async, shape, i in stmts:
        name = f"{'a' if is_async else 's'}{i}"
        callee = {"direct": name, "module": f"lib.{name}", "alias": f"alias_{name}", "method": f"svc.{name}"}[shape]
        line = len(code) + 1
        # kind -> (statement, which callee makes it a finding: SSOT003 sync, SSOT005 async)
        template, flagged = {
            "await": (f"    await {callee}()  # keep", want3 if not is_async else None),
            "bare": (f"    {callee}()", want5 if is_async else None),
            "assign_await": (f"    v = await {callee}()", want3 if not is_async else None),
            "assign_attr": (f"    {callee}().real", want5 if is_async else None),
            "create_task": (f"    asyncio.create_task({callee}())" if is_async else f"    {callee}()", None),
        }[kind]
        code.append(template)
        if flagged is not None:
            flagged.add(line)
    code.append("    return None")
    files = {"app/__init__.py": "", "app/lib.py": "\n".join(lib) + "\n"}
    return files, "\n".join(code) + "\n", want3, want5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_STMT, min_size=1, max_size=8))
def test_generated_modules_match_the_oracle_and_fixes_parse(stmts):
    files, code, want3, want5 = _generated(stmts)
    for rule, want in ((SSOT003, want3), (SSOT005, want5)):
        result = lint_example(rule, code, path="app/use.py", files=files)
        assert result.errors == []
        got = {d.range.start.line for d in result.diagnostics if d.code == rule.code}
        assert got == want, (rule.code, code)
        edits = [e for d in result.diagnostics if d.fix for e in d.fix.edits]
        fixed = apply_edits(code, edits)
        ast.parse(fixed)
        if rule is SSOT003:
            assert "# keep" * code.count("# keep") == "# keep" * fixed.count("# keep")
            again = lint_example(rule, fixed, path="app/use.py", files=files)
            assert [d for d in again.diagnostics if d.code == rule.code] == []


def test_benchmark_project_is_reproducible_and_fully_found(tmp_path: Path):
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "await_vs_typecheckers.py"
    spec = importlib.util.spec_from_file_location("await_bench", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    first = bench.generate(tmp_path / "a", 3, 11)
    second = bench.generate(tmp_path / "b", 3, 11)
    assert first == second
    texts = lambda root: {p.relative_to(root): p.read_text() for p in root.rglob("*.py")}  # noqa: E731
    assert texts(tmp_path / "a") == texts(tmp_path / "b")
    bugs, decoys, also, n_modules = first
    assert n_modules == 3 * 15 + 1 and len(bugs) == 3 * 29 and len(decoys) == 3 * 18
    found, _ = bench.run_ssot_lint(tmp_path / "a")
    assert found == bugs


# --- call sites: what the precise prefilter resolves ----------------------------------------------
def _independent_uses(tree) -> dict[int, str]:
    """The use of every call (``facts.CALL_USES``) from each call's parent, by a plain walk."""
    import ast

    from ssot_lint.facts import dotted_name, super_site

    uses: dict[int, str] = {}

    def mark(node, use):
        if isinstance(node, ast.Call):
            uses[id(node)] = use

    for node in ast.walk(tree):
        if isinstance(node, ast.Await):
            mark(node.value, "await")
        elif isinstance(node, ast.Expr):
            mark(node.value, "stmt")
        elif isinstance(node, ast.Attribute):
            mark(node.value, f"attr:{node.attr}")
        elif isinstance(node, ast.Subscript):
            mark(node.value, "subscript")
        elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            mark(node.test, "test")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            mark(node.operand, "test")
        elif isinstance(node, ast.BoolOp):
            mark(node.values[0], "test")
        elif isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                mark(operand, "compare")
        elif isinstance(node, ast.For):
            mark(node.iter, "iter")
        elif isinstance(node, ast.FormattedValue):
            mark(node.value, "fstring")
        elif isinstance(node, ast.Return):
            mark(node.value, "return")
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            mark(node.value, "assign:" + node.targets[0].id)
        elif isinstance(node, ast.Call):
            callee = dotted_name(node.func) or super_site(node)
            if callee is None:
                continue
            # Source order: everything from the first `*x` / `**x` on is "star".
            items = [(a.lineno, a.col_offset, a) for a in node.args] + [
                (k.lineno, k.col_offset, k) for k in node.keywords
            ]
            starred = False
            for _, _, item in sorted(items, key=lambda t: (t[0], t[1])):
                if isinstance(item, ast.Starred) or (isinstance(item, ast.keyword) and item.arg is None):
                    starred = True
                value = item.value if isinstance(item, (ast.Starred, ast.keyword)) else item
                if starred:
                    mark(value, f"star:{callee}")
                elif isinstance(item, ast.keyword):
                    mark(value, f"kw:{item.arg}:{callee}")
                else:
                    mark(value, f"arg:{node.args.index(item)}:{callee}")
    return uses


def _independent_sites(source: str) -> set[tuple[str, str, str]]:
    """Every dotted / super() call with the scope the engine's traversal is in, computed by a
    plain walk (decorators, defaults, annotations and bases in the outer scope), and its use."""
    import ast

    from ssot_lint.facts import dotted_name, super_site

    tree = ast.parse(source)
    uses = _independent_uses(tree)
    out: set[tuple[str, str, str]] = set()
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = f"{scope}.{node.name}" if scope else node.name
            outer_parts = [c for c in ast.iter_child_nodes(node) if c not in node.body]
            stack.extend((c, scope) for c in outer_parts)
            stack.extend((c, inner) for c in node.body)
            continue
        if isinstance(node, ast.Call):
            site = dotted_name(node.func) or super_site(node)
            if site is not None:
                out.add((scope, site, uses.get(id(node), "other")))
        stack.extend((c, scope) for c in ast.iter_child_nodes(node))
    return out


def _coverage_sources():
    import sysconfig

    yield from sorted((FIXTURES / "legacy_service").rglob("*.py"))
    std = Path(sysconfig.get_paths()["stdlib"])
    for sub in ("asyncio", "unittest", "email", "concurrent/futures"):
        yield from sorted((std / sub).glob("*.py"))


def test_call_sites_cover_every_call_of_real_code():
    """The facts record every call the await rules can judge, each with its scope: the
    prefilter of SSOT003/SSOT005 resolves exactly these, so a missing one would drop findings."""
    from ssot_lint.facts import CALL_USES, extract_facts

    checked = 0
    for path in _coverage_sources():
        text = path.read_text(encoding="utf-8")
        facts = extract_facts(text, "m", "m.py", False)
        assert set(facts.call_sites) == _independent_sites(text), path
        assert {use.partition(":")[0] for _, _, use in facts.call_sites} <= set(CALL_USES), path
        checked += 1
    assert checked > 100


def test_call_sites_shapes():
    from ssot_lint.facts import extract_facts

    src = (
        "import app.lib as lib\n"
        "@lib.deco(lib.make())\n"
        "def f(x=lib.default()):\n"
        "    lambda: lib.inner()\n"
        "    return [lib.comp(i) for i in x]\n"
        "class C(lib.base()):\n"
        "    attr = lib.in_class()\n"
        "    async def m(self):\n"
        "        await super().m()\n"
        "        await super(C, self).n()\n"
        "        super(type(self), self).o()\n"
        "        self.p()()\n"
    )
    sites = extract_facts(src, "m", "m.py", False).call_sites
    assert sites == {
        ("", "lib.deco", "other"),
        ("", "lib.make", "arg:0:lib.deco"),
        ("", "lib.default", "other"),
        ("f", "lib.inner", "other"),
        ("f", "lib.comp", "other"),
        ("", "lib.base", "other"),
        ("C", "lib.in_class", "assign:attr"),
        ("C.m", "super().m", "await"),
        ("C.m", "super(C).n", "await"),
        ("C.m", "self.p", "other"),
        ("C.m", "super", "attr:m"),
        ("C.m", "super", "attr:n"),
        ("C.m", "super", "attr:o"),
        ("C.m", "type", "arg:0:super"),
    }


def test_call_sites_record_each_use():
    """How each call's value is used, as the SSOT005 prefilter reads it (``CALL_USES``)."""
    from ssot_lint.facts import extract_facts

    src = (
        "async def f(x):\n"
        "    a.stmt()\n"
        "    a.attr().x\n"
        "    a.sub()[0]\n"
        "    if a.test():\n"
        "        pass\n"
        "    while not a.neg():\n"
        "        pass\n"
        "    y = a.left() or a.right()\n"
        "    a.cmp() == a.cmp2()\n"
        "    for i in a.it():\n"
        "        pass\n"
        "    async for i in a.ait():\n"
        "        pass\n"
        "    f'{a.fs()}'\n"
        "    x = a.assigned()\n"
        "    x.y = a.attr_target()\n"
        "    a.outer(a.pos(), k=a.kw())\n"
        "    a.outer2(1, *a.st(), a.after(), z=a.kw2())\n"
        "    a.outer3(k=a.kw3(), **a.dst())\n"
        "    b = [a.elem()]\n"
        "    assert a.asserted()\n"
        "    v = 1 if a.cond() else a.other()\n"
        "    await a.awaited()\n"
        "    return a.ret()\n"
    )
    sites = {site: use for scope, site, use in extract_facts(src, "m", "m.py", False).call_sites}
    assert sites == {
        "a.stmt": "stmt",
        "a.attr": "attr:x",
        "a.sub": "subscript",
        "a.test": "test",
        "a.neg": "test",
        "a.left": "test",
        "a.right": "other",
        "a.cmp": "compare",
        "a.cmp2": "compare",
        "a.it": "iter",
        "a.ait": "other",
        "a.fs": "fstring",
        "a.assigned": "assign:x",
        "a.attr_target": "other",
        "a.outer": "stmt",
        "a.pos": "arg:0:a.outer",
        "a.kw": "kw:k:a.outer",
        "a.outer2": "stmt",
        "a.st": "star:a.outer2",
        "a.after": "star:a.outer2",
        "a.kw2": "star:a.outer2",
        "a.outer3": "stmt",
        "a.kw3": "kw:k:a.outer3",
        "a.dst": "star:a.outer3",
        "a.elem": "other",
        "a.asserted": "test",
        "a.cond": "test",
        "a.other": "other",
        "a.awaited": "await",
        "a.ret": "return",
    }


def test_precise_prefilter_resolves_each_call():
    """A file that mentions an async def's name, but never calls it through a resolvable
    callee, is skipped; the same name called for real passes."""
    from ssot_lint.context import RuleContext

    files = {
        "app/__init__.py": "",
        "app/lib.py": "async def close():\n    pass\ndef shut():\n    return 1\n",
        "app/a.py": "def f(stream):\n    stream.close()\n    return close\n",  # unknown receiver
        "app/b.py": "from app.lib import close\ndef f():\n    close()\n",
        "app/c.py": "from app.lib import shut\nasync def f(stream):\n    await stream.shut()\n    shut()\n",
        "app/d.py": "from app.lib import shut\nasync def f():\n    x = await shut()\n",
        "app/e.py": "from app import lib\nlib.close = None\ndef f():\n    lib.close()\n",  # patched
        "app/f.py": "from app.lib import close\nasync def f():\n    await close()\n    return (await (close()))\n",
    }
    index = _index(files)

    def ctx(mod: str) -> RuleContext:
        return RuleContext(f"app/{mod}.py", f"app.{mod}", index.get_module(f"app.{mod}"), index, None, None, False)  # type: ignore[arg-type]

    assert [SSOT005.could_fire(ctx(m)) for m in "abcdef"] == [False, True, False, False, False, False]
    assert [SSOT003.could_fire(ctx(m)) for m in "abcdef"] == [False, False, False, True, False, False]


def test_call_argument_names_are_the_names_read_by_the_arguments():
    """`arg_names` (the contract inference follows context values through them) holds every
    name read anywhere inside the arguments, including nested calls, lambdas and
    comprehensions, and nothing from the callee expression."""
    from ssot_lint.facts import extract_facts

    src = (
        "def f(ctx, reg, n):\n"
        "    build(ctx.user_id, registry=wrap(reg), notify=lambda: n, items=[i for i in xs])\n"
        "    obj.method(a)(b)\n"
    )
    calls = extract_facts(src, "m", "m.py", False).defs["f"].calls
    by_callee = {c.callee: c.arg_names for c in calls}
    assert by_callee["build"] == ("ctx", "i", "n", "reg", "wrap", "xs")
    assert by_callee["wrap"] == ("reg",)
    assert by_callee["obj.method"] == ("a",)
