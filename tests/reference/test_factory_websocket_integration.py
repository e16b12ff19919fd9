"""Events reach only their own user's connections, and the emitter guards its user."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from ssot_lint.reference import (
    ClosedError,
    CrossUserEventError,
    EventTransport,
    ExecutionEngineFactory,
    InMemoryTransport,
    UserExecutionContext,
    UserWebSocketEmitter,
    WebSocketNotifier,
)

NOTIFIER_METHODS = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
    "agent_error",
)


async def _worker(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> None:
    for step in range(3):
        await notifier.agent_thinking("worker", f"{ctx.user_id}:{step}", context=ctx, step=step)
        await asyncio.sleep(0)


def test_concurrent_users_receive_only_their_own_events() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        factory = ExecutionEngineFactory(transport)
        contexts = [UserExecutionContext.create(f"user-{i}", websocket_client_id=f"ws-{i}") for i in range(50)]

        async def session(ctx: UserExecutionContext) -> None:
            async with factory.user_engine(ctx) as engine:
                await asyncio.gather(engine.run(_worker), engine.run(_worker))

        await asyncio.gather(*(session(ctx) for ctx in contexts))
        assert sorted(transport.connection_ids()) == sorted(f"ws-{i}" for i in range(50))
        for ctx in contexts:
            events = transport.events_for(ctx.websocket_client_id or "")
            assert len(events) == 2 * (2 + 3)
            assert {event["user_id"] for event in events} == {ctx.user_id}
            assert {event["run_id"] for event in events} == {ctx.run_id}
            assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
            thoughts = [e["data"]["thought"] for e in events if e["type"] == "agent_thinking"]
            assert all(thought.startswith(f"{ctx.user_id}:") for thought in thoughts)
        assert factory.metrics().live_engines == 0

    asyncio.run(scenario())


def test_two_sessions_of_one_user_go_to_their_own_connections() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        factory = ExecutionEngineFactory(transport)
        tab_a = await factory.create_for_user(UserExecutionContext.create("alice", websocket_client_id="tab-a"))
        tab_b = await factory.create_for_user(UserExecutionContext.create("alice", websocket_client_id="tab-b"))
        no_socket = await factory.create_for_user(UserExecutionContext.create("alice"))
        await asyncio.gather(tab_a.run(_worker), tab_b.run(_worker), no_socket.run(_worker))
        assert {e["run_id"] for e in transport.events_for("tab-a")} == {tab_a.context.run_id}
        assert {e["run_id"] for e in transport.events_for("tab-b")} == {tab_b.context.run_id}
        assert {e["run_id"] for e in transport.events_for("alice")} == {no_socket.context.run_id}

    asyncio.run(scenario())


def test_emitter_refuses_events_for_another_user_or_run() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        engine = await ExecutionEngineFactory(transport).create_for_user(UserExecutionContext.create("alice"))
        notifier = engine.notifier
        bob = UserExecutionContext.create("bob")
        with pytest.raises(CrossUserEventError, match="bob"):
            await notifier.agent_thinking("spy", "hello bob", context=bob)
        with pytest.raises(CrossUserEventError):
            await notifier.agent_started("spy", context=UserExecutionContext.create("alice"))  # other run
        with pytest.raises(CrossUserEventError):
            await notifier.tool_completed("spy", "lookup", result={"user_id": "bob", "secret": 1})
        with pytest.raises(CrossUserEventError):
            await notifier.agent_started("spy", data={"user_id": "bob"})
        assert transport.connection_ids() == []
        await notifier.tool_completed("ok", "lookup", result={"user_id": "alice"})
        assert [e["seq"] for e in transport.events_for("alice")] == [1], "refused events must not consume seq"

    asyncio.run(scenario())


@pytest.mark.parametrize("transport", [None, object()])
def test_emitter_and_factory_require_a_real_transport(transport: Any) -> None:
    with pytest.raises(TypeError):
        UserWebSocketEmitter(UserExecutionContext.create("alice"), transport)
    with pytest.raises(TypeError):
        ExecutionEngineFactory(transport)


def test_closed_emitter_refuses_to_send() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        factory = ExecutionEngineFactory(transport)
        engine = await factory.create_for_user(UserExecutionContext.create("alice"))
        await factory.cleanup_engine(engine)
        with pytest.raises(ClosedError):
            await engine.notifier.agent_completed("late")
        assert transport.connection_ids() == []

    asyncio.run(scenario())


def test_notifier_contract_is_async_and_implemented_exactly() -> None:
    transport = InMemoryTransport()
    emitter = UserWebSocketEmitter(UserExecutionContext.create("alice"), transport)
    assert isinstance(emitter, WebSocketNotifier)
    assert isinstance(transport, EventTransport)
    for name in NOTIFIER_METHODS:
        declared = getattr(WebSocketNotifier, name)
        implemented = getattr(UserWebSocketEmitter, name)
        assert inspect.iscoroutinefunction(declared) and inspect.iscoroutinefunction(implemented), name
        assert inspect.signature(declared) == inspect.signature(implemented), name
    public = {n for n, v in vars(WebSocketNotifier).items() if inspect.iscoroutinefunction(v)}
    assert public == set(NOTIFIER_METHODS)
