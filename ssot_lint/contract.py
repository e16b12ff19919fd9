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


@dataclass
class Contract:
    managed: list[ManagedClass] = field(default_factory=list)
    factory_internal_methods: tuple[str, ...] = ()

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
    return Contract(managed=managed, factory_internal_methods=tuple(c.factory_internal_methods))
