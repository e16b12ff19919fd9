"""Exceptions raised by the reference factory implementation.

Every error derives from :class:`IsolationError`, so a service can catch the
whole family in one place; each one also derives from the closest built-in
exception (``ValueError``, ``RuntimeError``, ``TimeoutError``) so that generic
handlers keep working.
"""

from __future__ import annotations


class IsolationError(Exception):
    """Base class of every error raised by ``ssot_lint.reference``."""


class InvalidContextError(IsolationError, ValueError):
    """A :class:`UserExecutionContext` field is missing, malformed or a placeholder."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"invalid {field}: {reason}")
        self.field = field
        self.reason = reason


class CrossUserError(IsolationError):
    """An object bound to one user (or run) was handed another user's context or data."""


class CrossUserEventError(CrossUserError):
    """A notifier was asked to send an event that names another user (or run)."""


class EngineLimitExceeded(IsolationError):
    """A user already has the maximum number of live engines."""

    def __init__(self, user_id: str, limit: int) -> None:
        super().__init__(f"user {user_id!r} already has {limit} live engine(s), the limit")
        self.user_id = user_id
        self.limit = limit


class ClosedError(IsolationError, RuntimeError):
    """The engine, notifier or factory has been cleaned up and refuses further work."""


class AgentTimeoutError(IsolationError, TimeoutError):
    """An agent run exceeded its engine's per-run timeout and was cancelled."""

    def __init__(self, agent_name: str, timeout: float) -> None:
        super().__init__(f"agent {agent_name!r} timed out after {timeout:g}s")
        self.agent_name = agent_name
        self.timeout = timeout
