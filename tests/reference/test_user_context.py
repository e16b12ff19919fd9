"""UserExecutionContext: validation, immutability, children, and the session lifecycle."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import weakref

import pytest

from ssot_lint.reference import (
    ExecutionEngineFactory,
    InMemoryTransport,
    InvalidContextError,
    UserExecutionContext,
)

VALID = {"user_id": "alice", "thread_id": "t-1", "run_id": "r-1", "request_id": "q-1"}
BAD_VALUES = ["", " ", " alice", "alice ", "\talice", "None", "none", "NULL", "undefined", "Default", 42, None]


@pytest.mark.parametrize("field", ["user_id", "thread_id", "run_id", "request_id"])
@pytest.mark.parametrize("value", BAD_VALUES)
def test_required_ids_reject_bad_values(field: str, value: object) -> None:
    with pytest.raises(InvalidContextError) as caught:
        UserExecutionContext(**{**VALID, field: value})
    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize("field", ["websocket_client_id", "parent_request_id"])
@pytest.mark.parametrize("value", ["", " ws", "null", "UNDEFINED", 7])
def test_optional_ids_reject_bad_values_but_accept_none(field: str, value: object) -> None:
    assert getattr(UserExecutionContext(**VALID, **{field: None}), field) is None
    with pytest.raises(InvalidContextError) as caught:
        UserExecutionContext(**VALID, **{field: value})
    assert caught.value.field == field


def test_invalid_context_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        UserExecutionContext(**{**VALID, "user_id": "default"})


def test_ids_that_merely_contain_placeholder_words_are_fine() -> None:
    ctx = UserExecutionContext(**{**VALID, "user_id": "nonenberg", "thread_id": "default-thread"})
    assert ctx.user_id == "nonenberg"


@pytest.mark.parametrize("metadata", [["a"], "text", {1: "x"}])
def test_metadata_must_be_a_str_keyed_mapping(metadata: object) -> None:
    with pytest.raises(InvalidContextError) as caught:
        UserExecutionContext(**VALID, metadata=metadata)  # type: ignore[arg-type]
    assert caught.value.field == "metadata"


def test_context_is_frozen_and_metadata_read_only() -> None:
    source = {"plan": "pro"}
    ctx = UserExecutionContext(**VALID, metadata=source)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.user_id = "mallory"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.metadata = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        ctx.metadata["plan"] = "free"  # type: ignore[index]
    source["plan"] = "free"
    assert ctx.metadata["plan"] == "pro", "metadata must be a copy, not a view of the caller's dict"


def test_contexts_compare_by_value_and_are_hashable() -> None:
    a = UserExecutionContext(**VALID, metadata={"k": 1})
    b = UserExecutionContext(**VALID, metadata={"k": 1})
    assert a == b
    assert hash(a) == hash(b)
    assert a != UserExecutionContext(**{**VALID, "request_id": "q-2"})


def test_create_generates_distinct_ids() -> None:
    a = UserExecutionContext.create("alice")
    b = UserExecutionContext.create("alice")
    assert a.user_id == b.user_id == "alice"
    assert len({a.thread_id, a.run_id, a.request_id, b.thread_id, b.run_id, b.request_id}) == 6
    kept = UserExecutionContext.create("alice", "t-9", "r-9", websocket_client_id="ws-1", metadata={"x": 1})
    assert (kept.thread_id, kept.run_id, kept.websocket_client_id) == ("t-9", "r-9", "ws-1")
    assert kept.metadata == {"x": 1}
    with pytest.raises(InvalidContextError):
        UserExecutionContext.create("null")


def test_child_derives_a_linked_sub_context() -> None:
    parent = UserExecutionContext(**VALID, websocket_client_id="ws-1", metadata={"plan": "pro", "operation": "chat"})
    child = parent.child("search", query="cats")
    assert (child.user_id, child.thread_id, child.run_id) == (parent.user_id, parent.thread_id, parent.run_id)
    assert child.websocket_client_id == "ws-1"
    assert child.request_id != parent.request_id
    assert child.parent_request_id == parent.request_id
    assert dict(child.metadata) == {"plan": "pro", "operation": "search", "query": "cats"}
    assert dict(parent.metadata) == {"plan": "pro", "operation": "chat"}
    grandchild = child.child("rank")
    assert grandchild.parent_request_id == child.request_id
    assert parent.same_run(grandchild)


@pytest.mark.parametrize("operation", ["", " search", "none"])
def test_child_rejects_bad_operations(operation: str) -> None:
    with pytest.raises(InvalidContextError):
        UserExecutionContext(**VALID).child(operation)


@pytest.mark.parametrize("not_a_context", [None, {"user_id": "alice"}, "alice", object()])
def test_invalid_contexts_are_rejected_before_any_engine_exists(not_a_context: object) -> None:
    async def scenario() -> None:
        transport = InMemoryTransport()
        factory = ExecutionEngineFactory(transport)
        before = factory.metrics()
        with pytest.raises(TypeError):
            await factory.create_for_user(not_a_context)  # type: ignore[arg-type]
        assert factory.metrics() == before
        assert before.live_engines == before.created_total == before.user_locks == 0
        assert transport.connection_ids() == []

    asyncio.run(scenario())


def test_invalid_ids_never_reach_the_factory() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        before = factory.metrics()
        with pytest.raises(InvalidContextError):
            await factory.create_for_user(UserExecutionContext.create("undefined"))
        assert factory.metrics() == before

    asyncio.run(scenario())


def test_session_end_releases_everything_even_on_error() -> None:
    async def scenario() -> weakref.ref[object]:
        factory = ExecutionEngineFactory(InMemoryTransport())
        ctx = UserExecutionContext.create("alice")
        with pytest.raises(RuntimeError, match="boom"):
            async with factory.user_engine(ctx) as engine:
                ref = weakref.ref(engine)
                assert factory.metrics().live_engines == 1
                raise RuntimeError("boom")
        assert engine.closed
        metrics = factory.metrics()
        assert (metrics.live_engines, metrics.cleaned_total, metrics.user_locks) == (0, 1, 0)
        assert dict(metrics.engines_per_user) == {}
        del engine
        return ref

    ref = asyncio.run(scenario())
    gc.collect()
    assert ref() is None


def test_cleanup_user_releases_all_of_that_users_engines_only() -> None:
    async def scenario() -> None:
        factory = ExecutionEngineFactory(InMemoryTransport())
        alice = [await factory.create_for_user(UserExecutionContext.create("alice")) for _ in range(3)]
        bob = await factory.create_for_user(UserExecutionContext.create("bob"))
        assert await factory.cleanup_user("alice") == 3
        assert all(engine.closed for engine in alice)
        assert not bob.closed
        assert dict(factory.metrics().engines_per_user) == {"bob": 1}
        assert await factory.cleanup_user("alice") == 0
        assert factory.metrics().user_locks == 0

    asyncio.run(scenario())
