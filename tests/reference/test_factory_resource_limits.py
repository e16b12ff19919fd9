"""Per-user limits, cleanup, idle reaping, shutdown and leak-freedom of the factory."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from ssot_lint.reference import (
    ClosedError,
    EngineLimitExceeded,
    ExecutionEngineFactory,
    InMemoryTransport,
    UserExecutionContext,
    UserExecutionEngine,
    WebSocketNotifier,
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_user_limit_is_enforced_and_cleanup_frees_the_slot() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport(), max_engines_per_user=2)
        first = await factory.create_for_user(UserExecutionContext.create("alice"))
        await factory.create_for_user(UserExecutionContext.create("alice"))
        with pytest.raises(EngineLimitExceeded) as caught:
            await factory.create_for_user(UserExecutionContext.create("alice"))
        assert (caught.value.user_id, caught.value.limit) == ("alice", 2)
        await factory.create_for_user(UserExecutionContext.create("bob"))  # others are unaffected
        metrics = factory.metrics()
        assert (metrics.live_engines, metrics.limit_rejections, metrics.created_total) == (3, 1, 3)
        assert dict(metrics.engines_per_user) == {"alice": 2, "bob": 1}

        assert await factory.cleanup_engine(first)
        assert not await factory.cleanup_engine(first), "cleaning twice is a no-op"
        await factory.create_for_user(UserExecutionContext.create("alice"))
        assert factory.metrics().engines_per_user["alice"] == 2

    asyncio.run(scenario())


def test_concurrent_creations_for_one_user_never_exceed_the_limit() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport(), max_engines_per_user=3)
        results = await asyncio.gather(
            *(factory.create_for_user(UserExecutionContext.create("alice")) for _ in range(20)),
            return_exceptions=True,
        )
        assert sum(isinstance(r, UserExecutionEngine) for r in results) == 3
        assert sum(isinstance(r, EngineLimitExceeded) for r in results) == 17
        assert factory.metrics().limit_rejections == 17

    asyncio.run(scenario())


def test_engines_of_another_factory_are_not_cleaned() -> None:
    async def scenario() -> None:
        ours, theirs = ExecutionEngineFactory(InMemoryTransport()), ExecutionEngineFactory(InMemoryTransport())
        foreign = await theirs.create_for_user(UserExecutionContext.create("alice"))
        assert not await ours.cleanup_engine(foreign)
        assert not foreign.closed
        assert ours.metrics().user_locks == 0

    asyncio.run(scenario())


def test_idle_engines_are_reclaimed_but_busy_ones_are_not() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        factory = ExecutionEngineFactory(InMemoryTransport(), idle_timeout=60, clock=clock)
        idle = await factory.create_for_user(UserExecutionContext.create("alice"))
        busy = await factory.create_for_user(UserExecutionContext.create("bob"))
        fresh_gate = asyncio.Event()

        async def waits(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            await fresh_gate.wait()

        run = asyncio.ensure_future(busy.run(waits))
        await asyncio.sleep(0)
        clock.now += 59
        assert await factory.reap_idle() == 0
        clock.now += 1
        assert await factory.reap_idle() == 1
        assert idle.closed and not busy.closed
        fresh_gate.set()
        await run  # finishing counts as activity: bob's idle time restarts now
        assert await factory.reap_idle() == 0
        clock.now += 60
        assert await factory.reap_idle() == 1
        metrics = factory.metrics()
        assert (metrics.live_engines, metrics.idle_reaped, metrics.user_locks) == (0, 2, 0)

    asyncio.run(scenario())


def test_background_reaper_reclaims_idle_engines() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport(), idle_timeout=0.02)
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))
        factory.start_reaper(interval=0.01)
        with pytest.raises(RuntimeError):
            factory.start_reaper()
        for _ in range(100):
            if engine.closed:
                break
            await asyncio.sleep(0.01)
        assert engine.closed
        await factory.stop_reaper()
        await factory.stop_reaper()  # idempotent
        assert factory.metrics().idle_reaped == 1

    asyncio.run(scenario())


def test_reaping_without_idle_timeout_is_a_no_op() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport(), idle_timeout=None)
        await factory.create_for_user(UserExecutionContext.create("alice"))
        assert await factory.reap_idle() == 0
        with pytest.raises(ValueError):
            factory.start_reaper()

    asyncio.run(scenario())


def test_shutdown_cleans_everything_and_refuses_new_engines() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        engines = [await factory.create_for_user(UserExecutionContext.create(f"u{i % 3}")) for i in range(6)]
        factory.start_reaper()
        await factory.shutdown()
        assert all(engine.closed for engine in engines)
        metrics = factory.metrics()
        assert (metrics.live_engines, metrics.cleaned_total, metrics.user_locks) == (0, 6, 0)
        with pytest.raises(ClosedError):
            await factory.create_for_user(UserExecutionContext.create("late"))
        await factory.shutdown()  # idempotent

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_engines_per_user": 0},
        {"max_concurrent_agents": 0},
        {"run_timeout": 0},
        {"idle_timeout": -1},
        {"history": -1},
    ],
)
def test_factory_rejects_nonsense_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ExecutionEngineFactory(InMemoryTransport(), **kwargs)  # type: ignore[arg-type]


def test_ten_thousand_create_cleanup_cycles_leave_nothing_behind() -> None:
    cycles = 10_000

    async def scenario() -> list[weakref.ref[UserExecutionEngine]]:
        factory = ExecutionEngineFactory(InMemoryTransport(), max_engines_per_user=1)
        contexts = [UserExecutionContext.create(f"user-{i}") for i in range(100)]
        refs: list[weakref.ref[UserExecutionEngine]] = []

        async def ping(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            await notifier.agent_thinking("ping", "pong", context=ctx)

        for i in range(cycles):
            async with factory.user_engine(contexts[i % len(contexts)]) as engine:
                refs.append(weakref.ref(engine))
                if i % 10 == 0:
                    await engine.run(ping)
        metrics = factory.metrics()
        assert (metrics.created_total, metrics.cleaned_total) == (cycles, cycles)
        assert (metrics.live_engines, metrics.user_locks, dict(metrics.engines_per_user)) == (0, 0, {})
        assert factory._engines == {} and factory._locks == {}
        return refs

    refs = asyncio.run(scenario())
    gc.collect()
    assert sum(ref() is not None for ref in refs) == 0


def test_creation_waits_only_for_a_cleanup_of_the_same_user() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))
        started = asyncio.Event()

        async def slow_to_stop(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            started.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                await asyncio.sleep(0.05)  # a graceful stop that takes a while
                raise

        run = asyncio.ensure_future(engine.run(slow_to_stop))
        await started.wait()
        cleanup = asyncio.ensure_future(factory.cleanup_user("alice"))
        await asyncio.sleep(0)
        assert factory.metrics().user_locks == 1
        alice_again = asyncio.ensure_future(factory.create_for_user(UserExecutionContext.create("alice")))
        bob = asyncio.ensure_future(factory.create_for_user(UserExecutionContext.create("bob")))
        await asyncio.sleep(0)
        assert bob.done() and not alice_again.done(), "only alice's creation may queue behind alice's cleanup"
        assert await cleanup == 1
        new_engine = await alice_again
        assert engine.closed and not new_engine.closed
        with pytest.raises(ClosedError):
            await run
        metrics = factory.metrics()
        assert (dict(metrics.engines_per_user), metrics.user_locks) == ({"alice": 1, "bob": 1}, 0)

    asyncio.run(scenario())


def test_stop_reaper_surfaces_the_error_that_killed_the_reaper() -> None:
    class FailingClock(FakeClock):
        failing = False

        def __call__(self) -> float:
            if self.failing:
                raise RuntimeError("clock failed")
            return self.now

    async def scenario() -> None:
        clock = FailingClock()
        factory = ExecutionEngineFactory(InMemoryTransport(), idle_timeout=1, clock=clock)
        factory.start_reaper(interval=0.001)
        clock.failing = True
        await asyncio.sleep(0.02)
        with pytest.raises(RuntimeError, match="clock failed"):
            await factory.stop_reaper()

    asyncio.run(scenario())
