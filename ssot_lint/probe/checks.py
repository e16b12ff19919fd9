"""The isolation checks, each turning what the probe observed into a :class:`CheckResult`."""

from __future__ import annotations

import collections
import collections.abc
import gc
import re
import sys
import weakref
from collections.abc import Callable
from typing import Any

from ssot_lint.config import ProbeConfig
from ssot_lint.probe.adapter import NOTIFIER_METHODS, Delivery, FactoryAdapter, describe_error
from ssot_lint.probe.result import CheckResult, Failure, capped, plural, type_name
from ssot_lint.reference.introspect import SharedObjects, describe_path, is_mutable, reachable_objects


def containers(
    root: object, stop: list[object], stop_types: tuple[type, ...]
) -> tuple[dict[int, tuple[int, object]], dict[int, int | None], dict[int, object]]:
    """Mutable containers reachable from ``root`` (not instance ``__dict__``s): id -> (len, container)."""
    parents: dict[int, int | None] = {}
    objects = reachable_objects(root, stop, stop_types=stop_types, class_attributes=True, parents=parents)
    attribute_dicts = set()
    for obj in objects.values():
        try:
            attribute_dicts.add(id(object.__getattribute__(obj, "__dict__")))
        except (AttributeError, TypeError):
            pass
    found: dict[int, tuple[int, object]] = {}
    container_types = (
        dict,
        list,
        set,
        collections.deque,
        collections.abc.MutableMapping,
        collections.abc.MutableSet,
        collections.abc.MutableSequence,
    )
    for key, obj in objects.items():
        if key in attribute_dicts or not isinstance(obj, container_types):
            continue
        try:
            found[key] = (len(obj), obj)
        except Exception:
            continue
    return found, parents, objects


def check_distinct(users: list[str], engines: list[Any], seconds: list[Any], config: ProbeConfig) -> CheckResult:
    failures = []
    owners: dict[int, list[int]] = {}
    kept: dict[int, Any] = {}
    for pool in (engines, seconds):
        for i, engine in enumerate(pool):
            if engine is not None:
                owners.setdefault(id(engine), [])
                if i not in owners[id(engine)]:
                    owners[id(engine)].append(i)
                kept[id(engine)] = engine
    for key, idx in owners.items():
        if len(idx) > 1:
            first = users[idx[0]]
            failures.append(
                Failure(
                    "distinct-engines",
                    f"{len(idx)} users got the same {type_name(kept[key])} object from {config.create}()",
                    users=capped(users[i] for i in idx),
                    pairs=capped((first, users[i]) for i in idx[1:]),
                    types=[type_name(kept[key])],
                    count=len(idx),
                )
            )
    twice = [i for i in range(len(users)) if engines[i] is not None and seconds[i] is engines[i]]
    if twice:
        t = type_name(engines[twice[0]])
        failures.append(
            Failure(
                "distinct-engines",
                f"creating for the same user twice returned the same {t} object for {plural(len(twice), 'user')}",
                users=capped(users[i] for i in twice),
                pairs=capped((users[i], users[i]) for i in twice),
                types=[t],
                count=len(twice),
            )
        )
    made = sum(e is not None for e in engines) + sum(e is not None for e in seconds)
    return CheckResult(
        "distinct-engines",
        "fail" if failures else "pass",
        f"{plural(len(owners), 'distinct engine')} from {plural(made, 'create')}",
        failures,
    )


def check_notifiers(
    users: list[str], engines: list[Any], notifiers: list[Any], adapter: FactoryAdapter, config: ProbeConfig
) -> CheckResult:
    missing: dict[str, list[int]] = {}
    none: dict[str, list[int]] = {}
    mute: dict[str, list[int]] = {}
    raising: dict[str, list[int]] = {}
    for i, engine in enumerate(engines):
        if engine is None:
            continue
        try:
            found, notifier = adapter.notifier_of(engine)
        except Exception as exc:
            exc.__traceback__ = None
            raising.setdefault(describe_error(exc), []).append(i)
            continue
        if not found:
            missing.setdefault(type_name(engine), []).append(i)
        elif notifier is None:
            none.setdefault(type_name(engine), []).append(i)
        elif not any(callable(getattr(notifier, m, None)) for m in NOTIFIER_METHODS):
            mute.setdefault(type_name(notifier), []).append(i)
        else:
            notifiers[i] = notifier
    attr = config.notifier_attribute
    hint = "name it with tool.ssot-lint.probe.notifier-attribute"
    kinds: list[tuple[dict[str, list[int]], Callable[[int, str], str]]] = [
        (none, lambda k, t: f"{plural(k, 'engine')} ({t}) without a notifier: engine.{attr} is None"),
        (missing, lambda k, t: f"{plural(k, 'engine')} ({t}) without an attribute '{attr}' ({hint})"),
        (mute, lambda k, t: f"{plural(k, 'notifier')} ({t}) with none of the methods {', '.join(NOTIFIER_METHODS)}"),
        (raising, lambda k, t: f"reading engine.{attr} raised {t} for {plural(k, 'engine')}"),
    ]
    failures = [
        Failure(
            "notifier",
            message(len(idx), t),
            users=capped(users[i] for i in idx),
            types=[t.split(":", 1)[0]],
            count=len(idx),
        )
        for groups, message in kinds
        for t, idx in groups.items()
    ]
    ok = sum(n is not None for n in notifiers)
    return CheckResult("notifier", "fail" if failures else "pass", f"{plural(ok, 'engine')} with a notifier", failures)


def check_events(
    users: list[str],
    secrets: list[str],
    connection_of: dict[str, int],
    deliveries: list[Delivery],
    emitted: list[int],
    hook: str,
) -> CheckResult:
    owner_of = {s: i for i, s in enumerate(secrets)}
    user_index = {u: i for i, u in enumerate(users)}
    own = [0] * len(users)
    foreign: dict[int, collections.Counter[int]] = {}
    foreign_types: dict[int, set[str]] = {}
    stamped: dict[int, collections.Counter[int]] = {}
    unknown: dict[str, collections.Counter[int]] = {}
    for d in deliveries:
        owners = {owner_of[s] for s in d.secrets if s in owner_of}
        receiver = _receiver(d.connection_id, connection_of, len(users))
        if receiver is None:
            if owners:
                unknown.setdefault(d.connection_id, collections.Counter()).update(owners)
            continue
        if receiver in owners:
            own[receiver] += 1
        for sender in owners - {receiver}:
            foreign.setdefault(receiver, collections.Counter())[sender] += 1
            foreign_types.setdefault(receiver, set()).add(str(d.event_type) if d.event_type is not None else "event")
        named = user_index.get(d.user_id) if isinstance(d.user_id, str) else None
        if named is not None and named != receiver:
            stamped.setdefault(receiver, collections.Counter())[named] += 1
    failures = [
        _received(users, r, senders, "carrying the secrets of other users", sorted(foreign_types[r]))
        for r, senders in sorted(foreign.items())
    ]
    failures += [
        _received(users, r, named, "stamped with another user's user_id", []) for r, named in sorted(stamped.items())
    ]
    for connection, by_owner in sorted(unknown.items()):
        total = sum(by_owner.values())
        failures.append(
            Failure(
                "events",
                f"{total} events carrying the secrets of {len(by_owner)} users went to connection "
                f"{connection!r}, which belongs to no probe user",
                users=capped(users[s] for s in sorted(by_owner)),
                count=total,
            )
        )
    lost = [i for i in range(len(users)) if own[i] < emitted[i]]
    if lost:
        first = lost[0]
        failures.append(
            Failure(
                "events",
                f"{plural(len(lost), 'user')} did not receive all their own events (e.g. {users[first]} received "
                f"{own[first]} of the {emitted[first]} its agents emitted)",
                users=capped(users[i] for i in lost),
                count=len(lost),
            )
        )
    summary = f"{len(deliveries)} events delivered through {hook}; {sum(emitted)} emitted by probe agents"
    if not failures and not sum(emitted):
        return CheckResult("events", "skip", f"nothing to check: no probe agent could emit ({summary})")
    return CheckResult("events", "fail" if failures else "pass", summary, failures)


_NAMED_USER = re.compile(r"probe-(?:user|ws)-(\d+)")


def _receiver(connection_id: str, connection_of: dict[str, int], users: int) -> int | None:
    """The user a connection belongs to: its id, or a connection id naming one probe user (``ws:probe-user-07``)."""
    receiver = connection_of.get(connection_id)
    if receiver is None:
        named = {int(m) for m in _NAMED_USER.findall(connection_id)}
        if len(named) == 1 and min(named) < users:
            receiver = connection_of[connection_id] = named.pop()
    return receiver


def _received(
    users: list[str], receiver: int, senders: collections.Counter[int], what: str, types: list[str]
) -> Failure:
    """``receiver`` got events belonging to ``senders`` (user index -> event count)."""
    total = sum(senders.values())
    return Failure(
        "events",
        f"{users[receiver]} received {plural(total, 'event')} {what} "
        f"({plural(len(senders), 'user')}, first: {users[min(senders)]})",
        users=capped([users[receiver], *(users[s] for s in sorted(senders))]),
        pairs=capped((users[s], users[receiver]) for s in sorted(senders)),
        types=types,
        count=total,
    )


def check_shared(
    users: list[str], engines: list[Any], notifiers: list[Any], stop: list[object], stop_types: tuple[type, ...]
) -> CheckResult:
    walk = SharedObjects(stop, stop_types, class_attributes=True)
    roots: dict[int, str] = {}
    for i, engine in enumerate(engines):
        if engine is not None:
            roots.setdefault(id(engine), "engine")
            walk.walk(engine, i)
    for i, notifier in enumerate(notifiers):
        if notifier is not None and id(notifier) not in walk.objects:
            roots.setdefault(id(notifier), "notifier")
            walk.walk(notifier, i)
    groups: dict[int, list[int]] = {}
    for key, first, other in walk.hits:
        members = groups.setdefault(key, [first])
        if other not in members:
            members.append(other)
    failures = []
    for key, idx in groups.items():
        obj = walk.objects[key]
        if not is_mutable(obj):
            continue
        t = type_name(obj)
        path = _path_from_root(key, walk, roots)
        if key in roots and roots[key] == "engine":
            message = f"{len(idx)} users share one engine object ({t})"
        else:
            message = f"the engines of {len(idx)} users share a {t}, reached as {path}"
        failures.append(
            Failure(
                "shared-state",
                message,
                users=capped(users[i] for i in idx),
                pairs=capped((users[idx[0]], users[i]) for i in idx[1:]),
                types=[t],
                count=len(idx),
                path=path,
            )
        )
    failures.sort(key=lambda f: (-f.count, f.message))
    walked = len(walk.objects)
    return CheckResult(
        "shared-state",
        "fail" if failures else "pass",
        f"{plural(walked, 'object')} walked from {plural(sum(e is not None for e in engines), 'engine')}",
        failures,
    )


def _path_from_root(key: int, walk: SharedObjects, roots: dict[int, str]) -> str:
    chain = [key]
    while (parent := walk.parents.get(chain[-1])) is not None:
        chain.append(parent)
    return describe_path(roots.get(chain[-1], "engine"), key, walk.parents, walk.objects)


def check_containers(
    factory: Any,
    baseline: tuple[dict[int, tuple[int, object]], dict[int, object]],
    stop: list[object],
    stop_types: tuple[type, ...],
) -> list[Failure]:
    """Containers of the factory holding more after cleanup than before the probe.

    A container counts if it existed before the probe, or was attached since to an
    object that did (a lazily made cache); nested ones are reported through the
    outermost.
    """
    sizes, before_objects = baseline
    after, parents, objects = containers(factory, stop, stop_types)
    candidates = {
        key
        for key, (size, _) in after.items()
        if size > sizes.get(key, (0, None))[0] and (key in sizes or parents.get(key) in before_objects)
    }
    failures = []
    for key in candidates:
        ancestor = parents.get(key)
        while ancestor is not None and ancestor not in candidates:
            ancestor = parents.get(ancestor)
        if ancestor is not None:
            continue  # reported through the container holding it
        size, container = after[key]
        before = sizes.get(key, (0, None))[0]
        path = describe_path("factory", key, parents, objects)
        failures.append(
            Failure(
                "cleanup",
                f"{path} ({type_name(container)}) holds {size} entries after cleanup (it held {before} before the probe)",
                types=[type_name(container)],
                count=size - before,
                path=path,
            )
        )
    return sorted(failures, key=lambda f: f.message)


def check_collected(
    users: list[str],
    factory: Any,
    refs: list[tuple[int, weakref.ref[Any]]],
    failures: list[Failure],
    stop: list[object],
    stop_types: tuple[type, ...],
    unreferenceable: set[str],
) -> CheckResult:
    """Every engine the probe made is gone once cleaned up (weak references are dead)."""
    alive: dict[str, list[int]] = {}
    where: dict[str, str] = {}
    for i, ref in refs:
        engine = ref()
        if engine is None:
            continue
        t = type_name(engine)
        alive.setdefault(t, []).append(i)
        if t not in where:
            where[t] = _holder(engine, factory, stop, stop_types)
        del engine
    for t, idx in alive.items():
        failures.append(
            Failure(
                "cleanup",
                f"{plural(len(idx), 'engine')} ({t}) {'was' if len(idx) == 1 else 'were'} not garbage-collected after cleanup; {where[t]}",
                users=capped(users[i] for i in sorted(set(idx))),
                types=[t],
                count=len(idx),
            )
        )
    summary = f"{len(refs) - sum(len(v) for v in alive.values())} of {len(refs)} engines collected"
    if unreferenceable:
        summary += f"; not weak-referenceable, so not checked: {', '.join(sorted(unreferenceable))}"
    return CheckResult("cleanup", "fail" if failures else "pass", summary, failures)


def _holder(engine: Any, factory: Any, stop: list[object], stop_types: tuple[type, ...]) -> str:
    """Where a surviving engine is still referenced from, as far as can be named."""
    parents: dict[int, int | None] = {}
    objects = reachable_objects(factory, stop, stop_types=stop_types, class_attributes=True, parents=parents)
    if id(engine) in objects:
        return f"still reachable as {describe_path('factory', id(engine), parents, objects)}"
    del objects, parents
    for name, module in list(sys.modules.items()):
        for attr, value in list(getattr(module, "__dict__", {}).items()):
            if value is engine:
                return f"still referenced by the module global {name}.{attr}"
            if isinstance(value, (dict, list, set, tuple)):
                values = value.values() if isinstance(value, dict) else value
                if any(v is engine for v in values):
                    return f"still held in the module global {name}.{attr}"
    holders = sorted({type(r).__name__ for r in gc.get_referrers(engine)} - {"frame", "list"})
    return f"still referenced by {', '.join(holders) or 'something outside the factory'}"
