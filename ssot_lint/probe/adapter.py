"""Load a team's factory and map it onto the reference protocol.

``MODULE:CALLABLE`` names a callable that builds the factory with the team's own
wiring: it takes no argument, or one (the transport, which the probe
instruments). The :class:`FactoryAdapter` then finds, by the names in
``[tool.ssot-lint.probe]`` (the reference's by default), how to create an
engine for a context, clean it up, reach its notifier and run an agent on it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ssot_lint.config import ProbeConfig
from ssot_lint.reference.notifier import InMemoryTransport

#: The notifier methods the probe agents call (the reference WebSocketNotifier's), in order.
NOTIFIER_METHODS = ("agent_thinking", "tool_executing", "tool_completed")
#: Methods that make an object a notifier when looking for one among a run's arguments.
NOTIFIER_MARKERS = NOTIFIER_METHODS + ("agent_started", "agent_completed", "agent_error")


#: What a notifier method's parameter receives, by its name (anything else required: the secret text).
PARAMETER_ROLES: dict[str, str] = {
    **dict.fromkeys(("agent_name", "agent", "name", "agent_type"), "agent"),
    **dict.fromkeys(("tool_name", "tool"), "tool"),
    **dict.fromkeys(("context", "ctx", "user_context", "execution_context"), "context"),
    **dict.fromkeys(("user_id", "user"), "user_id"),
    **dict.fromkeys(("run_id", "thread_id", "request_id"), "context_id"),
    **dict.fromkeys(("step", "step_number", "iteration"), "step"),
    **dict.fromkeys(
        ("parameters", "params", "arguments", "args", "data", "payload", "result", "metadata", "inputs", "output"),
        "payload",
    ),
}


class NotifierCalls:
    """Builds the arguments of a notifier method from its parameter names (cached per function).

    Required parameters are filled by role (:data:`PARAMETER_ROLES`), so notifiers
    shaped unlike the reference's (``agent_thinking(agent_name, run_id, thought)``)
    can be probed too; optional ones are left to their defaults.
    """

    def __init__(self) -> None:
        self._plans: dict[object, list[tuple[str, bool, str]] | None] = {}

    def _plan(self, method: Callable[..., Any]) -> list[tuple[str, bool, str]] | None:
        key = getattr(method, "__func__", method)
        if key not in self._plans:
            try:
                parameters = inspect.signature(method).parameters.values()
            except (TypeError, ValueError):
                self._plans[key] = None
            else:
                plan, by_keyword = [], False
                for p in parameters:
                    if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                        continue
                    if p.default is not inspect.Parameter.empty:
                        by_keyword = p.kind is not inspect.Parameter.POSITIONAL_ONLY
                        continue
                    keyword = by_keyword or p.kind is inspect.Parameter.KEYWORD_ONLY
                    plan.append((p.name, keyword, PARAMETER_ROLES.get(p.name, "text")))
                self._plans[key] = plan
        return self._plans[key]

    def call(self, method: Callable[..., Any], values: Mapping[str, Any], context: Any) -> Any:
        """Call ``method`` with ``values`` (by role); ``context_id`` roles read the context."""
        plan = self._plan(method)
        if plan is None:  # no signature: the reference's shape
            return method(values["agent"], values["text"])
        args, kwargs = [], {}
        for name, keyword, role in plan:
            if role == "context_id":
                value = getattr(context, name, None) or f"probe-{name}-{values['user_id']}"
            else:
                value = values[role]
            if keyword:
                kwargs[name] = value
            else:
                args.append(value)
        return method(*args, **kwargs)


class ProbeUsageError(Exception):
    """The probe cannot run: a one-line message (exit 2)."""


def describe_error(exc: BaseException) -> str:
    """``Type: first line`` of an exception raised by the team's code."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def load_callable(spec: str, what: str) -> Callable[..., Any]:
    """Import ``module.path:name.attr`` and return it; every failure is a one-line usage error."""
    module_name, sep, attr = spec.partition(":")
    parts = attr.split(".")
    if not sep or not all(p.isidentifier() for p in module_name.split(".")) or not all(p.isidentifier() for p in parts):
        raise ProbeUsageError(f"{what} {spec!r} is not MODULE:CALLABLE (e.g. myapp.factories:build_factory)")
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise ProbeUsageError(f"cannot import module '{module_name}': no module named '{exc.name}'") from None
        raise ProbeUsageError(f"cannot import module '{module_name}': {describe_error(exc)}") from None
    except (Exception, SystemExit) as exc:
        raise ProbeUsageError(f"cannot import module '{module_name}': {describe_error(exc)}") from None
    for i, part in enumerate(parts):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ProbeUsageError(f"module '{module_name}' has no attribute '{'.'.join(parts[: i + 1])}'") from None
    if not callable(obj):
        raise ProbeUsageError(f"{what} '{spec}' is not callable (it is a {type(obj).__name__})")
    return obj


# --- transports -----------------------------------------------------------------------------

SECRET_RE = re.compile(r"probe-secret-[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event as the transport was asked to deliver it, reduced to what the checks need."""

    connection_id: str
    secrets: frozenset[str]
    user_id: object
    event_type: object


def scan_event(connection_id: object, event: object) -> Delivery:
    """The probe secrets an event carries (anywhere in it), its ``user_id`` and ``type``.

    Events may be mappings, objects (their repr, else their attributes), JSON
    strings or bytes.
    """
    if isinstance(event, (bytes, bytearray)):
        event = bytes(event).decode("utf-8", "replace")
    if isinstance(event, str):
        text = event
        if text.lstrip().startswith("{"):
            try:
                event = json.loads(text)
            except ValueError:
                pass
    else:
        try:
            text = repr(event)
            if hasattr(event, "__dict__") and not SECRET_RE.search(text):
                text += repr(vars(event))
        except Exception:
            text = ""
    user_id = event_type = None
    if isinstance(event, Mapping):
        user_id, event_type = event.get("user_id"), event.get("type")
    return Delivery(str(connection_id), frozenset(SECRET_RE.findall(text)), user_id, event_type)


class ProbeTransport(InMemoryTransport):
    """The instrumented transport the probe hands to a CALLABLE that takes one.

    It is an :class:`~ssot_lint.reference.InMemoryTransport` (so ``events_for``
    works as usual) that also records what each delivery carried. When the team's
    code calls another method (``transport-method``, e.g. ``send_to_user``), that
    method is provided too: same arguments, and it returns True (delivered).
    """

    def __init__(self, method: str = "send") -> None:
        super().__init__()
        self.deliveries: list[Delivery] = []
        if method != "send":
            setattr(self, method, self._deliver)

    async def send(self, connection_id: str, event: Any) -> None:
        """Record the delivery, then store it as :class:`InMemoryTransport` does."""
        self.deliveries.append(scan_event(connection_id, event))
        await super().send(connection_id, event)

    async def _deliver(self, connection_id: str, event: Any, *args: Any, **kwargs: Any) -> bool:
        await self.send(connection_id, event)
        return True


class TransportTap:
    """Wraps the transport a factory already holds: records each delivery, then forwards it.

    The delivery method (``send`` or ``transport-method``) stays async or sync as
    the wrapped one is; every other attribute is the wrapped transport's.
    """

    def __init__(self, inner: Any, method: str = "send") -> None:
        self._inner = inner
        self._method = getattr(inner, method)
        self.deliveries: list[Delivery] = []
        async_method = inspect.iscoroutinefunction(self._method)
        setattr(self, method, self._forward_async if async_method else self._forward_sync)

    async def _forward_async(self, connection_id: Any, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.deliveries.append(scan_event(connection_id, event))
        return await self._method(connection_id, event, *args, **kwargs)

    def _forward_sync(self, connection_id: Any, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.deliveries.append(scan_event(connection_id, event))
        return self._method(connection_id, event, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "_inner":  # not set yet (copy, pickle): no recursion
            raise AttributeError(name)
        return getattr(self._inner, name)


# --- building the factory -------------------------------------------------------------------


async def build_factory(target: Callable[..., Any], spec: str, transport: ProbeTransport) -> tuple[Any, bool]:
    """Call ``target`` (passing ``transport`` when it takes one); returns (factory, took_transport)."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        signature = None
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if signature is not None:
        params = [
            p
            for p in signature.parameters.values()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]
        required = [p for p in params if p.default is inspect.Parameter.empty]
        if len(required) > 1:
            names = ", ".join(p.name for p in required)
            raise ProbeUsageError(f"CALLABLE '{spec}' must take no argument or a transport, but it requires ({names})")
        if required:
            param = required[0]
            if param.kind is inspect.Parameter.KEYWORD_ONLY:
                kwargs[param.name] = transport
            else:
                args = (transport,)
        elif "transport" in signature.parameters:
            kwargs["transport"] = transport
    try:
        factory = target(*args, **kwargs)
        if inspect.isawaitable(factory):
            factory = await factory
    except Exception as exc:
        raise ProbeUsageError(f"calling '{spec}' raised {describe_error(exc)}") from None
    if factory is None:
        raise ProbeUsageError(f"'{spec}' returned None; it must return the factory")
    return factory, bool(args or kwargs)


def get_path(obj: Any, dotted: str) -> Any:
    """``obj.a.b`` for ``dotted`` = ``"a.b"`` (AttributeError if a step is missing)."""
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _delivers(value: Any, method: str) -> bool:
    return not isinstance(value, type) and callable(getattr(value, method, None))


def _attributes(obj: Any) -> dict[str, Any]:
    """An object's own attributes: its ``__dict__`` and its slots."""
    found: dict[str, Any] = {}
    for klass in type(obj).__mro__:
        slots = vars(klass).get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                found[name] = getattr(obj, name)
    found.update(getattr(obj, "__dict__", {}) or {})
    return found


def tap_factory_transport(factory: Any, config: ProbeConfig) -> tuple[TransportTap | None, str]:
    """Wrap the transport a factory holds; returns the tap (None if none) and how it was found."""
    if config.transport_attribute:
        owner_path, _, name = config.transport_attribute.rpartition(".")
        try:
            owner = get_path(factory, owner_path) if owner_path else factory
            inner = getattr(owner, name)
        except AttributeError:
            raise ProbeUsageError(
                f"the factory ({type(factory).__name__}) has no attribute '{config.transport_attribute}' "
                "(tool.ssot-lint.probe.transport-attribute)"
            ) from None
        if not _delivers(inner, config.transport_method):
            raise ProbeUsageError(
                f"factory.{config.transport_attribute} ({type(inner).__name__}) has no {config.transport_method}() "
                "method (tool.ssot-lint.probe.transport-attribute)"
            )
        where = config.transport_attribute
    else:
        candidates = {
            name: value for name, value in _attributes(factory).items() if _delivers(value, config.transport_method)
        }
        if len(candidates) > 1:
            named = {n: v for n, v in candidates.items() if "transport" in n.lower()}
            candidates = named if len(named) == 1 else {}
        if not candidates:
            return None, "none"
        ((where, inner),) = candidates.items()
        owner, name = factory, where
    tap = TransportTap(inner, config.transport_method)
    try:
        setattr(owner, name, tap)
    except (AttributeError, TypeError) as exc:
        raise ProbeUsageError(f"cannot instrument factory.{where}: {describe_error(exc)}") from None
    return tap, f"factory.{where}"


@dataclass
class FactoryAdapter:
    """The team's factory seen through the reference protocol."""

    factory: Any
    config: ProbeConfig

    def __post_init__(self) -> None:
        name = type(self.factory).__name__
        for key, attr in (("create", self.config.create), ("cleanup", self.config.cleanup)):
            try:
                method = get_path(self.factory, attr)
            except AttributeError:
                raise ProbeUsageError(
                    f"the factory ({name}) has no method '{attr}'; name it with [tool.ssot-lint.probe] {key} = \"...\""
                ) from None
            if not callable(method):
                raise ProbeUsageError(
                    f"the factory's '{attr}' ({type(method).__name__}) is not callable (tool.ssot-lint.probe.{key})"
                )
        self._create = get_path(self.factory, self.config.create)
        self._cleanup = get_path(self.factory, self.config.cleanup)

    async def create(self, context: Any) -> Any:
        engine = self._create(context)
        if inspect.isawaitable(engine):
            engine = await engine
        return engine

    async def cleanup(self, engine: Any) -> None:
        result = self._cleanup(engine)
        if inspect.isawaitable(result):
            await result

    def notifier_of(self, engine: Any) -> tuple[bool, Any]:
        """(found, notifier): found is False when the engine has no such attribute."""
        try:
            return True, get_path(engine, self.config.notifier_attribute)
        except AttributeError:
            return False, None

    def runner_of(self, engine: Any) -> Callable[..., Any] | None:
        """The engine's run method (``run(agent)``), or None to call agents directly."""
        if not self.config.run:
            return None
        try:
            method = get_path(engine, self.config.run)
        except AttributeError:
            return None
        return method if callable(method) else None


async def make_context_factory(config: ProbeConfig) -> tuple[Callable[[str, str], Any], str]:
    """A callable building the context of (user_id, connection_id), and its description."""
    if not config.context_factory:
        from ssot_lint.reference.context import UserExecutionContext

        def reference(user_id: str, connection_id: str) -> Any:
            return UserExecutionContext.create(user_id, websocket_client_id=connection_id)

        return reference, "ssot_lint.reference:UserExecutionContext.create"
    target = load_callable(config.context_factory, "context factory")
    try:
        parameters = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    connection_names = ("websocket_client_id", "connection_id")
    extra = [  # after the user id: required parameters, and a connection id if it takes one
        p.name
        for p in parameters[1:]
        if p.kind
        not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD, inspect.Parameter.POSITIONAL_ONLY)
        and (p.default is inspect.Parameter.empty or p.name in connection_names)
    ]

    def custom(user_id: str, connection_id: str) -> Any:
        kwargs = {name: connection_id if name in connection_names else f"probe-{name}-{user_id}" for name in extra}
        return target(user_id, **kwargs)

    return custom, config.context_factory


def ensure_importable(directory: str) -> None:
    """Let MODULE be found relative to the current directory, as ``python -m`` would."""
    if directory not in sys.path:
        sys.path.insert(0, directory)
