"""Warm equals cold: random edit sequences on a generated project, each edit linted twice.

Shared by ``tests/test_warm_cold.py`` (a short seeded run) and ``benchmarks/fuzz.py
--only warm-cold`` (the long campaign). A project of a few modules is generated from
the shapes the resolver, the contract inference and the rules care about (sync/async
functions calling each other, factories and the classes they build, bases, aliases,
re-exports, star imports, singletons, notifier-style calls); then each step applies
one random edit and lints the project twice in this process: with the cache (the
warm run sees only what changed since the last one) and with ``--no-cache``. Both
must give the same findings.

Everything is seeded (``random.Random(seed)``): a failure names the seed and the step,
and ``replay(seed, steps)`` rebuilds the project as it was.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.registry import LoadedRules, load_rules

FUNCS = ["load", "inner", "fetch", "helper", "run", "create_widget_for_user", "get_engine"]
CLASSES = ["Widget", "Base", "ExecutionEngine", "Notifier", "Store"]
MODULES = ["app/m0.py", "app/m1.py", "app/m2.py", "app/pkg/m3.py", "app/pkg/m4.py"]
INITS = ["app/__init__.py", "app/pkg/__init__.py"]


def _mod(rel: str) -> str:
    return rel[:-3].replace("/", ".").removesuffix(".__init__")


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def f(self) -> str:
        return self.r.choice(FUNCS)

    def c(self) -> str:
        return self.r.choice(CLASSES)

    def m(self) -> str:
        return _mod(self.r.choice(MODULES + INITS))

    def block(self) -> str:
        f, g, h, c, b, m = self.f(), self.f(), self.f(), self.c(), self.c(), self.m()
        short = m.rsplit(".", 1)[-1]
        choices = [
            f"from {m} import {g}\n",
            f"from {m} import {c}\n",
            f"from {m} import {g} as {h}\n",
            f"import {m}\n",
            f"from {m.rsplit('.', 1)[0]} import {short}\n",
            f"from {m} import *\n",
            f"async def {f}():\n    return {g}()\n",
            f"def {f}():\n    return {g}()\n",
            f"def {f}():\n    return 1\n",
            f"async def {f}(ctx):\n    {g}()\n    await {h}()\n    value = {g}()\n    return value\n",
            f"async def {f}(ctx):\n    {short}.{g}()\n    await {short}.{h}()\n",
            f"class {c}({b}):\n    def __init__(self, ctx):\n        self.ctx = ctx\n\n"
            f"    async def {f}(self):\n        await self.{g}()\n        self.{h}()\n\n"
            f"    def {g}(self):\n        return {h}()\n",
            f"class {c}:\n    _cache = {{}}\n\n    def __init__(self, ctx):\n        self.ctx = ctx\n\n"
            f"    def add(self, key):\n        self._cache[key] = self.ctx\n",
            f"def create_{c.lower()}_for_user(ctx):\n    return {c}(ctx)\n",
            f"class {c}Factory:\n    def {f}(self, user_context):\n        return {b}(user_context)\n",
            f"def build(ctx):\n    return {c}(ctx)\n",
            f"{c}Alias = {c}\n",
            f"{g} = {h}\n",
            f"_instance = {c}(None)\n",
            f"def get_{c.lower()}():\n    global _instance\n    if _instance is None:\n        _instance = {c}(None)\n    return _instance\n",
            f"class {c}(Protocol):\n    async def agent_started(self, run_id): ...\n\n    async def agent_thinking(self, run_id): ...\n",
            f"async def {f}(notifier: {c}):\n    notifier.agent_started(1)\n    await notifier.agent_thinking(2)\n    await notifier.agent_finished(3)\n",
            f"class {c}({b}):\n    def __init__(self, ctx, notifier=None):\n        self.notifier = notifier\n\n"
            f"    async def {f}(self):\n        await self.notifier.agent_started(1)\n",
            f"__all__ = ['{g}', '{c}']\n",
            f"class {c}({b}):\n    @staticmethod\n    async def {g}():\n        return 1\n\n"
            f"    def {f}(self):\n        yield 1\n",
            f"class {c}({b}):\n    def setup(self):\n        self.{g} = None\n",
        ]
        return self.r.choice(choices)

    def module(self) -> str:
        head = "from typing import Protocol\n\n" if self.r.random() < 0.3 else ""
        return head + "\n\n".join(self.block() for _ in range(self.r.randint(1, 5)))


def generate(rng: random.Random) -> dict[str, str]:
    g = Gen(rng)
    files = {rel: "" for rel in INITS}
    for rel in MODULES:
        files[rel] = g.module()
    if rng.random() < 0.5:
        files["app/__init__.py"] = g.block() if rng.random() < 0.5 else ""
    return files


# --- edits ------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def edit(rng: random.Random, files: dict[str, str]) -> tuple[str, dict[str, str]]:
    """One random edit: (a description, the new files). Always changes something."""
    g = Gen(rng)
    out = dict(files)
    modules = sorted(p for p in files if p.endswith(".py"))
    for _ in range(50):
        kind = rng.choice(
            [
                "toggle-async",
                "toggle-async",
                "rename-def",
                "add-import",
                "remove-line",
                "re-export",
                "change-base",
                "comment",
                "delete-file",
                "add-file",
                "add-block",
                "config",
                "toggle-async-all",
            ]
        )
        rel = rng.choice(modules)
        text = files.get(rel, "")
        lines = _lines(text)
        if kind in ("toggle-async", "rename-def"):
            defs = [i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "async def "))]
            if not defs:
                continue
            i = rng.choice(defs)
            line = lines[i]
            if kind == "toggle-async":
                lines[i] = (
                    line.replace("async def ", "def ", 1)
                    if "async def " in line
                    else line.replace("def ", "async def ", 1)
                )
            else:
                name = line.split("def ", 1)[1].split("(", 1)[0]
                lines[i] = line.replace(f"def {name}(", f"def {g.f()}(", 1)
            if lines[i] == line:
                continue
            out[rel] = "".join(lines)
            return f"{kind} {rel}:{i + 1}", out
        if kind == "toggle-async-all":
            name = g.f()
            new = (
                text.replace(f"async def {name}(", f"def {name}(")
                if f"async def {name}(" in text
                else text.replace(f"def {name}(", f"async def {name}(")
            )
            if new == text:
                continue
            out[rel] = new
            return f"{kind} {name} in {rel}", out
        if kind == "add-import":
            block = rng.choice(
                [f"from {g.m()} import {g.f()}\n", f"from {g.m()} import {g.c()}\n", f"import {g.m()}\n"]
            )
            out[rel] = block + text
            return f"{kind} {rel}: {block.strip()}", out
        if kind == "remove-line":
            if not lines:
                continue
            i = rng.randrange(len(lines))
            del lines[i]
            out[rel] = "".join(lines)
            return f"{kind} {rel}:{i + 1}", out
        if kind == "re-export":
            target = rng.choice(INITS)
            block = f"from {g.m()} import {rng.choice([g.f(), g.c()])}\n"
            out[target] = files.get(target, "") + block
            return f"{kind} {target}: {block.strip()}", out
        if kind == "change-base":
            classes = [i for i, line in enumerate(lines) if line.startswith("class ")]
            if not classes:
                continue
            i = rng.choice(classes)
            name = lines[i][6:].split("(", 1)[0].split(":", 1)[0]
            lines[i] = rng.choice(
                [f"class {name}({g.c()}):\n", f"class {name}:\n", f"class {name}({g.m()}.{g.c()}):\n"]
            )
            if lines[i] == files[rel].splitlines(keepends=True)[i]:
                continue
            out[rel] = "".join(lines)
            return f"{kind} {rel}:{i + 1}", out
        if kind == "comment":
            i = rng.randrange(len(lines) + 1)
            lines.insert(i, "# a comment\n")
            out[rel] = "".join(lines)
            return f"{kind} {rel}:{i + 1}", out
        if kind == "delete-file":
            if rel in INITS:
                continue
            del out[rel]
            return f"{kind} {rel}", out
        if kind == "add-file":
            missing = [p for p in MODULES + ["app/m5.py", "app/pkg/m6.py"] if p not in files]
            if not missing:
                continue
            new = rng.choice(missing)
            out[new] = g.module()
            return f"{kind} {new}", out
        if kind == "add-block":
            block = g.block()
            out[rel] = text + "\n\n" + block
            return f"{kind} {rel}: {block.splitlines()[0]}", out
        if kind == "config":
            current = files.get("pyproject.toml", "")
            options = [
                "",
                '[tool.ssot-lint]\nignore = ["SSOT005"]\n',
                "[tool.ssot-lint.contract]\ninfer = false\n",
                '[tool.ssot-lint.contract]\nmanaged = ["app.m0.Widget"]\n',
            ]
            choice = rng.choice([o for o in options if o != current])
            out["pyproject.toml"] = choice
            return f"{kind}: {choice.strip() or 'default'}", out
    raise AssertionError("no edit applies")  # pragma: no cover


# --- running ----------------------------------------------------------------------------------

_RULES: LoadedRules | None = None


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Make ``root`` hold exactly ``files`` (plus the cache), writing only what changed."""
    wanted = {"pyproject.toml": '[project]\nname = "demo"\n' + files.get("pyproject.toml", "")}
    wanted.update({p: t for p, t in files.items() if p != "pyproject.toml"})
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(".ssot_lint_cache") and rel not in wanted:
            path.unlink()
    for rel, text in wanted.items():
        p = root / rel
        if p.exists() and p.read_text(encoding="utf-8") == text:
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def findings(root: Path, *, cache: bool, jobs: int = 1) -> list[tuple]:
    global _RULES
    if _RULES is None:
        _RULES = load_rules()
    linter = Linter(load_config(root), _RULES, options=RunOptions(jobs=jobs, use_cache=cache))
    result = linter.run([str(root)])
    return [(d.code, d.path, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics] + [
        ("error", e.kind, e.path, e.message) for e in result.errors
    ]


@dataclass
class Outcome:
    seed: int
    steps: int = 0
    findings: int = 0  # findings seen over all steps (a campaign that finds nothing tests little)
    failure: str | None = None
    history: list[str] = field(default_factory=list)


def check_sequence(seed: int, steps: int, workdir: Path, jobs: int = 1) -> Outcome:
    """Generate a project from ``seed``, apply ``steps`` random edits; after each, warm must
    equal cold. Stops at the first difference (``Outcome.failure`` says what and where)."""
    rng = random.Random(seed)
    root = workdir / f"seed-{seed}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    files = generate(rng)
    out = Outcome(seed)
    for step in range(steps + 1):
        if step:
            what, files = edit(rng, files)
            out.history.append(what)
        write_tree(root, files)
        warm = findings(root, cache=True, jobs=jobs)
        cold = findings(root, cache=False)
        out.steps = step
        out.findings += len(cold)
        if warm != cold:
            missing = [f for f in cold if f not in warm]
            extra = [f for f in warm if f not in cold]
            out.failure = (
                f"seed {seed}, step {step} ({out.history[-1] if out.history else 'first run'}): warm differs from cold\n"
                f"  only cold: {missing}\n  only warm: {extra}\n  edits: {out.history}"
            )
            return out
    shutil.rmtree(root, ignore_errors=True)
    return out


def replay(seed: int, steps: int) -> dict[str, str]:
    """The files of ``seed`` after ``steps`` edits (to reproduce a failure by hand)."""
    rng = random.Random(seed)
    files = generate(rng)
    for _ in range(steps):
        files = edit(rng, files)[1]
    return files
