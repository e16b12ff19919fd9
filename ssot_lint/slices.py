"""Name slices: what a lookup reads of another module's facts, recorded by top-level name.

A file that does ``from app.core import Hub`` and awaits ``Hub.start`` depends on what
``app.core`` says about ``Hub``, not on the rest of the module. The index hands out
``FactsView``s: each read of a definition, a scope or a module-level binding records
the dependency ``<module>#<name>`` on the slice of that top-level name (``Hub`` for
``Hub``, ``Hub.start`` and the scope of ``Hub.start``); reading the module's header (its
path, ``__all__``, star imports, syntax error; or that it exists) records
``<module>#``. Anything else (iterating the definitions, the prefilter's words, the call
sites) records the whole module, as before.

A slice dependency is fingerprinted as its module is (path and content hash), so
recording costs nothing more. When the module's content changed, the dependency still
holds if the slice is the same in the facts of the old and of the new content
(``Project.holds``): appending a function to a module that 2,000 others import
re-lints none of them, unless one reads the new name.

``slice_digests`` is the one place that says what a slice contains; ``FactsView`` is the
one place that says which slice a read touches. They must agree: a read that sees data
outside the slice it records would make a warm run stale (``tests/test_slices.py`` checks
every field of the facts against both).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from .codec import dumps
from .facts import ModuleFacts, Scope

SLICE = "#"  # <module>#<top-level name>; <module># is the header
HEADER = ""
# The header: what a module is (and whether it is one), not what it defines.
HEADER_FIELDS = ("module", "path", "is_package", "all_names", "syntax_error", "syntax_error_at")


def slice_dep(module: str, key: str) -> str:
    return f"{module}{SLICE}{key}"


def is_slice_dep(dep: str) -> bool:
    return not dep.startswith("@") and SLICE in dep


def dep_module(dep: str) -> str:
    """The module a module or slice dependency is about (``app.core#Hub`` -> ``app.core``)."""
    return dep.partition(SLICE)[0]


def top(qualname: str) -> str:
    """The slice a qualname belongs to: its first component."""
    return qualname.partition(".")[0]


class _Sliced:
    """A read-only mapping of one module's facts (definitions, scopes, or module-level
    bindings) that records, for each key read, the slice it belongs to; iterating
    records the whole module."""

    __slots__ = ("_data", "_touch", "_module", "_deps", "_slice_of")

    def __init__(
        self, data: dict[str, Any], touch: Callable[[str], None], module: str, slice_of: Callable[[str], str]
    ) -> None:
        self._data = data
        self._touch = touch
        self._module = module
        self._deps: dict[str, str] = {}
        self._slice_of = slice_of

    def _dep(self, key: str) -> str:
        found = self._deps.get(key)
        if found is None:
            found = self._deps[key] = slice_dep(self._module, self._slice_of(key))
        return found

    def get(self, key: str, default: Any = None) -> Any:
        self._touch(self._dep(key))
        return self._data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._touch(self._dep(key))
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        self._touch(self._dep(key))
        return key in self._data

    def _all(self) -> dict[str, Any]:
        self._touch(self._module)
        return self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __bool__(self) -> bool:
        return bool(self._all())

    def keys(self) -> Any:
        return self._all().keys()

    def values(self) -> Any:
        return self._all().values()

    def items(self) -> Any:
        return self._all().items()


def _same(name: str) -> str:
    return name


class ModuleScopeView:
    """The module scope of a ``FactsView``: its bindings by name (each the slice of that
    name), its star imports (the header)."""

    __slots__ = ("_scope", "_touch", "_header", "bindings")

    def __init__(self, scope: Scope, touch: Callable[[str], None], module: str) -> None:
        self._scope = scope
        self._touch = touch
        self._header = slice_dep(module, HEADER)
        self.bindings = _Sliced(scope.bindings, touch, module, _same)

    kind = "module"
    qualname = ""

    @property
    def star_imports(self) -> list[str]:
        self._touch(self._header)
        return self._scope.star_imports


class _Scopes(_Sliced):
    """Scopes by qualname: the module scope ("") as a ``ModuleScopeView``."""

    __slots__ = ("module_scope",)

    def __init__(self, facts: ModuleFacts, touch: Callable[[str], None]) -> None:
        super().__init__(facts.scopes, touch, facts.module, top)
        scope = facts.scopes.get(HEADER)
        self.module_scope = ModuleScopeView(scope, touch, facts.module) if scope is not None else None

    def get(self, key: str, default: Any = None) -> Any:
        if key == HEADER and self.module_scope is not None:
            return self.module_scope
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        if key == HEADER and self.module_scope is not None:
            return self.module_scope
        return super().__getitem__(key)


class FactsView:
    """Another module's ``ModuleFacts`` as the index hands them out: reads are recorded
    by slice (see the module docstring). Reads of any field not sliced record the whole
    module."""

    __slots__ = ("_facts", "_touch", "_header", "defs", "scopes")

    def __init__(self, facts: ModuleFacts, touch: Callable[[str], None]) -> None:
        self._facts = facts
        self._touch = touch
        self._header = slice_dep(facts.module, HEADER)
        self.defs = _Sliced(facts.defs, touch, facts.module, top)
        self.scopes = _Scopes(facts, touch)

    @property
    def header(self) -> str:
        return self._header

    @property
    def module_scope(self) -> Any:
        found = self.scopes.module_scope
        if found is None:
            raise KeyError(HEADER)
        return found

    def __getattr__(self, name: str) -> Any:
        facts = object.__getattribute__(self, "_facts")
        touch = object.__getattribute__(self, "_touch")
        touch(object.__getattribute__(self, "_header") if name in HEADER_FIELDS else facts.module)
        return getattr(facts, name)


def slice_digests(facts: ModuleFacts) -> dict[str, str]:
    """The digest of every slice of ``facts``: the header (``""``), and each top-level
    name's module-level bindings, definitions and scopes. A name with no slice is absent
    (``slice_digest`` gives it the digest of nothing)."""
    parts: dict[str, list[Any]] = {HEADER: [[getattr(facts, f) for f in HEADER_FIELDS]]}
    module_scope = facts.scopes.get(HEADER)
    if module_scope is not None:
        parts[HEADER].append(module_scope.star_imports)
        for name, bindings in module_scope.bindings.items():
            parts.setdefault(name, []).append(["b", bindings])
    for qual, info in facts.defs.items():
        parts.setdefault(top(qual), []).append(["d", qual, info])
    for qual, scope in facts.scopes.items():
        if qual != HEADER:
            parts.setdefault(top(qual), []).append(["s", qual, scope])
    return {key: _digest(value) for key, value in parts.items()}


_NOTHING = ""


def slice_digest(digests: dict[str, str], key: str) -> str:
    return digests.get(key, _NOTHING)


def _digest(value: Any) -> str:
    return hashlib.blake2b(dumps(value), digest_size=16).hexdigest()
