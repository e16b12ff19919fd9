"""Issue 15: real-code shapes that hid await bugs from SSOT003/SSOT005.

Each shape has fixtures in ``fixtures/legacy_service/netra_backend/app/await_shapes`` (and
``tests/`` for the pytest shapes): the exact findings (code, line, column) are listed
here, the `# expect:` markers must match them, and the decoys next to them stay silent.
The last tests check that the new resolution is sound for the prefilter and the cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, expected_markers, prefilter_soundness, run_cli

from ssot_lint.facts import extract_facts
from ssot_lint.registry import load_rules
from ssot_lint.testing import lint_example

RULES = load_rules()
SSOT003 = RULES.by_code("SSOT003")
SSOT005 = RULES.by_code("SSOT005")
LEGACY = FIXTURES / "legacy_service"
SHAPES = "netra_backend/app/await_shapes/"
PATCHES = "tests/test_patch_scopes.py"
FIXTURE_PARAMS = "tests/test_fixture_params.py"
SHAPE_FILES = (SHAPES, PATCHES, FIXTURE_PARAMS, "tests/conftest.py")
FILES = {
    "app/__init__.py": "",
    "app/ws_auth.py": "def make_user_context(uid):\n    return {'uid': uid}\n",
    "app/testing_auth.py": "async def make_user_context(uid):\n    return {'uid': uid}\n",
}

# (code, path, line, column) of every finding of the shape fixtures.
EXPECTED = {
    # 3: the last straight-line binding wins.
    ("SSOT003", SHAPES + "rebinding.py", 12, 11),
    # 2: an `except ImportError` fallback that cannot run.
    ("SSOT003", SHAPES + "import_fallback.py", 24, 15),
    ("SSOT003", SHAPES + "import_fallback.py", 29, 12),
    # 1: a patch applies only where it is active.
    ("SSOT003", PATCHES, 23, 15),
    ("SSOT003", PATCHES, 38, 11),
    ("SSOT003", PATCHES, 52, 12),
    ("SSOT003", PATCHES, 61, 12),
    ("SSOT003", PATCHES, 66, 5),
    ("SSOT003", PATCHES, 84, 12),
    # 5: pytest fixtures give parameters their class (and `setUp`/`asyncSetUp` attributes).
    ("SSOT005", FIXTURE_PARAMS, 31, 14),
    ("SSOT003", FIXTURE_PARAMS, 36, 12),
    ("SSOT005", FIXTURE_PARAMS, 40, 5),
    ("SSOT005", FIXTURE_PARAMS, 44, 12),
    ("SSOT003", FIXTURE_PARAMS, 48, 5),
    ("SSOT005", FIXTURE_PARAMS, 69, 9),
    ("SSOT003", FIXTURE_PARAMS, 77, 9),
    # 7: attribute chains through module-level instances (declared attribute types count).
    ("SSOT005", SHAPES + "chains.py", 10, 12),
    ("SSOT003", SHAPES + "chains.py", 15, 12),
    ("SSOT003", SHAPES + "chains.py", 19, 12),
    # 4: standard-library bases have no `__await__`.
    ("SSOT003", SHAPES + "bases.py", 62, 16),
    ("SSOT003", SHAPES + "bases.py", 63, 13),
    ("SSOT003", SHAPES + "bases.py", 64, 16),
    # 6: a coroutine used as a value (returned from a def declared otherwise, passed to a
    # parameter annotated with a plain type).
    ("SSOT005", SHAPES + "values.py", 26, 11),
    ("SSOT005", SHAPES + "values.py", 31, 11),
    ("SSOT005", SHAPES + "values.py", 36, 12),
    ("SSOT005", SHAPES + "values.py", 40, 15),
}


def _shape_findings(project: Path, *args: str) -> set[tuple[str, str, int, int]]:
    # From the project root: paths are relative to the working directory.
    proc = run_cli("check", str(project), "--format", "json", "--select", "SSOT003,SSOT005", *args, cwd=project)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    return {
        (d["code"], d["path"], d["range"]["start"]["line"], d["range"]["start"]["column"])
        for d in doc["diagnostics"]
        if d["path"].startswith(SHAPE_FILES)
    }


@pytest.fixture(scope="module")
def shape_findings() -> set[tuple[str, str, int, int]]:
    return _shape_findings(LEGACY, "--no-cache")


def test_every_shape_finding_exactly(shape_findings):
    assert shape_findings == EXPECTED


def test_markers_agree_with_the_table():
    markers = {m for m in expected_markers(LEGACY) if m[1].startswith(SHAPE_FILES) and m[0] in ("SSOT003", "SSOT005")}
    assert markers == {(code, path, line) for code, path, line, _ in EXPECTED}


# --- 3: rebinding ------------------------------------------------------------------------------------
def test_binding_conditions_are_recorded():
    src = (
        "from a import x\n"
        "try:\n    from app.ws import g\n    REAL = True\nexcept ImportError:\n    g = None\n"
        "if c:\n    from b import x\nelse:\n    y = 1\n"
        "for i in z:\n    w = 1\n"
        "with open(p) as fh:\n    v = 1\n"
        "try:\n    go()\nexcept Exception:\n    u = 1\n"
    )
    scope = extract_facts(src, "m", "m.py", False).module_scope.bindings
    assert [b.cond for b in scope["x"]] == ["", "if"]
    assert [b.cond for b in scope["g"]] == ["", "except:app.ws|g"]
    assert [b.cond for b in scope["REAL"]] == [""]
    assert [b.cond for b in scope["y"]] == ["else"]
    assert [b.cond for b in scope["w"]] == ["loop"] and [b.cond for b in scope["i"]] == ["loop"]
    assert [b.cond for b in scope["v"]] == [""] and [b.cond for b in scope["fh"]] == [""]
    assert [b.cond for b in scope["u"]] == ["except:?"]  # the body may fail for other reasons


@pytest.mark.parametrize(
    "imports,flagged",
    [
        ("from app.testing_auth import make_user_context\nfrom app.ws_auth import make_user_context\n", True),
        ("from app.ws_auth import make_user_context\nfrom app.testing_auth import make_user_context\n", False),
        # Under a condition: either may be the one at run time.
        (
            "from app.ws_auth import make_user_context\nif X:\n    from app.testing_auth import make_user_context\n",
            False,
        ),
        ("import app.testing_auth as m\nimport app.ws_auth as m\n", True),
    ],
)
def test_last_binding_wins(imports, flagged):
    call = "m.make_user_context" if "as m" in imports else "make_user_context"
    code = imports + f"async def f():\n    return await {call}(1)\n"
    result = lint_example(SSOT003, code, files=FILES)
    assert [d.range.start.line for d in result.diagnostics] == ([code.count("\n")] if flagged else [])


def test_rebinding_no_longer_reports_the_first_import_as_a_coroutine():
    files = {
        "app/__init__.py": "",
        "app/a.py": "class Registry:\n    async def get_agent(self, n):\n        return n\n",
        "app/b.py": "class Registry:\n    def get_agent(self, n):\n        return str(n)\n",
    }
    code = (
        "from app.a import Registry\nfrom app.b import Registry\n"
        "def f():\n    r = Registry()\n    agent = r.get_agent('x')\n    return agent.upper()\n"
    )
    assert lint_example(SSOT005, code, files=files).diagnostics == []
    swapped = code.replace("app.a", "app.TMP").replace("app.b", "app.a").replace("app.TMP", "app.b")
    assert [d.range.start.line for d in lint_example(SSOT005, swapped, files=files).diagnostics] == [5]


# --- 2: except ImportError ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "block,flagged",
    [
        (
            "try:\n    from app.ws_auth import make_user_context\nexcept ImportError:\n    make_user_context = None\n",
            True,
        ),
        # A module the project does not have: the fallback may run.
        (
            "try:\n    from vendor import make_user_context\nexcept ImportError:\n"
            "    from app.ws_auth import make_user_context\n",
            False,
        ),
        # The project module does not define the name: the import fails.
        (
            "try:\n    from app.ws_auth import other\nexcept ImportError:\n"
            "    from app.ws_auth import make_user_context\n",
            True,
        ),
        # Something else in the body may raise.
        (
            "try:\n    from app.ws_auth import make_user_context\n    setup()\nexcept ImportError:\n"
            "    async def make_user_context(u):\n        return u\n",
            False,
        ),
    ],
)
def test_except_import_error_fallback(block, flagged):
    code = block + "async def f():\n    return await make_user_context(1)\n"
    result = lint_example(SSOT003, code, files=FILES)
    assert [d.range.start.line for d in result.diagnostics] == ([code.count("\n")] if flagged else [])


# --- 1: patch scopes ------------------------------------------------------------------------------------
def test_patch_regions_are_recorded():
    src = (
        "from unittest.mock import patch\n"  # 1
        "def test_a(m):\n"  # 2
        "    with patch('a.b.f'):\n"  # 3
        "        pass\n"  # 4
        "    m.setattr(x, 'g', 1)\n"  # 5
        "    obj.h = 1\n"  # 6
        "    return 2\n"  # 7
        "@patch.object(A, 'k')\n"  # 8
        "def test_b(k):\n"  # 9
        "    pass\n"  # 10
        "class T:\n"  # 11
        "    def setUp(self):\n"  # 12
        "        patch(f'{M}.s').start()\n"  # 13
        "    def test_c(self):\n"  # 14
        "        pass\n"  # 15
        "def helper():\n"  # 16
        "    patch('a.helped').start()\n"  # 17
        "def fixture_like():\n"  # 18
        "    with patch('a.' + 'yielded'):\n"  # 19
        "        yield\n"  # 20
        "patch('a.module_level').start()\n"  # 21
    )
    facts = extract_facts(src, "tests.t", "tests/t.py", False)
    assert set(facts.patched_regions) == {("f", 3, 4), ("g", 2, 7), ("h", 6, 7), ("k", 9, 10), ("s", 11, 15)}
    assert {"helped", "yielded", "module_level"} <= facts.patched_attrs
    assert not {"f", "g", "h", "k", "s"} & facts.patched_attrs


def test_each_function_is_searched_for_a_yield_once(monkeypatch):
    """Where an attribute assignment's patch applies depends on whether its function yields
    (``_patch_region``): asked once per function, not once per assignment, which walked an
    `__init__` of n `self.x = ...` n times (n^2 nodes: a quarter of Home Assistant's facts)."""
    import ssot_lint.facts as facts_mod

    asked: list[int] = []
    real = facts_mod._is_generator
    monkeypatch.setattr(facts_mod, "_is_generator", lambda node: asked.append(id(node)) or real(node))
    body = "".join(f"        self.a{i} = {i}\n" for i in range(200))
    src = f"class C:\n    def __init__(self):\n{body}\n    def test_it(self):\n        obj.m = 1\n        obj.n = 2\n"
    facts = facts_mod.extract_facts(src, "tests.t", "tests/t.py", False)
    assert len(asked) == len(set(asked)) == 2
    # In `__init__`: the class (line 1 to 206); in a test: from the assignment on.
    assert set(facts.patched_regions) == {(f"a{i}", 1, 206) for i in range(200)} | {("m", 205, 206), ("n", 206, 206)}


def test_a_patch_in_one_test_does_not_hide_another():
    files = {**FILES, "app/ws.py": "def get_manager(ctx):\n    return {'ctx': ctx}\n"}
    code = (
        "from unittest.mock import patch\nfrom app.ws import get_manager\n"
        "async def test_a(ctx):\n    return await get_manager(ctx)\n"
        "async def test_b():\n    with patch('app.ws.get_manager') as fake:\n        await get_manager(1)\n"
    )
    assert [
        d.range.start.line for d in lint_example(SSOT003, code, path="tests/test_x.py", files=files).diagnostics
    ] == [4]


# --- 5: pytest fixtures -------------------------------------------------------------------------------------
SVC = {"app/__init__.py": "", "app/svc.py": "class Svc:\n    async def go(self):\n        return 1\n"}


@pytest.mark.parametrize(
    "files,code,flagged",
    [
        # In a conftest.py up the tree; the module's own fixture of that name wins.
        (
            {
                "tests/conftest.py": "import pytest\nfrom app.svc import Svc\n@pytest.fixture\ndef svc():\n    return Svc()\n"
            },
            "def test_a(svc):\n    svc.go()\n",
            True,
        ),
        (
            {
                "tests/conftest.py": "import pytest\nfrom app.svc import Svc\n@pytest.fixture\ndef svc():\n    return Svc()\n"
            },
            "import pytest\n@pytest.fixture\ndef svc():\n    return object()\ndef test_a(svc):\n    svc.go()\n",
            False,
        ),
        # A conftest in another folder is out of reach.
        (
            {
                "other/conftest.py": "import pytest\nfrom app.svc import Svc\n@pytest.fixture\ndef svc():\n    return Svc()\n"
            },
            "def test_a(svc):\n    svc.go()\n",
            False,
        ),
        # Not a test function: a plain parameter.
        (
            {
                "tests/conftest.py": "import pytest\nfrom app.svc import Svc\n@pytest.fixture\ndef svc():\n    return Svc()\n"
            },
            "def helper(svc):\n    svc.go()\n",
            False,
        ),
        # A fixture that requests the fixture it overrides gets the outer one.
        (
            {
                "tests/conftest.py": "import pytest\nfrom app.svc import Svc\n@pytest.fixture\ndef svc():\n    return Svc()\n"
            },
            "import pytest\n@pytest.fixture\ndef svc(svc):\n    svc.go()\n    return svc\n",
            True,
        ),
    ],
)
def test_fixture_parameters(files, code, flagged):
    result = lint_example(SSOT005, code, path="tests/test_x.py", files={**SVC, **files})
    lines = [d.range.start.line for d in result.diagnostics]
    assert lines == ([code.count("\n") - (1 if "return svc" in code else 0)] if flagged else [])


# --- 7: attribute chains -------------------------------------------------------------------------------------
def test_a_declared_attribute_type_wins_over_what_is_assigned():
    from ssot_lint.index import ProjectIndex
    from ssot_lint.inference import Inference

    src = {
        "app/__init__.py": "",
        "app/m.py": (
            "class Store:\n    def get(self):\n        return 1\n"
            "class Svc:\n    store: Store\n    def __init__(self, s):\n        self.store = s\n        self.other = s\n"
            "class Sub(Svc):\n    def __init__(self, s):\n        self.store: 'Store | None' = s\n"
            "svc = Svc(None)\nsub = Sub(None)\n"
        ),
    }
    facts = [
        extract_facts(text, rel[:-3].replace("/", ".").replace(".__init__", ""), rel, rel.endswith("__init__.py"))
        for rel, text in src.items()
    ]
    inf = Inference(ProjectIndex(facts))
    assert [t.cls.qualname for t in inf.value_types("app.m", "", "svc.store")] == ["Store"]
    assert [t.cls.qualname for t in inf.value_types("app.m", "", "sub.store")] == ["Store"]
    assert inf.value_types("app.m", "", "svc.other") is None  # an untyped parameter


# --- 4: bases outside the project -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "bases,flagged",
    [
        ("Generic[T]", True),
        ("Exception", True),
        ("enum.Enum", True),
        ("dict, ABC", True),
        ("Protocol", True),
        ("object", True),
        ("threading.Thread", True),
        ("asyncio.Future", False),  # awaitable
        ("collections.abc.Awaitable", False),
        ("pydantic.BaseModel", False),  # third-party: unknown
        ("mock.MagicMock", False),  # any attribute exists
        ("make_base()", False),  # computed at run time
    ],
)
def test_outside_bases(bases, flagged):
    code = (
        "import asyncio, collections.abc, enum, threading, pydantic\nfrom unittest import mock\n"
        "from abc import ABC\nfrom typing import Generic, Protocol, TypeVar\nT = TypeVar('T')\n"
        f"class C({bases}):\n    pass\n"
        "def make() -> C:\n    return C()\n"
        "async def f():\n    return await make()\n"
    )
    assert bool(lint_example(SSOT003, code).diagnostics) is flagged


def test_known_non_awaitable_bases_option(tmp_path: Path):
    code = "import pydantic\nclass M(pydantic.BaseModel):\n    pass\nasync def f():\n    return await M()\n"
    option = {"rules": {"awaited-sync-call": {"known-non-awaitable-bases": ["pydantic.BaseModel"]}}}
    assert lint_example(SSOT003, code).diagnostics == []
    assert [d.range.start.line for d in lint_example(SSOT003, code, config=option).diagnostics] == [5]
    # From pyproject.toml, through the CLI.
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "m.py").write_text(code)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\n'
        '[tool.ssot-lint.rules.awaited-sync-call]\nknown-non-awaitable-bases = ["pydantic.BaseModel"]\n'
    )
    proc = run_cli("check", str(tmp_path), "--select", "SSOT003", "--format", "json", "--no-cache")
    assert [d["range"]["start"]["line"] for d in json.loads(proc.stdout)["diagnostics"]] == [5]


# --- 6: coroutines used as values ----------------------------------------------------------------------
CTX = {
    "app/__init__.py": "",
    "app/ctx.py": "class Ctx:\n    user_id = ''\nasync def make(u):\n    return Ctx()\n"
    "def render(ctx: Ctx) -> str:\n    return ''\ndef keep(c):\n    return c\nasync def wrap(c):\n    return await c\n",
}


@pytest.mark.parametrize(
    "body,flagged",
    [
        ("def f() -> Ctx:\n    return make(1)\n", True),
        ("def f() -> None:\n    return make(1)\n", True),
        ("async def f() -> Ctx:\n    return make(1)\n", True),
        ("def f() -> Ctx:\n    c = make(1)\n    return c\n", True),
        ("def f():\n    c = make(1)\n    return render(c)\n", True),
        ("def f():\n    return make(1)\n", False),  # undeclared: the caller may await it
        ("def f() -> Awaitable[Ctx]:\n    return make(1)\n", False),
        ("def f() -> Any:\n    return make(1)\n", False),
        ("def f():\n    c = make(1)\n    return keep(c)\n", False),  # unannotated parameter
        ("def f():\n    c = make(1)\n    asyncio.run(wrap(c))\n", False),
        ("def f() -> Iterator[Ctx]:\n    yield 1\n    return make(1)\n", False),
        # `@overload` variants (langchain, prefect): the facts keep the first signature.
        (
            "@overload\ndef f() -> None: ...\n@overload\ndef f(x: int) -> int: ...\n"
            "def f(x=None):\n    return make(1)\n",
            False,
        ),
    ],
)
def test_coroutine_used_as_a_value(body, flagged):
    code = (
        "import asyncio\nfrom typing import Any, Awaitable, Iterator, overload\nfrom app.ctx import Ctx, make, render, keep, wrap\n"
        + body
    )
    assert bool(lint_example(SSOT005, code, files=CTX).diagnostics) is flagged


# --- precision: what real code showed ------------------------------------------------------------------
@pytest.mark.parametrize(
    "annotation,flagged",
    [
        ("Coroutine[Any, Any, None]", True),
        ("Union[int, Coroutine[Any, Any, int]]", False),  # prefect: a value or a coroutine
        ("Optional[Coroutine[Any, Any, int]]", False),
        ("Coroutine[Any, Any, int] | None", False),
    ],
)
def test_a_def_that_may_return_a_coroutine_is_not_one(annotation, flagged):
    code = (
        "from typing import Any, Coroutine, Optional, Union\n"
        "async def g():\n    return 1\n"
        f"def f() -> {annotation}:\n    return g()\n"
        "def run():\n    f()\n"
    )
    assert bool(lint_example(SSOT005, code).diagnostics) is flagged
    assert lint_example(SSOT003, code + "async def arun():\n    await f()\n").diagnostics == []


def test_explain_documents_the_shapes():
    out3 = " ".join(run_cli("explain", "SSOT003").stdout.decode().split())
    for phrase in (
        "the last binding",
        "`except ImportError` fallback",
        "where the patch is active",
        "fixture",
        "known-non-awaitable-bases",
        "standard-library",
    ):
        assert phrase in out3, phrase
    out5 = " ".join(run_cli("explain", "SSOT005").stdout.decode().split())
    for phrase in ("declared to return", "annotated with a type that is not awaitable"):
        assert phrase in out5, phrase


# --- soundness: prefilter and cache -------------------------------------------------------------------------
@pytest.fixture()
def shapes_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "legacy_service"
    shutil.copytree(LEGACY, dst)
    return dst


@pytest.mark.parametrize("code", ["SSOT003", "SSOT005"])
def test_prefilter_passes_every_file_that_reports(monkeypatch, code):
    rule = RULES.by_code(code)
    passed, flagged, _ = prefilter_soundness(RULES, rule, LEGACY, monkeypatch)
    assert flagged <= passed
    assert any(p.startswith(SHAPE_FILES) for p in flagged) or code == "SSOT005"


def test_warm_cold_and_no_prefilter_agree(shapes_copy: Path):
    cold = _shape_findings(shapes_copy)  # writes the cache
    warm = _shape_findings(shapes_copy)
    assert cold == warm == EXPECTED
    assert _shape_findings(shapes_copy, "--no-cache") == EXPECTED
    assert _shape_findings(shapes_copy, "--no-prefilter", "--no-cache") == EXPECTED


def test_warm_run_sees_edits_of_the_modules_the_resolution_read(shapes_copy: Path):
    """The dead `except ImportError` branch and the last binding are decided from other
    modules' facts: editing those modules must change the warm findings."""
    _shape_findings(shapes_copy)
    ws = shapes_copy / SHAPES / "ws_auth.py"
    # `get_manager` gone: the import fails, so the MagicMock fallback may run (unknown).
    ws.write_text(ws.read_text().replace("def get_manager(", "def get_other_manager("))
    after = _shape_findings(shapes_copy)
    assert ("SSOT003", SHAPES + "import_fallback.py", 24, 15) not in after
    assert after == _shape_findings(shapes_copy, "--no-cache")
    # The conftest fixture now gives something else: its tests' parameters are unknown.
    conftest = shapes_copy / "tests" / "conftest.py"
    conftest.write_text(conftest.read_text().replace("return CatalogService()\n\n\n@", "return object()\n\n\n@", 1))
    after = _shape_findings(shapes_copy)
    assert ("SSOT005", FIXTURE_PARAMS, 40, 5) not in after and ("SSOT005", FIXTURE_PARAMS, 31, 14) in after
    assert after == _shape_findings(shapes_copy, "--no-cache")
    # `make_user_context` made async: the rebinding now gives a coroutine.
    ws.write_text(ws.read_text().replace("def make_user_context(", "async def make_user_context("))
    after = _shape_findings(shapes_copy)
    assert not any(f[1] == SHAPES + "rebinding.py" for f in after)
    assert after == _shape_findings(shapes_copy, "--no-cache")


# One file per use of a coroutine call's value (``facts.CALL_USES``): those SSOT005 judges,
# and those it never does (handed to the event loop, stored in a display, awaited, ...).
_USES = {
    # judged: each reports
    "stmt": "    load()\n",
    "attr": "    load().result\n",
    "subscript": "    load()[0]\n",
    "test": "    if load():\n        pass\n",
    "not": "    if not load():\n        pass\n",
    "bool": "    x = load() or 1\n",
    "compare": "    x = load() == 1\n",
    "iter": "    for i in load():\n        pass\n",
    "fstring": "    x = f'{load()}'\n",
    "assigned": "    x = load()\n    return x.keys()\n",
    # awaited by name, but in another function: judged here
    "assigned_awaited_elsewhere": "    x = load()\n    return x.keys()\n\n\nasync def other(x):\n    await x\n",
    "consumer": "    return len(load())\n",
    "plain_param": "    page(load())\n",
    "plain_kw": "    page(user=load())\n",
    "plain_return": None,  # below: a function declared to return a plain type
    # not judged: none reports, and the prefilter skips the file
    "task": "    asyncio.create_task(load())\n",
    "gather": "    await asyncio.gather(load(), load())\n",
    "awaitable_param": "    run(load())\n",
    "after_star": "    page(*args, load())\n",
    "display": "    x = [load()]\n    await x[0]\n",
    "lambda": "    f = lambda: load()\n",
    "close": "    load().close()\n",
    "awaited": "    await load()\n",
    "assigned_awaited": "    x = load()\n    if args:\n        x.close()\n    await x\n",
    "assigned_awaited_nested": "    x = load()\n\n    async def later():\n        await x\n",
    "assigned_module_level": None,  # below: `x = load()` at module level
    "return_plain_def": None,  # below: `return load()` from an unannotated function
}
_JUDGED = {"stmt", "attr", "subscript", "test", "not", "bool", "compare", "iter", "fstring", "assigned",
           "assigned_awaited_elsewhere",
           "consumer", "plain_param", "plain_kw", "plain_return"}  # fmt: skip


def test_ssot005_prefilter_reads_how_each_call_is_used(tmp_path: Path, monkeypatch):
    """The prefilter passes a file only where a coroutine call is used where the visitor
    judges it, and never drops a finding (checked with the prefilter bypassed)."""
    lib = (
        "from collections.abc import Awaitable\n\n"
        "async def load() -> dict:\n    return {}\n\n"
        "def page(user: dict) -> str:\n    return str(user)\n\n"
        "def run(job: Awaitable[dict]) -> None:\n    pass\n"
    )
    root = tmp_path / "svc"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "lib.py").write_text(lib)
    head = "import asyncio\nfrom app.lib import load, page, run\n\n"
    for name, body in _USES.items():
        if name == "plain_return":
            text = head + "def use() -> dict:\n    return load()\n"
        elif name == "return_plain_def":
            text = head + "def use():\n    return load()\n"
        elif name == "assigned_module_level":
            text = head + "x = load()\nprint(x.keys())\n"
        else:
            text = head + "async def use(args):\n" + body
        (root / "app" / f"u_{name}.py").write_text(text)
    passed, flagged, _ = prefilter_soundness(RULES, SSOT005, root, monkeypatch)
    judged = {f"app/u_{name}.py" for name in _JUDGED}
    assert flagged == judged
    assert passed == judged
