"""The one place where per-user engines, emitters and registries are built.

An application creates exactly one :class:`ExecutionEngineFactory` at startup,
keeps it in its own state and passes it down to whatever handles a user's
request; nothing here is a module-level singleton::

    import asyncio

    from ssot_lint.reference import ExecutionEngineFactory, InMemoryTransport, UserExecutionContext

    async def handle_message(factory: ExecutionEngineFactory, user_id: str, text: str) -> str:
        context = UserExecutionContext.create(user_id, websocket_client_id=f"ws-{user_id}")
        async with factory.user_engine(context) as engine:
            async def echo(ctx, notifier):
                await notifier.agent_thinking("echo", f"echoing {text!r}", context=ctx)
                return text
            return await engine.run(echo)

    async def main() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport(), max_engines_per_user=3)
        factory.start_reaper()
        try:
            print(await handle_message(factory, "alice", "hello"))
        finally:
            await factory.shutdown()

    asyncio.run(main())

With a web framework the factory is built in the application's lifespan
hook and stored on the application state (see ``docs/reference.md``).

Locking is per user, never global. Cleanups await (they close engines), so
each holds its user's ``asyncio.Lock``; a user's lock is created lazily by the
first call that needs it and dropped as soon as no call holds or awaits it,
so a user without engines never has one. Creating an engine never awaits
between checking the user's limit and registering the engine, so it is atomic
on the event loop; it only queues on the user's lock while a cleanup of that
same user is in progress. Creations for 1,000 users therefore never wait for
each other. A factory belongs to one event loop and is not thread-safe.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import MappingProxyType

from ssot_lint.reference.context import UserExecutionContext
from ssot_lint.reference.engine import UserExecutionEngine
from ssot_lint.reference.errors import ClosedError, EngineLimitExceeded
from ssot_lint.reference.notifier import EventTransport, UserWebSocketEmitter
from ssot_lint.reference.registry import AgentExecutionRegistry


@dataclass(frozen=True, slots=True)
class FactoryMetrics:
    """A point-in-time snapshot of a factory's bookkeeping.

    ``engines_per_user`` lists only users with live engines; ``idle_reaped``
    counts engines cleaned by :meth:`ExecutionEngineFactory.reap_idle` (they
    are in ``cleaned_total`` too); ``user_locks`` counts per-user locks that a
    call currently holds or awaits.
    """

    live_engines: int
    engines_per_user: Mapping[str, int] = field(hash=False)
    created_total: int
    cleaned_total: int
    limit_rejections: int
    idle_reaped: int
    user_locks: int


class _UserLock:
    """A user's lock and how many lifecycle calls currently hold or await it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class ExecutionEngineFactory:
    """Creates, limits, tracks and cleans up one engine per user session.

    :param transport: delivers every user's events; required (``None`` raises).
    :param max_engines_per_user: live engines one user may hold at once.
    :param max_concurrent_agents: agents one engine runs at once.
    :param run_timeout: seconds before an agent run is cancelled (None: no limit).
    :param idle_timeout: seconds an engine may sit idle before :meth:`reap_idle`
        cleans it up (None: never).
    :param history: finished runs each engine's registry keeps.
    :param clock: monotonic clock used for idle tracking and run timings.
    """

    def __init__(
        self,
        transport: EventTransport,
        *,
        max_engines_per_user: int = 5,
        max_concurrent_agents: int = 4,
        run_timeout: float | None = 120.0,
        idle_timeout: float | None = 600.0,
        history: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if transport is None:
            raise TypeError("ExecutionEngineFactory needs a transport, got None")
        if not callable(getattr(transport, "send", None)):
            raise TypeError(f"transport {transport!r} has no send() method")
        if max_engines_per_user < 1:
            raise ValueError(f"max_engines_per_user must be >= 1, got {max_engines_per_user}")
        if max_concurrent_agents < 1:
            raise ValueError(f"max_concurrent_agents must be >= 1, got {max_concurrent_agents}")
        if run_timeout is not None and run_timeout <= 0:
            raise ValueError(f"run_timeout must be > 0 or None, got {run_timeout}")
        if idle_timeout is not None and idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be > 0 or None, got {idle_timeout}")
        if history < 0:
            raise ValueError(f"history must be >= 0, got {history}")
        self._transport = transport
        self._max_engines_per_user = max_engines_per_user
        self._max_concurrent_agents = max_concurrent_agents
        self._run_timeout = run_timeout
        self._idle_timeout = idle_timeout
        self._history = history
        self._clock = clock
        self._engines: dict[str, set[UserExecutionEngine]] = {}
        self._locks: dict[str, _UserLock] = {}
        self._live = 0
        self._created = 0
        self._cleaned = 0
        self._rejections = 0
        self._reaped = 0
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def max_engines_per_user(self) -> int:
        """Live engines one user may hold at once."""
        return self._max_engines_per_user

    @property
    def closed(self) -> bool:
        """True once :meth:`shutdown` has begun."""
        return self._closed

    async def create_for_user(self, context: UserExecutionContext) -> UserExecutionEngine:
        """Build a fresh engine (own emitter, own registry) for ``context``'s user.

        Raises :class:`TypeError` for anything but a :class:`UserExecutionContext`
        (contexts validate themselves when constructed),
        :class:`EngineLimitExceeded` when the user is at the limit and
        :class:`ClosedError` after :meth:`shutdown`.
        """
        if not isinstance(context, UserExecutionContext):
            raise TypeError(f"context must be a UserExecutionContext, got {type(context).__name__}")
        user_id = context.user_id
        if user_id not in self._locks:
            # No cleanup of this user is in progress (those hold a lock entry until they
            # finish) and _admit never awaits, so it cannot interleave with one.
            return self._admit(context)
        entry = self._enter(user_id)
        try:
            async with entry.lock:
                return self._admit(context)
        finally:
            self._leave(user_id, entry)

    @asynccontextmanager
    async def user_engine(self, context: UserExecutionContext) -> AsyncIterator[UserExecutionEngine]:
        """An engine for ``context`` that is cleaned up when the block exits, however it exits."""
        engine = await self.create_for_user(context)
        try:
            yield engine
        finally:
            await self.cleanup_engine(engine)

    async def cleanup_engine(self, engine: UserExecutionEngine) -> bool:
        """Close ``engine`` and forget it; False if this factory no longer holds it."""
        return await self._remove(engine, idle_cutoff=None)

    async def cleanup_user(self, user_id: str) -> int:
        """Close and forget every engine of ``user_id``; returns how many were cleaned."""
        entry = self._enter(user_id)
        try:
            async with entry.lock:
                engines = self._engines.pop(user_id, set())
                for engine in engines:
                    await self._close(engine)
                return len(engines)
        finally:
            self._leave(user_id, entry)

    async def reap_idle(self) -> int:
        """Clean up every engine idle for at least ``idle_timeout``; returns how many."""
        if self._idle_timeout is None:
            return 0
        cutoff = self._clock() - self._idle_timeout
        candidates = [engine for engines in self._engines.values() for engine in engines if engine.idle_since(cutoff)]
        reaped = 0
        for engine in candidates:
            if await self._remove(engine, idle_cutoff=cutoff):
                reaped += 1
        self._reaped += reaped
        return reaped

    def start_reaper(self, interval: float | None = None) -> None:
        """Start a background task calling :meth:`reap_idle` every ``interval`` seconds.

        ``interval`` defaults to half the idle timeout, at most 60 s. Must be
        called from a running event loop; stop it with :meth:`stop_reaper`
        (or :meth:`shutdown`).
        """
        if self._idle_timeout is None:
            raise ValueError("the factory has no idle_timeout, so there is nothing to reap")
        if self._reaper is not None:
            raise RuntimeError("the reaper is already running")
        self._check_open()
        period = interval if interval is not None else min(self._idle_timeout / 2, 60.0)
        if period <= 0:
            raise ValueError(f"interval must be > 0, got {period}")
        self._reaper = asyncio.get_running_loop().create_task(self._reap_every(period))

    async def stop_reaper(self) -> None:
        """Stop the background reaper, if running, and wait for it to finish.

        Re-raises the error that stopped the reaper, if one did.
        """
        reaper, self._reaper = self._reaper, None
        if reaper is None:
            return
        reaper.cancel()
        await asyncio.wait((reaper,))
        if not reaper.cancelled():
            reaper.result()

    async def shutdown(self) -> None:
        """Stop the reaper, refuse new engines and clean up every user's engines."""
        self._closed = True
        await self.stop_reaper()
        for user_id in list(self._engines):
            await self.cleanup_user(user_id)

    def metrics(self) -> FactoryMetrics:
        """A snapshot of live engines, per-user counts and lifetime totals."""
        return FactoryMetrics(
            live_engines=self._live,
            engines_per_user=MappingProxyType({user: len(e) for user, e in self._engines.items()}),
            created_total=self._created,
            cleaned_total=self._cleaned,
            limit_rejections=self._rejections,
            idle_reaped=self._reaped,
            user_locks=len(self._locks),
        )

    def _admit(self, context: UserExecutionContext) -> UserExecutionEngine:
        """Check the factory and the user's limit, then build and register an engine (never awaits)."""
        self._check_open()
        user_id = context.user_id
        engines = self._engines.get(user_id)
        if engines is not None and len(engines) >= self._max_engines_per_user:
            self._rejections += 1
            raise EngineLimitExceeded(user_id, self._max_engines_per_user)
        engine = UserExecutionEngine(
            context,
            UserWebSocketEmitter(context, self._transport),
            AgentExecutionRegistry(context.user_id, history=self._history, clock=self._clock),
            max_concurrent_agents=self._max_concurrent_agents,
            run_timeout=self._run_timeout,
            clock=self._clock,
        )
        if engines is None:
            engines = self._engines[user_id] = set()
        engines.add(engine)
        self._live += 1
        self._created += 1
        return engine

    async def _remove(self, engine: UserExecutionEngine, *, idle_cutoff: float | None) -> bool:
        """Forget and close ``engine`` (only if still idle since ``idle_cutoff``, when given)."""
        user_id = engine.user_id
        entry = self._enter(user_id)
        try:
            async with entry.lock:
                engines = self._engines.get(user_id)
                if engines is None or engine not in engines:
                    return False
                if idle_cutoff is not None and not engine.idle_since(idle_cutoff):
                    return False
                engines.discard(engine)
                if not engines:
                    del self._engines[user_id]
                await self._close(engine)
                return True
        finally:
            self._leave(user_id, entry)

    async def _close(self, engine: UserExecutionEngine) -> None:
        """Close an engine already removed from the containers and count it."""
        self._live -= 1
        self._cleaned += 1
        await engine.close()

    def _enter(self, user_id: str) -> _UserLock:
        """The user's lock entry (created lazily), counted as in use."""
        entry = self._locks.get(user_id)
        if entry is None:
            entry = self._locks[user_id] = _UserLock()
        entry.users += 1
        return entry

    def _leave(self, user_id: str, entry: _UserLock) -> None:
        """Release a use of the user's lock entry; drop the entry once no call holds or awaits it."""
        entry.users -= 1
        if entry.users == 0:
            del self._locks[user_id]

    def _check_open(self) -> None:
        """Raise :class:`ClosedError` once the factory is shutting down."""
        if self._closed:
            raise ClosedError("the factory has been shut down")

    async def _reap_every(self, interval: float) -> None:
        """The background reaper's loop."""
        while True:
            await asyncio.sleep(interval)
            await self.reap_idle()
