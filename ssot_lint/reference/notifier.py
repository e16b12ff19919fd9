"""What a user's chat sees: the notifier contract, one user's emitter, and transports.

:class:`WebSocketNotifier` is the contract agents code against. Its method
names and the fact that they are ``async`` are read by ssot-lint, so they are
written plainly in the Protocol body. :class:`UserWebSocketEmitter` is the
only implementation here: one instance per engine, bound to one user's
context, sending through an :class:`EventTransport` shared by the process.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ssot_lint.reference.context import UserExecutionContext
from ssot_lint.reference.errors import ClosedError, CrossUserEventError

Event = dict[str, Any]


@runtime_checkable
class WebSocketNotifier(Protocol):
    """The events a user's chat sees while agents work for them.

    ``context`` lets a sub-agent stamp its own (child) request id; it must
    belong to the notifier's user and run.
    """

    async def agent_started(
        self,
        agent_name: str,
        *,
        context: UserExecutionContext | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None: ...

    async def agent_thinking(
        self,
        agent_name: str,
        thought: str,
        *,
        context: UserExecutionContext | None = None,
        step: int | None = None,
    ) -> None: ...

    async def tool_executing(
        self,
        agent_name: str,
        tool_name: str,
        *,
        context: UserExecutionContext | None = None,
        arguments: Mapping[str, Any] | None = None,
    ) -> None: ...

    async def tool_completed(
        self,
        agent_name: str,
        tool_name: str,
        *,
        context: UserExecutionContext | None = None,
        result: Any = None,
    ) -> None: ...

    async def agent_completed(
        self,
        agent_name: str,
        *,
        context: UserExecutionContext | None = None,
        result: Any = None,
        duration_ms: float | None = None,
    ) -> None: ...

    async def agent_error(
        self,
        agent_name: str,
        error: str,
        *,
        context: UserExecutionContext | None = None,
        error_type: str | None = None,
    ) -> None: ...


@runtime_checkable
class EventTransport(Protocol):
    """Delivers one event to one WebSocket connection (shared by all users)."""

    async def send(self, connection_id: str, event: Event) -> None: ...


class InMemoryTransport:
    """An :class:`EventTransport` that records events per connection (tests, demos)."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}

    async def send(self, connection_id: str, event: Event) -> None:
        """Record ``event`` as delivered to ``connection_id``."""
        self._events.setdefault(connection_id, []).append(event)

    def events_for(self, connection_id: str) -> list[Event]:
        """The events delivered to ``connection_id`` so far, oldest first."""
        return list(self._events.get(connection_id, ()))

    def connection_ids(self) -> list[str]:
        """Every connection that has received at least one event."""
        return list(self._events)

    def clear(self) -> None:
        """Forget every recorded event."""
        self._events.clear()


class UserWebSocketEmitter:
    """The :class:`WebSocketNotifier` of exactly one user's run.

    Every event carries ``type``, ``user_id``, ``thread_id``, ``run_id``,
    ``request_id``, a per-emitter ``seq`` (1, 2, 3, ...), ``timestamp``,
    ``agent_name`` and a ``data`` dict (the method's payload; for
    ``agent_started``, a copy of the ``data`` mapping passed in). Events go to the context's
    ``websocket_client_id``, or to the user id when the context has none.
    An event whose context or payload names another user or run raises
    :class:`CrossUserEventError` and is not sent.
    """

    __slots__ = ("_closed", "_connection_id", "_context", "_seq", "_transport")

    def __init__(self, context: UserExecutionContext, transport: EventTransport) -> None:
        if transport is None:
            raise TypeError("UserWebSocketEmitter needs a transport, got None")
        if not callable(getattr(transport, "send", None)):
            raise TypeError(f"transport {transport!r} has no send() method")
        if not isinstance(context, UserExecutionContext):
            raise TypeError(f"context must be a UserExecutionContext, got {type(context).__name__}")
        self._context = context
        self._transport = transport
        self._connection_id = context.websocket_client_id or context.user_id
        self._seq = 0
        self._closed = False

    @property
    def context(self) -> UserExecutionContext:
        """The context this emitter is bound to."""
        return self._context

    @property
    def connection_id(self) -> str:
        """The transport connection this emitter's events are sent to."""
        return self._connection_id

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    def close(self) -> None:
        """Refuse every later event (called when the owning engine is cleaned up)."""
        self._closed = True

    async def agent_started(
        self,
        agent_name: str,
        *,
        context: UserExecutionContext | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Tell the user an agent began working."""
        await self._emit("agent_started", agent_name, context, dict(data) if data else {})

    async def agent_thinking(
        self,
        agent_name: str,
        thought: str,
        *,
        context: UserExecutionContext | None = None,
        step: int | None = None,
    ) -> None:
        """Show the user what an agent is reasoning about."""
        await self._emit("agent_thinking", agent_name, context, {"thought": thought, "step": step})

    async def tool_executing(
        self,
        agent_name: str,
        tool_name: str,
        *,
        context: UserExecutionContext | None = None,
        arguments: Mapping[str, Any] | None = None,
    ) -> None:
        """Tell the user an agent started a tool."""
        await self._emit("tool_executing", agent_name, context, {"tool_name": tool_name, "arguments": arguments})

    async def tool_completed(
        self,
        agent_name: str,
        tool_name: str,
        *,
        context: UserExecutionContext | None = None,
        result: Any = None,
    ) -> None:
        """Tell the user a tool finished, with its result."""
        await self._emit("tool_completed", agent_name, context, {"tool_name": tool_name, "result": result})

    async def agent_completed(
        self,
        agent_name: str,
        *,
        context: UserExecutionContext | None = None,
        result: Any = None,
        duration_ms: float | None = None,
    ) -> None:
        """Tell the user an agent finished, with its result."""
        await self._emit("agent_completed", agent_name, context, {"result": result, "duration_ms": duration_ms})

    async def agent_error(
        self,
        agent_name: str,
        error: str,
        *,
        context: UserExecutionContext | None = None,
        error_type: str | None = None,
    ) -> None:
        """Tell the user an agent failed."""
        await self._emit("agent_error", agent_name, context, {"error": error, "error_type": error_type})

    async def _emit(
        self,
        event_type: str,
        agent_name: str,
        context: UserExecutionContext | None,
        data: dict[str, Any],
    ) -> None:
        """Check, stamp and send one event."""
        if self._closed:
            raise ClosedError(f"notifier of user {self._context.user_id!r} is closed")
        scope = self._scope(context)
        self._check_payload(data)
        for value in data.values():
            self._check_payload(value)
        self._seq += 1
        await self._transport.send(
            self._connection_id,
            {
                "type": event_type,
                "user_id": scope.user_id,
                "thread_id": scope.thread_id,
                "run_id": scope.run_id,
                "request_id": scope.request_id,
                "seq": self._seq,
                "timestamp": time.time(),
                "agent_name": agent_name,
                "data": data,
            },
        )

    def _scope(self, context: UserExecutionContext | None) -> UserExecutionContext:
        """The context to stamp: the bound one, or a context of the same user and run."""
        if context is None or context is self._context:
            return self._context
        if not isinstance(context, UserExecutionContext):
            raise TypeError(f"context must be a UserExecutionContext, got {type(context).__name__}")
        if context.user_id != self._context.user_id:
            raise CrossUserEventError(
                f"emitter of user {self._context.user_id!r} refused an event for user {context.user_id!r}"
            )
        if not self._context.same_run(context):
            raise CrossUserEventError(
                f"emitter of run {self._context.run_id!r} refused an event for run {context.run_id!r}"
            )
        return context

    def _check_payload(self, value: object) -> None:
        """Refuse a payload mapping whose top-level ``user_id`` names another user."""
        if isinstance(value, Mapping):
            named = value.get("user_id", self._context.user_id)
            if named != self._context.user_id:
                raise CrossUserEventError(
                    f"emitter of user {self._context.user_id!r} refused a payload for user {named!r}"
                )
