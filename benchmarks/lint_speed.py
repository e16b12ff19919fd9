"""How fast is ssot-lint? Cold, warm, one file changed and pre-commit, against Ruff (and Fixit).

    python benchmarks/lint_speed.py [--runs 5] [--trees stdlib,legacy,mono,real] [--lines 1000000]
    python benchmarks/lint_speed.py --scaling [--mono-sizes 400000,1000000,4000000]

Trees (generated into ``benchmarks/generated/``, which git ignores):

- ``stdlib``: a copy of this interpreter's standard library (its ``.py`` files, without
  ``site-packages``), with a ``pyproject.toml`` so it is its own project root;
- ``legacy``: the seeded "legacy service" corpus of ``benchmarks/legacy_corpus.py``
  (at least ``--lines`` lines; the fixtures' patterns at a realistic density);
- ``mono``: the monorepo shape of ``legacy_corpus.generate_monorepo`` at the largest of
  ``--mono-sizes``;
- ``real``: the pinned real corpus of ``benchmarks/real_corpus.py``, all packages in one root
  (``real:django`` etc. for one package's root), copied (never linked) from ``--real-corpus``
  (default: fetched by ``real_corpus.ensure()``) so that edits and the cache stay in the copy.

``--scaling`` runs the monorepo shape cold at each of ``--mono-sizes`` with ``check --timings``,
prints each phase's CPU time per line (main process and workers) and exits 1 when a phase's
time per line at the largest size is more than 1.25x its time per line at the smallest
(phases under 0.5 s at the largest size are shown but not judged: noise).

Every figure is the wall time of a real subprocess; the table shows the median and
min/max over ``--runs`` runs. Modes:

- cold: no cache (the cache directory is deleted before each run; the run writes it);
- warm: the cache is present and nothing changed;
- one file changed: a statement is appended to one module before each run (a real
  change of its facts: modules that depend on it are re-linted too), for a leaf module
  (nothing imports it) and for the module most imported (the "hub");
- pre-commit: five files named on the command line, one of them changed (the leaf or the
  hub), warm cache, with ``check`` and with ``check --fix`` (the files are restored after).

Cold runs use ``--timings``: the table of phases (medians) is printed too.

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
import re
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

from legacy_corpus import generate, generate_monorepo  # noqa: E402

# Without PYTHONDONTWRITEBYTECODE: an installed ssot-lint has its modules compiled (pip does
# that); a sandbox that forbids bytecode would add recompiling every module to every run.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "NO_COLOR": "1",
    "SSOT_LINT_NO_PROGRESS": "1",
}
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


def copy_tree(src: Path, out: Path) -> None:
    """A real copy (new inodes: the source may be hard links into a shared corpus)."""
    if out.exists():
        shutil.rmtree(out)
    for path in sorted(src.rglob("*")):
        if ".ssot_lint_cache" in path.parts or not path.is_file():
            continue
        if path.suffix != ".py" and path.name != "pyproject.toml":
            continue
        dest = out / path.relative_to(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    if not (out / "pyproject.toml").exists():
        (out / "pyproject.toml").write_text(f'[project]\nname = "{src.name}"\n', encoding="utf-8")


_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?[ \t]*([\w, \t]+)|import[ \t]+([\w.]+))", re.M)


def _module_of(rel: Path) -> tuple[str, bool]:
    parts = list(rel.with_suffix("").parts)
    package = parts[-1] == "__init__"
    if package:
        parts = parts[:-1]
    return ".".join(parts), package


def victims(root: Path) -> tuple[Path, Path, int]:
    """A leaf module (nothing imports it; over 2 kB) and the most imported module (the hub),
    with the number of modules importing the hub. Imports are read textually (relative ones
    resolved), which is enough to pick them."""
    modules: dict[str, Path] = {}
    importers: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if ".ssot_lint_cache" in path.parts:
            continue
        name, package = _module_of(path.relative_to(root))
        modules[name] = path
        here = name if package else name.rpartition(".")[0]
        for m in _IMPORT.finditer(path.read_bytes()):
            target = (m.group(1) or m.group(3)).decode()
            if target.startswith("."):
                dots = len(target) - len(target.lstrip("."))
                base = here.split(".")[: max(0, len(here.split(".")) - dots + 1)] if here else []
                target = ".".join([*base, target.lstrip(".")]).strip(".")
            found = {target}
            if m.group(2):  # `from pkg import mod`: the submodules named
                found |= {f"{target}.{n.strip()}" for n in m.group(2).decode().split(",") if n.strip()}
            for t in found:
                if t != name:
                    importers.setdefault(t, set()).add(name)
    hub = max((n for n in modules if importers.get(n)), key=lambda n: (len(importers[n]), n))
    leaves = sorted(
        n
        for n, p in modules.items()
        if not importers.get(n) and not p.name == "__init__.py" and p.stat().st_size > 2000 and "test" not in n
    )
    leaves = leaves or sorted(n for n in modules if not importers.get(n))
    return modules[leaves[len(leaves) // 2]], modules[hub], len(importers[hub])


_ROW = re.compile(r"^(\S+)\s+([\d.]+)\s+([\d.]+)(?:\s+(\d+))?")


def parse_timings(stderr: str) -> dict[str, tuple[float, float, int]]:
    """The ``--timings`` table: phase -> (wall s, CPU s, count)."""
    out: dict[str, tuple[float, float, int]] = {}
    lines = stderr.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("phase "))
    except StopIteration:
        return out
    for line in lines[start + 1 :]:
        m = _ROW.match(line)
        if not m:
            break
        out[m.group(1)] = (float(m.group(2)), float(m.group(3)), int(m.group(4) or 0))
        if m.group(1) == "total":
            break
    return out


def median_phases(runs: list[dict[str, tuple[float, float, int]]]) -> dict[str, tuple[float, float, int]]:
    names = [n for n in runs[0]] if runs else []
    return {
        n: (statistics.median(r[n][0] for r in runs), statistics.median(r[n][1] for r in runs), runs[-1][n][2])
        for n in names
        if all(n in r for r in runs)
    }


def print_phases(phases: dict[str, tuple[float, float, int]], lines: int) -> None:
    print(f"  {'phase':<10} {'wall s':>8} {'cpu s':>8} {'count':>8} {'cpu us/line':>12}")
    for name, (wall, cpu, count) in phases.items():
        print(f"  {name:<10} {wall:>8.2f} {cpu:>8.2f} {count:>8} {cpu * 1e6 / max(lines, 1):>12.2f}", flush=True)


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


def timed(
    cmd: list[str], cwd: Path, sample_rss: bool = False
) -> tuple[float, tuple[int, int], subprocess.CompletedProcess]:
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


def _restore(files: dict[Path, bytes]) -> None:
    for path, data in files.items():
        path.write_bytes(data)


def bench_tree(
    name: str,
    root: Path,
    runs: int,
    fixit_files: int,
    cold_runs: int | None = None,
    prefilter_check: bool = True,
    identity_checks: bool = False,
) -> dict:
    cache = root / ".ssot_lint_cache"
    files, lines = tree_size(root)
    print(f"\n== {name}: {files} files, {lines} lines ==", flush=True)
    row: dict = {"tree": name, "files": files, "lines": lines}
    check = SSOT + [".", "--exit-zero", "--format", "concise"]

    cold, rss, pss, phases = [], 0, 0, []
    for _ in range(runs if cold_runs is None else max(1, cold_runs)):
        shutil.rmtree(cache, ignore_errors=True)
        t, peak, proc = timed(check + ["--timings"], root, sample_rss=True)
        cold.append(t)
        phases.append(parse_timings(proc.stderr.decode()))
        rss, pss = max(rss, peak[0]), max(pss, peak[1])
    row["cold"] = summary(cold)
    row["phases"] = median_phases(phases)
    row["peak_rss_mb"] = rss / 2**20
    row["peak_pss_mb"] = pss / 2**20
    print(
        f"  cold        {fmt(row['cold'])}  peak PSS {row['peak_pss_mb']:.0f} MiB "
        f"(sum of RSS {row['peak_rss_mb']:.0f} MiB)",
        flush=True,
    )
    print_phases(row["phases"], lines)

    warm, warm_rss = [], 0
    for _ in range(runs):
        t, peak, proc = timed(check, root, sample_rss=True)
        warm.append(t)
        warm_rss = max(warm_rss, peak[1])
    row["warm"] = summary(warm)
    row["warm_pss_mb"] = warm_rss / 2**20
    row["findings"] = proc.stdout.decode().strip().splitlines()[-1] if proc.stdout.strip() else ""
    print(f"  warm        {fmt(row['warm'])}  ({row['findings']})", flush=True)

    leaf, hub, hub_importers = victims(root)
    row["leaf"], row["hub"], row["hub_importers"] = (
        leaf.relative_to(root).as_posix(),
        hub.relative_to(root).as_posix(),
        hub_importers,
    )
    modules = sorted(p for p in root.rglob("*.py") if ".ssot_lint_cache" not in p.parts and p.stat().st_size > 2000)
    for kind, victim in (("leaf", leaf), ("hub", hub)):
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
        row[f"one_changed_{kind}"] = summary(one)
        extra = f", imported by {hub_importers} modules" if kind == "hub" else ""
        print(f"  one changed {fmt(row[f'one_changed_{kind}'])}  ({kind}: {row[kind]}{extra})", flush=True)
    row["one_changed"] = row["one_changed_hub"]

    step = max(1, len(modules) // 5)
    others = [m for m in (modules[i * step] for i in range(5)) if m not in (leaf, hub)][:4]
    for kind, victim in (("leaf", leaf), ("hub", hub)):
        for mode, flags in (("check", []), ("fix", ["--fix"])):
            hook_files = [victim, *others]
            saved = {p: p.read_bytes() for p in hook_files}
            hook = []
            try:
                for i in range(runs):
                    victim.write_bytes(saved[victim] + f"\n_hook_edit_{i} = {i}\n".encode())
                    t, _, _ = timed(
                        SSOT + [str(p.relative_to(root)) for p in hook_files] + ["--exit-zero", *flags], root
                    )
                    hook.append(t)
                    _restore(saved)
            finally:
                _restore(saved)
            timed(check, root)
            row[f"pre_commit_{kind}_{mode}"] = summary(hook)
            print(
                f"  pre-commit  {fmt(hook and summary(hook))}  (5 files, the {kind} changed, {'check --fix' if flags else 'check'})",
                flush=True,
            )
    row["pre_commit"] = row["pre_commit_hub_check"]

    if shutil.which("ruff"):
        ruff = [
            timed(["ruff", "check", "--no-cache", "--select", "E,F,W", "--exit-zero", "-q", "."], root)[0]
            for _ in range(runs)
        ]
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
        print(
            f"  fixit       {t:.2f} s on {len(chosen)} files / {slice_lines} lines -> ~{row['fixit_projected']:.0f} s for the tree",
            flush=True,
        )

    if identity_checks:
        # Warm against cold: the warm run's JSON must equal a --no-cache run's.
        json_check = SSOT + [".", "--exit-zero", "--format", "json"]
        warm_out = timed(json_check, root)[2].stdout
        jobs1 = timed(json_check + ["--no-cache", "--jobs", "1"], root)[2].stdout
        jobs2 = timed(json_check + ["--no-cache", "--jobs", "2"], root)[2].stdout
        row["warm_equals_cold"] = json.loads(warm_out) == json.loads(jobs2)
        row["jobs_identical"] = json.loads(jobs1) == json.loads(jobs2)
        print(
            f"  identical   warm vs cold: {'yes' if row['warm_equals_cold'] else 'NO'}; "
            f"--jobs 1 vs 2: {'yes' if row['jobs_identical'] else 'NO'}",
            flush=True,
        )
    if not prefilter_check:
        return row
    a = timed(SSOT + [".", "--exit-zero", "--format", "json", "--no-cache"], root)[2].stdout
    b_time, _, b = timed(SSOT + [".", "--exit-zero", "--format", "json", "--no-cache", "--no-prefilter"], root)
    da, db = json.loads(a), json.loads(b.stdout)
    row["prefilter_identical"] = da == db
    row["no_prefilter_seconds"] = b_time
    row["diagnostics"] = len(da["diagnostics"])
    print(
        f"  prefilter   identical: {'yes' if da == db else 'NO'} ({len(da['diagnostics'])} findings; "
        f"--no-prefilter took {b_time:.1f} s)",
        flush=True,
    )
    return row


def scaling(sizes: list[int], seed: int, runs: int) -> bool:
    """Cold runs of the monorepo shape at each size; False when a phase's CPU time per line
    at the largest size exceeds 1.25x its time per line at the smallest."""
    per_line: dict[int, dict[str, float]] = {}
    for size in sizes:
        root = GENERATED / f"mono-{size}"
        print(f"\n== monorepo shape, {size:,} lines: {generate_monorepo(root, size, seed)} ==", flush=True)
        _, lines = tree_size(root)
        found = []
        for _ in range(runs):
            shutil.rmtree(root / ".ssot_lint_cache", ignore_errors=True)
            t, _, proc = timed(SSOT + [".", "--exit-zero", "--format", "concise", "--timings"], root)
            found.append(parse_timings(proc.stderr.decode()))
            print(f"  cold {t:.1f} s", flush=True)
        phases = median_phases(found)
        print_phases(phases, lines)
        per_line[size] = {n: cpu / lines for n, (_, cpu, _) in phases.items()}
        per_line[size]["@lines"] = lines
        per_line[size]["@abs"] = {n: cpu for n, (_, cpu, _) in phases.items()}  # type: ignore[assignment]
    small, large = sizes[0], sizes[-1]
    ok = True
    print(
        f"\nscaling: CPU time per line at {large:,} lines against {small:,} (limit 1.25x; phases under 0.5 s not judged)"
    )
    for name in per_line[large]["@abs"]:  # type: ignore[union-attr]
        if name in ("total",) or name.startswith("@"):
            continue
        a, b = per_line[small].get(name, 0.0), per_line[large].get(name, 0.0)
        absolute = per_line[large]["@abs"][name]  # type: ignore[index]
        ratio = b / a if a > 0 else (float("inf") if b > 0 else 1.0)
        judged = absolute >= 0.5
        verdict = "ok" if not judged or ratio <= 1.25 else "MISSED"
        if judged and ratio > 1.25:
            ok = False
        print(
            f"  {name:<10} {a * 1e6:>8.2f} -> {b * 1e6:>8.2f} us/line  {ratio:>6.2f}x  {verdict if judged else '(not judged)'}"
        )
    return ok


def table(rows: list[dict]) -> str:
    head = (
        "| tree | files | lines | ssot-lint cold | warm | one changed: leaf | one changed: hub | pre-commit leaf / hub "
        "(check) | pre-commit leaf / hub (--fix) | ruff cold | ast.parse floor | peak PSS (RSS sum) | identical |"
    )
    out = [head, "|---|---:|---:|---|---|---|---|---|---|---|---|---:|---|"]
    for r in rows:
        same = []
        for key, label in (
            ("prefilter_identical", "prefilter"),
            ("jobs_identical", "jobs"),
            ("warm_equals_cold", "warm"),
        ):
            if key in r:
                same.append(f"{label} {'yes' if r[key] else 'NO'}")

        def pc(k: str, r: dict = r) -> str:
            return f"{r[k]['median']:.2f} s" if r.get(k) else "n/a"

        out.append(
            f"| {r['tree']} | {r['files']:,} | {r['lines']:,} | {fmt(r['cold'])} | {fmt(r['warm'])} | "
            f"{fmt(r.get('one_changed_leaf'))} | {fmt(r.get('one_changed_hub'))} (hub imported by {r.get('hub_importers', '?')}) | "
            f"{pc('pre_commit_leaf_check')} / {pc('pre_commit_hub_check')} | {pc('pre_commit_leaf_fix')} / {pc('pre_commit_hub_fix')} | "
            f"{fmt(r.get('ruff'))} | {fmt(r.get('ast_floor'))} | {r['peak_pss_mb']:.0f} MiB ({r['peak_rss_mb']:.0f}) | "
            f"{', '.join(same) or 'n/a'} |"
        )
    out.append("")
    out.append(
        "| tree | cold / ast floor (<= 2) | warm / ruff (<= 1) | one changed / ruff, leaf and hub (<= 1.5) | "
        "pre-commit, worst of 4 (<= 1 s) | PSS (<= 1024 MiB) |"
    )
    out.append("|---|---|---|---|---|---|")
    for r in rows:
        if "ruff" not in r:
            continue
        ruff = r["ruff"]["median"]

        def ratio(key: str, limit: float, peer: float = ruff, r: dict = r) -> str:
            v = r[key]["median"] / peer
            return f"{v:.2f}x {'ok' if v <= limit else 'MISSED'}"

        hooks = [r[k]["median"] for k in r if k.startswith("pre_commit_") and isinstance(r[k], dict)]
        worst = max(hooks) if hooks else float("nan")
        out.append(
            f"| {r['tree']} | {ratio('cold', 2, r['ast_floor']['median'])} | {ratio('warm', 1)} | "
            f"{ratio('one_changed_leaf', 1.5)}, {ratio('one_changed_hub', 1.5)} | {worst:.2f} s {'ok' if worst <= 1 else 'MISSED'} | "
            f"{r['peak_pss_mb']:.0f} MiB {'ok' if r['peak_pss_mb'] <= 1024 else 'MISSED'} |"
        )
    return "\n".join(out)


def real_root(spec: str, corpus: Path | None) -> Path:
    """A writable copy of a real-corpus root (``real``: all packages; ``real:<pkg>``: one)."""
    which = spec.partition(":")[2] or "all"
    if corpus is not None:
        src = corpus / which
        if not src.is_dir():
            raise SystemExit(f"{src}: no such real-corpus root")
    else:
        from real_corpus import ensure

        roots = ensure(only=None if which == "all" else [which])
        src = roots[which]
    out = GENERATED / f"real-{which}"
    copy_tree(src, out)
    return out


def byte_compile() -> None:
    """Write the .pyc files of ssot_lint and the rules before timing anything: where
    PYTHONDONTWRITEBYTECODE is set, a checkout newer than its .pyc files recompiles each
    changed module in every timed run (about 0.08 s a run, measured)."""
    import compileall

    import ssot_lint.rules

    import ssot_lint

    for package in (ssot_lint, ssot_lint.rules):
        compileall.compile_dir(os.path.dirname(package.__file__), quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description="ssot-lint speed benchmark")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--trees", default="stdlib,legacy", help="stdlib, legacy, mono, real, real:<package> (comma-separated)"
    )
    ap.add_argument("--lines", type=int, default=1_000_000, help="size of the generated legacy corpus")
    ap.add_argument(
        "--mono-sizes",
        default="400000,1000000,4000000",
        help="sizes of the monorepo shape for --scaling (the tree `mono` uses the largest)",
    )
    ap.add_argument(
        "--scaling", action="store_true", help="run the scaling check on the monorepo shape (exit 1 when it fails)"
    )
    ap.add_argument("--real-corpus", type=Path, help="an unpacked real corpus (default: real_corpus.ensure())")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--fixit-files", type=int, default=40, help="files in Fixit's slice (0: skip Fixit)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--cold-runs", type=int, help="cold runs (default: --runs); cold runs are the slow ones")
    ap.add_argument(
        "--no-prefilter-check", action="store_true", help="skip the two --no-cache runs comparing prefilter output"
    )
    ap.add_argument(
        "--identity-checks", action="store_true", help="also compare --jobs 1 with --jobs 2, and warm with cold"
    )
    args = ap.parse_args()
    GENERATED.mkdir(exist_ok=True)
    byte_compile()
    rows = []
    sizes = [int(x) for x in args.mono_sizes.split(",") if x]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores", flush=True)
    ok = True
    if args.scaling:
        ok = scaling(sizes, args.seed, args.cold_runs or 1)
    for name in [t for t in args.trees.split(",") if t]:
        if name == "stdlib":
            root = GENERATED / name
            make_stdlib(root)
        elif name == "legacy":
            root = GENERATED / name
            print(generate(root, args.lines, args.seed), flush=True)
        elif name == "mono":
            root = GENERATED / f"mono-{sizes[-1]}"
            print(generate_monorepo(root, sizes[-1], args.seed), flush=True)
        elif name == "real" or name.startswith("real:"):
            root = real_root(name, args.real_corpus)
        else:
            raise SystemExit(f"unknown tree {name!r}")
        rows.append(
            bench_tree(
                name,
                root,
                args.runs,
                args.fixit_files,
                args.cold_runs,
                not args.no_prefilter_check,
                args.identity_checks,
            )
        )
    if rows:
        print()
        print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    if not ok:
        raise SystemExit("scaling check failed: a phase's time per line grew by more than 1.25x")


if __name__ == "__main__":
    main()
