"""Runs agents for exactly one user, with bounded concurrency and a per-run timeout.

Engines are built only by :class:`ExecutionEngineFactory`; constructing one
anywhere else is what ssot-lint reports.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ssot_lint.reference.context import UserExecutionContext
from ssot_lint.reference.errors import AgentTimeoutError, ClosedError, CrossUserError
from ssot_lint.reference.notifier import UserWebSocketEmitter, WebSocketNotifier
from ssot_lint.reference.registry import AgentExecutionRegistry, RunStatus

T = TypeVar("T")

#: An agent: an async callable taking the run's context and the user's notifier.
Agent = Callable[[UserExecutionContext, WebSocketNotifier], Awaitable[T]]


def _agent_name(agent: Callable[..., Any]) -> str:
    """A readable name for ``agent`` (function name, else class name)."""
    return getattr(agent, "__name__", None) or type(agent).__name__


class UserExecutionEngine:
    """Executes agents for one user through that user's notifier and registry.

    Around every agent it emits ``agent_started`` and then ``agent_completed``
    or ``agent_error``; at most ``max_concurrent_agents`` agents run at once
    (others wait); a run taking longer than ``run_timeout`` seconds is
    cancelled and raises :class:`AgentTimeoutError`. After :meth:`close` the
    engine refuses to run and in-flight agents are cancelled.
    """

    __slots__ = (
        "__weakref__",
        "_clock",
        "_closed",
        "_context",
        "_in_flight",
        "_last_active",
        "_max_concurrent",
        "_notifier",
        "_registry",
        "_run_timeout",
        "_slots",
        "_tasks",
    )

    def __init__(
        self,
        context: UserExecutionContext,
        notifier: UserWebSocketEmitter,
        registry: AgentExecutionRegistry,
        *,
        max_concurrent_agents: int = 4,
        run_timeout: float | None = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if notifier is None:
            raise TypeError("UserExecutionEngine needs a notifier, got None")
        if notifier.context.user_id != context.user_id or registry.user_id != context.user_id:
            raise CrossUserError(f"engine of user {context.user_id!r} given another user's notifier or registry")
        if max_concurrent_agents < 1:
            raise ValueError(f"max_concurrent_agents must be >= 1, got {max_concurrent_agents}")
        if run_timeout is not None and run_timeout <= 0:
            raise ValueError(f"run_timeout must be > 0 or None, got {run_timeout}")
        self._context = context
        self._notifier = notifier
        self._registry = registry
        self._max_concurrent = max_concurrent_agents
        # The semaphore and task set are made by the first run: many engines never run.
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Future[Any]] | None = None
        self._run_timeout = run_timeout
        self._clock = clock
        self._in_flight = 0
        self._last_active = clock()
        self._closed = False

    @property
    def context(self) -> UserExecutionContext:
        """The context this engine was created for."""
        return self._context

    @property
    def user_id(self) -> str:
        """The user this engine works for."""
        return self._context.user_id

    @property
    def notifier(self) -> WebSocketNotifier:
        """This user's notifier (the one agents receive)."""
        return self._notifier

    @property
    def registry(self) -> AgentExecutionRegistry:
        """This engine's own run registry."""
        return self._registry

    @property
    def closed(self) -> bool:
        """True once the engine has been cleaned up."""
        return self._closed

    @property
    def in_flight(self) -> int:
        """Runs started and not finished, including those waiting for a slot."""
        return self._in_flight

    def idle_since(self, cutoff: float) -> bool:
        """True if nothing is running and the last activity was at or before ``cutoff``."""
        return self._in_flight == 0 and self._last_active <= cutoff

    async def run(
        self,
        agent: Agent[T],
        *,
        name: str | None = None,
        context: UserExecutionContext | None = None,
        timeout: float | None = None,
    ) -> T:
        """Run ``agent(context, notifier)`` and return its result.

        ``context`` defaults to the engine's own and may be a child of it;
        ``timeout`` overrides the engine's per-run timeout. The agent's own
        exception is re-raised after ``agent_error`` is emitted.
        """
        if self._closed:
            raise ClosedError(f"engine of user {self.user_id!r} is closed")
        run_context = self._scope(context)
        agent_name = name or _agent_name(agent)
        limit = timeout if timeout is not None else self._run_timeout
        slots = self._slots
        if slots is None:
            slots = self._slots = asyncio.Semaphore(self._max_concurrent)
        self._in_flight += 1
        self._last_active = self._clock()
        try:
            async with slots:
                if self._closed:
                    raise ClosedError(f"engine of user {self.user_id!r} closed while the run waited")
                return await self._execute(agent, agent_name, run_context, limit)
        finally:
            self._in_flight -= 1
            self._last_active = self._clock()

    async def close(self) -> None:
        """Refuse new runs, cancel in-flight agents and wait for them to stop."""
        if self._closed:
            return
        self._closed = True
        self._notifier.close()
        tasks = list(self._tasks or ())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self._run_timeout)

    async def _execute(
        self,
        agent: Agent[T],
        agent_name: str,
        context: UserExecutionContext,
        timeout: float | None,
    ) -> T:
        """Run one agent in its own task, recording and announcing how it ends."""
        await self._notifier.agent_started(agent_name, context=context)
        record = self._registry.start(agent_name, context)
        task = asyncio.ensure_future(agent(context, self._notifier))
        tasks = self._tasks
        if tasks is None:
            tasks = self._tasks = set()
        tasks.add(task)
        try:
            done, _ = await asyncio.wait((task,), timeout=timeout)
        except asyncio.CancelledError:
            task.cancel()
            self._registry.finish(record, RunStatus.CANCELLED, "caller cancelled")
            raise
        finally:
            tasks.discard(task)

        if not done:
            task.cancel()
            await asyncio.wait((task,))
            assert timeout is not None  # asyncio.wait only times out with a timeout
            timeout_error = AgentTimeoutError(agent_name, timeout)
            self._registry.finish(record, RunStatus.TIMED_OUT, str(timeout_error))
            await self._announce_error(agent_name, context, timeout_error)
            raise timeout_error
        if task.cancelled():
            self._registry.finish(record, RunStatus.CANCELLED, "agent cancelled")
            if self._closed:
                raise ClosedError(f"engine of user {self.user_id!r} closed while {agent_name!r} ran")
            return task.result()  # re-raises the agent's CancelledError
        error = task.exception()
        if error is not None:
            self._registry.finish(record, RunStatus.FAILED, repr(error))
            await self._announce_error(agent_name, context, error)
            raise error
        self._registry.finish(record, RunStatus.COMPLETED)
        result: T = task.result()
        duration = record.duration
        await self._notifier.agent_completed(
            agent_name,
            context=context,
            result=result,
            duration_ms=None if duration is None else duration * 1000.0,
        )
        return result

    async def _announce_error(self, agent_name: str, context: UserExecutionContext, error: BaseException) -> None:
        """Emit ``agent_error`` unless the engine was closed meanwhile (its notifier refuses)."""
        if not self._notifier.closed:
            await self._notifier.agent_error(agent_name, str(error), context=context, error_type=type(error).__name__)

    def _scope(self, context: UserExecutionContext | None) -> UserExecutionContext:
        """The run's context: the engine's own, or one of the same user and run."""
        if context is None:
            return self._context
        if not isinstance(context, UserExecutionContext):
            raise TypeError(f"context must be a UserExecutionContext, got {type(context).__name__}")
        if not self._context.same_run(context):
            raise CrossUserError(
                f"engine of user {self.user_id!r}, run {self._context.run_id!r} refused context of "
                f"user {context.user_id!r}, run {context.run_id!r}"
            )
        return context
