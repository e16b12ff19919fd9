"""Walk live object graphs to find mutable state shared between two objects.

Used by the isolation tests and by ``ssot-lint probe``: two users'
engines must share nothing mutable except explicitly shared infrastructure
such as the transport. The walk follows ``gc.get_referents`` and stops at
modules, classes, functions, code objects, event loops, enum members and
immutable atoms, plus whatever the caller passes as ``stop``; on request it
also follows class attributes (a registry kept on the class is shared by every
instance) and records parents so a path to a shared object can be shown.
"""

from __future__ import annotations

import asyncio
import enum
import gc
import types
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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
    weakref.ReferenceType,  # weakref.ref(x) is cached per referent, yet holds nothing itself
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


#: Class attributes that frameworks keep per class, not per program state: never walked.
_CLASS_BOOKKEEPING = frozenset(
    {"_abc_impl", "_fields", "_field_defaults", "model_fields", "model_config", "model_computed_fields"}
)


def class_state(obj: object) -> list[tuple[str, object]]:
    """``(Class.attr, value)`` for the data class attributes that instances of ``type(obj)`` share.

    Only heap classes (those defined in Python) are looked at; dunders, descriptors
    (methods, properties, slots) and framework bookkeeping are left out. A registry
    kept as a class attribute is shared by every instance, so the walkers follow
    these when asked to (``class_attributes=True``).
    """
    cls = type(obj)
    if isinstance(obj, type) or not cls.__flags__ & _HEAPTYPE:
        return []
    found: list[tuple[str, object]] = []
    for klass in cls.__mro__[:-1]:
        if not klass.__flags__ & _HEAPTYPE:
            continue
        for name, value in vars(klass).items():
            if name.startswith("__") or name in _CLASS_BOOKKEEPING or hasattr(type(value), "__get__"):
                continue
            if isinstance(value, _ATOMS + _BOUNDARIES):
                continue
            found.append((f"{klass.__qualname__.rpartition('<locals>.')[2]}.{name}", value))
    return found


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE


def reachable_objects(
    root: object,
    stop: Iterable[object] = (),
    *,
    stop_types: tuple[type, ...] = (),
    class_attributes: bool = False,
    parents: dict[int, int | None] | None = None,
) -> dict[int, object]:
    """Every object reachable from ``root``, by id, without entering boundaries or ``stop``.

    ``stop_types`` stops at instances of those types (shared infrastructure such as
    loggers); ``class_attributes`` also follows the data class attributes of each
    object's class (see :func:`class_state`); ``parents``, when given, is filled with
    the id of the object each one was first reached from (None for ``root``), so
    :func:`describe_path` can name the way there. The returned dict keeps the objects
    alive, so the ids stay meaningful while the caller holds it.
    """
    seen: dict[int, object] = {}
    _walk(root, {id(obj) for obj in stop}, _ATOMS + _BOUNDARIES + tuple(stop_types), class_attributes, seen, parents)
    return seen


@dataclass
class SharedObjects:
    """Walks many roots once each and records which mutable objects two owners reach.

    Call :meth:`walk` for each root with the index of its owner (several roots may
    share an owner). ``owner`` maps every object id to the first owner that reached
    it; ``hits`` lists ``(object id, first owner, later owner)`` for each mutable
    object a later owner reached that an earlier one already had (the walk does not
    enter it again, so only the top-most object of a shared subgraph is listed).
    """

    stop: Iterable[object] = ()
    stop_types: tuple[type, ...] = ()
    class_attributes: bool = False
    objects: dict[int, object] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)
    owner: dict[int, int] = field(default_factory=dict)
    hits: list[tuple[int, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop_ids = {id(obj) for obj in self.stop}
        self._skip = _ATOMS + _BOUNDARIES + tuple(self.stop_types)

    def walk(self, root: object, owner: int) -> None:
        """Add everything reachable from ``root`` as ``owner``'s."""
        _walk(root, self._stop_ids, self._skip, self.class_attributes, self.objects, self.parents, self, owner)


def shared_between_roots(
    roots: Sequence[object],
    stop: Iterable[object] = (),
    *,
    stop_types: tuple[type, ...] = (),
    class_attributes: bool = False,
) -> SharedObjects:
    """Walk every root once (root ``i`` owned by ``i``) and list what two or more reach.

    One pass over the union of the graphs (each object is entered once), so it
    scales to thousands of roots, unlike comparing every pair.
    """
    result = SharedObjects(tuple(stop), tuple(stop_types), class_attributes)
    for index, root in enumerate(roots):
        result.walk(root, index)
    return result


def _walk(
    root: object,
    stop_ids: set[int],
    skip: tuple[type, ...],
    class_attributes: bool,
    seen: dict[int, object],
    parents: dict[int, int | None] | None,
    shared: SharedObjects | None = None,
    index: int = 0,
) -> None:
    """The one graph walk: depth-first over ``gc.get_referents`` (plus class state)."""
    pending: list[tuple[object, int | None]] = [(root, None)]
    revisited: set[int] = set()  # immutable containers re-entered by this root
    while pending:
        obj, parent = pending.pop()
        key = id(obj)
        if key in stop_ids or isinstance(obj, skip):
            continue
        if key in seen:
            if shared is None or key in revisited:
                continue
            first = shared.owner[key]
            if first == index:
                continue
            if isinstance(obj, _IMMUTABLE_CONTAINERS):
                revisited.add(key)  # shared tuples are fine; what they hold may not be
                pending.extend((child, key) for child in gc.get_referents(obj))
            else:
                revisited.add(key)
                shared.hits.append((key, first, index))
            continue
        seen[key] = obj
        if parents is not None:
            parents[key] = parent
        if shared is not None:
            shared.owner[key] = index
        pending.extend((child, key) for child in gc.get_referents(obj))
        if class_attributes:
            pending.extend((value, key) for _, value in class_state(obj))


def is_mutable(obj: object) -> bool:
    """False for the immutable containers the walk passes through (tuples, frozensets, ...)."""
    return not isinstance(obj, _IMMUTABLE_CONTAINERS)


def shared_mutable_objects(a: object, b: object, stop: Iterable[object] = ()) -> list[object]:
    """Mutable objects reachable from both ``a`` and ``b`` (empty means isolated)."""
    stop = tuple(stop)
    from_a = reachable_objects(a, stop)
    from_b = reachable_objects(b, stop)
    return [from_a[key] for key in from_a.keys() & from_b.keys() if is_mutable(from_a[key])]


def describe_path(root_name: str, target: int, parents: dict[int, int | None], objects: dict[int, object]) -> str:
    """How ``target`` (an id) is reached from the root, as ``engine._registry._runs``.

    ``parents`` and ``objects`` come from one :func:`reachable_objects` call with
    ``parents``; steps that are not an attribute, item or class attribute are shown
    as ``.<TypeName>``.
    """
    chain: list[int] = []
    key: int | None = target
    while key is not None:
        chain.append(key)
        key = parents.get(key)
    chain.reverse()
    text = root_name
    objs = [objects[key] for key in chain]
    for i in range(1, len(objs)):
        try:
            text += _step(objs[i - 2] if i >= 2 else None, objs[i - 1], objs[i])
        except Exception:
            text += f".<{type(objs[i]).__name__}>"
    return text


def _step(grandparent: object, parent: object, child: object) -> str:
    """One edge of a path, named as Python code would reach it."""
    if getattr(parent, "__dict__", None) is child:
        return ""  # an instance's attribute dict: the next step names the attribute
    if isinstance(parent, dict):
        as_attributes = grandparent is not None and getattr(grandparent, "__dict__", None) is parent
        for key, value in parent.items():
            if value is child:
                return f".{key}" if as_attributes and isinstance(key, str) else f"[{key!r}]"
        return "{key}"
    if isinstance(parent, (list, tuple)):
        for index, value in enumerate(parent):
            if value is child:
                return f"[{index}]"
    attributes = getattr(parent, "__dict__", None)
    if isinstance(attributes, dict):  # values may be reached without the dict (inline values)
        for name, value in attributes.items():
            if value is child:
                return f".{name}"
    for klass in type(parent).__mro__:
        slots = vars(klass).get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if getattr(parent, name, None) is child:
                return f".{name}"
    for qualname, value in class_state(parent):
        if value is child:
            return f".{qualname.rsplit('.', 1)[1]} (class attribute {qualname})"
    if isinstance(parent, (set, frozenset)):
        return "{item}"
    return f".<{type(child).__name__}>"
