"""``check --timings``: every phase's wall and CPU time and count, on stderr."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import run_cli
from test_cli import ENGINE, VIOLATION, make_project

from ssot_lint import timings

ROW = re.compile(r"^(\S+)\s+([\d.]+)\s+([\d.]+)(?:\s+(\d+))?\s*(.*)$")
SPLIT = re.compile(r"^\(cpu s: main process ([\d.]+), worker processes ([\d.]+)\)$")


def parse(stderr: str) -> dict[str, tuple[float, float, int | None]]:
    """The table's rows; the last line splits the CPU between the processes (``split``)."""
    out = {}
    lines = stderr.splitlines()
    assert SPLIT.match(lines[-1]), lines[-1]
    for line in lines[1:-1]:
        m = ROW.match(line)
        assert m, line
        out[m.group(1)] = (float(m.group(2)), float(m.group(3)), int(m.group(4)) if m.group(4) else None)
    return out


def split(stderr: str) -> tuple[float, float]:
    m = SPLIT.match(stderr.splitlines()[-1])
    assert m
    return float(m.group(1)), float(m.group(2))


def files(n_routes: int) -> dict[str, str]:
    out = {"app/__init__.py": "", "app/engine.py": ENGINE, "app/clean.py": "X = 1\n"}
    for i in range(n_routes):
        out[f"app/r{i}.py"] = VIOLATION.replace("def build", f"def build{i}")
    return out


def test_every_phase_with_its_count(tmp_path):
    root = make_project(tmp_path, files(1))
    proc = run_cli("check", str(root), "--timings", "--no-cache", "--jobs", "1", "--format", "json")
    assert proc.returncode == 1, proc.stderr.decode()
    report = json.loads(proc.stdout)  # stdout holds only the report
    assert len(report["diagnostics"]) == 1
    rows = parse(proc.stderr.decode())
    assert list(rows) == list(timings.PHASES) + ["other", "total"]
    counts = {name: row[2] for name, row in rows.items()}
    assert counts["discover"] == 4
    assert counts["read"] == 4
    assert counts["facts"] == 4  # no cache: every module extracted
    assert counts["index"] == 4
    assert counts["prefilter"] == 4
    assert split(proc.stderr.decode())[1] == 0  # --jobs 1: no worker process
    # Only files where a rule could fire reach LibCST: the factory's module and the route,
    # not the empty package nor `X = 1`.
    assert counts["LibCST"] == 2
    assert counts["report"] == 1
    assert counts["cache"] == 0
    total_wall = rows["total"][0]
    assert sum(row[0] for name, row in rows.items() if name != "total") == pytest.approx(total_wall, abs=0.01)


def test_warm_run_reads_from_the_cache(tmp_path):
    root = make_project(tmp_path, files(1))
    args = ("check", str(root), "--timings", "--jobs", "1", "--format", "json")
    run_cli(*args)
    time.sleep(2.1)  # past the racy window: the second run trusts the stat records
    run_cli(*args)
    proc = run_cli(*args)
    rows = parse(proc.stderr.decode())
    assert rows["facts"][2] == 0
    assert rows["LibCST"][2] == 0
    assert rows["prefilter"][2] == 0
    assert rows["read"][2] == 1  # only the file with a finding, for its code frame
    assert rows["cache"][2] > 0
    assert rows["report"][2] == 1


def test_workers_phases_come_back(tmp_path):
    root = make_project(tmp_path, files(40))
    proc = run_cli("check", str(root), "--timings", "--no-cache", "--jobs", "2", "--format", "json")
    assert len(json.loads(proc.stdout)["diagnostics"]) == 40
    rows = parse(proc.stderr.decode())
    # Files linted in the workers are counted there: every route and the factory module.
    assert rows["LibCST"][2] == 41
    assert rows["prefilter"][2] == 43
    assert rows["LibCST"][1] > 0
    # The facts phase ran in the workers too (every module read and extracted there), and
    # the two processes' CPU adds up to the total.
    assert rows["facts"][2] == 43 and rows["read"][2] >= 43
    main, workers = split(proc.stderr.decode())
    assert workers > 0 and main + workers == pytest.approx(rows["total"][1], abs=0.01)


def test_timing_off_costs_nothing_and_nests():
    assert timings.current() is None
    assert timings.phase("facts") is timings.phase("read")  # one shared no-op
    clock = timings.start()
    try:
        with timings.phase("contract"):
            with timings.phase("facts", 2):
                time.sleep(0.02)
            time.sleep(0.01)
        rows = {r[0]: r for r in clock.rows()}
    finally:
        timings.stop()
    assert rows["facts"][1] >= 0.02 and rows["facts"][3] == 2
    assert 0.01 <= rows["contract"][1] < 0.02  # the inner phase's time is not charged twice
