"""Per-engine bookkeeping of one user's agent runs (never shared between engines)."""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ssot_lint.reference.context import UserExecutionContext
from ssot_lint.reference.errors import CrossUserError


class RunStatus(enum.Enum):
    """Where an agent run is in its life."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"


@dataclass(slots=True, eq=False)
class RunRecord:
    """One agent run: what ran, for which request, how it ended and when."""

    execution_id: int
    agent_name: str
    request_id: str
    started_at: float
    status: RunStatus = RunStatus.RUNNING
    finished_at: float | None = None
    error: str | None = None

    @property
    def duration(self) -> float | None:
        """Seconds between start and finish, or None while running."""
        return None if self.finished_at is None else self.finished_at - self.started_at


class AgentExecutionRegistry:
    """The runs and agents of one user, owned by exactly one engine.

    Active runs are kept until they finish; finished runs are kept in a
    bounded history (oldest dropped first).
    """

    __slots__ = ("_active", "_agent_runs", "_clock", "_history", "_next_id", "_user_id")

    def __init__(
        self,
        user_id: str,
        *,
        history: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if history < 0:
            raise ValueError(f"history must be >= 0, got {history}")
        self._user_id = user_id
        self._clock = clock
        self._next_id = 0
        self._active: dict[int, RunRecord] = {}
        self._history: deque[RunRecord] = deque(maxlen=history)
        self._agent_runs: dict[str, int] = {}

    @property
    def user_id(self) -> str:
        """The only user whose runs this registry accepts."""
        return self._user_id

    def start(self, agent_name: str, context: UserExecutionContext) -> RunRecord:
        """Record that ``agent_name`` started for ``context`` (which must be this user's)."""
        if context.user_id != self._user_id:
            raise CrossUserError(f"registry of user {self._user_id!r} refused a run for user {context.user_id!r}")
        self._next_id += 1
        record = RunRecord(self._next_id, agent_name, context.request_id, self._clock())
        self._active[record.execution_id] = record
        self._agent_runs[agent_name] = self._agent_runs.get(agent_name, 0) + 1
        return record

    def finish(self, record: RunRecord, status: RunStatus, error: str | None = None) -> None:
        """Close ``record`` with a final ``status`` and move it to the history."""
        if status is RunStatus.RUNNING:
            raise ValueError("a run cannot finish as RUNNING")
        if self._active.pop(record.execution_id, None) is not record:
            raise ValueError(f"run {record.execution_id} is not active in this registry")
        record.status = status
        record.finished_at = self._clock()
        record.error = error
        self._history.append(record)

    def active_runs(self) -> tuple[RunRecord, ...]:
        """Runs that have started and not finished, oldest first."""
        return tuple(self._active.values())

    def finished_runs(self) -> tuple[RunRecord, ...]:
        """The most recent finished runs, oldest first."""
        return tuple(self._history)

    def agent_run_counts(self) -> dict[str, int]:
        """How many runs each agent name has started (a copy)."""
        return dict(self._agent_runs)
