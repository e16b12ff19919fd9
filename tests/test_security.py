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
    finding = "app/routes.py:7:12 SSOT001 `ExecutionEngine` is constructed directly outside its factory"
    for args, code, output in (
        (["check", str(root)], 1, finding),
        (["check", str(root), "--fix"], 1, finding),  # SSOT001 has no fix: the finding stays
        (["contract", "--root", str(root)], 0, "app.engine.ExecutionEngine"),  # inferred from the parsed factory
    ):
        proc = run_cli(*args)
        out = proc.stdout.decode()
        assert proc.returncode == code, f"{args}: exit {proc.returncode}\n{out}{proc.stderr.decode()}"
        assert output in out, f"{args}: {output!r} not in\n{out}"
        if args[0] == "check":
            assert "Found 1 finding in 1 file(s)." in out and not proc.stderr, proc.stderr.decode()
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
    for args, code in ((["check", ".", "--jobs", "2"], 1), (["check", ".", "--format", "json"], 1), (["contract"], 0)):
        proc = run_cli(*args, cwd=root)
        assert proc.returncode == code, proc.stderr.decode()
        assert (b"SSOT001" if args[0] == "check" else b"app.engine.ExecutionEngine") in proc.stdout, proc.stdout
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
