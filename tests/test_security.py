"""Linted code is never run, and reported paths never escape the project root."""

from __future__ import annotations

import json
import os

from conftest import run_cli
from test_cli import ENGINE, VIOLATION, make_project

TRAP = "import pathlib\npathlib.Path({marker!r}).write_text('imported')\n"


def test_check_never_imports_linted_code(tmp_path):
    marker = tmp_path / "IMPORTED"
    root = make_project(
        tmp_path / "proj",
        {
            "app/__init__.py": TRAP.format(marker=str(marker)),
            "app/engine.py": TRAP.format(marker=str(marker)) + ENGINE,
            "app/routes.py": TRAP.format(marker=str(marker)) + VIOLATION,
            "conftest.py": TRAP.format(marker=str(marker)),
            "setup.py": TRAP.format(marker=str(marker)),
        },
    )
    for args in (["check", str(root)], ["check", str(root), "--fix"], ["contract", "--root", str(root)]):
        run_cli(*args)
    assert not marker.exists()


def test_python_m_in_the_project_never_imports_its_modules(tmp_path):
    """`python -m ssot_lint` puts the working directory first on sys.path; modules of the
    project named like ones ssot-lint imports later (stdlib, its dependencies) must not
    shadow them."""
    marker = tmp_path / "IMPORTED"
    trap = TRAP.format(marker=str(marker))
    names = [
        "threading",
        "multiprocessing",
        "concurrent",
        "json",
        "hashlib",
        "pickle",
        "tomllib",
        "tomli",
        "pathspec",
        "libcst",
        "rich",
        "difflib",
        "queue",
        "tempfile",
        "glob",
    ]
    root = make_project(
        tmp_path / "proj",
        {
            **{f"{n}.py": trap for n in names},
            "app/__init__.py": "",
            "app/routes.py": VIOLATION,
            "app/engine.py": ENGINE,
        },
    )
    for args in (["check", ".", "--jobs", "2"], ["check", ".", "--format", "json"], ["contract"]):
        proc = run_cli(*args, cwd=root)
        assert proc.returncode in (0, 1), proc.stderr.decode()
    assert not marker.exists()


def test_paths_outside_the_root_are_refused(tmp_path):
    root = make_project(tmp_path / "proj", {"app/__init__.py": "", "app/engine.py": ENGINE})
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")
    proc = run_cli("check", str(root / "app"), str(outside), "--root", str(root))
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "outside the project root" in err and len(err.splitlines()) == 1
    proc = run_cli("check", "--root", str(root), "--stdin-filename", str(outside), input="x = 1\n")
    assert proc.returncode == 2 and b"outside the project root" in proc.stderr


def test_symlinks_never_make_a_path_escape_the_root(tmp_path):
    outside = make_project(
        tmp_path / "outside", {"lib/evil.py": "from app.engine import ExecutionEngine\nExecutionEngine(1)\n"}
    )
    root = make_project(tmp_path / "proj", {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    os.symlink(outside / "lib", root / "app" / "linked_dir")  # a directory link: not followed
    os.symlink(outside / "lib" / "evil.py", root / "app" / "linked.py")  # a file link: linted as app/linked.py
    proc = run_cli("check", str(root), "--format", "json")
    paths = {d["path"] for d in json.loads(proc.stdout)["diagnostics"]}
    assert paths == {"app/routes.py", "app/linked.py"}
    assert all(not p.startswith(("/", "..")) for p in paths)


def test_cache_dir_is_confined_to_the_root(tmp_path):
    escape = make_project(tmp_path / "a", {"app/x.py": "x = 1\n"}, "[tool.ssot-lint]\ncache-dir = '../elsewhere'\n")
    proc = run_cli("check", str(escape))
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and "cache-dir" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "elsewhere").exists()
    inside = make_project(tmp_path / "b", {"app/x.py": "x = 1\n"}, "[tool.ssot-lint]\ncache-dir = 'build/lint-cache'\n")
    assert run_cli("check", str(inside)).returncode == 0
    assert (inside / "build" / "lint-cache").is_dir()
