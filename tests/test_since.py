"""``check --since REF``: only findings new relative to a git revision, in a real git repo."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import run_cli
from test_cli import ENGINE, VIOLATION, make_project

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SYNC_API = "def fetch(user_id):\n    return {'user': user_id}\n"
ASYNC_API = "async def fetch(user_id):\n    return {'user': user_id}\n"
CALLER = "from app.api import fetch\n\n\nasync def handler(uid):\n    return await fetch(uid)\n"


def git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def repo(tmp_path, files):
    root = make_project(tmp_path, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base")
    return root


def since(root, ref="main", *args):
    proc = run_cli("check", str(root), "--since", ref, "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    found = [(d["code"], d["path"], d["range"]["start"]["line"]) for d in json.loads(proc.stdout)["diagnostics"]]
    return proc, found


def test_finding_that_moved_is_not_new(tmp_path):
    root = repo(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    moved = "import logging\n\nlog = logging.getLogger(__name__)\n\n\n" + VIOLATION + "\n\ndef other():\n    pass\n"
    (root / "app" / "routes.py").write_text(moved)
    proc, found = since(root)
    assert found == [] and proc.returncode == 0
    assert b"0 new, 1 already there" in proc.stderr
    # Without --since the moved finding is still there.
    assert run_cli("check", str(root)).returncode == 1


def test_new_finding_is_reported(tmp_path):
    root = repo(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    (root / "app" / "routes.py").write_text(VIOLATION + "\n\ndef again(ctx):\n    return ExecutionEngine(ctx)\n")
    (root / "app" / "fresh.py").write_text(VIOLATION)  # untracked, added since REF
    proc, found = since(root)
    assert sorted(found) == [("SSOT001", "app/fresh.py", 5), ("SSOT001", "app/routes.py", 9)]
    assert proc.returncode == 1


def test_a_copied_line_is_new(tmp_path):
    root = repo(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    (root / "app" / "routes.py").write_text(
        VIOLATION.replace(
            "    return ExecutionEngine(ctx)\n", "    ExecutionEngine(ctx)\n    return ExecutionEngine(ctx)\n"
        )
    )
    _, found = since(root)
    assert len(found) == 1


def test_dependency_change_makes_unchanged_caller_new(tmp_path):
    root = repo(tmp_path, {"app/__init__.py": "", "app/api.py": ASYNC_API, "app/handler.py": CALLER})
    (root / "app" / "api.py").write_text(SYNC_API)  # only the callee changed
    _, found = since(root)
    assert found == [("SSOT003", "app/handler.py", 5)]


def test_committed_history_ref(tmp_path):
    root = repo(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": "x = 1\n"})
    (root / "app" / "routes.py").write_text(VIOLATION)
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "add violation")
    _, found = since(root, "HEAD~1")
    assert found == [("SSOT001", "app/routes.py", 5)]
    _, found = since(root, "HEAD")
    assert found == []


def test_unknown_ref_and_no_repository(tmp_path):
    root = repo(tmp_path / "r", {"app/__init__.py": "", "app/engine.py": ENGINE})
    proc = run_cli("check", str(root), "--since", "no-such-branch")
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "no-such-branch" in err and len(err.splitlines()) == 1
    plain = make_project(tmp_path / "plain", {"app/__init__.py": ""})
    proc = run_cli("check", str(plain), "--since", "main", env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert proc.returncode == 2 and len(proc.stderr.decode().strip().splitlines()) == 1
