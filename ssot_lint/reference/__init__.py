"""The reference implementation of per-user execution engines that ssot-lint checks against.

Build one :class:`ExecutionEngineFactory` per application and ask it for a
:class:`UserExecutionEngine` per user session; everything an engine touches
(its notifier, its registry) belongs to that one user.
"""

from ssot_lint.reference.context import PLACEHOLDER_VALUES, UserExecutionContext
from ssot_lint.reference.engine import Agent, UserExecutionEngine
from ssot_lint.reference.errors import (
    AgentTimeoutError,
    ClosedError,
    CrossUserError,
    CrossUserEventError,
    EngineLimitExceeded,
    InvalidContextError,
    IsolationError,
)
from ssot_lint.reference.execution_engine_factory import ExecutionEngineFactory, FactoryMetrics
from ssot_lint.reference.introspect import reachable_objects, shared_mutable_objects
from ssot_lint.reference.notifier import (
    Event,
    EventTransport,
    InMemoryTransport,
    UserWebSocketEmitter,
    WebSocketNotifier,
)
from ssot_lint.reference.registry import AgentExecutionRegistry, RunRecord, RunStatus

__all__ = [
    "PLACEHOLDER_VALUES",
    "Agent",
    "AgentExecutionRegistry",
    "AgentTimeoutError",
    "ClosedError",
    "CrossUserError",
    "CrossUserEventError",
    "EngineLimitExceeded",
    "Event",
    "EventTransport",
    "ExecutionEngineFactory",
    "FactoryMetrics",
    "InMemoryTransport",
    "InvalidContextError",
    "IsolationError",
    "RunRecord",
    "RunStatus",
    "UserExecutionContext",
    "UserExecutionEngine",
    "UserWebSocketEmitter",
    "WebSocketNotifier",
    "reachable_objects",
    "shared_mutable_objects",
]
