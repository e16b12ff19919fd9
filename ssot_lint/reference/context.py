"""The immutable per-request identity every engine, notifier and registry is bound to."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ssot_lint.reference.errors import InvalidContextError

#: Values that show an id was never really filled in (compared case-insensitively).
PLACEHOLDER_VALUES: frozenset[str] = frozenset({"none", "null", "undefined", "default"})

_REQUIRED_IDS = ("user_id", "thread_id", "run_id", "request_id")
_OPTIONAL_IDS = ("websocket_client_id", "parent_request_id")


def _check_id(name: str, value: object) -> None:
    """Raise :class:`InvalidContextError` unless ``value`` is a usable identifier."""
    if not isinstance(value, str):
        raise InvalidContextError(name, f"must be a str, got {type(value).__name__}")
    if not value:
        raise InvalidContextError(name, "must not be empty")
    if value != value.strip():
        raise InvalidContextError(name, f"must not have leading or trailing whitespace: {value!r}")
    if value.lower() in PLACEHOLDER_VALUES:
        raise InvalidContextError(name, f"placeholder value {value!r} is not a real id")


@dataclass(frozen=True, slots=True)
class UserExecutionContext:
    """Who a piece of work is for: one user's thread, run and request.

    Instances are validated on construction and cannot be changed afterwards;
    ``metadata`` is a read-only copy of the mapping passed in (shallow: values
    inside it should themselves be immutable).
    """

    user_id: str
    thread_id: str
    run_id: str
    request_id: str
    websocket_client_id: str | None = None
    parent_request_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name in _REQUIRED_IDS:
            _check_id(name, getattr(self, name))
        for name in _OPTIONAL_IDS:
            value = getattr(self, name)
            if value is not None:
                _check_id(name, value)
        if not isinstance(self.metadata, Mapping):
            raise InvalidContextError("metadata", f"must be a mapping, got {type(self.metadata).__name__}")
        for key in self.metadata:
            if not isinstance(key, str):
                raise InvalidContextError("metadata", f"keys must be str, got {key!r}")
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @classmethod
    def create(
        cls,
        user_id: str,
        thread_id: str | None = None,
        run_id: str | None = None,
        *,
        request_id: str | None = None,
        websocket_client_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> UserExecutionContext:
        """Build a context for ``user_id``, generating uuid ids for those not given."""
        return cls(
            user_id=user_id,
            thread_id=thread_id if thread_id is not None else f"thread-{uuid.uuid4().hex}",
            run_id=run_id if run_id is not None else f"run-{uuid.uuid4().hex}",
            request_id=request_id if request_id is not None else f"req-{uuid.uuid4().hex}",
            websocket_client_id=websocket_client_id,
            metadata=metadata if metadata is not None else {},
        )

    def child(self, operation: str, **metadata: Any) -> UserExecutionContext:
        """Derive the context of a sub-agent working on ``operation``.

        The child keeps this user, thread, run and WebSocket client, gets a new
        ``request_id`` and links back through ``parent_request_id``; its
        metadata is this context's metadata, updated with ``metadata`` and
        ``operation``.
        """
        _check_id("operation", operation)
        return UserExecutionContext(
            user_id=self.user_id,
            thread_id=self.thread_id,
            run_id=self.run_id,
            request_id=f"req-{uuid.uuid4().hex}",
            websocket_client_id=self.websocket_client_id,
            parent_request_id=self.request_id,
            metadata={**self.metadata, **metadata, "operation": operation},
        )

    def same_run(self, other: UserExecutionContext) -> bool:
        """True if ``other`` belongs to the same user, thread and run (e.g. a child)."""
        return self.user_id == other.user_id and self.thread_id == other.thread_id and self.run_id == other.run_id
