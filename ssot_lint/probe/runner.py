"""The run-time probe: N users, M agents each, then the isolation checks.

This is the one part of ssot-lint that imports and runs the code it checks.
"""

from __future__ import annotations

import asyncio
import collections
import collections.abc
import gc
import inspect
import os
import re
import secrets as _secrets
import sys
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ssot_lint.config import DEFAULT_PROBE_SHARED_TYPES, ProbeConfig
from ssot_lint.probe.adapter import (
    NOTIFIER_MARKERS,
    NOTIFIER_METHODS,
    Delivery,
    FactoryAdapter,
    NotifierCalls,
    ProbeTransport,
    ProbeUsageError,
    TransportTap,
    build_factory,
    describe_error,
    ensure_importable,
    load_callable,
    make_context_factory,
    tap_factory_transport,
)
from ssot_lint.reference.introspect import SharedObjects, describe_path, is_mutable, reachable_objects

#: The checks, in report order, with what each one proves when it passes.
CHECKS: dict[str, str] = {
    "notifier": "every engine has a notifier (not None)",
    "distinct-engines": "every create returns a new engine: no two users, and no user twice, get the same one",
    "events": "every user receives only events carrying their own secret, and all of them",
    "shared-state": "no two users' engines share a mutable object (the transport and modules excepted)",
    "cleanup": "after cleanup the engines are collected and the factory's containers are as empty as before",
    "runtime-errors": "creating, running agents on and cleaning up engines raised nothing",
}

#: Probe agents emit this many rounds of NOTIFIER_METHODS each.
STEPS = 2
#: Failure details keep at most this many users or pairs (the count is always exact).
MAX_LISTED = 1_000


@dataclass
class ProbeOptions:
    users: int = 100
    agents: int = 3
    timeout: float = 60.0  # seconds per phase (create, run, cleanup)
    config: ProbeConfig = field(default_factory=ProbeConfig)


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


def _capped(items: Iterable[Any]) -> list[Any]:
    out = []
    for item in items:
        if len(out) >= MAX_LISTED:
            break
        out.append(item)
    return out


def _module_dicts() -> list[dict[str, Any]]:
    """Every imported module's globals: module state is program structure, not an engine's."""
    return [vars(m) for m in list(sys.modules.values()) if m is not None and hasattr(m, "__dict__")]


def _resolve_types(specs: Iterable[str]) -> tuple[type, ...]:
    found = []
    for spec in specs:
        obj = load_callable(spec, "shared type")
        if not isinstance(obj, type):
            raise ProbeUsageError(f"shared type '{spec}' is not a class (tool.ssot-lint.probe.shared-types)")
        found.append(obj)
    return tuple(found)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


class _Errors:
    """Exceptions raised by the team's code, grouped by phase and type (never kept alive)."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], tuple[str, list[str]]] = {}

    def add(self, phase: str, user: str, exc: BaseException) -> None:
        exc.__traceback__ = None  # frames would keep engines alive past cleanup
        self.groups.setdefault((phase, type(exc).__name__), (describe_error(exc), []))[1].append(user)

    def failures(self) -> list[Failure]:
        out = []
        for (phase, kind), (example, users) in self.groups.items():
            unique = sorted(set(users))
            if kind == "timeout":
                message = f"{phase} {example} (--timeout) for {plural(len(unique), 'user')}"
            else:
                message = f"{phase} raised {kind} for {plural(len(unique), 'user')} (first, {unique[0]}: {example})"
            out.append(
                Failure(
                    "runtime-errors",
                    message,
                    users=_capped(unique),
                    types=["TimeoutError" if kind == "timeout" else kind],
                    count=len(users),
                )
            )
        return out


class _PhaseTimeout(Exception):
    pass


async def _gather(awaitables: list[Awaitable[Any]], timeout: float, phase: str) -> list[Any]:
    try:
        return await asyncio.wait_for(asyncio.gather(*awaitables, return_exceptions=True), timeout)
    except asyncio.TimeoutError:
        raise _PhaseTimeout(phase) from None


def _containers(
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
        except Exception:  # noqa: BLE001 - a broken __len__ in the team's container
            continue
    return found, parents, objects


async def _probe(spec: str, options: ProbeOptions) -> ProbeResult:
    started = time.perf_counter()
    config = options.config
    target = load_callable(spec, "CALLABLE")
    stop_types = _resolve_types((*DEFAULT_PROBE_SHARED_TYPES, *config.shared_types))
    make_context, context_desc = await make_context_factory(config)

    notes: list[str] = []
    transport = ProbeTransport(config.transport_method)
    factory, took_transport = await build_factory(target, spec, transport)
    adapter = FactoryAdapter(factory, config)
    tap: TransportTap | None = None
    if took_transport:
        hook = "transport passed to CALLABLE"
        sources: list[ProbeTransport | TransportTap] = [transport]
    else:
        tap, where = tap_factory_transport(factory, config)
        hook = where if tap is not None else "none"
        sources = [tap] if tap is not None else []
        if tap is not None and not config.transport_attribute:
            notes.append(
                f"CALLABLE takes no transport: events were observed by wrapping {where}, the factory's "
                f"only attribute with a {config.transport_method}() method (name another with transport-attribute)"
            )
    infrastructure: list[object] = [factory, transport]
    if tap is not None:
        infrastructure += [tap, tap._inner]

    n = options.users
    width = len(str(n - 1))
    users = [f"probe-user-{i:0{width}d}" for i in range(n)]
    secrets = [f"probe-secret-{_secrets.token_hex(8)}" for _ in range(n)]
    contexts, again = [], []
    connection_of: dict[str, int] = {}
    for i, user in enumerate(users):
        for pool in (contexts, again):
            try:
                context = make_context(user, f"probe-ws-{i:0{width}d}")
                if inspect.isawaitable(context):
                    context = await context
            except Exception as exc:  # noqa: BLE001 - the team's context factory
                raise ProbeUsageError(f"context factory '{context_desc}' raised {describe_error(exc)}") from None
            pool.append(context)
            for key in (user, getattr(context, "user_id", None), getattr(context, "websocket_client_id", None)):
                if isinstance(key, str):
                    connection_of.setdefault(key, i)

    stop_base = [*infrastructure, *_module_dicts()]
    stop_in_factory = [obj for obj in stop_base if obj is not factory]  # walks that start at the factory
    sizes, _, before_objects = _containers(factory, stop_in_factory, stop_types)
    baseline = (sizes, before_objects)
    del sizes, before_objects
    errors = _Errors()
    checks: dict[str, CheckResult] = {}

    def finish(stopped_at: str | None = None) -> ProbeResult:
        if stopped_at is not None:
            errors.groups[(stopped_at, "timeout")] = (f"did not finish within {options.timeout:g} s", list(users))
        ordered = []
        for name in CHECKS:
            if name == "runtime-errors":
                failures = errors.failures()
                ordered.append(
                    CheckResult(
                        name,
                        "fail" if failures else "pass",
                        plural(sum(f.count for f in failures), "exception") if failures else "no exceptions",
                        failures,
                    )
                )
            elif name in checks:
                ordered.append(checks[name])
            else:
                ordered.append(CheckResult(name, "skip", f"not run: the probe stopped when {stopped_at} timed out"))
        return ProbeResult(
            spec,
            type_name(factory),
            n,
            options.agents,
            hook,
            context_desc,
            time.perf_counter() - started,
            ordered,
            notes,
        )

    # Engines live only in ``live`` (never in a local of this frame), so that clearing it
    # before the collection check leaves the factory as the only possible holder.
    live = _Live(n)
    try:
        await _create_all(live, adapter, contexts, again, users, errors, options.timeout, config)
        refs, unreferenceable = live.weakrefs()
        checks["distinct-engines"] = _check_distinct(users, live.engines, live.seconds, config)
        checks["notifier"] = _check_notifiers(users, live.engines, live.notifiers, adapter, config)
        emitted = await _run_agents(live, adapter, users, secrets, contexts, errors, options)
        if sources:
            deliveries = [d for source in sources for d in source.deliveries]
            checks["events"] = _check_events(users, secrets, connection_of, deliveries, emitted, hook)
        else:
            checks["events"] = CheckResult(
                "events",
                "skip",
                "not checked: CALLABLE takes no transport and the factory holds none the probe could find "
                "(set tool.ssot-lint.probe.transport-attribute)",
            )
        stop_now = [*infrastructure, *_module_dicts()]  # modules the team's code imported meanwhile too
        checks["shared-state"] = _check_shared(users, live.engines, live.notifiers, stop_now, stop_types)
        await _cleanup_all(live, adapter, users, errors, options.timeout)
    except _PhaseTimeout as exc:
        live.clear()
        return finish(str(exc))
    live.clear()
    await asyncio.sleep(0)  # let finished tasks drop their references
    gc.collect()
    leftovers = _check_containers(factory, baseline, stop_in_factory, stop_types)
    del baseline  # it holds the factory's objects from before the probe
    gc.collect()
    checks["cleanup"] = _check_collected(users, factory, refs, leftovers, stop_in_factory, stop_types, unreferenceable)
    return finish()


class _Live:
    """Every engine and notifier the probe holds, per user index."""

    def __init__(self, n: int) -> None:
        self.engines: list[Any] = [None] * n
        self.seconds: list[Any] = [None] * n
        self.notifiers: list[Any] = [None] * n

    def distinct(self) -> list[tuple[int, Any]]:
        """(user index, engine) for each distinct engine object, first engines first."""
        found: dict[int, tuple[int, Any]] = {}
        for pool in (self.engines, self.seconds):
            for i, engine in enumerate(pool):
                if engine is not None:
                    found.setdefault(id(engine), (i, engine))
        return list(found.values())

    def weakrefs(self) -> tuple[list[tuple[int, weakref.ref[Any]]], set[str]]:
        refs, unreferenceable = [], set()
        for i, engine in self.distinct():
            try:
                refs.append((i, weakref.ref(engine)))
            except TypeError:
                unreferenceable.add(type_name(engine))
        return refs, unreferenceable

    def clear(self) -> None:
        for pool in (self.engines, self.seconds, self.notifiers):
            pool[:] = [None] * len(pool)


async def _create_all(
    live: _Live,
    adapter: FactoryAdapter,
    contexts: list[Any],
    again: list[Any],
    users: list[str],
    errors: _Errors,
    timeout: float,
    config: ProbeConfig,
) -> None:
    """Create an engine for every user concurrently, then a second one for each."""
    firsts = await _gather([adapter.create(c) for c in contexts], timeout, "create")
    for i, result in enumerate(firsts):
        if isinstance(result, BaseException):
            errors.add("create", users[i], result)
        elif result is None:
            errors.add("create", users[i], TypeError(f"{config.create}() returned None"))
        else:
            live.engines[i] = result
    made = [i for i, engine in enumerate(live.engines) if engine is not None]
    # A second session of the same user: a new context (new request ids), same user and connection.
    seconds = await _gather([adapter.create(again[i]) for i in made], timeout, "create (second engine)")
    for i, result in zip(made, seconds):
        if isinstance(result, BaseException):
            errors.add("create (second engine)", users[i], result)
        else:
            live.seconds[i] = result


async def _run_agents(
    live: _Live,
    adapter: FactoryAdapter,
    users: list[str],
    secrets: list[str],
    contexts: list[Any],
    errors: _Errors,
    options: ProbeOptions,
) -> list[int]:
    """Run ``options.agents`` probe agents per user, all at once; returns events emitted per user."""
    emitted = [0] * len(users)
    calls = NotifierCalls()
    runs = []
    for i, engine in enumerate(live.engines):
        if engine is None:
            continue
        runner = adapter.runner_of(engine)
        for j in range(options.agents):
            agent = _probe_agent(i, j, users[i], secrets[i], contexts[i], live.notifiers[i], emitted, calls)
            runs.append((i, _run_agent(runner, agent)))
    outcomes = await _gather([r for _, r in runs], options.timeout, "run")
    for (i, _), outcome in zip(runs, outcomes):
        if isinstance(outcome, BaseException):
            errors.add("running a probe agent", users[i], outcome)
    return emitted


async def _cleanup_all(live: _Live, adapter: FactoryAdapter, users: list[str], errors: _Errors, timeout: float) -> None:
    """Clean up every distinct engine once, concurrently."""
    cleaning = live.distinct()
    results = await _gather([adapter.cleanup(engine) for _, engine in cleaning], timeout, "cleanup")
    for (i, _), result in zip(cleaning, results):
        if isinstance(result, BaseException):
            errors.add("cleanup", users[i], result)


def _probe_agent(
    i: int, j: int, user: str, secret: str, context: Any, fallback: Any, emitted: list[int], calls: NotifierCalls
) -> Callable[..., Awaitable[str]]:
    """Agent ``j`` of user ``i``: emits events carrying ``secret`` (in its name, text and payload)."""
    name = f"probe-agent-{j}-{secret}"

    async def agent(*args: Any, **kwargs: Any) -> str:
        notifier = next(
            (
                a
                for a in (*args, *kwargs.values())
                if not isinstance(a, type) and any(callable(getattr(a, m, None)) for m in NOTIFIER_MARKERS)
            ),
            fallback,
        )
        if notifier is None:
            raise RuntimeError("the probe agent got no notifier to emit through")
        for step in range(STEPS):
            values = {
                "agent": name,
                "text": f"{secret} thinking, step {step}",
                "tool": f"probe_tool_{step}",
                "context": context,
                "user_id": user,
                "step": step,
                "payload": {"probe_secret": secret, "step": step},
            }
            for method_name in NOTIFIER_METHODS:
                method = getattr(notifier, method_name, None)
                if method is None:
                    continue
                result = calls.call(method, values, context)
                if inspect.isawaitable(result):
                    await result
                emitted[i] += 1
                await asyncio.sleep(0)
        return secret

    agent.__name__ = agent.__qualname__ = name
    return agent


async def _run_agent(runner: Callable[..., Any] | None, agent: Callable[..., Awaitable[str]]) -> Any:
    if runner is None:
        return await agent()
    result = runner(agent)
    if inspect.isawaitable(result):
        result = await result
    return result


def _check_distinct(users: list[str], engines: list[Any], seconds: list[Any], config: ProbeConfig) -> CheckResult:
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
                    users=_capped(users[i] for i in idx),
                    pairs=_capped((first, users[i]) for i in idx[1:]),
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
                users=_capped(users[i] for i in twice),
                pairs=_capped((users[i], users[i]) for i in twice),
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


def _check_notifiers(
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
        except Exception as exc:  # noqa: BLE001 - a property of the team's engine raised
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
            users=_capped(users[i] for i in idx),
            types=[t.split(":", 1)[0]],
            count=len(idx),
        )
        for groups, message in kinds
        for t, idx in groups.items()
    ]
    ok = sum(n is not None for n in notifiers)
    return CheckResult("notifier", "fail" if failures else "pass", f"{plural(ok, 'engine')} with a notifier", failures)


def _check_events(
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
    for connection, owners in sorted(unknown.items()):
        total = sum(owners.values())
        failures.append(
            Failure(
                "events",
                f"{total} events carrying the secrets of {len(owners)} users went to connection "
                f"{connection!r}, which belongs to no probe user",
                users=_capped(users[s] for s in sorted(owners)),
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
                users=_capped(users[i] for i in lost),
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
        users=_capped([users[receiver], *(users[s] for s in sorted(senders))]),
        pairs=_capped((users[s], users[receiver]) for s in sorted(senders)),
        types=types,
        count=total,
    )


def _check_shared(
    users: list[str], engines: list[Any], notifiers: list[Any], stop: list[object], stop_types: tuple[type, ...]
) -> CheckResult:
    walk = SharedObjects(stop, stop_types, class_attributes=True)
    roots = {}
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
                users=_capped(users[i] for i in idx),
                pairs=_capped((users[idx[0]], users[i]) for i in idx[1:]),
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
    while walk.parents.get(chain[-1]) is not None:
        chain.append(walk.parents[chain[-1]])  # type: ignore[arg-type]
    return describe_path(roots.get(chain[-1], "engine"), key, walk.parents, walk.objects)


def _check_containers(
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
    after, parents, objects = _containers(factory, stop, stop_types)
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


def _check_collected(
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
                users=_capped(users[i] for i in sorted(set(idx))),
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


def run_probe(spec: str, options: ProbeOptions, cwd: str | None = None) -> ProbeResult:
    """Import ``spec`` (MODULE:CALLABLE), build the factory and probe it; raises ProbeUsageError."""
    if options.users < 2:
        raise ProbeUsageError(f"--users must be at least 2, got {options.users}")
    if options.agents < 1:
        raise ProbeUsageError(f"--agents must be at least 1, got {options.agents}")
    ensure_importable(cwd or os.getcwd())
    return asyncio.run(_probe(spec, options))
