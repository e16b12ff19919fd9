"""The contract the rules check against: which classes only a factory may build, and where.

For now the contract comes from configuration (``[tool.ssot-lint.contract]``), whose
defaults name the classes of the seed's factory.  Every entry remembers its origin.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from .config import Config
from .index import Definition


@dataclass(frozen=True)
class ManagedClass:
    """A class that only its factory may construct."""

    name: str  # a bare class name, or a dotted path "pkg.mod.Class"
    allowed_in: tuple[str, ...]  # module globs where construction is allowed
    origin: str = "config"  # "reference" | "config" | "inferred"
    source: str | None = None  # file:line it came from

    def matches(self, definition: Definition) -> bool:
        if "." in self.name:
            return definition.fullname == self.name
        return definition.qualname == self.name


@dataclass(frozen=True)
class NotifierMethod:
    name: str
    is_async: bool
    params: tuple[str, ...] = ()  # parameter names after self


@dataclass(frozen=True)
class NotifierClass:
    """A class (or Protocol) whose instances deliver a user's events."""

    name: str  # bare or dotted
    methods: tuple[NotifierMethod, ...] = ()  # empty when only the name is known (config)
    origin: str = "config"
    source: str | None = None

    def matches(self, definition: Definition) -> bool:
        if "." in self.name:
            return definition.fullname == self.name
        return definition.qualname == self.name


@dataclass(frozen=True)
class NotifierParam:
    """A constructor/function parameter (or attribute) name that carries a notifier."""

    name: str
    origin: str = "config"
    source: str | None = None


@dataclass(frozen=True)
class EntryPoint:
    """A factory method that builds per-user objects (e.g. ``ExecutionEngineFactory.create_for_user``)."""

    owner: str  # class name ("" for a module-level function)
    method: str
    module: str | None = None
    origin: str = "config"
    source: str | None = None


@dataclass
class Contract:
    managed: list[ManagedClass] = field(default_factory=list)
    factory_internal_methods: tuple[str, ...] = ()
    notifier_classes: list[NotifierClass] = field(default_factory=list)
    notifier_params: list[NotifierParam] = field(default_factory=list)
    entry_points: list[EntryPoint] = field(default_factory=list)
    context_classes: tuple[str, ...] = ("UserExecutionContext",)

    def notifier_entry(self, definition: Definition) -> NotifierClass | None:
        for entry in self.notifier_classes:
            if entry.matches(definition):
                return entry
        return None

    def is_notifier_param(self, name: str) -> bool:
        return any(p.name == name for p in self.notifier_params)

    def managed_entry(self, definition: Definition) -> ManagedClass | None:
        for entry in self.managed:
            if entry.matches(definition):
                return entry
        return None

    def construction_allowed(self, entry: ManagedClass, module: str, definition: Definition) -> bool:
        """Construction is allowed in the class's own module and the entry's module globs."""
        if module == definition.module:
            return True
        return any(fnmatch.fnmatchcase(module, glob) for glob in entry.allowed_in)


def build_contract(config: Config) -> Contract:
    c = config.contract
    source = config.source
    managed = [ManagedClass(name, tuple(c.allow_construction_in), "config", source) for name in c.managed]
    return Contract(
        managed=managed,
        factory_internal_methods=tuple(c.factory_internal_methods),
        notifier_classes=[NotifierClass(n, (), "config", source) for n in c.notifier_classes],
        notifier_params=[NotifierParam(n, "config", source) for n in c.notifier_params],
        entry_points=[EntryPoint("ExecutionEngineFactory", "create_for_user", None, "config", source)],
    )
