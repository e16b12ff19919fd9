"""SSOT006 unknown-notifier-method: calls of methods no notifier defines."""

from __future__ import annotations

import difflib
import re
import unicodedata

from ssot_lint.api import Invalid, LintRule, RuleContext, Valid, cst, cst_dotted_name

from ._notifiers import TABLES as NOTIFIER_TABLES
from ._notifiers import NotifierModel, Receiver, ReceiverTyper, notifier_model, relevant_names

_NOTIFIER = """\
class WebSocketNotifier:
    async def agent_started(self, agent_name, run_id): ...
    async def agent_completed(self, agent_name, run_id, result): ...
    async def tool_executing(self, run_id, tool_name): ...
"""
_EMITTER = """\
from app.notifier import WebSocketNotifier

class UserWebSocketEmitter:
    def __init__(self, context, notifier: WebSocketNotifier):
        self._notifier = notifier

    async def agent_started(self, agent_name, run_id):
        await self._notifier.agent_started(agent_name, run_id)

    async def agent_error(self, agent_name, run_id, error): ...
"""
_FILES = {"app/__init__.py": "", "app/notifier.py": _NOTIFIER, "app/emitter.py": _EMITTER}
# `Notifier` is a notifier class only because the factory wires it into the engine.
_WIRED = {
    "app/__init__.py": "",
    "app/context.py": "class UserExecutionContext:\n    user_id: str\n",
    "app/engine.py": (
        "from app.context import UserExecutionContext\n"
        "class Notifier:\n"
        "    async def agent_started(self, agent_name): ...\n"
        "    async def agent_completed(self, agent_name): ...\n"
        "class RunEngine:\n"
        "    def __init__(self, context: UserExecutionContext, notifier):\n"
        "        self.notifier = notifier\n"
        "class RunEngineFactory:\n"
        "    def create_for_user(self, context: UserExecutionContext) -> RunEngine:\n"
        "        notifier = Notifier()\n"
        "        return RunEngine(context, notifier)\n"
    ),
}


def _patched(body: cst.CSTNode) -> set[tuple[str, str]]:
    """(receiver, attribute) pairs monkeypatched in a scope; attribute "*" for any."""
    out: set[tuple[str, str]] = set()

    class _Finder(cst.CSTVisitor):
        def _target(self, target: cst.BaseExpression) -> None:
            if isinstance(target, cst.Attribute):
                recv = cst_dotted_name(target.value)
                if recv is not None:
                    out.add((recv, target.attr.value))

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self._target(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._target(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._target(node.target)

        def visit_Call(self, node: cst.Call) -> None:
            callee = cst_dotted_name(node.func) or ""
            last = callee.rsplit(".", 1)[-1]
            if not (last == "setattr" or callee.endswith("patch.object")):
                return
            if len(node.args) < 2:
                return
            recv = cst_dotted_name(node.args[0].value)
            if recv is None:
                return
            attr = node.args[1].value
            if isinstance(attr, cst.SimpleString):
                out.add((recv, attr.evaluated_value if isinstance(attr.evaluated_value, str) else "*"))
            else:
                out.add((recv, "*"))

    body.visit(_Finder())
    return out


class UnknownNotifierMethod(LintRule):
    """
    ## What it does
    Flags a call `x.m(...)` where `x` is a notifier and `m` is not a method of it.
    A receiver is a notifier only when its class is known to be one: it is
    annotated as a notifier class, assigned from a notifier's constructor, from a
    factory or method whose return annotation is one, or wired by the factory. A
    receiver's *name* (`*notifier`, `*emitter`, `*bridge`) is never enough. The
    notifier classes are those the contract names (`ssot-lint contract`), their
    project subclasses, the project classes that implement a notifier Protocol,
    and the classes a per-user factory passes to a managed class's notifier
    parameter (`ExecutionEngine(context, notifier)` with `notifier = Notifier()`
    makes `Notifier` a notifier class, with its own methods).

    Only the receiver's class (and its bases) is checked, and the message names
    its closest method ("did you mean `agent_started`?").

    Not flagged: classes with `__getattr__` (or bases outside the project, which
    could define anything), mocks (`Mock`, `MagicMock`, `AsyncMock`,
    `create_autospec`) and their `assert_*` methods, a method name assigned onto
    an object anywhere in the project (`notifier.send_event = send_event`,
    `setattr(x, "m", ...)`, `monkeypatch.setattr(x, "m", ...)`,
    `patch.object(x, "m")`): the call may reach a method added to that instance.

    ## Why is this bad?
    A notifier call that names a method the notifier does not have raises
    `AttributeError` at run time, in the middle of an agent run; against a loose
    mock it passes silently, so the test asserts on events the real notifier can
    never send. The seed project's tests called WebSocket methods that did not
    exist and hid the real event flow for weeks.

    ## Example
    ```python
    async def run(emitter: UserWebSocketEmitter) -> None:
        await emitter.send_agent_started("triage", run_id)
    ```

    Use instead:
    ```python
    async def run(emitter: UserWebSocketEmitter) -> None:
        await emitter.agent_started("triage", run_id)
    ```

    ## Fix
    Call a method the notifier defines (the message suggests the closest one), or
    add the method to the notifier class and to the contract's Protocol.
    """

    code = "SSOT006"
    name = "unknown-notifier-method"
    summary = "Call of a method that no notifier class defines"
    applies_to_tests = True

    TABLES = NOTIFIER_TABLES
    VALID = [
        Valid(
            "from app.emitter import UserWebSocketEmitter\n"
            "async def run(emitter: UserWebSocketEmitter, run_id):\n"
            "    await emitter.agent_started('triage', run_id)\n"
            "    await emitter.agent_error('triage', run_id, 'boom')\n",
            files=_FILES,
        ),
        Valid(
            "from unittest.mock import AsyncMock\n"
            "async def test_events():\n"
            "    notifier = AsyncMock()\n"
            "    await notifier.send_everything()\n"
            "    mock_emitter = object()\n"
            "    await mock_emitter.whatever()\n",
            files=_FILES,
            path="tests/test_events.py",
        ),
        Valid(
            "class DynamicNotifier:\n"
            "    def __getattr__(self, name):\n"
            "        return lambda *a: None\n"
            "def run(notifier: DynamicNotifier):\n"
            "    notifier.anything_at_all()\n",
            files=_FILES,
            config={"contract": {"notifier-classes": ["WebSocketNotifier", "DynamicNotifier"]}},
        ),
        Valid(
            "def test_patched(monkeypatch, websocket_notifier):\n"
            "    monkeypatch.setattr(websocket_notifier, 'flush', lambda: None)\n"
            "    websocket_notifier.flush()\n",
            files=_FILES,
            path="tests/test_patch.py",
        ),
        Valid(
            "from pyee import EventEmitter\n"
            "def wire(bus: EventEmitter, emitter):\n"
            "    bus.emit('x')\n"
            "    local_emitter = EventEmitter()\n"
            "    local_emitter.on('x', print)\n",
            files=_FILES,
        ),
        Valid(
            # No notifier class in the project: names alone say nothing.
            "def f(emitter):\n    emitter.emit('x')\n",
        ),
        Valid(
            # A receiver named like a notifier, of unknown class: never guessed from the name.
            "class ToolRunner:\n"
            "    def __init__(self, websocket_notifier):\n"
            "        self.websocket_notifier = websocket_notifier\n"
            "    async def run(self, run_id):\n"
            "        await self.websocket_notifier.send_tool_event(run_id)\n",
            files=_FILES,
        ),
        Valid(
            # A method added to the instance; a mock's assertion.
            "from unittest.mock import Mock\n"
            "from app.notifier import WebSocketNotifier\n"
            "async def send_event(kind, payload): ...\n"
            "async def run(sender):\n"
            "    notifier = WebSocketNotifier()\n"
            "    notifier.send_event = send_event\n"
            "    await notifier.send_event('x', {})\n"
            "    bridge = Mock()\n"
            "    bridge.set_notifier.assert_called_once()\n",
            files=_FILES,
        ),
    ]
    INVALID = [
        Invalid(
            "from app.engine import Notifier\n"
            "async def run(notifier: Notifier):\n"
            "    await notifier.agent_start('triage')\n",
            line=3,
            column=11,
            files=_WIRED,
            message=r"`agent_start` is not a method of notifier `Notifier`.*did you mean `agent_started`\?",
        ),
        Invalid(
            "from app.emitter import UserWebSocketEmitter\n"
            "async def run(emitter: UserWebSocketEmitter, run_id):\n"
            "    await emitter.agent_start('triage', run_id)\n",
            line=3,
            column=11,
            files=_FILES,
            message=r"`agent_start` is not a method of notifier `UserWebSocketEmitter`.*did you mean `agent_started`\?",
        ),
        Invalid(
            # Known class: only its own methods count, even if another notifier has it.
            "from app.emitter import UserWebSocketEmitter\n"
            "async def run(ctx, n, run_id):\n"
            "    emitter = UserWebSocketEmitter(ctx, n)\n"
            "    await emitter.tool_executing(run_id, 'search')\n",
            column=11,
            line=4,
            files=_FILES,
            message="not a method of notifier `UserWebSocketEmitter`",
        ),
        Invalid(
            "from app.notifier import WebSocketNotifier\n"
            "class Holder:\n"
            "    def __init__(self, n: WebSocketNotifier):\n"
            "        self._sink = n\n"
            "    async def go(self):\n"
            "        await self._sink.agent_complete('a', 'r', {})\n",
            column=15,
            line=6,
            files=_FILES,
            message="did you mean `agent_completed`",
        ),
    ]

    def __init__(self, context: RuleContext) -> None:
        super().__init__(context)
        self.model: NotifierModel = notifier_model(context.session)
        self.typer = ReceiverTyper(context.index, self.model, context.module)
        self._scopes: list[cst.CSTNode] = []
        self._patched: dict[int, set[tuple[str, str]]] = {}
        self._module: cst.Module | None = None

    @classmethod
    def could_fire(cls, context: RuleContext) -> bool:
        model = notifier_model(context.session)
        if not model.active:
            return False
        if not _may_name_a_notifier(context):
            return False
        # The visitor's own test on every method call the facts record: `recv.m(...)` as
        # the call site "recv.m"; `f(...).m(...)` as the call site "f" used as "attr:m".
        typer = ReceiverTyper(context.index, model, context.module)
        for scope, site, use in context.facts.call_sites:
            on_call = use.startswith("attr:")
            if on_call:
                method = use[5:]
            elif "." in site and not site.startswith("super("):
                dotted, _, method = site.rpartition(".")
            else:
                continue
            if _not_judged(model, method):
                continue
            receiver = typer.of_call(context.module, scope, site, 0) if on_call else typer.of_dotted(scope, dotted)
            methods = _notifier_methods(model, receiver)
            if methods is not None and method not in methods:
                return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        self._module = node
        self._scopes.append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def _is_patched(self, receiver: str, attr: str) -> bool:
        scope = self._scopes[-1] if self._scopes else None
        if scope is None:
            return False
        key = id(scope)
        if key not in self._patched:
            self._patched[key] = _patched(scope)
        found = self._patched[key]
        return (receiver, attr) in found or (receiver, "*") in found

    def visit_Call(self, node: cst.Call) -> None:
        if not self.model.active:
            return
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if _not_judged(self.model, method):
            return
        receiver_node = func.value
        if isinstance(receiver_node, cst.Call):
            callee = cst_dotted_name(receiver_node.func)
            if callee is None:
                return
            receiver = self.typer.of_call(self.context.module, self.context.scope, callee, 0)
            shown = f"{callee}(...)"
        else:
            dotted = cst_dotted_name(receiver_node)
            if dotted is None:
                return
            receiver = self.typer.of_dotted(self.context.scope, dotted)
            shown = dotted
        # An unknown receiver is never guessed from its name (`*notifier`, `*emitter`, `*bridge`).
        methods = _notifier_methods(self.model, receiver)
        if methods is None or method in methods or self._is_patched(shown, method):
            return
        if receiver.cls is not None:
            what = f"notifier `{receiver.cls.qualname}` (`{shown}.{method}(...)` raises AttributeError)"
        else:
            assert receiver.contract is not None
            what = f"the contract's notifier `{receiver.contract.name}`"
        self.report(node, f"`{method}` is not a method of {what}{_suggest(method, methods)}")


def _may_name_a_notifier(context: RuleContext) -> bool:
    """Does the file name something notifier-like, or a name the notifier model finds
    relevant (in a string annotation too)? A file that does not is never reported."""
    names = context.facts.names
    if any(n.lower().endswith(("notifier", "emitter", "bridge")) for n in names):
        return True
    relevant = relevant_names(context.session)
    if names & relevant:
        return True
    # String annotations are not names: look at the annotation text too, word by word (a
    # relevant name is an identifier; one that is not is looked for as text).
    texts = [r for r in relevant if not r.isidentifier()]
    for scope in context.facts.scopes.values():
        for bindings in scope.bindings.values():
            for b in bindings:
                if b.annotation and (
                    not relevant.isdisjoint(_words(b.annotation)) or any(r in b.annotation for r in texts)
                ):
                    return True
    return False


_WORD = re.compile(r"[^\W\d]\w*")


def _words(text: str) -> list[str]:
    """The identifiers of an annotation's text, as the parser would read them (NFKC)."""
    return _WORD.findall(text if text.isascii() else unicodedata.normalize("NFKC", text))


def _not_judged(model: NotifierModel, method: str) -> bool:
    """A method call the rule never judges: a dunder, a mock's assertion, or a method added
    to an instance somewhere in the project."""
    return (
        (method.startswith("__") and method.endswith("__")) or method.startswith("assert_") or method in model.patched
    )


def _notifier_methods(model: NotifierModel, receiver: Receiver) -> frozenset[str] | None:
    """Every method of the notifier ``receiver`` is (a class the model counts as a
    notifier, or the contract's notifier); None when it is no notifier, or its methods are
    open (or unknown)."""
    if receiver.kind == "class" and receiver.cls is not None:
        return model.methods(receiver.cls) if model.is_notifier(receiver.cls) else None
    if receiver.kind == "contract" and receiver.contract is not None:
        return model.contract_methods.get(receiver.contract.name.rsplit(".", 1)[-1]) or None
    return None


def _suggest(method: str, methods: frozenset[str]) -> str:
    candidates = sorted(m for m in methods if not (m.startswith("__") and m.endswith("__")))
    close = difflib.get_close_matches(method, candidates, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
