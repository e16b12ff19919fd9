"""SSOT004 / SSOT006 / SSOT007 beyond their VALID/INVALID examples: receiver typing,
argument binding, monkeypatch detection, the project-wide duplicate table, prefilters."""

from __future__ import annotations

from pathlib import Path

import pytest
import ssot_lint.rules.duplicate_definition as dupmod
from conftest import prefilter_soundness
from ssot_lint.rules.duplicate_definition import DuplicateDefinition
from ssot_lint.rules.null_notifier import NullNotifier
from ssot_lint.rules.unknown_notifier_method import UnknownNotifierMethod

from ssot_lint.engine import Linter
from ssot_lint.registry import load_rules
from ssot_lint.testing import config_from, lint_example

RULES = load_rules()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

NOTIFIER = (
    "class WebSocketNotifier:\n"
    "    async def agent_started(self, agent_name, run_id): ...\n"
    "    async def agent_completed(self, agent_name, run_id, result): ...\n"
)
EMITTER = (
    "from typing import Optional\n"
    "from app.notifier import WebSocketNotifier\n"
    "class UserWebSocketEmitter:\n"
    "    def __init__(self, context, notifier: WebSocketNotifier):\n"
    "        self._notifier = notifier\n"
    "    async def agent_started(self, agent_name, run_id): ...\n"
    "    async def tool_completed(self, run_id, tool, result): ...\n"
    "    def bridge_for(self, agent) -> 'AgentWebSocketBridge':\n"
    "        return AgentWebSocketBridge(self, agent)\n"
    "    @property\n"
    "    def upstream(self) -> WebSocketNotifier:\n"
    "        return self._notifier\n"
    "class AgentWebSocketBridge:\n"
    "    def __init__(self, emitter: 'UserWebSocketEmitter', agent):\n"
    "        self._emitter = emitter\n"
    "    async def started(self, run_id): ...\n"
    "def make_emitter(ctx, n) -> Optional[UserWebSocketEmitter]:\n"
    "    return UserWebSocketEmitter(ctx, n)\n"
    "def make_emitter_untyped(ctx, n):\n"
    "    return UserWebSocketEmitter(ctx, n)\n"
)
FILES = {"app/__init__.py": "", "app/notifier.py": NOTIFIER, "app/emitter.py": EMITTER}
HEAD = "from app.emitter import UserWebSocketEmitter, AgentWebSocketBridge, make_emitter, make_emitter_untyped\n"


def found(rule, code, files=FILES, path="app/example.py", config=None):
    result = lint_example(rule, code, path=path, files=files, config=config, rules=RULES)
    assert not result.errors, [e.message for e in result.errors]
    return [(d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics if d.code == rule.code]


# --- SSOT006: receiver typing ------------------------------------------------------------


@pytest.mark.parametrize(
    "body,cls",
    [
        ("async def f(e: UserWebSocketEmitter):\n    await e.agent_stared('a', 'r')\n", "UserWebSocketEmitter"),
        ("async def f(e: 'UserWebSocketEmitter'):\n    await e.agent_stared('a', 'r')\n", "UserWebSocketEmitter"),
        ("async def f(e: UserWebSocketEmitter | None):\n    await e.agent_stared('a', 'r')\n", "UserWebSocketEmitter"),
        (
            "async def f(c, n):\n    e = UserWebSocketEmitter(c, n)\n    await e.agent_stared('a', 'r')\n",
            "UserWebSocketEmitter",
        ),
        (
            "async def f(c, n):\n    e = make_emitter(c, n)\n    await e.agent_stared('a', 'r')\n",
            "UserWebSocketEmitter",
        ),
        (
            "async def f(c, n):\n    e = make_emitter_untyped(c, n)\n    await e.agent_stared('a', 'r')\n",
            "UserWebSocketEmitter",
        ),
        (
            "async def f(e: UserWebSocketEmitter):\n    b = e.bridge_for('x')\n    await b.agent_stared('r')\n",
            "AgentWebSocketBridge",
        ),
        ("async def f(e: UserWebSocketEmitter):\n    await e.upstream.agent_stared('a', 'r')\n", "WebSocketNotifier"),
        ("async def f(c, n):\n    await make_emitter(c, n).agent_stared('a', 'r')\n", "UserWebSocketEmitter"),
        (
            "class H:\n    def __init__(self, e: UserWebSocketEmitter):\n        self.e = e\n"
            "    async def go(self):\n        await self.e.agent_stared('a', 'r')\n",
            "UserWebSocketEmitter",
        ),
        (
            "class H:\n    sink: UserWebSocketEmitter\n"
            "    async def go(self):\n        await self.sink.agent_stared('a', 'r')\n",
            "UserWebSocketEmitter",
        ),
        (
            "class H:\n    def __init__(self, c, n):\n        self.e = UserWebSocketEmitter(c, n)\n"
            "    async def go(self):\n        await self.e.agent_stared('a', 'r')\n",
            "UserWebSocketEmitter",
        ),
    ],
)
def test_receiver_class_is_inferred(body, cls):
    out = found(UnknownNotifierMethod, HEAD + body)
    assert len(out) == 1, out
    assert f"notifier `{cls}`" in out[0][2]


def test_known_class_suggests_its_closest_method():
    out = found(UnknownNotifierMethod, HEAD + "async def f(e: UserWebSocketEmitter):\n    await e.agent_stared('a')\n")
    assert out[0][2].endswith("did you mean `agent_started`?")


def test_known_non_notifier_class_is_not_checked():
    code = "class Queue:\n    def put(self, x): ...\nasync def f(q_emitter: Queue):\n    q_emitter.push(1)\n"
    assert found(UnknownNotifierMethod, code) == []


@pytest.mark.parametrize(
    "body",
    [
        "from unittest.mock import AsyncMock\nasync def f():\n    n = AsyncMock(spec=UserWebSocketEmitter)\n"
        "    await n.nope()\n",
        "from unittest import mock\nasync def f():\n    emitter = mock.MagicMock()\n    emitter.nope()\n",
        "from unittest.mock import create_autospec\nasync def f():\n"
        "    emitter = create_autospec(UserWebSocketEmitter)\n    emitter.nope()\n",
        "async def f(e: UserWebSocketEmitter):\n    e.nope = print\n    e.nope()\n",
        "async def f(e: UserWebSocketEmitter):\n    setattr(e, 'nope', print)\n    e.nope()\n",
        "async def f(e: UserWebSocketEmitter, name):\n    setattr(e, name, print)\n    e.nope()\n",
        "from unittest.mock import patch\nasync def f(e: UserWebSocketEmitter):\n"
        "    with patch.object(e, 'nope'):\n        e.nope()\n",
        "def f(mocker, e: UserWebSocketEmitter):\n    mocker.patch.object(e, 'nope')\n    e.nope()\n",
        "def f(fake_notifier, stub_emitter):\n    fake_notifier.nope()\n    stub_emitter.nope()\n",
        "import logging\ndef f(bridge: logging.Handler):\n    bridge.emit(None)\n",
        "def f(e: UserWebSocketEmitter):\n    e.__repr__()\n",
    ],
)
def test_mocks_patches_and_foreign_receivers_are_not_flagged(body):
    assert found(UnknownNotifierMethod, HEAD + body) == []


def test_a_method_assigned_onto_an_instance_anywhere_in_the_project_is_not_flagged():
    # `e.nope = print` in another module: `nope` may be a method added to that instance.
    files = {**FILES, "app/wiring.py": "def g(e):\n    e.nope = print\n"}
    code = HEAD + "def f(e: UserWebSocketEmitter):\n    e.nope()\n    e.other()\n"
    assert [line for line, _, _ in found(UnknownNotifierMethod, code, files=files)] == [4]
    assert [line for line, _, _ in found(UnknownNotifierMethod, code)] == [3, 4]


def test_names_alone_are_never_reported():
    # 260 of 527 findings on a real service rested only on the receiver's name.
    code = (
        "def f(websocket_bridge, emitter):\n    websocket_bridge.started('r')\n    emitter.tool_completed(1)\n"
        "    emitter.publish(1)\n"
    )
    assert found(UnknownNotifierMethod, code) == []


def test_class_with_foreign_base_or_getattr_is_open():
    emitter = EMITTER + ("import logging\nclass LoggingEmitter(UserWebSocketEmitter, logging.Handler):\n    pass\n")
    files = {**FILES, "app/emitter.py": emitter}
    code = (
        "from app.emitter import LoggingEmitter\ndef f(e: LoggingEmitter, other_emitter):\n"
        "    e.flush()\n    other_emitter.flush()\n"
    )
    # The open class may define anything; name-only receivers could be one of it.
    assert found(UnknownNotifierMethod, code, files=files) == []


def test_getattr_double_in_tests_does_not_switch_off_checks_of_the_real_class():
    files = {
        **FILES,
        "tests/test_x.py": "from app.emitter import UserWebSocketEmitter\n"
        "class Recording(UserWebSocketEmitter):\n    def __getattr__(self, n):\n        return print\n",
    }
    code = HEAD + "def f(emitter: UserWebSocketEmitter):\n    emitter.publish(1)\n"
    assert len(found(UnknownNotifierMethod, code, files=files)) == 1


def test_contract_methods_are_used_when_the_class_is_not_in_the_project():
    # The contract names WebSocketNotifier; the project has no such class but an implementer.
    files = {
        "app/__init__.py": "",
        "app/emitter.py": EMITTER.replace("from app.notifier import WebSocketNotifier\n", ""),
    }
    code = (
        "def f(websocket_notifier: 'WebSocketNotifier'):\n"
        "    websocket_notifier.agent_started('a', 'r')\n    websocket_notifier.x()\n"
    )
    assert [line for line, _, _ in found(UnknownNotifierMethod, code, files=files)] == [3]


def test_configured_notifier_class_and_subclass():
    files = {
        "app/__init__.py": "",
        "app/bus.py": "class EventBus:\n    def publish(self, e): ...\nclass AuditBus(EventBus):\n    def audit(self): ...\n",
    }
    code = "from app.bus import AuditBus\ndef f(b: AuditBus):\n    b.publish(1)\n    b.audit()\n    b.publsh(1)\n"
    out = found(UnknownNotifierMethod, code, files=files, config={"contract": {"notifier-classes": ["EventBus"]}})
    assert [(line, msg.endswith("did you mean `publish`?")) for line, _, msg in out] == [(5, True)]


# --- SSOT004 ---------------------------------------------------------------------------

TOOLS = (
    "class ToolExecutor:\n"
    "    def __init__(self, registry, /, name, *, websocket_notifier=None, retries=1):\n"
    "        self._notifier = websocket_notifier\n"
    "    @classmethod\n"
    "    def for_run(cls, run, notifier):\n"
    "        return cls(run, 'x', websocket_notifier=notifier)\n"
)
TOOL_FILES = {"app/__init__.py": "", "app/tools.py": TOOLS}
# Without a factory to infer them from, the project names its notifier parameters.
PARAMS = {"contract": {"notifier-params": ["websocket_notifier", "websocket_bridge"], "managed": ["ExecutionEngine"]}}


@pytest.mark.parametrize(
    "call,expected",
    [
        ("ToolExecutor(r, 'n', websocket_notifier=None)", ["`None` is passed as `websocket_notifier`"]),
        ("ToolExecutor(r, 'n')", ["omits `websocket_notifier`"]),
        ("ToolExecutor(r, 'n', websocket_notifier=em)", []),
        ("ToolExecutor(*args)", []),  # unknown arguments: no "omits"
        ("ToolExecutor(r, 'n', **opts)", []),
        ("ToolExecutor.for_run(run, None)", ["`None` is passed as `notifier`"]),
        ("ToolExecutor.for_run(run, notifier=None)", ["`None` is passed as `notifier`"]),
        ("ToolExecutor.for_run(run, em)", []),
    ],
)
def test_arguments_are_bound_to_parameters(call, expected):
    out = found(NullNotifier, f"from app.tools import ToolExecutor\nx = {call}\n", files=TOOL_FILES, config=PARAMS)
    assert [m for m in expected if not any(m in msg for _, _, msg in out)] == []
    assert len(out) == len(expected), out


def test_positional_none_maps_through_positional_parameters_only():
    tools = "class ToolExecutor:\n    def __init__(self, a, websocket_notifier, b=None):\n        self.n = websocket_notifier\n"
    files = {"app/__init__.py": "", "app/tools.py": tools}
    out = found(
        NullNotifier,
        "from app.tools import ToolExecutor\nx = ToolExecutor(None, None, None)\n",
        files=files,
        config=PARAMS,
    )
    assert [(line, col) for line, col, _ in out] == [(2, 24)]


def test_subclass_of_managed_class_is_watched():
    files = {
        "app/__init__.py": "",
        "app/engine.py": "class ExecutionEngine:\n    def __init__(self, ctx, notifier):\n        self.n = notifier\n",
        "app/debug.py": "from app.engine import ExecutionEngine\nclass DebugEngine(ExecutionEngine):\n    pass\n",
    }
    out = found(
        NullNotifier, "from app.debug import DebugEngine\nx = DebugEngine(ctx, None)\n", files=files, config=PARAMS
    )
    assert len(out) == 1 and "`DebugEngine`" in out[0][2]


def test_teardown_methods_option():
    code = (
        "class ExecutionEngine:\n"
        "    def __init__(self, notifier):\n        self._notifier = notifier\n"
        "    def detach(self):\n        self._notifier = None\n"
        "    def close(self):\n        self._notifier = None\n"
    )
    assert [line for line, _, _ in found(NullNotifier, code, config=PARAMS)] == [5]
    config = {**PARAMS, "rules": {"null-notifier": {"teardown-methods": ["detach"]}}}
    assert [line for line, _, _ in found(NullNotifier, code, config=config)] == [7]


def test_init_reported_at_each_unchecked_parameter_with_guards():
    code = (
        "class ExecutionEngine:\n"
        "    def __init__(self, ctx, notifier=None, websocket_bridge=None):\n"
        "        self._notifier = notifier\n"
        "        self.websocket_bridge = websocket_bridge\n"
        "    async def run(self):\n"
        "        if not self._notifier:\n            return\n"
        "        if self.websocket_bridge is None or ctx:\n            return\n"
    )
    out = found(NullNotifier, code, config=PARAMS)
    assert [(line, col) for line, col, _ in out] == [(2, 29), (2, 44)]
    assert "`if not self._notifier` in `run`" in out[0][2]
    assert "`if self.websocket_bridge is None or ctx` in `run`" in out[1][2]


def test_validation_by_helper_call_counts():
    code = (
        "class ExecutionEngine:\n"
        "    def __init__(self, notifier=None):\n"
        "        _require_notifier(notifier)\n"
        "        self._notifier = notifier\n"
    )
    assert found(NullNotifier, code, config=PARAMS) == []


# --- SSOT007 ---------------------------------------------------------------------------


def _dup_project():
    return {
        "app/__init__.py": "",
        "app/a.py": "class AgentRegistry:\n    pass\n",
        "app/b.py": "class AgentRegistry:\n    pass\n",
        "app/c.py": "class AgentRegistry:\n    pass\n",
        "app/agent_registry.py": "class AgentRegistry:\n    pass\n",
        "app/user.py": "from app.b import AgentRegistry\n",
        "app/user2.py": "from app.b import AgentRegistry as R\n",
    }


def test_every_non_canonical_definition_is_reported_once_and_table_is_built_once(monkeypatch):
    calls = []
    real = dupmod._build

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(dupmod, "_build", counting)
    files = _dup_project()
    linter = Linter(config_from({}), RULES, select=["SSOT007"])
    result = linter.lint_texts(files, sorted(files))
    assert len(calls) == 1
    got = sorted((d.path, d.range.start.line) for d in result.diagnostics)
    assert got == [("app/a.py", 1), ("app/agent_registry.py", 1), ("app/c.py", 1)]
    assert all(
        "canonical `app.b.AgentRegistry` (the most used definition, imported or referenced 2 times)" in d.message
        for d in result.diagnostics
    )


def test_canonical_tie_break_prefers_the_module_named_after_the_class():
    files = _dup_project()
    del files["app/user.py"], files["app/user2.py"]
    linter = Linter(config_from({}), RULES, select=["SSOT007"])
    result = linter.lint_texts(files, sorted(files))
    assert sorted(d.path for d in result.diagnostics) == ["app/a.py", "app/b.py", "app/c.py"]
    assert "`app.agent_registry.AgentRegistry` (chosen by module name" in result.diagnostics[0].message


def test_patterns_option_and_skipped_kinds():
    files = {
        "app/__init__.py": "",
        "app/a.py": "class Widget:\n    pass\nclass Outer:\n    class AgentRegistry:\n        pass\n",
        "app/b.py": "from typing import TYPE_CHECKING\nclass Widget:\n    pass\nif TYPE_CHECKING:\n"
        "    class AgentRegistry:\n        pass\n",
        "app/c.py": "class AgentRegistry:\n    pass\n",
        "app/d.pyi": "class AgentRegistry: ...\n",
    }
    linter = Linter(config_from({}), RULES, select=["SSOT007"])
    assert linter.lint_texts(files, sorted(files)).diagnostics == []
    linter = Linter(
        config_from({"rules": {"duplicate-definition": {"patterns": ["Widget"]}}}), RULES, select=["SSOT007"]
    )
    assert [(d.path, d.range.start.line) for d in linter.lint_texts(files, sorted(files)).diagnostics] == [
        ("app/b.py", 2)
    ]


def test_contract_names_count_without_patterns():
    files = {"app/__init__.py": "", "app/a.py": "class Ctx:\n    pass\n", "app/b.py": "class Ctx:\n    pass\n"}
    cfg = {"contract": {"managed": ["Ctx"]}, "rules": {"duplicate-definition": {"patterns": []}}}
    linter = Linter(config_from(cfg), RULES, select=["SSOT007"])
    assert len(linter.lint_texts(files, sorted(files)).diagnostics) == 1


# --- prefilters are sound on the fixtures ------------------------------------------------


@pytest.mark.parametrize("rule", [NullNotifier, UnknownNotifierMethod, DuplicateDefinition], ids=lambda r: r.code)
@pytest.mark.parametrize("project", ["legacy_service", "clean_service"])
def test_could_fire_is_sound_on_fixtures(rule, project, monkeypatch):
    prefiltered, flagged, files = prefilter_soundness(RULES, rule, FIXTURES / project, monkeypatch)
    assert flagged <= prefiltered
    if project == "legacy_service":
        assert flagged, "the fixture has findings of every rule"
        assert len(prefiltered) < files, "the prefilter skips some files"


def test_platform_dependent_names_are_not_typed():
    files = {
        "aio/__init__.py": "import sys\nif sys.platform == 'win32':\n    from .win import *\nelse:\n    from .unix import *\n",
        "aio/win.py": "__all__ = ['Loop']\nclass Loop:\n    def run(self): ...\n",
        "aio/unix.py": "__all__ = ['Loop']\nclass Loop:\n    def run(self): ...\n    def add_signal(self): ...\n",
        "aio/cond.py": "import sys\nif sys.platform == 'win32':\n    class Pipe:\n        pass\n"
        "else:\n    class Pipe:\n        def fileno(self): ...\n",
    }
    cfg = {"contract": {"notifier-classes": ["Loop", "Pipe"]}}
    code = (
        "import aio\nfrom aio.cond import Pipe\n"
        "def f():\n    loop = aio.Loop()\n    loop.add_signal()\n    p = Pipe()\n    p.fileno()\n"
        "def g(l: aio.win.Loop):\n    l.add_signal()\n"
    )
    assert [line for line, _, _ in found(UnknownNotifierMethod, code, files=files, config=cfg)] == [9]


def test_instance_attributes_count_as_methods():
    files = {
        "app/__init__.py": "",
        "app/c.py": "class Condition:\n    def __init__(self, lock):\n"
        "        self.acquire = lock.acquire\n    def wait(self): ...\n",
    }
    code = "from app.c import Condition\ndef f(c: Condition):\n    c.acquire()\n    c.wait()\n    c.notify()\n"
    out = found(UnknownNotifierMethod, code, files=files, config={"contract": {"notifier-classes": ["Condition"]}})
    assert [line for line, _, _ in out] == [5]


def test_references_through_the_module_count_for_the_canonical_choice():
    files = {
        "codecs2/__init__.py": "",
        "codecs2/base.py": "class StreamRegistry:\n    pass\n",
        "codecs2/a.py": "from codecs2 import base\nclass StreamRegistry(base.StreamRegistry):\n    pass\n",
        "codecs2/b.py": "import codecs2.base as cb\nx = cb.StreamRegistry()\n",
        "codecs2/c.py": "from codecs2.a import StreamRegistry\n",
    }
    linter = Linter(config_from({}), RULES, select=["SSOT007"])
    diags = linter.lint_texts(files, sorted(files)).diagnostics
    assert [d.path for d in diags] == ["codecs2/a.py"]
    assert (
        "`codecs2.base.StreamRegistry` (the most used definition, imported or referenced 2 times)" in diags[0].message
    )


def test_name_heuristic_needs_a_notifier_class_in_the_project():
    # The reference contract names WebSocketNotifier and its methods; this project defines no
    # notifier class, so names alone say nothing, but an annotation still does.
    code = (
        "def f(emitter, n: 'WebSocketNotifier'):\n"
        "    emitter.emit('x')\n"
        "    n.agent_started('a')\n"
        "    n.agent_start('a')\n"
    )
    out = found(UnknownNotifierMethod, code, files={"app/__init__.py": ""})
    assert [(line, "the contract's notifier `WebSocketNotifier`" in msg) for line, _, msg in out] == [(4, True)]


def test_ssot006_prefilter_types_each_method_call(tmp_path, monkeypatch):
    """SSOT006's prefilter runs the visitor's typing of the receiver on every method call
    the facts record (``recv.m()``, and ``f().m()`` through the call ``f`` used as
    ``attr:m``): a file that merely names a notifier, or calls its real methods, is skipped."""
    root = tmp_path / "svc"
    (root / "app").mkdir(parents=True)
    files = {
        "app/__init__.py": "",
        "app/notifier.py": NOTIFIER,
        "app/make.py": "from app.notifier import WebSocketNotifier\n\n"
        "def make() -> WebSocketNotifier:\n    return WebSocketNotifier()\n",
        "app/typo.py": "from app.notifier import WebSocketNotifier\n\n"
        "async def f(n: WebSocketNotifier):\n    await n.agent_strated('a', 'r')\n",
        "app/on_call.py": "from app.make import make\n\nasync def f():\n    await make().agent_finished('a', 'r')\n",
        "app/known.py": "from app.notifier import WebSocketNotifier\n\n"
        "async def f(n: WebSocketNotifier):\n    await n.agent_started('a', 'r')\n    make_notifier = 1\n",
        "app/mock.py": "from app.notifier import WebSocketNotifier\n\n"
        "def f(n: WebSocketNotifier):\n    n.assert_called_once()\n    n.__repr__()\n",
        "app/other.py": "def f(emitter):\n    emitter.anything()\n",
        # the class named only inside a string annotation (read word by word)
        "app/stringly.py": "from app import make as m\n\nasync def f(n: 'm.WebSocketNotifier'):\n"
        "    await n.agent_strated('a', 'r')\n",
    }
    for rel, text in files.items():
        (root / rel).write_text(text)
    passed, flagged, _ = prefilter_soundness(RULES, UnknownNotifierMethod, root, monkeypatch)
    assert flagged == passed == {"app/typo.py", "app/on_call.py", "app/stringly.py"}


def test_ssot004_prefilter_needs_a_constructor_call_or_a_none_notifier(tmp_path, monkeypatch):
    """SSOT004's prefilter asks the facts what the visitor looks at: a call resolved to a
    class (or classmethod constructor) taking a notifier, `self.x = None` in a method, an
    `__init__` defaulting a notifier to None. A file that only imports, annotates or names
    the executor or a notifier is skipped."""
    root = tmp_path / "svc"
    (root / "app").mkdir(parents=True)
    engine = (
        "from app.emitter import UserWebSocketEmitter\n\n"
        "class ToolExecutor:\n"
        "    def __init__(self, registry, websocket_notifier: UserWebSocketEmitter):\n"
        "        self._notifier = websocket_notifier\n\n"
        "    @classmethod\n"
        "    def build(cls, websocket_notifier: UserWebSocketEmitter) -> 'ToolExecutor':\n"
        "        return cls(None, websocket_notifier)\n\n"
        "    async def run(self):\n"
        "        await self._notifier.agent_started('a', 'r')\n"
    )
    files = {
        "app/__init__.py": "",
        "app/emitter.py": EMITTER,
        "app/engine.py": engine,
        "app/none_arg.py": "from app.engine import ToolExecutor\n\ndef f(reg):\n    return ToolExecutor(reg, None)\n",
        "app/none_build.py": "from app import engine\n\ndef f():\n    return engine.ToolExecutor.build(None)\n",
        "app/alias.py": "from app.engine import ToolExecutor\n\ndef f(reg):\n    make = ToolExecutor\n"
        "    return make(reg, websocket_notifier=None)\n",
        "app/drop.py": "from app.engine import ToolExecutor\n\nclass Runner(ToolExecutor):\n"
        "    def switch(self):\n        self._notifier = None\n",
        "app/default.py": "from app.emitter import UserWebSocketEmitter\n\nclass Tool:\n"
        "    def __init__(self, websocket_notifier: UserWebSocketEmitter = None):\n"
        "        self._notifier = websocket_notifier\n\n"
        "    async def go(self):\n        await self._notifier.agent_started('a', 'r')\n",
        # skipped: the executor named, annotated and imported, a notifier passed along
        "app/annotated.py": "from app.engine import ToolExecutor\n\n"
        "async def handle(engine: ToolExecutor, websocket_notifier):\n    await engine.run()\n",
        "app/passed.py": "from app.engine import ToolExecutor\n\ndef f(reg, websocket_notifier):\n"
        "    return len([ToolExecutor, websocket_notifier])\n",
    }
    for rel, text in files.items():
        (root / rel).write_text(text)
    passed, flagged, _ = prefilter_soundness(RULES, NullNotifier, root, monkeypatch)
    reporting = {"app/none_arg.py", "app/none_build.py", "app/alias.py", "app/drop.py", "app/default.py"}
    assert flagged == reporting
    assert flagged <= passed
    assert not passed & {"app/annotated.py", "app/passed.py"}
