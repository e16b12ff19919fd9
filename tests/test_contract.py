"""The contract: derived from the parsed reference module, merged with config, extended by inference."""

from __future__ import annotations

import inspect
import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, run_cli

from ssot_lint.config import load_config
from ssot_lint.contract import CONFIG, INFERRED, REFERENCE, Contract, build_contract, find_module_file
from ssot_lint.engine import Linter
from ssot_lint.registry import load_rules
from ssot_lint.testing import config_from

REFERENCE_DIR = REPO / "ssot_lint" / "reference"
LEGACY = FIXTURES / "legacy_service"
SOURCE_RE = re.compile(r"^.+\.py:\d+$")


def line_of(path: Path, needle: str) -> int:
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in text:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def write(root: Path, files: dict[str, str], config: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n' + textwrap.dedent(config), encoding="utf-8")
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def contract_for(files: dict[str, str], table: dict | None = None) -> Contract:
    """The contract of an in-memory project (reference + config + inference)."""
    linter = Linter(config_from(table or {}), load_rules(), select=["SSOT001"])
    linter.lint_texts({k: textwrap.dedent(v) for k, v in files.items()}, [])
    return linter.contract


def by_name(entries, name):
    found = [e for e in entries if e.name == name]
    assert found, f"{name} not in {[e.name for e in entries]}"
    return found[0]


# --- the reference module -------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Contract:
    # A root without the reference: it is found among installed packages, parsed, not imported.
    return build_contract(load_config(tmp_path_factory.mktemp("empty")))


def ref_source(name: str) -> str:
    return f"{(REFERENCE_DIR / name).resolve()}"


def test_reference_managed_classes(reference):
    managed = {m.name: m for m in reference.managed}
    assert set(managed) == {"UserExecutionEngine", "UserWebSocketEmitter", "AgentExecutionRegistry"}
    factory = REFERENCE_DIR / "execution_engine_factory.py"
    engine = managed["UserExecutionEngine"]
    assert engine.origin == REFERENCE and engine.role == "returned"
    assert (
        engine.source
        == f"{ref_source('execution_engine_factory.py')}:{line_of(factory, 'engine = UserExecutionEngine(')}"
    )
    assert (
        engine.defined_at
        == f"{ref_source('engine.py')}:{line_of(REFERENCE_DIR / 'engine.py', 'class UserExecutionEngine')}"
    )
    assert engine.factory == "ssot_lint.reference.execution_engine_factory.ExecutionEngineFactory.create_for_user"
    emitter = managed["UserWebSocketEmitter"]
    assert emitter.role == "component"
    assert emitter.source.endswith(f":{line_of(factory, 'UserWebSocketEmitter(context, self._transport)')}")
    assert managed["AgentExecutionRegistry"].source.endswith(
        f":{line_of(factory, 'AgentExecutionRegistry(context.user_id')}"
    )
    for m in managed.values():
        assert m.allowed_in[0] == "ssot_lint.reference.execution_engine_factory"
        assert "*.execution_engine_factory" in m.allowed_in


def test_reference_entry_points_and_context(reference):
    eps = {(e.owner, e.method): e for e in reference.entry_points}
    assert set(eps) == {("ExecutionEngineFactory", "create_for_user"), ("ExecutionEngineFactory", "user_engine")}
    create = eps[("ExecutionEngineFactory", "create_for_user")]
    factory = REFERENCE_DIR / "execution_engine_factory.py"
    assert create.is_async and create.returns == ("UserExecutionEngine",) and create.origin == REFERENCE
    assert create.module == "ssot_lint.reference.execution_engine_factory"
    assert create.source.endswith(f"execution_engine_factory.py:{line_of(factory, 'async def create_for_user')}")
    assert eps[("ExecutionEngineFactory", "user_engine")].returns == ("UserExecutionEngine",)
    assert reference.context_classes == ("UserExecutionContext",)
    ctx = reference.contexts[0]
    assert ctx.origin == REFERENCE and ctx.module == "ssot_lint.reference.context"
    assert ctx.source.endswith(f"context.py:{line_of(REFERENCE_DIR / 'context.py', 'class UserExecutionContext')}")


def test_reference_notifier_protocol_matches_the_real_one(reference):
    from ssot_lint.reference import notifier as real

    proto = by_name(reference.notifier_classes, "WebSocketNotifier")
    assert proto.protocol and proto.origin == REFERENCE
    assert proto.source.endswith(f"notifier.py:{line_of(REFERENCE_DIR / 'notifier.py', 'class WebSocketNotifier')}")
    expected = [
        (name, inspect.iscoroutinefunction(fn), tuple(p for p in inspect.signature(fn).parameters if p != "self"))
        for name, fn in vars(real.WebSocketNotifier).items()
        if inspect.isfunction(fn) and not name.startswith("_")
    ]
    assert [(m.name, m.is_async, m.params) for m in proto.methods] == expected
    assert [m.name for m in proto.methods] == [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
        "agent_error",
    ]
    assert all(m.is_async for m in proto.methods)
    impl = by_name(reference.notifier_classes, "UserWebSocketEmitter")
    assert not impl.protocol and impl.implements == "WebSocketNotifier"
    assert "EventTransport" not in {n.name for n in reference.notifier_classes}  # not a notifier


def test_reference_notifier_params(reference):
    assert [(p.name, p.owner, p.annotation, p.origin) for p in reference.notifier_params] == [
        ("notifier", "UserExecutionEngine.__init__", "UserWebSocketEmitter", REFERENCE)
    ]
    assert reference.is_notifier_param("notifier") and not reference.is_notifier_param("transport")


def test_reference_in_project_root_is_preferred(tmp_path):
    # Inside our own repository the reference is found under the root, with relative paths.
    contract = build_contract(load_config(REPO))
    assert contract.module_path == "ssot_lint/reference/__init__.py"
    assert by_name(contract.managed, "UserExecutionEngine").source.startswith(
        "ssot_lint/reference/execution_engine_factory.py:"
    )


# --- config -----------------------------------------------------------------------------------


def test_config_entries_are_added_with_origin_and_line(tmp_path):
    config = """\
        [tool.ssot-lint.contract]
        managed = [
            "app.session.Session",
        ]
        allow-construction-in = ["app.wiring"]
        notifier-classes = ["app.bus.Bus"]
        notifier-params = ["bus"]
        factory-internal-methods = ["_from_factory"]
        """
    root = write(tmp_path, {"app/__init__.py": ""}, config)
    contract = build_contract(load_config(root))
    pyproject = str(root / "pyproject.toml")
    session = by_name(contract.managed, "app.session.Session")
    assert session.origin == CONFIG and session.source == f"{pyproject}:5"
    assert session.allowed_in == ("app.wiring",)
    # The reference's classes are still there; allow-construction-in widens them too.
    engine = by_name(contract.managed, "UserExecutionEngine")
    assert engine.origin == REFERENCE and "app.wiring" in engine.allowed_in
    bus = by_name(contract.notifier_classes, "app.bus.Bus")
    assert bus.origin == CONFIG and bus.source == f"{pyproject}:8"
    param = by_name(contract.notifier_params, "bus")
    assert param.origin == CONFIG and param.source == f"{pyproject}:9"
    assert contract.is_notifier_param("notifier") and contract.is_notifier_param("bus")
    assert contract.factory_internal_methods == ("_from_factory",)  # a configured list replaces the default


def test_config_managed_without_globs_is_allowed_where_the_reference_factory_is(tmp_path):
    root = write(tmp_path, {}, "[tool.ssot-lint.contract]\nmanaged = ['Session']\n")
    session = by_name(build_contract(load_config(root)).managed, "Session")
    assert "*.execution_engine_factory" in session.allowed_in


def test_missing_contract_module_is_a_warning_not_a_crash(tmp_path):
    root = write(tmp_path, {}, "[tool.ssot-lint.contract]\nmodule = 'nope.not_here'\nmanaged = ['Session']\n")
    contract = build_contract(load_config(root))
    assert contract.module_path is None
    assert contract.warnings == [f"contract module 'nope.not_here' not found under {root} or on sys.path"]
    assert [m.name for m in contract.managed] == ["Session"]
    proc = run_cli("contract", "--root", str(root))
    assert proc.returncode == 0 and "warning: contract module 'nope.not_here' not found" in proc.stdout.decode()


# --- inference --------------------------------------------------------------------------------

CTX = """\
class UserExecutionContext:
    def __init__(self, user_id):
        self.user_id = user_id
"""
MODELS = """\
class Session:
    def __init__(self, context, log=None, policy=None):
        self.context = context

    @classmethod
    def _build(cls, context):
        session = cls(context)
        return session


class AuditLog:
    def __init__(self, user_id):
        self.user_id = user_id


class Policy:
    def __init__(self, attempts):
        self.attempts = attempts


class LimitError(RuntimeError):
    pass
"""
BASE = {"app/__init__.py": "", "app/ctx.py": CTX, "app/models.py": MODELS}


def inferred(contract: Contract) -> dict[str, object]:
    return {m.name: m for m in contract.managed if m.origin == INFERRED}


@pytest.mark.parametrize(
    "factory",
    [
        # a `create_*` function returning a construction directly
        "def create_session(ctx: UserExecutionContext):\n    return Session(ctx)\n",
        # `*_for_user`, through a local, the context an `Optional[...]` of the context class
        "def session_for_user(context: Optional[UserExecutionContext]):\n    s = Session(context)\n    return s\n",
        # `get_*_for_user`, async, the context class through a module alias
        "async def get_session_for_user(user_context: ctx_mod.UserExecutionContext):\n    return Session(user_context)\n",
        # any method of a `*Factory` class, through a factory-internal classmethod
        "class SessionFactory:\n    def make(self, ctx: 'UserExecutionContext'):\n        return Session._build(ctx)\n",
        # a public method returning through a private helper of the same class
        "class SessionFactory:\n"
        "    async def for_request(self, ctx: UserExecutionContext):\n        return self._admit(ctx)\n"
        "    def _admit(self, ctx: UserExecutionContext):\n        session = Session(ctx)\n        return session\n",
    ],
)
def test_inference_positive(factory):
    code = (
        "from typing import Optional\nimport app.ctx as ctx_mod\nfrom app.ctx import UserExecutionContext\nfrom app.models import Session\n\n"
        + factory
    )
    contract = contract_for({**BASE, "app/factories.py": code})
    got = inferred(contract)
    assert list(got) == ["app.models.Session"]
    session = got["app.models.Session"]
    assert session.allowed_in == ("app.factories",) and session.role == "returned"
    assert session.defined_at == "app/models.py:1"
    assert re.fullmatch(r"app/factories\.py:\d+", session.source)
    call_line = next(n for n, t in enumerate(code.splitlines(), 1) if "Session(" in t or "Session._build(" in t)
    assert session.source == f"app/factories.py:{call_line}"


def test_inference_components_are_per_user_constructions_wired_into_the_result():
    code = """\
        from app.ctx import UserExecutionContext
        from app.models import AuditLog, LimitError, Policy, Session

        def create_session_for_user(context: UserExecutionContext) -> Session:
            if not context.user_id:
                raise LimitError(context.user_id)
            user_id = context.user_id
            log = AuditLog(user_id)
            stray = AuditLog(context.user_id)
            return Session(context, log, Policy(3))
        """
    got = inferred(contract_for({**BASE, "app/factories.py": code}))
    assert {k: v.role for k, v in got.items()} == {"app.models.Session": "returned", "app.models.AuditLog": "component"}
    assert got["app.models.AuditLog"].source == "app/factories.py:8"  # `log`, not the unused `stray`


@pytest.mark.parametrize(
    "path,code",
    [
        # test code is never a source of inference
        (
            "tests/test_factories.py",
            "def create_session_for_user(ctx: UserExecutionContext):\n    return Session(ctx)\n",
        ),
        # named like a factory, but no user context parameter
        ("app/factories.py", "def create_session(name: str):\n    return Session(name)\n"),
        ("app/factories.py", "def create_session(ctx: str):\n    return Session(ctx)\n"),
        # a parameter *named* like a context is not one: the annotation must resolve to the context class
        ("app/factories.py", "def session_for_user(context):\n    return Session(context)\n"),
        ("app/factories.py", "def create_session(context: Optional[str] = None):\n    return Session(context)\n"),
        ("app/factories.py", "def create_session(context: Dict[str, int]):\n    return Session(context)\n"),
        (
            "app/factories.py",
            "class RequestContext:\n    pass\ndef create_session(context: RequestContext):\n    return Session(context)\n",
        ),
        # takes a context but is not named like a factory
        ("app/factories.py", "def session(ctx: UserExecutionContext):\n    return Session(ctx)\n"),
        # returns a shared object: constructs nothing per user
        (
            "app/factories.py",
            "class SessionFactory:\n"
            "    def __init__(self):\n        self._session = Session(None)\n"
            "    def get_session_for_user(self, context: UserExecutionContext):\n        return self._session\n",
        ),
        # a local that is not a fresh construction
        (
            "app/factories.py",
            "class SessionFactory:\n"
            "    def __init__(self):\n        self._session = Session(None)\n"
            "    def create_for_user(self, context: UserExecutionContext):\n        s = self._session\n        return s\n",
        ),
        # exceptions and non-project classes are not managed
        (
            "app/factories.py",
            "import collections\ndef create_for_user(ctx: UserExecutionContext):\n    return collections.OrderedDict(ctx=ctx)\n",
        ),
        (
            "app/factories.py",
            "def create_error_for_user(ctx: UserExecutionContext):\n    return LimitError(ctx.user_id)\n",
        ),
    ],
)
def test_inference_negative(path, code):
    code = (
        "from typing import Dict, Optional\nfrom app.ctx import UserExecutionContext\nfrom app.models import LimitError, Session\n\n"
        + code
    )
    assert inferred(contract_for({**BASE, path: code})) == {}


def test_inference_can_be_switched_off():
    code = "from app.ctx import UserExecutionContext\nfrom app.models import Session\ndef create_session_for_user(ctx: UserExecutionContext):\n    return Session(ctx)\n"
    assert inferred(contract_for({**BASE, "app/factories.py": code}, {"contract": {"infer": False}})) == {}


def test_the_best_ranked_factory_wins_and_the_others_are_reported():
    factory = "from app.ctx import UserExecutionContext\nfrom app.models import Session\nclass SessionFactory:\n    def create_for_user(self, ctx: UserExecutionContext):\n        return Session(ctx)\n"
    legacy = "from app.ctx import UserExecutionContext\nfrom app.models import Session\ndef build_session_for_user(ctx: UserExecutionContext):\n    return Session(ctx)\n"
    contract = contract_for({**BASE, "app/session_factory.py": factory, "app/legacy.py": legacy})
    session = inferred(contract)["app.models.Session"]
    assert session.allowed_in == ("app.session_factory",)
    assert session.ignored_factories == ("app.legacy.build_session_for_user (app/legacy.py:4)",)
    assert [(e.owner, e.method, e.origin) for e in contract.entry_points if e.origin == INFERRED] == [
        ("SessionFactory", "create_for_user", INFERRED)
    ]


def test_ssot001_flags_inferred_classes_outside_their_factory():
    from rules.direct_construction import DirectConstruction
    from ssot_lint.testing import lint_example

    factory = "from app.ctx import UserExecutionContext\nfrom app.models import Session\ndef create_session_for_user(ctx: UserExecutionContext):\n    return Session(ctx)\n"
    files = {**BASE, "app/factories.py": factory}
    result = lint_example(
        DirectConstruction, "from app.models import Session\ns = Session(None)\n", path="app/routes.py", files=files
    )
    assert [(d.code, d.range.start.line, d.range.start.column) for d in result.diagnostics] == [("SSOT001", 2, 5)]
    assert "`app.factories`" in result.diagnostics[0].message
    ok = lint_example(DirectConstruction, factory, path="app/factories.py", files=files)
    assert ok.diagnostics == []


# --- ssot-lint contract on the legacy fixture ---------------------------------------------------


def test_contract_command_json_on_legacy_service(fixture_copy):
    proc = run_cli("contract", "--root", str(fixture_copy("legacy_service")), "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    for section in ("context_classes", "managed", "entry_points", "notifier_classes", "notifier_params"):
        for entry in doc[section]:
            assert entry["origin"] in (REFERENCE, CONFIG, INFERRED)
            assert SOURCE_RE.match(entry["source"]), entry
    managed = {m["name"]: m for m in doc["managed"]}
    factory = "netra_backend/app/tools/tool_dispatcher_factory.py"
    dispatcher = managed["netra_backend.app.tools.tool_dispatcher.ToolDispatcher"]
    assert dispatcher["origin"] == INFERRED and dispatcher["role"] == "returned"
    assert dispatcher["source"] == f"{factory}:{line_of(LEGACY / factory, 'return ToolDispatcher(')}"
    assert dispatcher["allowed_in"] == ["netra_backend.app.tools.tool_dispatcher_factory"]
    log = managed["netra_backend.app.tools.tool_dispatcher.ToolAuditLog"]
    assert log["origin"] == INFERRED and log["role"] == "component"
    assert log["source"] == f"{factory}:{line_of(LEGACY / factory, 'audit_log = ToolAuditLog(')}"
    engine_factory = "netra_backend/app/agents/supervisor/execution_engine_factory.py"
    engine = managed["netra_backend.app.agents.supervisor.execution_engine.ExecutionEngine"]
    assert engine["origin"] == INFERRED
    assert (
        engine["source"]
        == f"{engine_factory}:{line_of(LEGACY / engine_factory, 'ExecutionEngine._init_from_factory(')}"
    )
    assert engine["ignored_factories"] == [
        "netra_backend.app.legacy.engine_access.build_engine_for_user (netra_backend/app/legacy/engine_access.py:48)"
    ]
    assert managed["netra_backend.app.websocket.emitter.AgentWebSocketBridge"]["origin"] == INFERRED
    assert managed["netra_backend.app.tools.unified_tool_execution.UnifiedToolExecutionEngine"]["role"] == "component"
    # Never managed: the catalog (shared, or built without a context) and the retry policy (a value).
    assert not any(n.endswith(("ToolCatalog", "RetryPolicy")) for n in managed)
    assert {m["name"] for m in doc["managed"] if m["origin"] == REFERENCE} == {
        "UserExecutionEngine",
        "UserWebSocketEmitter",
        "AgentExecutionRegistry",
    }
    eps = {(e["owner"], e["method"], e["origin"]) for e in doc["entry_points"]}
    assert ("", "create_tool_dispatcher_for_user", INFERRED) in eps
    assert ("ExecutionEngineFactory", "create_for_user", INFERRED) in eps
    assert ("", "build_engine_for_user", INFERRED) not in eps  # outranked by the factory class
    params = {p["name"]: p for p in doc["notifier_params"]}
    assert params["websocket_emitter"]["origin"] == INFERRED
    assert params["websocket_emitter"]["owner"] == "ExecutionEngine.__init__"


def test_contract_command_text_on_legacy_service(fixture_copy):
    proc = run_cli("contract", "--root", str(fixture_copy("legacy_service")))
    out = proc.stdout.decode()
    assert proc.returncode == 0
    assert re.search(
        r"netra_backend\.app\.tools\.tool_dispatcher\.ToolDispatcher\s+inferred\s+"
        r"netra_backend/app/tools/tool_dispatcher_factory\.py:\d+",
        out,
    )
    assert re.search(r"UserExecutionEngine\s+reference\s+\S+execution_engine_factory\.py:\d+", out)


def test_legacy_tool_findings_exist_only_through_inference(tmp_path, fixture_copy):
    legacy = fixture_copy("legacy_service")

    def tool_findings(*extra: str) -> set[int]:
        proc = run_cli("check", str(legacy), "--format", "json", "--select", "SSOT001", *extra, cwd=legacy)
        doc = json.loads(proc.stdout)
        return {
            d["range"]["start"]["line"] for d in doc["diagnostics"] if d["path"] == "netra_backend/app/routes/tools.py"
        }

    assert tool_findings() == {16, 17, 23, 31}
    off = tmp_path / "ssot-lint.toml"
    off.write_text("[contract]\ninfer = false\n", encoding="utf-8")
    assert tool_findings("--config", str(off)) == set()


# --- a team's own factory module -------------------------------------------------------------

TEAM = {
    "myapp/__init__.py": "",
    "myapp/context.py": "class RequestContext:\n    def __init__(self, user_id):\n        self.user_id = user_id\n",
    "myapp/events.py": """\
        from typing import Protocol


        class EventSink(Protocol):
            async def job_started(self, job: str) -> None: ...
            def job_progress(self, job: str, percent: int) -> None: ...


        class UserEventSink:
            def __init__(self, context):
                self.context = context

            async def job_started(self, job: str) -> None:
                pass

            def job_progress(self, job: str, percent: int) -> None:
                pass
        """,
    "myapp/worker.py": """\
        class Worker:
            def __init__(self, context, sink):
                self.context = context
                self.sink = sink
        """,
    "myapp/agents/__init__.py": "",
    "myapp/agents/execution_engine_factory.py": """\
        from myapp.context import RequestContext
        from myapp.events import UserEventSink
        from myapp.worker import Worker


        class WorkerFactory:
            async def create_for_user(self, context: RequestContext) -> Worker:
                return Worker(context, UserEventSink(context))
        """,
    "myapp/routes.py": """\
        from myapp.worker import Worker


        def handler(ctx):
            return Worker(ctx, None)
        """,
}


def test_team_factory_module_via_config(tmp_path):
    config = "[tool.ssot-lint.contract]\nmodule = 'myapp.agents.execution_engine_factory'\ninfer = false\n"
    root = write(tmp_path, TEAM, config)
    proc = run_cli("contract", "--root", str(root), "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["module_path"] == "myapp/agents/execution_engine_factory.py"
    factory = "myapp/agents/execution_engine_factory.py"
    assert [(m["name"], m["origin"], m["role"], m["source"]) for m in doc["managed"]] == [
        ("Worker", REFERENCE, "returned", f"{factory}:8"),
        ("UserEventSink", REFERENCE, "component", f"{factory}:8"),
    ]
    assert [(c["name"], c["source"]) for c in doc["context_classes"]] == [("RequestContext", "myapp/context.py:1")]
    assert [(e["owner"], e["method"], e["is_async"]) for e in doc["entry_points"]] == [
        ("WorkerFactory", "create_for_user", True)
    ]
    proto = next(n for n in doc["notifier_classes"] if n["name"] == "EventSink")
    assert proto["protocol"] and [(m["name"], m["is_async"]) for m in proto["methods"]] == [
        ("job_started", True),
        ("job_progress", False),
    ]
    assert [(p["name"], p["owner"]) for p in doc["notifier_params"]] == [("sink", "Worker.__init__")]
    check = run_cli("check", str(root), "--format", "concise")
    assert check.stdout.decode().splitlines()[0].startswith("myapp/routes.py:5:12: SSOT001 `Worker`")


# --- parsed, never imported ------------------------------------------------------------------

BOOBY_TRAP = """\
import pathlib
pathlib.Path({marker!r}).write_text("imported")
"""


@pytest.mark.parametrize("where", ["root", "sys.path"])
def test_contract_module_is_parsed_not_imported(tmp_path, where):
    marker = tmp_path / "IMPORTED"
    files = {
        "trapped/__init__.py": BOOBY_TRAP.format(marker=str(marker)),
        "trapped/agents/__init__.py": BOOBY_TRAP.format(marker=str(marker)),
        "trapped/agents/execution_engine_factory.py": BOOBY_TRAP.format(marker=str(marker))
        + textwrap.dedent(TEAM["myapp/agents/execution_engine_factory.py"]).replace("myapp", "trapped"),
        **{
            k.replace("myapp", "trapped"): v.replace("myapp", "trapped")
            for k, v in TEAM.items()
            if "agents" not in k and k != "myapp/__init__.py"
        },
    }
    config = "[tool.ssot-lint.contract]\nmodule = 'trapped.agents.execution_engine_factory'\ninfer = false\n"
    env = None
    if where == "root":
        root = write(tmp_path / "proj", files, config)
    else:  # the package lives outside the root, on PYTHONPATH
        write(tmp_path / "site", files)
        root = write(tmp_path / "proj", {"app/__init__.py": ""}, config)
        env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")])}
    proc = run_cli("contract", "--root", str(root), "--format", "json", env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert [m["name"] for m in doc["managed"]] == ["Worker", "UserEventSink"]
    run_cli("check", str(root), env=env)
    assert not marker.exists()
    # In-process too: finding and parsing never import it.
    import sys

    sys.path.insert(0, str(tmp_path / ("proj" if where == "root" else "site")))
    try:
        found = find_module_file("trapped.agents.execution_engine_factory", tmp_path / "elsewhere")
        assert found is not None and found.name == "execution_engine_factory.py"
        build_contract(load_config(root))
    finally:
        sys.path.pop(0)
    assert not marker.exists() and "trapped" not in sys.modules


def test_project_classes_implementing_the_notifier_protocol_are_inferred_notifiers():
    methods = "".join(
        f"    async def {name}(self, agent_name, **kw):\n        pass\n"
        for name in ("agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed")
    )
    code = (
        "class SlackNotifier:\n" + methods + "    def agent_error(self, agent_name, error):\n        pass\n\n\n"
        "class HalfNotifier:\n    async def agent_started(self, agent_name):\n        pass\n"
    )
    contract = contract_for({"app/__init__.py": "", "app/slack.py": code})
    inferred_notifiers = [n for n in contract.notifier_classes if n.origin == INFERRED]
    assert [(n.name, n.source, n.implements) for n in inferred_notifiers] == [
        ("app.slack.SlackNotifier", "app/slack.py:1", "WebSocketNotifier")
    ]
    assert [(m.name, m.is_async) for m in inferred_notifiers[0].methods][-1] == ("agent_error", False)


def test_unparsable_contract_module_is_a_one_line_warning(tmp_path):
    files = {"team/__init__.py": "", "team/factory.py": "def create_for_user(ctx:\n"}
    root = write(tmp_path, files, "[tool.ssot-lint.contract]\nmodule = 'team.factory'\n")
    contract = build_contract(load_config(root))
    assert contract.managed == [] and len(contract.warnings) == 1
    assert contract.warnings[0].startswith("team/factory.py:1: contract module cannot be parsed: ")
    proc = run_cli("contract", "--root", str(tmp_path / "missing"))
    assert proc.returncode == 2 and proc.stderr.decode().strip().endswith("missing: no such directory")
