"""Benchmark: SSOT003/SSOT005 against pyright and mypy on a generated project.

Builds a seeded, reproducible multi-module project (``--units`` units of 15 modules
each; 80 units = 1201 modules by default) with known planted bugs (awaited sync calls,
never-awaited coroutines) reached through every resolution shape, and known decoys
that fool a name-only checker (twins where the imported one is async, sync functions
returning tasks or coroutines, async overrides in subclasses, mocks, third-party
calls).  Then runs ``ssot-lint`` (JSON output) and, when installed, ``pyright`` and
``mypy``, and prints recall, precision and wall time for each.

A tool's finding counts when it is on a planted line (true positive) or on any other
line (false positive); for the type checkers only await-related diagnostics are
counted (not-awaitable, unused coroutine, attribute/subscript/truth-test on a
coroutine), so unrelated complaints do not lower their precision.

    python benchmarks/await_vs_typecheckers.py                 # 1201 modules, seed 4
    python benchmarks/await_vs_typecheckers.py --units 100 --seed 7 --keep
    python benchmarks/await_vs_typecheckers.py --tools ssot-lint --repeat 5

The project is written to a temporary directory (or ``--out``; ``benchmarks/generated/``
is git-ignored) and removed afterwards unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BUG3 = "SSOT003"
BUG5 = "SSOT005"
DECOY = "decoy"
ALSO = "also"  # the line where a type checker may report the bug planted on the line before


@dataclass
class Module:
    path: str
    lines: list[str] = field(default_factory=list)
    marks: list[tuple[int, str]] = field(default_factory=list)

    def add(self, line: str = "", mark: str | None = None) -> None:
        self.lines.append(line)
        if mark is not None:
            self.marks.append((len(self.lines), mark))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _unit(k: int, rng: random.Random) -> list[Module]:
    """One unit: a library, twins, a re-exporting package, three caller modules and the
    real-code shapes (``_shape_modules``)."""
    pkg = f"app/u{k:03d}"
    mod = f"app.u{k:03d}"
    word = rng.choice(["user", "session", "quota", "profile", "event", "report", "tenant", "agent"])
    sync_name = f"get_{word}_{k}"
    typed_name = f"read_{word}_{k}"
    async_name = f"load_{word}_{k}"
    twin = f"fetch_{word}_{k}"

    init = Module(f"{pkg}/__init__.py")
    init.add(f"from .lib import {sync_name} as exported_{sync_name}")
    init.add(f"from .lib import {async_name}")

    lib = Module(f"{pkg}/lib.py")
    for line in [
        "import asyncio",
        "",
        "",
        f"def {sync_name}(key):",
        "    return {'key': key}",
        "",
        "",
        f"def {typed_name}(key: str) -> dict:",
        "    return {'key': key}",
        "",
        "",
        f"async def {async_name}(key):",
        "    return [key]",
        "",
        "",
        "def make_task(key):",
        f"    return asyncio.create_task({async_name}(key))",
        "",
        "",
        "def make_coro(key):",
        f"    return {async_name}(key)",
        "",
        "",
        "class Store:",
        "    def __init__(self):",
        "        self._data = {}",
        "",
        "    def get(self, key):",
        "        return self._data.get(key)",
        "",
        "    async def fetch(self, key):",
        "        return self._data.get(key)",
        "",
        "",
        "class Base:",
        "    def hook(self):",
        "        return 1",
        "",
        "    def plain(self):",
        "        return 2",
        "",
        "    async def run(self):",
    ]:
        lib.add(line)
    lib.add("        await self.hook()", DECOY)  # Child overrides hook as async
    lib.add("        return await self.plain()", BUG3)
    for line in [
        "",
        "",
        "class Child(Base):",
        "    async def hook(self):",
        "        return 3",
        "",
        "    async def run(self):",
    ]:
        lib.add(line)
    lib.add("        return await super().plain()", BUG3)

    twin_sync = Module(f"{pkg}/twin_sync.py")
    twin_sync.add(f"def {twin}(uid):")
    twin_sync.add("    return {'uid': uid}")
    twin_async = Module(f"{pkg}/twin_async.py")
    twin_async.add(f"async def {twin}(uid):")
    twin_async.add("    return {'uid': uid}")

    # Callers through names: imports of every shape.
    a = Module(f"{pkg}/callers_a.py")
    a.add(f"import {mod}.lib as lib_mod")
    a.add(f"from {mod} import exported_{sync_name}")
    a.add(f"from .lib import {sync_name}, {typed_name}")
    a.add(f"from .twin_sync import {twin}")
    a.add("")
    a.add(f"alias_{k} = {sync_name}")
    a.add("")
    a.add("")
    a.add("async def handler(key):")
    shapes = [
        (f"    x1 = await {sync_name}(key)", BUG3),
        (f"    x2 = await lib_mod.{sync_name}(key)", BUG3),
        (f"    x3 = await exported_{sync_name}(key)", BUG3),
        (f"    x4 = await alias_{k}(key)", BUG3),
        (f"    x5 = await {typed_name}(key)", BUG3),
        (f"    x6 = await {twin}(key)", BUG3),
        ("    x7 = await lib_mod.make_task(key)", DECOY),
        ("    x8 = await lib_mod.make_coro(key)", DECOY),
    ]
    rng.shuffle(shapes)
    for line, mark in shapes:
        a.add(line, mark)
    a.add("    return [x1, x2, x3, x4, x5, x6, x7, x8]")
    a.add("")
    a.add("")
    a.add("async def local_import(key):")
    a.add(f"    from .lib import {sync_name} as local_get")
    a.add("")
    a.add("    return await local_get(key)", BUG3)

    # Callers through receivers, and decoys a name-only checker gets wrong.
    b = Module(f"{pkg}/callers_b.py")
    b.add("from unittest.mock import AsyncMock")
    b.add("")
    b.add("import thirdparty_sdk")
    b.add("")
    b.add("from .lib import Store")
    b.add(f"from .twin_async import {twin}")
    b.add("")
    b.add("")
    b.add("class Service:")
    b.add("    def __init__(self, store: Store):")
    b.add("        self.store = store")
    b.add("        self.client = thirdparty_sdk.Client()")
    b.add("")
    b.add("    async def run(self, key):")
    b.add("        await self.store.get(key)", BUG3)
    b.add("        await self.store.fetch(key)")
    b.add("        await self.client.get(key)", DECOY)
    b.add("        return await self.helper(key)", BUG3)
    b.add("")
    b.add("    def helper(self, key):")
    b.add("        return {'key': key}")
    b.add("")
    b.add("")
    b.add("async def with_param(store: Store, key):")
    b.add("    return await store.get(key)", BUG3)
    b.add("")
    b.add("")
    b.add("async def with_local(key):")
    b.add("    store = Store()")
    b.add("    value = await store.get(key)", BUG3)
    b.add(f"    remote = await {twin}(key)", DECOY)
    b.add("    mock = AsyncMock()")
    b.add("    await mock.get(key)", DECOY)
    b.add("    return value, remote")

    # Missing awaits.
    c = Module(f"{pkg}/missing.py")
    c.add("import asyncio")
    c.add("")
    c.add(f"from .lib import Store, {async_name}")
    c.add("")
    c.add("")
    c.add("async def forgets(key, store: Store):")
    c.add(f"    {async_name}(key)", BUG5)
    c.add("    store.fetch(key)", BUG5)
    c.add(f"    pending = {async_name}(key)", BUG5)
    c.add("    if pending:", ALSO)
    c.add("        return None")
    c.add(f"    if {async_name}(key):", BUG5)
    c.add("        return None")
    c.add(f"    task = asyncio.create_task({async_name}(key))", DECOY)
    c.add(f"    later = {async_name}(key)", DECOY)
    c.add(f"    both = await asyncio.gather({async_name}(key), later)", DECOY)
    c.add("    return task, both")
    c.add("")
    c.add("")
    c.add("def sync_forgets(key):")
    c.add(f"    {async_name}(key)", BUG5)
    return [init, lib, twin_sync, twin_async, a, b, c] + _shape_modules(
        pkg, mod, sync_name, typed_name, async_name, twin
    )


def _shape_modules(pkg: str, mod: str, sync_name: str, typed_name: str, async_name: str, twin: str) -> list[Module]:
    """The real-code shapes of issue 15, one module (or two) per shape, with their decoys."""
    out: list[Module] = []
    # 3: rebinding of an imported name; the last straight-line binding wins.
    m = Module(f"{pkg}/shape_rebind.py")
    m.add(f"from .twin_async import {twin}")
    m.add(f"from .twin_sync import {twin}")
    m.add("")
    m.add("")
    m.add("async def rebound(key):")
    m.add(f"    return await {twin}(key)", BUG3)
    out.append(m)
    m = Module(f"{pkg}/shape_rebind_decoy.py")
    m.add("import os")
    m.add("")
    m.add(f"from .twin_sync import {twin}")
    m.add(f"from .twin_async import {twin}")
    m.add("")
    m.add(f"from .twin_sync import {twin} as sync_twin")
    m.add("")
    m.add("if os.environ.get('ASYNC_TWIN'):")
    m.add(f"    from .twin_async import {twin} as sync_twin")
    m.add("")
    m.add("")
    m.add("async def rebound(key):")
    m.add(f"    first = await {twin}(key)", DECOY)  # the async twin is the last binding
    m.add("    return first, await sync_twin(key)", DECOY)  # either binding may be the one at run time
    out.append(m)
    # 2: an `except ImportError` fallback that cannot run (the `try` imports a project module).
    m = Module(f"{pkg}/shape_fallback.py")
    m.add("try:")
    m.add(f"    from .lib import {sync_name}")
    m.add("except ImportError:")
    m.add("")
    m.add(f"    async def {sync_name}(key):")
    m.add("        return key")
    m.add("")
    m.add("")
    m.add("try:")
    m.add("    import thirdparty_sdk")
    m.add(f"    from .lib import {sync_name} as maybe_sync")
    m.add("except ImportError:")
    m.add("")
    m.add("    async def maybe_sync(key):")
    m.add("        return key")
    m.add("")
    m.add("")
    m.add("async def via_fallback(key):")
    m.add(f"    value = await {sync_name}(key)", BUG3)
    m.add("    return value, await maybe_sync(key)", DECOY)  # the SDK may be missing: the fallback runs
    out.append(m)
    # 1: a patch applies only where it is active (its `with` block, the test it decorates).
    m = Module(f"{pkg}/shape_patch.py")
    m.add("from unittest.mock import AsyncMock, patch")
    m.add("")
    m.add(f"import {mod}.lib as lib_mod")
    m.add("")
    m.add(f"from .lib import {typed_name}")
    m.add("")
    m.add("")
    m.add("async def test_real(key):")
    m.add(f"    return await {typed_name}(key)", BUG3)
    m.add("")
    m.add("")
    m.add("async def test_patched(key):")
    m.add(f"    with patch('{mod}.lib.{typed_name}', new=AsyncMock()):")
    m.add(f"        return await lib_mod.{typed_name}(key)", DECOY)
    m.add("")
    m.add("")
    m.add(f"@patch('{mod}.lib.{sync_name}', new_callable=AsyncMock)")
    m.add("async def test_decorated(fake, key):")
    m.add(f"    return await lib_mod.{sync_name}(key)", DECOY)
    m.add("")
    m.add("")
    m.add("async def test_after(key):")
    m.add(f"    return await lib_mod.{sync_name}(key)", BUG3)
    out.append(m)
    # 5: a test's parameter named after a pytest fixture has the fixture's class.
    m = Module(f"{pkg}/shape_fixture.py")
    m.add("import pytest")
    m.add("")
    m.add("from .lib import Store")
    m.add("")
    m.add("")
    m.add("@pytest.fixture")
    m.add("def store():")
    m.add("    return Store()")
    m.add("")
    m.add("")
    m.add("def test_forgets(store, key):")
    m.add("    store.fetch(key)", BUG5)
    m.add("")
    m.add("")
    m.add("async def test_awaits_sync(store, key):")
    m.add("    return await store.get(key)", BUG3)
    m.add("")
    m.add("")
    m.add("@pytest.mark.parametrize('store', [None])")
    m.add("def test_parametrized(store, key):")
    m.add("    store.fetch(key)", DECOY)  # the parametrized value, not the fixture
    out.append(m)
    # 7: attribute chains through a module-level instance; declared attribute types count.
    m = Module(f"{pkg}/shape_chain.py")
    m.add("from .lib import Store")
    m.add("")
    m.add("")
    m.add("class Holder:")
    m.add("    declared: Store")
    m.add("")
    m.add("    def __init__(self, given=None):")
    m.add("        self.store = Store()")
    m.add("        self.declared = given")
    m.add("        self.given = given")
    m.add("")
    m.add("")
    m.add("holder = Holder()")
    m.add("")
    m.add("")
    m.add("async def through_chain(key):")
    m.add("    holder.store.fetch(key)", BUG5)
    m.add("    value = await holder.declared.get(key)", BUG3)
    m.add("    return value, await holder.given.get(key)", DECOY)  # an untyped parameter: unknown
    out.append(m)
    # 4: bases outside the project that are standard-library classes have no `__await__`.
    m = Module(f"{pkg}/shape_bases.py")
    m.add("import asyncio")
    m.add("from typing import Generic, TypeVar")
    m.add("")
    m.add("T = TypeVar('T')")
    m.add("")
    m.add("")
    m.add("class Box(Generic[T]):")
    m.add("    pass")
    m.add("")
    m.add("")
    m.add("class UserBox(Box['User']):")
    m.add("    pass")
    m.add("")
    m.add("")
    m.add("class Handle(asyncio.Future):")
    m.add("    pass")
    m.add("")
    m.add("")
    m.add("def get_box() -> UserBox:")
    m.add("    return UserBox()")
    m.add("")
    m.add("")
    m.add("def get_handle() -> Handle:")
    m.add("    return Handle()")
    m.add("")
    m.add("")
    m.add("async def use_boxes():")
    m.add("    box = await get_box()", BUG3)
    m.add("    handle = await get_handle()", DECOY)  # a future is awaitable
    m.add("    return box, handle")
    out.append(m)
    # 6: a coroutine used as a value: returned from a def declared otherwise, or kept and
    # passed to a parameter annotated with a plain type.
    m = Module(f"{pkg}/shape_value.py")
    m.add(f"from .lib import {async_name}, {typed_name}")
    m.add("")
    m.add("")
    m.add("def as_list(key) -> list:")
    m.add(f"    return {async_name}(key)", BUG5)
    m.add("")
    m.add("")
    m.add("def as_dict(key):")
    m.add(f"    pending = {async_name}(key)", BUG5)
    m.add(f"    return {typed_name}(pending)")
    m.add("")
    m.add("")
    m.add("def deferred(key):")
    m.add(f"    return {async_name}(key)", DECOY)  # undeclared: the caller may await it
    out.append(m)
    return out


def generate(
    root: Path, units: int, seed: int
) -> tuple[set[tuple[str, int, str]], set[tuple[str, int]], dict[tuple[str, int], int], int]:
    """Write the project; return planted bugs (path, line, code), decoy lines, alternative
    lines (a use line -> the planted line it belongs to) and the module count."""
    rng = random.Random(seed)
    bugs: set[tuple[str, int, str]] = set()
    also: dict[tuple[str, int], int] = {}
    decoys: set[tuple[str, int]] = set()
    modules = [Module("app/__init__.py")]
    for k in range(units):
        modules.extend(_unit(k, rng))
    for m in modules:
        p = root / m.path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(m.text(), encoding="utf-8")
        for line, mark in m.marks:
            if mark == DECOY:
                decoys.add((m.path, line))
            elif mark == ALSO:
                also[(m.path, line)] = line - 1
            else:
                bugs.add((m.path, line, mark))
    (root / "pyproject.toml").write_text('[project]\nname = "generated"\nversion = "0"\n', encoding="utf-8")
    return bugs, decoys, also, len(modules)


# --- tools ------------------------------------------------------------------------------------
def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Timer:
    """Wall time and the CPU time (user + system) of the child processes run meanwhile."""

    def __enter__(self) -> Timer:
        self.cpu0 = _children_cpu()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = _children_cpu() - self.cpu0


def run_ssot_lint(root: Path) -> tuple[set[tuple[str, int, str]], tuple[float, float]]:
    cmd = [
        sys.executable,
        # The generated tree, the working directory, must not shadow any module: -P (3.11+);
        # on 3.10 `python -m ssot_lint` drops the working directory from sys.path itself.
        *(["-P"] if sys.version_info >= (3, 11) else []),
        "-m",
        "ssot_lint",
        "check",
        str(root),
        "--select",
        "SSOT003,SSOT005",
        "--format",
        "json",
        "--no-cache",
        "--exit-zero",
    ]
    with Timer() as timer:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    elapsed = (timer.wall, timer.cpu)
    if proc.returncode != 0:
        raise SystemExit(f"ssot-lint failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    doc = json.loads(proc.stdout)
    found = {(d["path"], d["range"]["start"]["line"], d["code"]) for d in doc["diagnostics"]}
    return found, elapsed


_PYRIGHT_AWAIT = ("is not awaitable", "async function call is not used", "Coroutine")


def run_pyright(root: Path) -> tuple[set[tuple[str, int, str]], tuple[float, float]] | None:
    exe = shutil.which("pyright")
    if exe is None:
        return None
    (root / "pyrightconfig.json").write_text(json.dumps({"include": ["app"], "reportMissingImports": False}))
    with Timer() as timer:
        proc = subprocess.run([exe, "--outputjson"], capture_output=True, text=True, cwd=root)
    elapsed = (timer.wall, timer.cpu)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(f"pyright did not run: {(proc.stderr or proc.stdout).strip()[:300]}")
        return None
    found = set()
    for d in doc.get("generalDiagnostics", []):
        msg = d.get("message", "")
        if d.get("rule") == "reportUnusedCoroutine" or any(s in msg for s in _PYRIGHT_AWAIT):
            code = BUG5 if ("not used" in msg or "Coroutine" in msg) else BUG3
            rel = Path(d["file"]).resolve().relative_to(root.resolve()).as_posix()
            found.add((rel, d["range"]["start"]["line"] + 1, code))
    return found, elapsed


def run_mypy(root: Path) -> tuple[set[tuple[str, int, str]], tuple[float, float]] | None:
    try:
        import mypy  # noqa: F401
    except ImportError:
        return None
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "app",
        "--check-untyped-defs",
        "--ignore-missing-imports",
        "--no-incremental",
        "--show-error-codes",
        "--no-error-summary",
        "--cache-dir",
        os.devnull,
    ]
    with Timer() as timer:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    elapsed = (timer.wall, timer.cpu)
    found = set()
    for line in proc.stdout.splitlines():
        parts = line.split(":", 3)
        if len(parts) < 4 or not parts[1].isdigit():
            continue
        msg = parts[3]
        if "unused-coroutine" in msg or "Coroutine" in msg or "await" in msg.lower() or "Awaitable" in msg:
            code = BUG5 if ("unused-coroutine" in msg or "Coroutine" in msg) else BUG3
            found.add((Path(parts[0]).as_posix(), int(parts[1]), code))
    return found, elapsed


def score(
    found: set[tuple[str, int, str]],
    bugs: set[tuple[str, int, str]],
    decoys: set[tuple[str, int]],
    also: dict[tuple[str, int], int],
    strict_code: bool,
) -> dict:
    if not strict_code:  # a type checker may report at the use of the value: credit the planted line
        found = {(p, also.get((p, line), line), code) for p, line, code in found}
    bug_lines = {(p, line) for p, line, _ in bugs}
    if strict_code:
        tp = found & bugs
        fp = found - bugs
    else:  # type checkers: any await-related finding on a planted line counts
        tp = {b for b in bugs if (b[0], b[1]) in {(p, line) for p, line, _ in found}}
        fp = {f for f in found if (f[0], f[1]) not in bug_lines}
    flagged_decoys = {(p, line) for p, line, _ in fp} & decoys
    n_found = len(tp) + len(fp)
    return {
        "tp": len(tp),
        "fp": len(fp),
        "fn": len(bugs) - len(tp),
        "recall": len(tp) / len(bugs) if bugs else 1.0,
        "precision": len(tp) / n_found if n_found else 1.0,
        "decoys_flagged": len(flagged_decoys),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=80, help="units of 15 modules each (default 80 = 1201 modules)")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3, help="ssot-lint runs (the median time is reported)")
    ap.add_argument("--repeat-checkers", type=int, default=1, help="pyright and mypy runs (median)")
    ap.add_argument("--tools", default="ssot-lint,pyright,mypy")
    ap.add_argument("--out", help="directory to generate into (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the generated project")
    args = ap.parse_args(argv)
    tools = {t.strip() for t in args.tools.split(",")}

    root = Path(args.out).resolve() if args.out else Path(tempfile.mkdtemp(prefix="ssot-await-bench-"))
    if args.out and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        bugs, decoys, also, n_modules = generate(root, args.units, args.seed)
        n3 = sum(1 for b in bugs if b[2] == BUG3)
        print(
            f"generated {n_modules} modules in {root} (seed {args.seed}): "
            f"{len(bugs)} planted bugs ({n3} SSOT003, {len(bugs) - n3} SSOT005), {len(decoys)} decoys"
        )
        rows = []  # (tool, score, median wall s, median cpu s, runs)
        for tool in ("ssot-lint", "pyright", "mypy"):
            if tool not in tools:
                continue
            runner = {"ssot-lint": run_ssot_lint, "pyright": run_pyright, "mypy": run_mypy}[tool]
            walls, cpus = [], []
            found: set = set()
            for _ in range(max(1, args.repeat if tool == "ssot-lint" else args.repeat_checkers)):
                got = runner(root)
                if got is None:
                    break
                found, (wall, cpu) = got
                walls.append(wall)
                cpus.append(cpu)
            if not walls:
                hint = "pip install pyright; it needs node" if tool == "pyright" else "pip install mypy"
                print(f"{tool}: not installed ({hint}), skipped")
                continue
            name = "mypy --check-untyped-defs" if tool == "mypy" else tool
            rows.append(
                (
                    name,
                    score(found, bugs, decoys, also, tool == "ssot-lint"),
                    statistics.median(walls),
                    statistics.median(cpus),
                    len(walls),
                )
            )
        print()
        print(
            f"{'tool':<28}{'recall':>8}{'precision':>11}{'TP':>6}{'FP':>6}{'FN':>6}{'decoys hit':>12}"
            f"{'wall s':>9}{'cpu s':>8}  runs"
        )
        for name, s, wall, cpu, runs in rows:
            print(
                f"{name:<28}{s['recall']:>8.1%}{s['precision']:>11.1%}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
                f"{s['decoys_flagged']:>12}{wall:>9.2f}{cpu:>8.2f}  {runs} (median)"
            )
        base = next((r for r in rows if r[0] == "ssot-lint"), None)
        if base:
            for name, _, wall, cpu, _ in rows:
                if name != "ssot-lint":
                    print(f"{name} / ssot-lint: {wall / base[2]:.1f}x wall time, {cpu / base[3]:.1f}x cpu time")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
