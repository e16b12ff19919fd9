"""A seeded, reproducible "legacy service" corpus for the speed benchmark and the tests.

The corpus is made of services. Each service is a copy of ``fixtures/legacy_service``
(its package renamed ``svcNNN``, imports rewritten; its tests under ``tests/svcNNN``)
plus generated modules of ordinary service code: dataclasses, repositories, async
handlers awaiting each other across modules, helpers, and code that obtains engines
the right way (``await factory.create_for_user(ctx)``). A few generated modules carry
the fixtures' legacy patterns (direct construction, ``import ... as``, ``Y = X``
aliases, re-exports), each marked ``# expect: SSOT001``.

    python benchmarks/legacy_corpus.py OUT_DIR [--lines 1000000] [--seed 6]

``--shape monorepo`` writes the shape of a real multi-user service monorepo instead
(``generate_monorepo``; 4,000,000 lines by default): 10,000 modules and 21,000 classes, 1,500
test modules that mention the notifier methods and define 4,000 classes between them, deep
``__init__`` re-export chains, function-local imports and twins, all scaled by ``--lines``.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "fixtures" / "legacy_service"
PKG = "netra_backend"

_WORDS = (
    "account billing invoice order payment shipment catalog inventory session profile audit "
    "report metric thread message channel tenant quota export import schedule webhook token"
).split()


def _rewrite(text: str, svc: str) -> str:
    return re.sub(rf"\b{PKG}\b", f"{svc}.{PKG}", text)


def _copy_fixture(out: Path, svc: str) -> int:
    lines = 0
    for src in sorted(FIXTURE.rglob("*.py")):
        rel = src.relative_to(FIXTURE)
        if ".ssot_lint_cache" in rel.parts:
            continue
        if rel.parts[0] == "tests":
            dest = out / "tests" / svc / Path(*rel.parts[1:])
        else:
            dest = out / svc / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = _rewrite(src.read_text(encoding="utf-8"), svc)
        dest.write_text(text, encoding="utf-8")
        lines += text.count("\n")
    (out / svc / "__init__.py").write_text('"""Generated service."""\n', encoding="utf-8")
    (out / "tests" / svc).mkdir(parents=True, exist_ok=True)
    (out / "tests" / svc / "__init__.py").write_text("", encoding="utf-8")
    return lines + 1


class _Module:
    """One generated module of ordinary service code."""

    def __init__(self, rng: random.Random, svc: str, name: str, siblings: list[str], legacy: bool) -> None:
        self.rng = rng
        self.svc = svc
        self.name = name
        self.siblings = siblings
        self.legacy = legacy
        self.base = f"{svc}.{PKG}.app"

    def render(self, target_lines: int) -> str:
        rng = self.rng
        word = rng.choice(_WORDS)
        out = [
            f'"""{word.title()} handling for the {self.svc} service (generated)."""',
            "from __future__ import annotations",
            "",
            "import asyncio",
            "import logging",
            "from dataclasses import dataclass, field",
            "from typing import Any, Optional",
            "",
            f"from {self.base}.agents.supervisor.execution_engine_factory import ExecutionEngineFactory",
            f"from {self.base}.services.user_execution_context import UserExecutionContext",
        ]
        peers = rng.sample(self.siblings, k=min(3, len(self.siblings)))
        for peer in peers:
            out.append(f"from . import {peer}")
        out += ["", "logger = logging.getLogger(__name__)", "DEFAULT_PAGE_SIZE = 50", ""]
        i = 0
        while len(out) < target_lines:
            kind = rng.random()
            i += 1
            if kind < 0.25:
                out += self._dataclass(word, i)
            elif kind < 0.5:
                out += self._repository(word, i)
            elif kind < 0.8:
                out += self._handler(word, i, peers)
            else:
                out += self._helper(word, i)
        if self.legacy:
            out += self._legacy(i)
        out += [
            "",
            "async def run_all(factory: ExecutionEngineFactory, ctx: UserExecutionContext) -> list[Any]:",
            "    engine = await factory.create_for_user(ctx)",
            "    return [await engine.execute_agent('supervisor', str(n)) for n in range(3)]",
            "",
        ]
        return "\n".join(out) + "\n"

    def _dataclass(self, word: str, i: int) -> list[str]:
        rng = self.rng
        fields = rng.sample(["id", "owner_id", "created_at", "status", "amount", "currency", "tags", "note"], 5)
        lines = ["", "", "@dataclass", f"class {word.title()}Record{i}:"]
        for f in fields:
            if f == "tags":
                lines.append("    tags: list[str] = field(default_factory=list)")
            elif f == "amount":
                lines.append("    amount: float = 0.0")
            else:
                lines.append(f"    {f}: Optional[str] = None")
        lines += [
            "",
            "    def to_dict(self) -> dict[str, Any]:",
            "        return {" + ", ".join(f"'{f}': self.{f}" for f in fields) + "}",
            "",
            "    def is_active(self) -> bool:",
            "        return getattr(self, 'status', None) not in ('closed', 'deleted')",
        ]
        return lines

    def _repository(self, word: str, i: int) -> list[str]:
        return [
            "",
            "",
            f"class {word.title()}Repository{i}:",
            f'    """Stores {word} records for one request (built per call, never shared)."""',
            "",
            "    def __init__(self, ctx: UserExecutionContext, page_size: int = DEFAULT_PAGE_SIZE) -> None:",
            "        self.ctx = ctx",
            "        self.page_size = page_size",
            "        self._rows: dict[str, dict[str, Any]] = {}",
            "",
            "    async def get(self, key: str) -> Optional[dict[str, Any]]:",
            "        await asyncio.sleep(0)",
            "        return self._rows.get(key)",
            "",
            "    async def put(self, key: str, row: dict[str, Any]) -> None:",
            "        await asyncio.sleep(0)",
            "        self._rows[key] = dict(row, owner=self.ctx.user_id)",
            "",
            "    def page(self, number: int) -> list[dict[str, Any]]:",
            "        rows = sorted(self._rows.values(), key=lambda r: str(r.get('id')))",
            "        start = number * self.page_size",
            "        return rows[start : start + self.page_size]",
        ]

    def _handler(self, word: str, i: int, peers: list[str]) -> list[str]:
        rng = self.rng
        peer = rng.choice(peers) if peers else None
        call = f"await {peer}.process_{rng.randint(1, 3)}(factory, ctx, payload)" if peer else "None"
        return [
            "",
            "",
            f"async def process_{i}(factory: ExecutionEngineFactory, ctx: UserExecutionContext, payload: dict[str, Any]) -> dict[str, Any]:",
            f'    """Handle one {word} request for the user in ``ctx``."""',
            "    if not payload:",
            "        raise ValueError('empty payload')",
            "    engine = await factory.create_for_user(ctx)",
            "    try:",
            f"        result = await engine.execute_agent('{word}', str(payload.get('message', '')))",
            "    except TimeoutError:",
            f"        logger.warning('{word} request timed out for %s', ctx.user_id)",
            "        return {'status': 'timeout'}",
            f"    extra = {call} if payload.get('chain') else None",
            "    summary = {k: v for k, v in payload.items() if not str(k).startswith('_')}",
            "    return {'status': 'ok', 'result': result, 'summary': summary, 'extra': extra}",
        ]

    def _helper(self, word: str, i: int) -> list[str]:
        return [
            "",
            "",
            f"def normalise_{word}_{i}(values: list[Any], *, limit: int = 100) -> list[str]:",
            "    out: list[str] = []",
            "    for value in values[:limit]:",
            "        if value is None:",
            "            continue",
            "        text = str(value).strip().lower()",
            "        if text and text not in out:",
            "            out.append(text)",
            "    return out",
        ]

    def _legacy(self, i: int) -> list[str]:
        base = self.base
        form = self.rng.randrange(4)
        lines = ["", ""]
        if form == 0:
            lines += [
                f"def legacy_engine_{i}(ctx: UserExecutionContext, registry: Any, notifier: Any) -> Any:",
                f"    from {base}.agents.supervisor.execution_engine import ExecutionEngine",
                "    return ExecutionEngine(ctx, registry, notifier)  # expect: SSOT001",
            ]
        elif form == 1:
            lines += [
                f"def legacy_engine_{i}(ctx: UserExecutionContext, registry: Any, notifier: Any) -> Any:",
                f"    from {base}.agents.supervisor import execution_engine as ee",
                "    return ee.UserExecutionEngine(ctx, registry, notifier)  # expect: SSOT001",
            ]
        elif form == 2:
            lines += [
                f"def legacy_engine_{i}(ctx: UserExecutionContext, registry: Any, notifier: Any) -> Any:",
                f"    from {base}.agents.supervisor import ExecutionEngine as Engine",
                f"    LegacyEngine{i} = Engine",
                f"    return LegacyEngine{i}(ctx, registry, notifier)  # expect: SSOT001",
            ]
        else:
            lines += [
                f"def legacy_registry_{i}() -> Any:",
                f"    from {base}.agents.supervisor.agent_execution_registry import AgentExecutionRegistry",
                "    return AgentExecutionRegistry()  # expect: SSOT001",
            ]
        return lines


def generate(
    out: Path, lines: int = 1_000_000, seed: int = 6, module_lines: int = 420, legacy_share: float = 0.03
) -> dict:
    """Write the corpus to ``out`` (replacing it); return its size."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    config = (FIXTURE / "pyproject.toml").read_text(encoding="utf-8") if (FIXTURE / "pyproject.toml").exists() else ""
    (out / "pyproject.toml").write_text(config or '[project]\nname = "legacy-corpus"\n', encoding="utf-8")
    (out / "tests").mkdir()
    (out / "tests" / "__init__.py").write_text("", encoding="utf-8")
    total = 0
    files = 0
    n = 0
    per_service = 60
    while total < lines:
        svc = f"svc{n:03d}"
        total += _copy_fixture(out, svc)
        gen = out / svc / PKG / "app" / "generated"
        gen.mkdir(parents=True, exist_ok=True)
        names = [f"{rng.choice(_WORDS)}_{j:03d}" for j in range(per_service)]
        (gen / "__init__.py").write_text("", encoding="utf-8")
        for name in names:
            if total >= lines:
                break
            size = max(60, int(rng.gauss(module_lines, module_lines / 3)))
            mod = _Module(rng, svc, name, [x for x in names if x != name], rng.random() < legacy_share)
            text = mod.render(size)
            (gen / f"{name}.py").write_text(text, encoding="utf-8")
            total += text.count("\n")
            files += 1
        n += 1
    return {"services": n, "generated_files": files, "lines": total}


# --- the monorepo shape ------------------------------------------------------------------------
# A real multi-user service at 4M lines (issue 14): 10,000 modules, 21,000 classes, 1,500 test
# modules that mention the notifier methods (tests asserting that events were sent) and define
# 4,000 classes between them, deep `__init__` re-export chains, function-local imports, twins
# (a `def` and an `async def` of one name in two modules). Everything scales with the lines.
MONO_LINES = 4_000_000
MONO_MODULES = 10_000
MONO_CLASSES = 21_000
MONO_TESTS = 1_500
MONO_TEST_CLASSES = 4_000
CHAIN_DEPTH = 5  # `pkg/__init__` -> `pkg/l1/__init__` -> ... -> the defining module
PER_PACKAGE = 100  # regular modules per package
CORE = "svccore"  # the fixture service every package builds on
NOTIFIER_METHODS = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
    "agent_error",
)


def _emitter_methods(indent: str = "    ") -> list[str]:
    out = []
    for m in NOTIFIER_METHODS:
        out += [
            f"{indent}async def {m}(self, user_id: str, run_id: str, *args: Any) -> None:",
            f"{indent}    await self._send(user_id, {m!r}, run_id, args)",
            "",
        ]
    return out


class _MonoModule:
    """One regular module of a monorepo package: classes, handlers, helpers."""

    def __init__(
        self, rng: random.Random, pkg: str, name: str, classes: int, peers: list[str], others: list[str], bug: bool
    ) -> None:
        self.rng, self.pkg, self.name, self.classes = rng, pkg, name, classes
        self.peers, self.others, self.bug = peers, others, bug

    def render(self, target_lines: int) -> tuple[str, list[str]]:
        """The text and the names of the classes it defines."""
        rng, pkg = self.rng, self.pkg
        word = rng.choice(_WORDS)
        base = f"{CORE}.{PKG}.app"
        out = [
            f'"""{word.title()} handling in {pkg} (generated monorepo module)."""',
            "from __future__ import annotations",
            "",
            "import asyncio",
            "import logging",
            "from typing import Any, Optional",
            "",
            "from mono_common.hub import HubRecord, audit_event",
            f"from {base}.agents.supervisor.execution_engine_factory import ExecutionEngineFactory",
            f"from {base}.services.user_execution_context import UserExecutionContext",
        ]
        for peer in self.peers:
            out.append(f"from {pkg} import {peer}")
        other = rng.choice(self.others) if self.others else pkg
        kinds = [rng.random() for _ in range(self.classes)]
        if any(k < 0.04 for k in kinds):
            # Through the other package's re-export chain (its `__init__` -> l1 -> ... -> module).
            out.append(f"from {other} import {other.title()}Emitter")
        out += ["", "logger = logging.getLogger(__name__)", ""]
        names: list[str] = []
        for k, kind in enumerate(kinds):
            cls = f"{word.title()}{self.name.title().replace('_', '')}{k}"
            names.append(cls)
            if kind < 0.04:
                # A notifier subclass (through the re-export chain): the notifier fixpoint's candidates.
                out += [
                    "",
                    "",
                    f"class {cls}({other.title()}Emitter):",
                    f'    """Adds {word} auditing to the events."""',
                    "",
                    "    async def agent_started(self, user_id: str, run_id: str, *args: Any) -> None:",
                    f"        audit_event({word!r}, user_id)",
                    "        await super().agent_started(user_id, run_id, *args)",
                ]
            elif kind < 0.55:
                out += [
                    "",
                    "",
                    f"class {cls}(HubRecord):",
                    f'    """A {word} record."""',
                    "",
                    "    def __init__(self, owner_id: str, amount: float = 0.0) -> None:",
                    "        super().__init__(owner_id)",
                    "        self.amount = amount",
                    "        self.tags: list[str] = []",
                    "",
                    "    def to_dict(self) -> dict[str, Any]:",
                    "        return {'owner_id': self.owner_id, 'amount': self.amount, 'tags': list(self.tags)}",
                    "",
                    "    def is_large(self, limit: float = 1000.0) -> bool:",
                    "        return self.amount > limit",
                ]
            else:
                out += [
                    "",
                    "",
                    f"class {cls}:",
                    f'    """Stores {word} rows for one request."""',
                    "",
                    "    def __init__(self, ctx: UserExecutionContext) -> None:",
                    "        self.ctx = ctx",
                    "        self._rows: dict[str, dict[str, Any]] = {}",
                    "",
                    "    async def get(self, key: str) -> Optional[dict[str, Any]]:",
                    "        await asyncio.sleep(0)",
                    "        return self._rows.get(key)",
                    "",
                    "    async def put(self, key: str, row: dict[str, Any]) -> None:",
                    "        from " + pkg + ".io_async import load_record  # function-local import of a twin",
                    "        previous = await load_record(key)",
                    "        self._rows[key] = dict(row, owner=self.ctx.user_id, previous=previous)",
                ]
        i = 0
        while len(out) < target_lines:
            i += 1
            if rng.random() < 0.6:
                peer = rng.choice(self.peers) if self.peers else None
                chain = f"await {peer}.process_{rng.randint(1, 2)}(factory, ctx, payload)" if peer else "None"
                out += [
                    "",
                    "",
                    f"async def process_{i}(factory: ExecutionEngineFactory, ctx: UserExecutionContext, payload: dict[str, Any]) -> dict[str, Any]:",
                    f'    """Handle one {word} request for the user in ``ctx``."""',
                    "    if not payload:",
                    "        raise ValueError('empty payload')",
                    "    engine = await factory.create_for_user(ctx)",
                    f"    result = await engine.execute_agent('{word}', str(payload.get('message', '')))",
                    f"    extra = {chain} if payload.get('chain') else None",
                    "    return {'status': 'ok', 'result': result, 'extra': extra}",
                ]
            else:
                out += [
                    "",
                    "",
                    f"def normalise_{word}_{i}(values: list[Any], *, limit: int = 100) -> list[str]:",
                    f"    from {pkg}.io_sync import load_record  # the sync twin, called without await",
                    "    out: list[str] = []",
                    "    for value in values[:limit]:",
                    "        if value is None:",
                    "            continue",
                    "        text = str(load_record(str(value)) or value).strip().lower()",
                    "        if text and text not in out:",
                    "            out.append(text)",
                    "    return out",
                ]
        if self.bug:
            out += [
                "",
                "",
                "async def refresh(key: str) -> Any:",
                f"    from {pkg}.io_sync import load_record",
                "    return await load_record(key)  # expect: SSOT003",
            ]
        return "\n".join(out) + "\n", names


def _mono_test(rng: random.Random, pkg: str, module: str, classes: int, fake: bool) -> str:
    """A test module asserting that events were sent: it mentions the notifier methods."""
    out = [
        f'"""Tests of {pkg}.{module} (generated)."""',
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "from unittest.mock import AsyncMock",
        "",
        f"from {pkg} import {module}",
        "",
    ]
    if fake:
        out += [
            "",
            "class FakeNotifier:",
            '    """Records events instead of sending them."""',
            "",
            "    def __init__(self) -> None:",
            "        self.sent: list[Any] = []",
            "",
            "    async def _send(self, user_id: str, event: str, run_id: str, args: Any) -> None:",
            "        self.sent.append((user_id, event, run_id, args))",
            "",
        ]
        out += _emitter_methods()
        classes -= 1
    for k in range(classes):
        out += ["", f"class Test{module.title().replace('_', '')}{k}:", ""]
        for j in range(rng.randint(3, 6)):
            first, last = rng.sample(NOTIFIER_METHODS, 2)
            out += [
                f"    async def test_events_{j}(self) -> None:",
                "        notifier = AsyncMock()",
                f"        await notifier.{first}('u1', 'r1')",
                f"        notifier.{first}.assert_awaited_once()",
                f"        notifier.{last}.assert_not_awaited()",
                f"        assert {module}.logger is not None",
                "",
            ]
    return "\n".join(out) + "\n"


def generate_monorepo(out: Path, lines: int = MONO_LINES, seed: int = 6) -> dict:
    """Write the monorepo shape to ``out`` (replacing it), scaled to about ``lines`` lines."""
    rng = random.Random(seed)
    scale = lines / MONO_LINES
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "pyproject.toml").write_text('[project]\nname = "monorepo"\n', encoding="utf-8")
    (out / "tests").mkdir()
    (out / "tests" / "__init__.py").write_text("", encoding="utf-8")
    total = _copy_fixture(out, CORE)
    modules = 1 + sum(1 for _ in (out / CORE).rglob("*.py")) + sum(1 for _ in (out / "tests").rglob("*.py"))
    common = out / "mono_common"
    common.mkdir()
    (common / "__init__.py").write_text("", encoding="utf-8")
    hub = (
        '"""Imported by every module of the monorepo."""\nfrom __future__ import annotations\n\n\n'
        "class HubRecord:\n    def __init__(self, owner_id: str) -> None:\n        self.owner_id = owner_id\n\n\n"
        "def audit_event(kind: str, user_id: str) -> None:\n    return None\n"
    )
    (common / "hub.py").write_text(hub, encoding="utf-8")
    modules += 2
    n_tests = max(1, round(MONO_TESTS * scale))
    n_test_classes = max(n_tests, round(MONO_TEST_CLASSES * scale))
    n_regular = max(4, round(MONO_MODULES * scale) - n_tests - modules)
    n_packages = max(2, -(-n_regular // (PER_PACKAGE + CHAIN_DEPTH + 3)))
    per_package = max(2, n_regular // n_packages - CHAIN_DEPTH - 3)
    regular_classes = max(0, round((MONO_CLASSES - MONO_TEST_CLASSES) * scale))
    test_lines = 0
    packages = [f"pkg{p:03d}" for p in range(n_packages)]
    module_lines = max(60, (lines - total - n_tests * 150) // max(1, n_packages * per_package))
    classes_left, slots_left = regular_classes, n_packages * per_package
    all_modules: list[tuple[str, str]] = []
    n_classes = 0
    for pkg in packages:
        root = out / pkg
        root.mkdir()
        names = [f"{rng.choice(_WORDS)}_{j:03d}" for j in range(per_package)]
        # The re-export chain: pkg/__init__ -> pkg/l1 -> ... -> pkg/l1/.../emitter.py
        chain = [root] + [root.joinpath(*[f"l{d}" for d in range(1, k + 1)]) for k in range(1, CHAIN_DEPTH + 1)]
        emitter = f"{pkg.title()}Emitter"
        for k, folder in enumerate(chain):
            folder.mkdir(parents=True, exist_ok=True)
            if k + 1 < len(chain):
                text = f'from .l{k + 1} import {emitter} as {emitter}\n\n__all__ = ["{emitter}"]\n'
            else:
                text = f'from .emitter import {emitter}\n\n__all__ = ["{emitter}"]\n'
            (folder / "__init__.py").write_text(text, encoding="utf-8")
            total += text.count("\n")
        body = [
            "from __future__ import annotations",
            "",
            "from typing import Any",
            "",
            "",
            f"class {emitter}:",
            f'    """Sends {pkg}\'s agent events to the user\'s connections."""',
            "",
            "    def __init__(self, transport: Any) -> None:",
            "        self._transport = transport",
            "",
            "    async def _send(self, user_id: str, event: str, run_id: str, args: Any) -> None:",
            "        await self._transport.send(user_id, {'type': event, 'run_id': run_id, 'args': args})",
            "",
        ]
        body += _emitter_methods()
        text = "\n".join(body) + "\n"
        (chain[-1] / "emitter.py").write_text(text, encoding="utf-8")
        # Twins: one name, a def in one module and an async def in the other.
        sync = "def load_record(key: str) -> str | None:\n    return key or None\n"
        asyn = "import asyncio\n\n\nasync def load_record(key: str) -> str | None:\n    await asyncio.sleep(0)\n    return key or None\n"
        (root / "io_sync.py").write_text(sync, encoding="utf-8")
        (root / "io_async.py").write_text(asyn, encoding="utf-8")
        total += text.count("\n") + sync.count("\n") + asyn.count("\n")
        n_classes += 1
        modules += len(chain) + 3
        others = [p for p in packages if p != pkg]
        for j, name in enumerate(names):
            # Classes spread evenly over the remaining modules (about two each).
            share = classes_left / max(1, slots_left)
            count = int(share) + (1 if rng.random() < share - int(share) else 0)
            classes_left -= count
            slots_left -= 1
            peers = rng.sample([x for x in names[:j]], k=min(2, j))
            mod = _MonoModule(rng, pkg, name, count, peers, others, bug=rng.random() < 0.005)
            size = max(40, int(rng.gauss(module_lines, module_lines / 4)))
            text, defined = mod.render(size)
            (root / f"{name}.py").write_text(text, encoding="utf-8")
            total += text.count("\n")
            n_classes += len(defined)
            modules += 1
            all_modules.append((pkg, name))
    # Test modules: about 2.7 classes each; a few define a fake notifier.
    tests_dir = out / "tests" / "mono"
    tests_dir.mkdir(parents=True)
    (tests_dir / "__init__.py").write_text("", encoding="utf-8")
    classes_left = n_test_classes
    for t in range(n_tests):
        pkg, name = all_modules[(t * 7919) % len(all_modules)]
        share = classes_left / (n_tests - t)
        count = max(1, int(share) + (1 if rng.random() < share - int(share) else 0))
        classes_left -= count
        text = _mono_test(rng, pkg, name, count, fake=rng.random() < 0.03)
        (tests_dir / f"test_{t:05d}_{name}.py").write_text(text, encoding="utf-8")
        test_lines += text.count("\n")
        n_classes += count
        modules += 1
    total += test_lines
    return {"packages": n_packages, "modules": modules, "test_modules": n_tests, "classes": n_classes, "lines": total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--lines", type=int, default=None, help="default: 1,000,000 (4,000,000 with --shape monorepo)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--shape", choices=("services", "monorepo"), default="services")
    args = ap.parse_args()
    if args.shape == "monorepo":
        print(generate_monorepo(args.out, args.lines or MONO_LINES, args.seed))
    else:
        print(generate(args.out, args.lines or 1_000_000, args.seed))


if __name__ == "__main__":
    main()
