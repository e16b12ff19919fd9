"""Cache values as plain data: written as JSON, read back against the declared types.

The cache lives in the project's folder, where anyone who can commit can plant a
file. So loading a cache entry must build nothing but data: ``json.loads`` gives
only dicts, lists, strings, numbers, booleans and None, and the decoder then
rebuilds the dataclasses *we* name (``ModuleFacts``, ``Diagnostic``, ``Contract``,
...) from the type annotations of their fields, checking every value on the way.
Anything that does not have the declared shape raises ``CodecError``, and the
caller treats the entry as missing. No class is looked up by a name found in the
data; nothing is imported or executed.

A dataclass is written as the list of its field values in field order; tuples and
lists as lists; sets and frozensets as lists (sorted, so the same value writes the
same bytes); a dict with ``str`` keys as a JSON object, any other dict as a list of
``[key, value]`` pairs. Encoder and decoder are derived once per type from the
field annotations (the decoder as generated code, one check per field, as
``dataclasses`` builds ``__init__``), so a new field in a facts or contract
dataclass needs no change here; the cache keys (``facts_schema``,
``tool_fingerprint``) already drop the entries of an older shape.

Why JSON: ``benchmarks/cache_formats.py`` measures it against pickle, marshal and
SQLite on real facts and a real manifest; the figures are in ``cache.py``.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

Decoder = Callable[[Any], Any]
_PRIMS = (str, int, bool)


class CodecError(ValueError):
    """A value does not have the declared shape (a damaged, foreign or hostile entry)."""


def _fail(expected: str, value: Any) -> typing.NoReturn:
    raise CodecError(f"expected {expected}, got {type(value).__name__}")


def _hints(cls: type) -> list[tuple[str, Any]]:
    fields = dataclasses.fields(cls)
    if any(not f.init or f.kw_only for f in fields):
        raise TypeError(f"{cls.__name__}: every field must be a positional __init__ argument")
    module = sys.modules.get(cls.__module__)
    hints = typing.get_type_hints(cls, vars(module) if module else None)
    return [(f.name, hints[f.name]) for f in fields]


def _optional(tp: Any) -> tuple[bool, Any]:
    """(True, X) for ``X | None``, else (False, tp)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return True, rest[0]
    return False, tp


# --- encoding -----------------------------------------------------------------------------
# ``json.dumps`` writes str/int/bool/None, tuples, lists and str-keyed dicts itself; it
# hands everything else to ``_default``: our dataclasses (as the tuple of their fields)
# and sets. Only a dict with non-str keys needs converting before, found from the types.

_CLASS_ENCODERS: dict[type, Callable[[Any], Any]] = {}


def _needs_convert(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is dict:
        return args[0] is not str or _needs_convert(args[1])
    return any(_needs_convert(a) for a in args if a is not Ellipsis)


def _converter(tp: Any) -> Callable[[Any], Any]:
    """Converts the non-str-keyed dicts inside a value of type ``tp`` (see ``_needs_convert``)."""
    if not _needs_convert(tp):
        return lambda x: x
    optional, inner = _optional(tp)
    if optional:
        conv = _converter(inner)
        return lambda x: None if x is None else conv(x)
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if origin is dict:
        kc, vc = _converter(args[0]), _converter(args[1])
        if args[0] is str:
            return lambda d: {k: vc(v) for k, v in d.items()}
        return lambda d: [[kc(k), vc(v)] for k, v in d.items()]
    if origin in (tuple, list, set, frozenset) and (len(args) == 1 or args[-1] is Ellipsis):
        ic = _converter(args[0])
        return lambda s: [ic(v) for v in s]
    if origin is tuple:
        convs = [_converter(a) for a in args]
        return lambda t: [c(v) for c, v in zip(convs, t)]
    raise TypeError(f"no cache encoder for {tp!r}")


def _defaults(cls: type) -> list[Any]:
    """The default of each field (``_NO_DEFAULT`` where there is none)."""
    out = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out.append(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            out.append(f.default_factory())
        else:
            out.append(_NO_DEFAULT)
    return out


_NO_DEFAULT = object()


def _trimmable(default: Any) -> bool:
    """A default that survives the trip (None, False, 0, "", an empty container): a trailing
    field equal to it is left out of what is written."""
    return default is None or (type(default) in (bool, int, str, tuple, list, dict, frozenset) and not default)


def _sorted_items(values: Any) -> list:
    """A set as written: sorted, so the same value writes the same bytes."""
    try:
        return sorted(values)
    except TypeError:  # mixed types: any order decodes to the same set
        return list(values)


def _class_encoder(cls: type) -> Callable[[Any], Any]:
    """The field values of an instance, without the trailing ones equal to their default
    (most facts leave most fields at their default: about half the size, and less to check
    when reading)."""
    fields = _hints(cls)
    get: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*[name for name, _ in fields])
    if len(fields) == 1:
        one = get
        get = lambda obj: (one(obj),)  # noqa: E731
    convs = [(i, _converter(tp)) for i, (_, tp) in enumerate(fields) if _needs_convert(tp)]
    defaults = _defaults(cls)
    trimmable = 0
    for d in reversed(defaults):
        if not _trimmable(d):
            break
        trimmable += 1
    keep = len(fields) - trimmable
    tail = defaults[keep:]
    n = len(fields)

    def enc(obj: Any) -> list:
        values = list(get(obj))
        for i, conv in convs:
            values[i] = conv(values[i])
        end = n
        while (
            end > keep
            and values[end - 1] == tail[end - 1 - keep]
            and type(values[end - 1]) is type(tail[end - 1 - keep])
        ):
            end -= 1
        if end < n:
            del values[end:]
        return values

    return enc


def _default(obj: Any) -> Any:
    t = type(obj)
    enc = _CLASS_ENCODERS.get(t)
    if enc is not None:
        return enc(obj)
    if t is frozenset or t is set:
        return _sorted_items(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        enc = _CLASS_ENCODERS[t] = _class_encoder(t)
        return enc(obj)
    raise TypeError(f"cannot encode a {t.__name__}")


# --- plain data by declared type -----------------------------------------------------------
# ``_default`` is a call back from the C encoder into Python for each dataclass instance: two
# calls and a dictionary lookup per object, for the hundreds of objects of a module's facts.
# A value whose type is known is converted first, by code generated per dataclass (one call
# per instance, its fields read in place, the trailing defaults dropped by unrolled tests),
# and the C encoder then writes lists, dicts and strings only. The bytes are the same.

_PLAIN: dict[Any, Callable[[Any], Any] | None] = {}


def _plain(tp: Any) -> Callable[[Any], Any] | None:
    """The converter of values of declared type ``tp`` to what ``_default`` would make of
    them (None: written as they are)."""
    if tp in _PLAIN:
        return _PLAIN[tp]
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        box: list[Callable[[Any], Any]] = []
        _PLAIN[tp] = lambda x: box[0](x)  # registered first: a dataclass may contain itself
        try:
            box.append(_plain_class(tp))
        except BaseException:
            del _PLAIN[tp]
            raise
        found: Callable[[Any], Any] | None = box[0]
    else:
        found = _plain_type(tp)
    _PLAIN[tp] = found
    return found


def _plain_type(tp: Any) -> Callable[[Any], Any] | None:
    optional, inner = _optional(tp)
    if optional:
        conv = _plain(inner)
        return None if conv is None else (lambda x: None if x is None else conv(x))
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if origin in (set, frozenset):
        each = _plain(args[0])
        if each is None:
            return _sorted_items
        return lambda s: [each(v) for v in _sorted_items(s)]
    if origin in (tuple, list) and (origin is list or (len(args) == 2 and args[1] is Ellipsis)):
        item = _plain(args[0])
        return None if item is None else (lambda s: [item(v) for v in s])
    if origin is tuple:
        convs = [_plain(a) for a in args]
        if all(c is None for c in convs):
            return None
        return lambda t: [v if c is None else c(v) for c, v in zip(convs, t)]
    if origin is dict:
        kc, vc = _plain(args[0]), _plain(args[1])
        if args[0] is str:
            return None if vc is None else (lambda d: {k: vc(v) for k, v in d.items()})
        return lambda d: [[k if kc is None else kc(k), v if vc is None else vc(v)] for k, v in d.items()]
    return None  # str, int, bool, None, Any: written as they are (``_default`` for the rest)


def _is_default_test(var: str, default: Any) -> str:
    """Generated test: local ``var`` holds exactly ``default`` (a trimmable one)."""
    if default is None or type(default) is bool:
        return f"{var} is {default!r}"
    return f"type({var}) is {type(default).__name__} and not {var}"


def _plain_class(cls: type) -> Callable[[Any], Any]:
    """Generated code: each field read once; the trailing fields equal to their default
    dropped as ``_class_encoder`` drops them (tested on the field as it is, before it is
    converted); the kept fields converted."""
    fields = _hints(cls)
    defaults = _defaults(cls)
    n = len(fields)
    ns: dict[str, Any] = {"cls": cls, "fallback": _default}
    lines = ["def enc(o):", "    if type(o) is not cls: return fallback(o)"]
    kept = []
    for i, (name, tp) in enumerate(fields):
        lines.append(f"    a{i} = o.{name}")
        conv = _plain(tp)
        if conv is None:
            kept.append(f"a{i}")
        else:
            ns[f"C{i}"] = conv
            kept.append(f"C{i}(a{i})")
    keep = n
    while keep > 0:
        # ``_class_encoder`` compares a field converted by ``_converter`` (a dict with other
        # than str keys, as pairs) with its default: never equal.
        if not _trimmable(defaults[keep - 1]) or _needs_convert(fields[keep - 1][1]):
            break
        keep -= 1
    indent = "    "
    for i in range(n - 1, keep - 1, -1):
        lines.append(f"{indent}if {_is_default_test(f'a{i}', defaults[i])}:")
        indent += "    "
    for end in range(keep, n + 1):
        lines.append(f"{'    ' * (1 + n - end)}return [{', '.join(kept[:end])}]")
    exec("\n".join(lines), ns)  # made from our own field names and types, never from data
    return ns["enc"]


def plain(value: Any, tp: Any) -> Any:
    """``value`` with its dataclasses (and sets) converted by its declared type ``tp``;
    ``CodecError`` when it does not have that type."""
    conv = _plain(tp)
    if conv is None:
        return value
    try:
        return conv(value)
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise CodecError(f"cannot encode: {exc}") from None


def dumps(value: Any, tp: Any = None) -> bytes:
    """``value`` as JSON bytes. With ``tp``, its declared type, it is converted first by the
    code generated for that type (``_plain``): for values encoded by the thousand (the facts
    that workers write), as building that code costs a few milliseconds per process. Without
    it, the C encoder calls ``_default`` back for each dataclass (a manifest, written once)."""
    if tp is not None:
        value = plain(value, tp)
    try:
        text = json.dumps(value, default=_default, separators=(",", ":"), check_circular=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CodecError(f"cannot encode: {exc}") from None
    return text.encode("ascii")


def loads(data: bytes, tp: Any) -> Any:
    """Decode ``data`` as a value of type ``tp``; ``CodecError`` for anything else."""
    dec = decoder(tp)
    try:
        return dec(json.loads(data))
    except CodecError:
        raise
    except (ValueError, TypeError, RecursionError) as exc:  # not JSON, too deep, a rejected value
        raise CodecError(f"{type(exc).__name__}: {exc}") from None


def encode(value: Any) -> Any:
    """``value`` as plain data (lists, dicts, str, int, bool, None): what ``dumps`` writes."""
    return json.loads(dumps(value))


# --- decoding -----------------------------------------------------------------------------

_DECODERS: dict[tuple[Any, bool], Decoder] = {}


def decoder(tp: Any, intern: bool = False) -> Decoder:
    """The (cached) decoder of values of type ``tp``. ``intern``: its strings are interned,
    for values kept by the thousand (every module's facts repeat the same names: binding
    kinds, callees, imported modules, and ``json.loads`` makes a new object for each
    occurrence; interned, a module's decoded facts take about half the memory). Not for
    what is read once a run (the manifest, the sections): it would pay for nothing."""
    key = (tp, intern)
    found = _DECODERS.get(key)
    if found is None:
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            # Registered before it is built: a dataclass may contain itself.
            box: list[Decoder] = []
            _DECODERS[key] = lambda x: box[0](x)
            try:
                box.append(_dataclass(tp, intern))
            except BaseException:
                del _DECODERS[key]
                raise
            found = _DECODERS[key] = box[0]
        else:
            found = _DECODERS[key] = _compile(tp, intern)
    return found


def _only(values: list, kinds: set) -> bool:
    """Every item of ``values`` is exactly of one of the types in ``kinds`` (one pass in C)."""
    return set(map(type, values)) <= kinds


def _compile(tp: Any, intern: bool) -> Decoder:
    if tp in _PRIMS:
        return _exact(tp, intern)
    if tp is None or tp is type(None):
        return _none
    optional, inner = _optional(tp)
    if optional:
        dec = decoder(inner, intern)
        return lambda x: None if x is None else dec(x)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return _fixed_tuple(args, intern)
    if origin in (tuple, list, set, frozenset):
        return _sequence(args[0], origin, intern)
    if origin is dict:
        return _dict(args[0], args[1], intern)
    raise TypeError(f"no cache decoder for {tp!r}")  # a programming error, found by the tests


def _exact(cls: type, intern: bool) -> Decoder:
    if cls is str and intern:

        def text(x: Any) -> Any:
            if type(x) is not str:
                _fail("str", x)
            return sys.intern(x)

        return text

    def dec(x: Any) -> Any:
        if type(x) is not cls:
            _fail(cls.__name__, x)
        return x

    return dec


def _none(x: Any) -> None:
    if x is not None:
        _fail("null", x)
    return None


def _sequence(item: Any, kind: type, intern: bool) -> Decoder:
    if item in _PRIMS:
        kinds = {item}
        strings = item is str and intern

        def plain(x: Any) -> Any:
            if type(x) is not list or not _only(x, kinds):
                _fail(f"list of {item.__name__}", x)
            if strings:
                x = list(map(sys.intern, x))
            return x if kind is list else kind(x)

        return plain
    inner = decoder(item, intern)

    def seq(x: Any) -> Any:
        if type(x) is not list:
            _fail("list", x)
        out = [inner(v) for v in x]
        return out if kind is list else kind(out)

    return seq


def _fixed_tuple(args: tuple, intern: bool) -> Decoder:
    """Generated code, as for a dataclass: one check per item, then the tuple."""
    n = len(args)
    ns: dict[str, Any] = {"fail": _fail, "only": _only}
    lines = ["def dec(x):", f"    if type(x) is not list or len(x) != {n}: fail('list of {n}', x)"]
    names = [f"a{i}" for i in range(n)]
    if n:
        lines.append(f"    {', '.join(names)}, = x")
    for var, tp in zip(names, args):
        lines.extend(_field_check(var, tp, ns, f"tuple item of type {tp!r}", "    ", intern))
    lines.append(f"    return ({', '.join(names)}{',' if n == 1 else ''})")
    exec("\n".join(lines), ns)
    return ns["dec"]


def _dict(key: Any, value: Any, intern: bool) -> Decoder:
    kdec, vdec = decoder(key, intern), decoder(value, intern)
    name = sys.intern

    def dct(x: Any) -> dict:
        if type(x) is dict:
            if key is not str and x:  # JSON object keys are strings
                _fail(f"pairs with {key!r} keys", x)
            if value in _PRIMS:
                if not _only(list(x.values()), {value}):
                    _fail(f"object of {value.__name__}", x)
                if not intern:
                    return x
                if value is str:
                    return {name(k): name(v) for k, v in x.items()}
                return {name(k): v for k, v in x.items()}
            if not intern:
                return {k: vdec(v) for k, v in x.items()}
            return {name(k): vdec(v) for k, v in x.items()}
        if type(x) is not list:
            _fail("object or list of pairs", x)
        out = {}
        for p in x:
            if type(p) is not list or len(p) != 2:
                _fail("[key, value]", p)
            out[kdec(p[0])] = vdec(p[1])
        return out

    return dct


def _field_check(var: str, tp: Any, ns: dict, label: str, indent: str, intern: bool) -> list[str]:
    """Lines of generated code that check local ``var`` of declared type ``tp``; the value
    to store is left in ``var`` (converted when it is not a plain JSON value)."""
    optional, inner = _optional(tp)
    guard = f"{var} is not None and " if optional else ""
    unless_none = f"if {var} is not None: " if optional else ""
    origin = typing.get_origin(inner)
    args = typing.get_args(inner)
    if inner in _PRIMS:
        ns[f"T_{var}"] = inner
        lines = [f"{indent}if {guard}type({var}) is not T_{var}: fail({label!r}, {var})"]
        if inner is str and intern:
            ns["intern"] = sys.intern
            lines.append(f"{indent}{unless_none}{var} = intern({var})")
        return lines
    seq = origin in (tuple, list, frozenset, set) and (origin is not tuple or (len(args) == 2 and args[1] is Ellipsis))
    if seq and args[0] in _PRIMS:
        ns[f"K_{var}"] = {args[0]}
        ns[f"C_{var}"] = origin
        lines = [f"{indent}if {guard}(type({var}) is not list or not only({var}, K_{var})): fail({label!r}, {var})"]
        if args[0] is str and intern:
            ns["intern"] = sys.intern
            ns["L_"] = list
            lines.append(f"{indent}{unless_none}{var} = L_(map(intern, {var}))")
        if origin is not list:
            lines.append(f"{indent}{unless_none}{var} = C_{var}({var})")
        return lines
    ns[f"D_{var}"] = decoder(tp, intern)
    return [f"{indent}{var} = D_{var}({var})"]


def _dataclass(cls: type, intern: bool) -> Decoder:
    """Generated code: check the length, then each field in place, then call the class
    (trailing fields left out by the encoder take their defaults)."""
    fields = _hints(cls)
    n = len(fields)
    required = sum(1 for d in _defaults(cls) if d is _NO_DEFAULT)
    ns: dict[str, Any] = {"cls": cls, "fail": _fail, "only": _only}
    lines = [
        "def dec(x):",
        "    if type(x) is not list: fail('list', x)",
        "    n = len(x)",
        f"    if n < {required} or n > {n}: fail({cls.__name__ + ' fields'!r}, x)",
    ]
    for i, (name, tp) in enumerate(fields):
        indent = "    " if i < required else "        "
        if i >= required:
            lines.append(f"    if n > {i}:")
        var = f"a{i}"
        lines.append(f"{indent}{var} = x[{i}]")
        checks = _field_check(var, tp, ns, f"{cls.__name__}.{name}", indent, intern)
        lines.extend(checks)
        if any(f"{var} = " in line for line in checks):
            lines.append(f"{indent}x[{i}] = {var}")
    lines.append("    return cls(*x)")
    # The source is made from our own field names and types, never from the data.
    exec("\n".join(lines), ns)
    return ns["dec"]
