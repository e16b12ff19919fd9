"""What a probe found: checks, their failures, and the whole result (text and JSON share these)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: The checks, in report order, with what each one proves when it passes.
CHECKS: dict[str, str] = {
    "notifier": "every engine has a notifier (not None)",
    "distinct-engines": "every create returns a new engine: no two users, and no user twice, get the same one",
    "events": "every user receives only events carrying their own secret, and all of them",
    "shared-state": "no two users' engines share a mutable object (the transport and modules excepted)",
    "cleanup": "after cleanup the engines are collected and the factory's containers are as empty as before",
    "runtime-errors": "creating, running agents on and cleaning up engines raised nothing",
}


#: Failure details keep at most this many users or pairs (the count is always exact).
MAX_LISTED = 1_000


@dataclass
class Failure:
    """One isolation failure: which check, what happened, to whom, involving which types."""

    check: str
    message: str
    users: list[str] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    count: int = 1
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "message": self.message,
            "count": self.count,
            "users": self.users,
            "pairs": [list(p) for p in self.pairs],
            "types": self.types,
            "path": self.path,
        }


@dataclass
class CheckResult:
    name: str
    status: str  # "pass" | "fail" | "skip"
    summary: str
    failures: list[Failure] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": CHECKS[self.name],
            "status": self.status,
            "summary": self.summary,
            "failures": [f.to_json() for f in self.failures],
        }


@dataclass
class ProbeResult:
    target: str
    factory_type: str
    users: int
    agents: int
    transport_hook: str
    context_factory: str
    seconds: float
    checks: list[CheckResult]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "target": self.target,
            "factory": self.factory_type,
            "users": self.users,
            "agents": self.agents,
            "transport_hook": self.transport_hook,
            "context_factory": self.context_factory,
            "seconds": round(self.seconds, 3),
            "isolated": self.ok,
            "checks": [c.to_json() for c in self.checks],
            "notes": self.notes,
        }


def type_name(obj: object) -> str:
    cls = type(obj)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def capped(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if len(out) >= MAX_LISTED:
            break
        out.append(item)
    return out


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"
