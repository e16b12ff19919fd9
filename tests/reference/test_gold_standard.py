"""The gold standard: 1,000 concurrent users, interleaved agents, zero cross-talk."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from ssot_lint.reference import (
    ExecutionEngineFactory,
    InMemoryTransport,
    UserExecutionContext,
    WebSocketNotifier,
)

USERS = 1_000
AGENTS_PER_USER = 3
STEPS = 3
#: agent_started + (thinking, tool_executing, tool_completed) per step + agent_completed
EVENTS_PER_AGENT = 2 + 3 * STEPS


def _agent(index: int) -> Callable[[UserExecutionContext, WebSocketNotifier], Awaitable[str]]:
    """Agent number ``index``: interleaves thinking and tool events, yielding between each."""

    async def agent(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> str:
        secret = ctx.metadata["secret"]
        for step in range(STEPS):
            await notifier.agent_thinking(f"agent-{index}", f"{secret}/{index}/{step}", context=ctx, step=step)
            await asyncio.sleep(0)
            await notifier.tool_executing(f"agent-{index}", "lookup", context=ctx, arguments={"secret": secret})
            await asyncio.sleep(0)
            await notifier.tool_completed(f"agent-{index}", "lookup", context=ctx, result={"user_id": ctx.user_id})
            await asyncio.sleep(0)
        return f"{secret}/{index}"

    agent.__name__ = f"agent-{index}"
    return agent


def test_thousand_concurrent_users_get_exactly_their_own_events_in_order() -> None:
    transport = InMemoryTransport()
    contexts = [
        UserExecutionContext.create(f"user-{i}", websocket_client_id=f"ws-{i}", metadata={"secret": f"s{i:04d}"})
        for i in range(USERS)
    ]
    agents = [_agent(i) for i in range(AGENTS_PER_USER)]

    async def session(factory: ExecutionEngineFactory, ctx: UserExecutionContext) -> list[str]:
        async with factory.user_engine(ctx) as engine:
            return await asyncio.gather(*(engine.run(agent) for agent in agents))

    async def scenario() -> list[list[str]]:
        factory = ExecutionEngineFactory(transport, max_concurrent_agents=AGENTS_PER_USER)
        results = await asyncio.gather(*(session(factory, ctx) for ctx in contexts))
        metrics = factory.metrics()
        assert (metrics.live_engines, metrics.created_total, metrics.cleaned_total) == (0, USERS, USERS)
        return results

    started = time.perf_counter()
    results = asyncio.run(scenario())
    elapsed = time.perf_counter() - started

    assert len(transport.connection_ids()) == USERS
    for ctx, result in zip(contexts, results):
        secret = ctx.metadata["secret"]
        assert result == [f"{secret}/{i}" for i in range(AGENTS_PER_USER)]
        events = transport.events_for(ctx.websocket_client_id or "")
        assert len(events) == AGENTS_PER_USER * EVENTS_PER_AGENT
        assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
        for event in events:
            assert (event["user_id"], event["thread_id"], event["run_id"]) == (ctx.user_id, ctx.thread_id, ctx.run_id)
            assert event["request_id"] == ctx.request_id
        mentioned = {
            value.split("/")[0]
            for event in events
            for value in (event["data"].get("thought"), (event["data"].get("arguments") or {}).get("secret"))
            if value
        }
        assert mentioned == {secret}, f"{ctx.user_id} saw another user's data: {mentioned - {secret}}"
        for i in range(AGENTS_PER_USER):
            own = [event["type"] for event in events if event["agent_name"] == f"agent-{i}"]
            assert own[0] == "agent_started" and own[-1] == "agent_completed"
            assert own[1:-1] == ["agent_thinking", "tool_executing", "tool_completed"] * STEPS
        interleaved = [event["agent_name"] for event in events]
        assert interleaved != sorted(interleaved), "agents should have run interleaved, not one after another"
    assert elapsed < 15, f"gold standard took {elapsed:.1f}s"
