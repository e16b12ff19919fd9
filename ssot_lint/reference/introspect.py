"""Walk live object graphs to find mutable state shared between two objects.

Used by the isolation tests (and meant for a run-time probe): two users'
engines must share nothing mutable except explicitly shared infrastructure
such as the transport. The walk follows ``gc.get_referents`` and stops at
modules, classes, functions, code objects, event loops, enum members and
immutable atoms, plus whatever the caller passes as ``stop``.
"""

from __future__ import annotations

import asyncio
import enum
import gc
import types
from collections.abc import Iterable

#: Values that can never carry shared mutable state; never walked, never reported.
_ATOMS: tuple[type, ...] = (
    type(None),
    bool,
    int,
    float,
    complex,
    str,
    bytes,
    range,
    type(Ellipsis),
    type(NotImplemented),
)

#: Shared program structure and infrastructure: not walked into, never reported.
_BOUNDARIES: tuple[type, ...] = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.MethodWrapperType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    enum.Enum,
    asyncio.AbstractEventLoop,
)

#: Immutable containers: walked through (their items may be mutable), never reported.
_IMMUTABLE_CONTAINERS: tuple[type, ...] = (tuple, frozenset, types.MappingProxyType, types.MethodType)


def reachable_objects(root: object, stop: Iterable[object] = ()) -> dict[int, object]:
    """Every object reachable from ``root``, by id, without entering boundaries or ``stop``.

    The returned dict keeps the objects alive, so the ids stay meaningful
    while the caller holds it.
    """
    stop_ids = {id(obj) for obj in stop}
    seen: dict[int, object] = {}
    pending = [root]
    while pending:
        obj = pending.pop()
        key = id(obj)
        if key in seen or key in stop_ids or isinstance(obj, _ATOMS + _BOUNDARIES):
            continue
        seen[key] = obj
        pending.extend(gc.get_referents(obj))
    return seen


def shared_mutable_objects(a: object, b: object, stop: Iterable[object] = ()) -> list[object]:
    """Mutable objects reachable from both ``a`` and ``b`` (empty means isolated)."""
    stop = tuple(stop)
    from_a = reachable_objects(a, stop)
    from_b = reachable_objects(b, stop)
    return [from_a[key] for key in from_a.keys() & from_b.keys() if not isinstance(from_a[key], _IMMUTABLE_CONTAINERS)]
