"""The run-time probe: N users, M agents each, then the isolation checks.

This is the one part of ssot-lint that imports and runs the code it checks.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import os
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
from ssot_lint.probe.checks import (
    check_collected,
    check_containers,
    check_distinct,
    check_events,
    check_notifiers,
    check_shared,
    containers,
)
from ssot_lint.probe.result import CHECKS, CheckResult, Failure, ProbeResult, capped, plural, type_name

#: Probe agents emit this many rounds of NOTIFIER_METHODS each.
STEPS = 2


@dataclass
class ProbeOptions:
    users: int = 100
    agents: int = 3
    timeout: float = 60.0  # seconds per phase (create, run, cleanup)
    config: ProbeConfig = field(default_factory=ProbeConfig)


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
                    users=capped(unique),
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
    contexts: list[Any] = []
    again: list[Any] = []
    connection_of: dict[str, int] = {}
    for i, user in enumerate(users):
        for pool in (contexts, again):
            try:
                context = make_context(user, f"probe-ws-{i:0{width}d}")
                if inspect.isawaitable(context):
                    context = await context
            except Exception as exc:
                raise ProbeUsageError(f"context factory '{context_desc}' raised {describe_error(exc)}") from None
            pool.append(context)
            for key in (user, getattr(context, "user_id", None), getattr(context, "websocket_client_id", None)):
                if isinstance(key, str):
                    connection_of.setdefault(key, i)

    stop_base = [*infrastructure, *_module_dicts()]
    stop_in_factory = [obj for obj in stop_base if obj is not factory]  # walks that start at the factory
    sizes, _, before_objects = containers(factory, stop_in_factory, stop_types)
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
        checks["distinct-engines"] = check_distinct(users, live.engines, live.seconds, config)
        checks["notifier"] = check_notifiers(users, live.engines, live.notifiers, adapter, config)
        emitted = await _run_agents(live, adapter, users, secrets, contexts, errors, options)
        if sources:
            deliveries = [d for source in sources for d in source.deliveries]
            checks["events"] = check_events(users, secrets, connection_of, deliveries, emitted, hook)
        else:
            checks["events"] = CheckResult(
                "events",
                "skip",
                "not checked: CALLABLE takes no transport and the factory holds none the probe could find "
                "(set tool.ssot-lint.probe.transport-attribute)",
            )
        stop_now = [*infrastructure, *_module_dicts()]  # modules the team's code imported meanwhile too
        checks["shared-state"] = check_shared(users, live.engines, live.notifiers, stop_now, stop_types)
        await _cleanup_all(live, adapter, users, errors, options.timeout)
    except _PhaseTimeout as exc:
        live.clear()
        return finish(str(exc))
    live.clear()
    await asyncio.sleep(0)  # let finished tasks drop their references
    gc.collect()
    leftovers = check_containers(factory, baseline, stop_in_factory, stop_types)
    del baseline  # it holds the factory's objects from before the probe
    gc.collect()
    checks["cleanup"] = check_collected(users, factory, refs, leftovers, stop_in_factory, stop_types, unreferenceable)
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


def run_probe(spec: str, options: ProbeOptions, cwd: str | None = None) -> ProbeResult:
    """Import ``spec`` (MODULE:CALLABLE), build the factory and probe it; raises ProbeUsageError."""
    if options.users < 2:
        raise ProbeUsageError(f"--users must be at least 2, got {options.users}")
    if options.agents < 1:
        raise ProbeUsageError(f"--agents must be at least 1, got {options.agents}")
    ensure_importable(cwd or os.getcwd())
    return asyncio.run(_probe(spec, options))
