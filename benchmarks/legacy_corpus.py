"""A seeded, reproducible "legacy service" corpus for the speed benchmark and the tests.

The corpus is made of services. Each service is a copy of ``fixtures/legacy_service``
(its package renamed ``svcNNN``, imports rewritten; its tests under ``tests/svcNNN``)
plus generated modules of ordinary service code: dataclasses, repositories, async
handlers awaiting each other across modules, helpers, and code that obtains engines
the right way (``await factory.create_for_user(ctx)``). A few generated modules carry
the fixtures' legacy patterns (direct construction, ``import ... as``, ``Y = X``
aliases, re-exports), each marked ``# expect: SSOT001``.

    python benchmarks/legacy_corpus.py OUT_DIR [--lines 1000000] [--seed 6]
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


def generate(out: Path, lines: int = 1_000_000, seed: int = 6, module_lines: int = 420, legacy_share: float = 0.03) -> dict:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()
    print(generate(args.out, args.lines, args.seed))


if __name__ == "__main__":
    main()
