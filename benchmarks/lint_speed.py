"""How fast is ssot-lint? Cold, warm, one file changed and pre-commit, against Ruff (and Fixit).

    python benchmarks/lint_speed.py [--runs 5] [--trees stdlib,legacy] [--lines 1000000]

Trees (generated into ``benchmarks/generated/``, which git ignores):

- ``stdlib``: a copy of this interpreter's standard library (its ``.py`` files, without
  ``site-packages``), with a ``pyproject.toml`` so it is its own project root;
- ``legacy``: the seeded "legacy service" corpus of ``benchmarks/legacy_corpus.py``
  (at least ``--lines`` lines; the fixtures' patterns at a realistic density).

Every figure is the wall time of a real subprocess; the table shows the median and
min/max over ``--runs`` runs. Modes:

- cold: no cache (the cache directory is deleted before each run; the run writes it);
- warm: the cache is present and nothing changed;
- one file changed: a statement is appended to one module before each run (a real
  change of its facts: modules that depend on it are re-linted too);
- pre-commit: five files named on the command line, one of them changed, warm cache.

Ruff runs as ``ruff check --no-cache --select E,F,W`` (cold by definition). Fixit, if
installed, runs cold on a slice of the tree and its time is scaled to the whole tree.
Peak RSS is the largest sum of the resident memory of ssot-lint's process tree
(the main process and its workers), sampled every 10 ms during a cold run. The
prefilter check compares the JSON output with and without ``--no-prefilter``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "generated"
sys.path.insert(0, str(HERE))

from legacy_corpus import generate  # noqa: E402

# Without PYTHONDONTWRITEBYTECODE: an installed ssot-lint has its modules compiled (pip does
# that); a sandbox that forbids bytecode would add recompiling every module to every run.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "NO_COLOR": "1", "SSOT_LINT_NO_PROGRESS": "1"}
# -P: the tree being linted must not shadow modules on sys.path (a stdlib copy has a
# `threading.py` in the working directory; `python -m` would otherwise import it).
SSOT = [sys.executable, "-P", "-m", "ssot_lint", "check"]
# What any tool built on CPython's `ast` pays before doing anything: parse every file,
# on the same number of processes ssot-lint uses by default (one per core).
AST_FLOOR = r"""
import ast, os, sys, warnings
from multiprocessing import get_context
def parse(path):
    try:
        with open(path, "rb") as fh:
            ast.parse(fh.read())
    except Exception:
        pass
if __name__ == "__main__":
    warnings.simplefilter("ignore")
    paths = [os.path.join(d, f) for d, _, fs in os.walk(".") if ".ssot_lint_cache" not in d for f in fs if f.endswith(".py")]
    with get_context("fork").Pool(os.cpu_count()) as pool:
        pool.map(parse, paths, chunksize=16)
"""


# --- trees -----------------------------------------------------------------------------
def make_stdlib(out: Path) -> None:
    src = Path(sysconfig.get_paths()["stdlib"])
    if out.exists():
        shutil.rmtree(out)
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src)
        if rel.parts[0] == "site-packages" or "__pycache__" in rel.parts:
            continue
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    (out / "pyproject.toml").write_text('[project]\nname = "stdlib-copy"\n', encoding="utf-8")


def tree_size(root: Path) -> tuple[int, int]:
    files = lines = 0
    for p in root.rglob("*.py"):
        if ".ssot_lint_cache" in p.parts:
            continue
        files += 1
        with open(p, "rb") as fh:
            lines += fh.read().count(b"\n")
    return files, lines


# --- measuring -------------------------------------------------------------------------
def _proc_kib(path: str, key: str) -> int:
    """The ``key: N kB`` value of a /proc file (0 when absent)."""
    with open(path) as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def _tree_rss(pid: int) -> tuple[int, int]:
    """Memory (bytes) of a process and all its descendants: the sum of their resident
    sets, and the sum of their proportional sets (PSS: a page shared by the forked
    workers counts once in total, not once per process)."""
    total = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            total += _proc_kib(f"/proc/{p}/status", "VmRSS:") * 1024
            try:
                pss += _proc_kib(f"/proc/{p}/smaps_rollup", "Pss:") * 1024
            except OSError:
                pass
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    return total, pss


def timed(cmd: list[str], cwd: Path, sample_rss: bool = False) -> tuple[float, tuple[int, int], subprocess.CompletedProcess]:
    """Wall time, peak (RSS sum, PSS sum) of the process tree, and the completed process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = (0, 0)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            rss, pss = _tree_rss(proc.pid)
            peak = (max(peak[0], rss), max(peak[1], pss))
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True) if sample_rss else None
    if sampler:
        sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    if sampler:
        sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-2000:]}")
    return elapsed, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def summary(times: list[float]) -> dict:
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": len(times)}


def fmt(s: dict | None) -> str:
    if not s:
        return "n/a"
    return f"{s['median']:.2f} s ({s['min']:.2f}-{s['max']:.2f})"


def bench_tree(name: str, root: Path, runs: int, fixit_files: int, cold_runs: int | None = None,
               prefilter_check: bool = True) -> dict:
    cache = root / ".ssot_lint_cache"
    files, lines = tree_size(root)
    print(f"\n== {name}: {files} files, {lines} lines ==", flush=True)
    row: dict = {"tree": name, "files": files, "lines": lines}
    check = SSOT + [".", "--exit-zero", "--format", "concise"]

    cold, rss, pss = [], 0, 0
    for _ in range(runs if cold_runs is None else max(1, cold_runs)):
        shutil.rmtree(cache, ignore_errors=True)
        t, peak, _ = timed(check, root, sample_rss=True)
        cold.append(t)
        rss, pss = max(rss, peak[0]), max(pss, peak[1])
    row["cold"] = summary(cold)
    row["peak_rss_mb"] = rss / 2**20
    row["peak_pss_mb"] = pss / 2**20
    print(f"  cold        {fmt(row['cold'])}  peak PSS {row['peak_pss_mb']:.0f} MiB "
          f"(sum of RSS {row['peak_rss_mb']:.0f} MiB)", flush=True)

    warm, warm_rss = [], 0
    for _ in range(runs):
        t, peak, proc = timed(check, root, sample_rss=True)
        warm.append(t)
        warm_rss = max(warm_rss, peak[1])
    row["warm"] = summary(warm)
    row["warm_pss_mb"] = warm_rss / 2**20
    row["findings"] = proc.stdout.decode().strip().splitlines()[-1] if proc.stdout.strip() else ""
    print(f"  warm        {fmt(row['warm'])}  ({row['findings']})", flush=True)

    modules = sorted(p for p in root.rglob("*.py") if ".ssot_lint_cache" not in p.parts and p.stat().st_size > 2000)
    victim = modules[len(modules) // 2]
    original = victim.read_bytes()
    one = []
    try:
        for i in range(runs):
            victim.write_bytes(original + f"\n_bench_edit_{i} = {i}\n".encode())
            t, _, _ = timed(check, root)
            one.append(t)
    finally:
        victim.write_bytes(original)
    timed(check, root)  # back to a warm cache of the original tree
    row["one_changed"] = summary(one)
    row["changed_file"] = victim.relative_to(root).as_posix()
    print(f"  one changed {fmt(row['one_changed'])}  ({row['changed_file']})", flush=True)

    step = max(1, len(modules) // 5)
    hook_files = [modules[i * step] for i in range(5)]
    hook_victim = hook_files[0]
    original = hook_victim.read_bytes()
    hook = []
    try:
        for i in range(runs):
            hook_victim.write_bytes(original + f"\n_hook_edit_{i} = {i}\n".encode())
            t, _, _ = timed(SSOT + [str(p.relative_to(root)) for p in hook_files] + ["--exit-zero"], root)
            hook.append(t)
    finally:
        hook_victim.write_bytes(original)
    row["pre_commit"] = summary(hook)
    print(f"  pre-commit  {fmt(row['pre_commit'])}  (5 files, 1 changed)", flush=True)

    if shutil.which("ruff"):
        ruff = [timed(["ruff", "check", "--no-cache", "--select", "E,F,W", "--exit-zero", "-q", "."], root)[0] for _ in range(runs)]
        row["ruff"] = summary(ruff)
        print(f"  ruff        {fmt(row['ruff'])}", flush=True)

    floor = [timed([sys.executable, "-P", "-c", AST_FLOOR], root)[0] for _ in range(runs)]
    row["ast_floor"] = summary(floor)
    print(f"  ast floor   {fmt(row['ast_floor'])}  (ast.parse of every file, one process per core)", flush=True)

    if shutil.which("fixit") and fixit_files:
        chosen = modules[:: max(1, len(modules) // fixit_files)][:fixit_files]
        slice_lines = sum(p.read_bytes().count(b"\n") for p in chosen)
        t, _, _ = timed(["fixit", "lint", *[str(p.relative_to(root)) for p in chosen]], root)
        row["fixit_slice"] = {"files": len(chosen), "lines": slice_lines, "seconds": t}
        row["fixit_projected"] = t * lines / max(slice_lines, 1)
        print(f"  fixit       {t:.2f} s on {len(chosen)} files / {slice_lines} lines -> ~{row['fixit_projected']:.0f} s for the tree", flush=True)

    if not prefilter_check:
        return row
    a = timed(SSOT + [".", "--exit-zero", "--format", "json", "--no-cache"], root)[2].stdout
    b_time, _, b = timed(SSOT + [".", "--exit-zero", "--format", "json", "--no-cache", "--no-prefilter"], root)
    da, db = json.loads(a), json.loads(b.stdout)
    row["prefilter_identical"] = da == db
    row["no_prefilter_seconds"] = b_time
    row["diagnostics"] = len(da["diagnostics"])
    print(f"  prefilter   identical: {'yes' if da == db else 'NO'} ({len(da['diagnostics'])} findings; "
          f"--no-prefilter took {b_time:.1f} s)", flush=True)
    return row


def table(rows: list[dict]) -> str:
    head = ("| tree | files | lines | ssot-lint cold | warm | one file changed | pre-commit (5 files) | ruff cold | "
            "ast.parse floor | fixit cold (projected) | peak PSS (RSS sum) | prefilter identical |")
    out = [head, "|---|---:|---:|---|---|---|---|---|---|---|---:|---|"]
    for r in rows:
        fixit = f"~{r['fixit_projected']:.0f} s" if "fixit_projected" in r else "n/a"
        same = "n/a" if "prefilter_identical" not in r else "yes" if r["prefilter_identical"] else "NO"
        out.append(
            f"| {r['tree']} | {r['files']} | {r['lines']:,} | {fmt(r['cold'])} | {fmt(r['warm'])} | {fmt(r['one_changed'])} | "
            f"{fmt(r['pre_commit'])} | {fmt(r.get('ruff'))} | {fmt(r.get('ast_floor'))} | {fixit} | "
            f"{r['peak_pss_mb']:.0f} MiB ({r['peak_rss_mb']:.0f}) | "
            f"{same} |"
        )
    out.append("")
    out.append("| tree | cold / ruff (target <= 4) | ast floor / ruff | warm / ruff (<= 1) | one changed / ruff (<= 1.5) | "
               "pre-commit (<= 1 s) | PSS (<= 1024 MiB) |")
    out.append("|---|---|---|---|---|---|---|")
    for r in rows:
        if "ruff" not in r:
            continue
        ruff = r["ruff"]["median"]

        def ratio(key: str, limit: float) -> str:
            v = r[key]["median"] / ruff
            return f"{v:.2f}x {'ok' if v <= limit else 'MISSED'}"

        pc = r["pre_commit"]["median"]
        out.append(
            f"| {r['tree']} | {ratio('cold', 4)} | {r['ast_floor']['median'] / ruff:.2f}x | {ratio('warm', 1)} | "
            f"{ratio('one_changed', 1.5)} | {pc:.2f} s {'ok' if pc <= 1 else 'MISSED'} | "
            f"{r['peak_pss_mb']:.0f} MiB {'ok' if r['peak_pss_mb'] <= 1024 else 'MISSED'} |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description="ssot-lint speed benchmark")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--trees", default="stdlib,legacy")
    ap.add_argument("--lines", type=int, default=1_000_000, help="size of the generated legacy corpus")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--fixit-files", type=int, default=40, help="files in Fixit's slice (0: skip Fixit)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--cold-runs", type=int, help="cold runs (default: --runs); cold runs are the slow ones")
    ap.add_argument("--no-prefilter-check", action="store_true", help="skip the two --no-cache runs comparing prefilter output")
    args = ap.parse_args()
    GENERATED.mkdir(exist_ok=True)
    rows = []
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores", flush=True)
    for name in args.trees.split(","):
        root = GENERATED / name
        if name == "stdlib":
            make_stdlib(root)
        elif name == "legacy":
            print(generate(root, args.lines, args.seed), flush=True)
        else:
            raise SystemExit(f"unknown tree {name!r}")
        rows.append(bench_tree(name, root, args.runs, args.fixit_files, args.cold_runs, not args.no_prefilter_check))
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
