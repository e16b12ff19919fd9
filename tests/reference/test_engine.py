"""UserExecutionEngine: lifecycle events, errors, timeouts, the concurrency bound and closing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ssot_lint.reference import (
    AgentTimeoutError,
    ClosedError,
    CrossUserError,
    ExecutionEngineFactory,
    InMemoryTransport,
    RunStatus,
    UserExecutionContext,
    WebSocketNotifier,
)


def _types(transport: InMemoryTransport, connection_id: str) -> list[str]:
    return [event["type"] for event in transport.events_for(connection_id)]


def test_successful_run_is_announced_recorded_and_returned() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        factory = ExecutionEngineFactory(transport)
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))

        async def planner(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> dict[str, Any]:
            await notifier.agent_thinking("planner", "drafting", context=ctx, step=1)
            await notifier.tool_executing("planner", "search", context=ctx, arguments={"q": "cats"})
            await notifier.tool_completed("planner", "search", context=ctx, result={"hits": 3})
            return {"plan": "done"}

        assert await engine.run(planner) == {"plan": "done"}
        events = transport.events_for("alice")
        assert _types(transport, "alice") == [
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed",
        ]
        assert events[-1]["data"]["result"] == {"plan": "done"}
        assert events[-1]["data"]["duration_ms"] >= 0
        (record,) = engine.registry.finished_runs()
        assert (record.agent_name, record.status, record.error) == ("planner", RunStatus.COMPLETED, None)
        assert engine.registry.active_runs() == ()
        assert engine.registry.agent_run_counts() == {"planner": 1}

    asyncio.run(scenario())


def test_failing_agent_emits_agent_error_and_reraises() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        engine = await ExecutionEngineFactory(transport).create_for_user(UserExecutionContext.create("alice"))

        async def broken(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            raise ValueError("bad input")

        with pytest.raises(ValueError, match="bad input"):
            await engine.run(broken, name="broken-agent")
        assert _types(transport, "alice") == ["agent_started", "agent_error"]
        error = transport.events_for("alice")[-1]
        assert error["agent_name"] == "broken-agent"
        assert error["data"] == {"error": "bad input", "error_type": "ValueError"}
        (record,) = engine.registry.finished_runs()
        assert record.status is RunStatus.FAILED and "bad input" in (record.error or "")

    asyncio.run(scenario())


def test_run_timeout_cancels_the_agent_and_reports_it() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        factory = ExecutionEngineFactory(transport, run_timeout=0.05)
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))
        cancelled = asyncio.Event()

        async def slow(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            try:
                await asyncio.sleep(10)
            finally:
                cancelled.set()

        with pytest.raises(AgentTimeoutError) as caught:
            await engine.run(slow)
        assert isinstance(caught.value, TimeoutError)
        assert caught.value.timeout == 0.05
        assert cancelled.is_set(), "the timed-out agent must have been cancelled, not left running"
        assert _types(transport, "alice") == ["agent_started", "agent_error"]
        assert transport.events_for("alice")[-1]["data"]["error_type"] == "AgentTimeoutError"
        assert engine.registry.finished_runs()[0].status is RunStatus.TIMED_OUT
        assert engine.in_flight == 0

        # A per-call timeout overrides the engine's.
        async def quick(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> str:
            await asyncio.sleep(0.1)
            return "ok"

        assert await engine.run(quick, timeout=1.0) == "ok"

    asyncio.run(scenario())


def test_concurrent_agents_are_bounded_per_engine() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport(), max_concurrent_agents=2)
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))
        other = await factory.create_for_user(UserExecutionContext.create("bob"))
        running = peak = 0
        release = asyncio.Event()

        async def agent(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await release.wait()
            running -= 1
            return 1

        runs = [asyncio.ensure_future(engine.run(agent)) for _ in range(6)]
        for _ in range(10):
            await asyncio.sleep(0)
        assert peak == 2 and engine.in_flight == 6
        # Another user's engine has its own bound: it is not starved by alice's queue.
        bob_runs = [asyncio.ensure_future(other.run(agent)) for _ in range(2)]
        for _ in range(10):
            await asyncio.sleep(0)
        assert peak == 4
        release.set()
        assert sum(await asyncio.gather(*runs, *bob_runs)) == 8
        assert engine.in_flight == 0

    asyncio.run(scenario())


def test_child_context_runs_stamp_the_child_request() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        engine = await ExecutionEngineFactory(transport).create_for_user(UserExecutionContext.create("alice"))
        child = engine.context.child("summarise")

        async def sub(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> str:
            await notifier.agent_thinking("sub", "reading", context=ctx)
            return ctx.request_id

        assert await engine.run(sub, context=child) == child.request_id
        assert {event["request_id"] for event in transport.events_for("alice")} == {child.request_id}
        assert engine.registry.finished_runs()[0].request_id == child.request_id

    asyncio.run(scenario())


def test_engine_refuses_another_users_context() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))

        async def agent(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            raise AssertionError("must not run")

        with pytest.raises(CrossUserError):
            await engine.run(agent, context=UserExecutionContext.create("bob"))
        with pytest.raises(CrossUserError):
            await engine.run(agent, context=UserExecutionContext.create("alice"))  # another run
        with pytest.raises(CrossUserError):
            engine.registry.start("agent", UserExecutionContext.create("bob"))
        assert engine.registry.finished_runs() == ()

    asyncio.run(scenario())


def test_cleanup_cancels_in_flight_runs_and_closed_engines_refuse_to_run() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))
        started = asyncio.Event()

        async def forever(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            started.set()
            await asyncio.sleep(3600)

        run = asyncio.ensure_future(engine.run(forever))
        await started.wait()
        assert await factory.cleanup_engine(engine)
        with pytest.raises(ClosedError):
            await run
        assert engine.registry.finished_runs()[0].status is RunStatus.CANCELLED
        with pytest.raises(ClosedError):
            await engine.run(forever)
        with pytest.raises(ClosedError):
            await engine.notifier.agent_thinking("late", "still here?")

    asyncio.run(scenario())


def test_cancelling_the_caller_cancels_the_agent() -> None:
    async def scenario() -> None:
        engine = await ExecutionEngineFactory(InMemoryTransport()).create_for_user(UserExecutionContext.create("a"))
        started, stopped = asyncio.Event(), asyncio.Event()

        async def forever(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
            started.set()
            try:
                await asyncio.sleep(3600)
            finally:
                stopped.set()

        run = asyncio.ensure_future(engine.run(forever))
        await started.wait()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        await asyncio.wait_for(stopped.wait(), 1)
        assert engine.registry.finished_runs()[0].status is RunStatus.CANCELLED
        assert engine.in_flight == 0

    asyncio.run(scenario())
