"""The cache under concurrent writers, and sync/async changes in a dependency."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import run_cli
from test_cli import ENGINE, VIOLATION, make_project


def _findings(stdout: bytes):
    return [(d["code"], d["path"], d["range"]["start"]["line"]) for d in json.loads(stdout)["diagnostics"]]


def test_two_processes_on_the_same_root_at_once(tmp_path):
    files = {"app/__init__.py": "", "app/engine.py": ENGINE}
    for i in range(40):
        files[f"app/routes_{i}.py"] = VIOLATION
    root = make_project(tmp_path, files)
    expected = _findings(run_cli("check", str(root), "--no-cache", "--format", "json").stdout)
    cmd = [sys.executable, "-m", "ssot_lint", "check", str(root), "--format", "json", "--jobs", "1"]
    env = {**os.environ, "NO_COLOR": "1"}
    for _ in range(3):  # both start cold, race on every cache write
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        for (out, err), p in zip(outs, procs):
            assert p.returncode == 1, err.decode()
            assert _findings(out) == expected
    warm = run_cli("check", str(root), "--format", "json")
    assert _findings(warm.stdout) == expected and json.loads(warm.stdout)["errors"] == []


def test_truncated_cache_entries_are_rebuilt(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    first = _findings(run_cli("check", str(root), "--format", "json").stdout)
    cache = root / ".ssot_lint_cache"
    entries = [p for p in cache.rglob("*") if p.is_file() and p.name != ".gitignore"]
    assert entries
    for p in entries:
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    again = run_cli("check", str(root), "--format", "json")
    assert _findings(again.stdout) == first and json.loads(again.stdout)["errors"] == []


def test_async_def_turned_into_def_updates_cached_callers(tmp_path):
    api_async = "async def fetch(uid):\n    return {'user': uid}\n"
    api_sync = "def fetch(uid):\n    return {'user': uid}\n"
    caller = "from app.api import fetch\n\n\nasync def handler(uid):\n    return await fetch(uid)\n"
    root = make_project(tmp_path, {"app/__init__.py": "", "app/api.py": api_async, "app/handler.py": caller})
    assert _findings(run_cli("check", str(root), "--format", "json").stdout) == []
    (root / "app" / "api.py").write_text(api_sync)
    assert _findings(run_cli("check", str(root), "--format", "json").stdout) == [("SSOT003", "app/handler.py", 5)]
    (root / "app" / "api.py").write_text(api_async)
    assert _findings(run_cli("check", str(root), "--format", "json").stdout) == []
