"""Every user gets their own engine, registry and emitter, sharing nothing mutable."""

from __future__ import annotations

import asyncio
import functools
import importlib
import pkgutil

import pytest

from ssot_lint import reference
from ssot_lint.reference import (
    AgentExecutionRegistry,
    ExecutionEngineFactory,
    InMemoryTransport,
    UserExecutionContext,
    UserExecutionEngine,
    UserWebSocketEmitter,
    WebSocketNotifier,
    reachable_objects,
    shared_mutable_objects,
)


async def _chatty(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> str:
    await notifier.agent_thinking("chatty", f"thinking for {ctx.user_id}", context=ctx)
    await asyncio.sleep(0)
    await notifier.tool_completed("chatty", "lookup", context=ctx, result={"user_id": ctx.user_id})
    return ctx.user_id


def test_each_user_gets_unique_engine_registry_and_emitter() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        engines = [await factory.create_for_user(UserExecutionContext.create(f"user-{i}")) for i in range(5)]
        engines.append(await factory.create_for_user(UserExecutionContext.create("user-0")))  # second session
        for attribute in ("registry", "notifier", "context"):
            parts = [getattr(engine, attribute) for engine in engines]
            assert len({id(part) for part in parts}) == len(engines), attribute
        for engine in engines:
            assert engine.registry.user_id == engine.user_id
            assert engine.notifier.context is engine.context  # type: ignore[attr-defined]

    asyncio.run(scenario())


def test_two_users_engines_share_no_mutable_state_but_the_transport() -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        factory = ExecutionEngineFactory(transport, max_concurrent_agents=1)
        alice = await factory.create_for_user(UserExecutionContext.create("alice", metadata={"plan": "pro"}))
        bob = await factory.create_for_user(UserExecutionContext.create("bob", metadata={"plan": "pro"}))
        # Exercise everything stateful first: runs, history, seq counters, contended semaphores.
        for engine in (alice, bob):
            await asyncio.gather(*(engine.run(_chatty) for _ in range(3)))

        assert shared_mutable_objects(alice, bob, stop=[transport]) == []
        # The walk really reaches the transport: without stopping there it is shared.
        shared = shared_mutable_objects(alice, bob)
        assert transport in shared
        assert all(obj is transport or id(obj) in {id(o) for o in _transport_graph(transport)} for obj in shared)

    asyncio.run(scenario())


def _transport_graph(transport: InMemoryTransport) -> list[object]:
    return list(reachable_objects(transport).values())


def test_walker_detects_a_deliberately_shared_mutable_object() -> None:
    class Holder:
        def __init__(self, cache: dict[str, int]) -> None:
            self.cache = cache
            self.frozen = ("same", 1)

    common: dict[str, int] = {}
    shared = shared_mutable_objects(Holder(common), Holder(common))
    assert [id(obj) for obj in shared] == [id(common)]
    assert shared_mutable_objects(Holder({}), Holder({})) == []
    nested = [common]
    assert any(obj is common for obj in shared_mutable_objects((nested,), (1, nested)))


def test_registries_record_only_their_own_users_runs() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        alice = await factory.create_for_user(UserExecutionContext.create("alice"))
        bob = await factory.create_for_user(UserExecutionContext.create("bob"))
        await asyncio.gather(alice.run(_chatty), alice.run(_chatty), bob.run(_chatty))
        assert len(alice.registry.finished_runs()) == 2
        assert len(bob.registry.finished_runs()) == 1
        assert {r.request_id for r in alice.registry.finished_runs()} == {alice.context.request_id}

    asyncio.run(scenario())


_STATEFUL_CLASSES = (
    ExecutionEngineFactory,
    UserExecutionEngine,
    UserWebSocketEmitter,
    AgentExecutionRegistry,
    InMemoryTransport,
)


@pytest.mark.parametrize(
    "module_name",
    sorted(info.name for info in pkgutil.iter_modules(reference.__path__, prefix="ssot_lint.reference.")),
)
def test_no_module_level_singletons(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name, value in vars(module).items():
        assert not isinstance(value, _STATEFUL_CLASSES), f"{module_name}.{name} is a module-level instance"
        assert not isinstance(value, functools._lru_cache_wrapper), f"{module_name}.{name} is a cached getter"
        assert "instance" not in name.lower(), f"{module_name}.{name} looks like a singleton slot"
    for cls in _STATEFUL_CLASSES:
        class_state = {k: v for k, v in vars(cls).items() if isinstance(v, (list, dict, set))}
        assert class_state == {}, f"{cls.__name__} has class-level mutable state: {class_state}"
