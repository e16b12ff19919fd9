"""A hypothesis state machine driving the factory through random lifecycles."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ssot_lint.reference import (
    ClosedError,
    EngineLimitExceeded,
    ExecutionEngineFactory,
    InMemoryTransport,
    UserExecutionContext,
    UserExecutionEngine,
    WebSocketNotifier,
)

T = TypeVar("T")
USERS = ("ann", "ben", "cyd")
LIMIT = 2
IDLE_TIMEOUT = 10.0


class FakeClock:
    """A monotonic clock the machine moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _echo(ctx: UserExecutionContext, notifier: WebSocketNotifier) -> str:
    await notifier.agent_thinking("echo", ctx.request_id, context=ctx)
    await asyncio.sleep(0)
    return ctx.user_id


class FactoryMachine(RuleBasedStateMachine):
    """Random create / run / cleanup / reap sequences checked against a simple model."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.transport = InMemoryTransport()
        self.factory = ExecutionEngineFactory(
            self.transport, max_engines_per_user=LIMIT, idle_timeout=IDLE_TIMEOUT, clock=self.clock
        )
        self.live: dict[str, list[UserExecutionEngine]] = {user: [] for user in USERS}
        self.last_active: dict[int, float] = {}
        self.cleaned: list[UserExecutionEngine] = []
        self.created = self.cleaned_total = self.rejections = self.reaped = 0

    def await_(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def _live_engines(self) -> list[UserExecutionEngine]:
        return [engine for engines in self.live.values() for engine in engines]

    def _forget(self, engine: UserExecutionEngine) -> None:
        self.live[engine.user_id].remove(engine)
        self.cleaned.append(engine)
        self.cleaned_total += 1

    @rule(user=st.sampled_from(USERS))
    def create(self, user: str) -> None:
        context = UserExecutionContext.create(user)
        if len(self.live[user]) >= LIMIT:
            with pytest.raises(EngineLimitExceeded):
                self.await_(self.factory.create_for_user(context))
            self.rejections += 1
            return
        engine = self.await_(self.factory.create_for_user(context))
        assert engine.context is context and not engine.closed
        self.live[user].append(engine)
        self.last_active[id(engine)] = self.clock.now
        self.created += 1

    @precondition(lambda self: self._live_engines())
    @rule(index=st.integers(min_value=0))
    def run(self, index: int) -> None:
        engine = self._live_engines()[index % len(self._live_engines())]
        before = len(self.transport.events_for(engine.user_id))
        assert self.await_(engine.run(_echo)) == engine.user_id
        events = self.transport.events_for(engine.user_id)[before:]
        assert [event["type"] for event in events] == ["agent_started", "agent_thinking", "agent_completed"]
        assert {event["run_id"] for event in events} == {engine.context.run_id}
        self.last_active[id(engine)] = self.clock.now

    @precondition(lambda self: self._live_engines())
    @rule(index=st.integers(min_value=0))
    def cleanup_engine(self, index: int) -> None:
        engine = self._live_engines()[index % len(self._live_engines())]
        assert self.await_(self.factory.cleanup_engine(engine))
        self._forget(engine)

    @rule(user=st.sampled_from(USERS))
    def cleanup_user(self, user: str) -> None:
        expected = list(self.live[user])
        assert self.await_(self.factory.cleanup_user(user)) == len(expected)
        for engine in expected:
            self._forget(engine)

    @rule(seconds=st.sampled_from([0.0, 1.0, 5.0, IDLE_TIMEOUT]))
    def advance_and_reap(self, seconds: float) -> None:
        self.clock.now += seconds
        cutoff = self.clock.now - IDLE_TIMEOUT
        expected = [engine for engine in self._live_engines() if self.last_active[id(engine)] <= cutoff]
        assert self.await_(self.factory.reap_idle()) == len(expected)
        for engine in expected:
            self._forget(engine)
        self.reaped += len(expected)

    @precondition(lambda self: self.cleaned)
    @rule(index=st.integers(min_value=0))
    def cleaned_engines_refuse(self, index: int) -> None:
        engine = self.cleaned[index % len(self.cleaned)]
        with pytest.raises(ClosedError):
            self.await_(engine.run(_echo))
        assert not self.await_(self.factory.cleanup_engine(engine))

    @invariant()
    def metrics_match_the_model(self) -> None:
        metrics = self.factory.metrics()
        per_user = {user: len(engines) for user, engines in self.live.items() if engines}
        assert dict(metrics.engines_per_user) == per_user
        assert metrics.live_engines == sum(per_user.values())
        assert metrics.created_total == self.created
        assert metrics.cleaned_total == self.cleaned_total
        assert metrics.limit_rejections == self.rejections
        assert metrics.idle_reaped == self.reaped
        assert metrics.user_locks == 0, "no lock may outlive the call that needed it"

    @invariant()
    def limit_never_exceeded_and_states_consistent(self) -> None:
        assert all(len(engines) <= LIMIT for engines in self.live.values())
        assert not any(engine.closed for engine in self._live_engines())
        assert all(engine.closed for engine in self.cleaned)

    def teardown(self) -> None:
        self.await_(self.factory.shutdown())
        assert self.factory.metrics().live_engines == 0
        self.loop.close()


FactoryMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
TestFactoryMachine = FactoryMachine.TestCase
