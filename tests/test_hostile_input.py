"""Hostile files: each gives a diagnostic (or a one-line error) for that file only,
and the rest of the run is unaffected."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import run_cli
from test_cli import ENGINE, VIOLATION, make_project

GOOD = {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION}


def check_json(root, *args):
    proc = run_cli("check", str(root), "--format", "json", *args)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    return {(d["code"], d["path"]): d for d in doc["diagnostics"]}


def assert_rest_unaffected(found):
    assert ("SSOT001", "app/routes.py") in found, "the good files must still be checked"


def write_bytes(root, rel, data: bytes):
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    "data,fragment",
    [
        (b"x = '\xff\xfe'\n", "not valid UTF-8"),
        (b"# -*- coding: ascii -*-\nx = '\xc3\xa9'\n", "cannot decode as ascii at line 2"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "unknown encoding"),
        (b"x = 1\x00\n", "null bytes"),
    ],
    ids=["non-utf8", "wrong-cookie", "unknown-cookie", "nul"],
)
def test_undecodable_and_nul(tmp_path, data, fragment):
    root = make_project(tmp_path, GOOD)
    write_bytes(root, "app/hostile.py", data)
    found = check_json(root)
    assert_rest_unaffected(found)
    d = found[("SSOT000", "app/hostile.py")]
    assert fragment in d["message"], d["message"]


def test_bom_and_latin1_cookie_are_fine(tmp_path):
    root = make_project(tmp_path, GOOD)
    write_bytes(root, "app/bom.py", b"\xef\xbb\xbffrom app.engine import ExecutionEngine\ne = ExecutionEngine(1)\n")
    write_bytes(root, "app/latin.py", b"# -*- coding: latin-1 -*-\nname = '\xe9'\n")
    found = check_json(root)
    assert_rest_unaffected(found)
    assert found[("SSOT001", "app/bom.py")]["range"]["start"] == {"line": 2, "column": 5}
    assert ("SSOT000", "app/latin.py") not in found


def test_huge_file_is_skipped_with_a_diagnostic(tmp_path):
    root = make_project(tmp_path, GOOD)
    with open(root / "app" / "huge.py", "wb") as fh:  # 50 MB, sparse
        fh.truncate(50 * 1024 * 1024)
    found = check_json(root)
    assert_rest_unaffected(found)
    assert "too large" in found[("SSOT000", "app/huge.py")]["message"]


@pytest.mark.parametrize(
    "source,fragment",
    [
        ("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", "nested"),
        ("x = " + "+".join(["1"] * 100_000) + "\n", "nested"),
        ("x = a" + ".b" * 50_000 + "\n", "nested"),
        ("x = " + "not " * 5000 + "1\n", "nested"),
    ],
    ids=["parens", "long-binop", "long-attribute-chain", "not-chain"],
)
def test_deep_nesting_never_crashes(tmp_path, source, fragment):
    root = make_project(tmp_path, GOOD)
    write_bytes(root, "app/deep.py", source.encode())
    found = check_json(root)
    assert_rest_unaffected(found)
    deep = found.get(("SSOT000", "app/deep.py"))
    if _cpython_rejects(source):
        assert deep is not None and fragment in deep["message"]
    else:
        # This CPython parses it (3.10 builds long `+`, `not` and attribute chains, 3.13
        # `not` chains): linted like any other file. Nothing in it is for a rule to report,
        # though walking it may still be too deep, which is then said as for the others.
        assert deep is None or fragment in deep["message"]


def _cpython_rejects(source: str) -> bool:
    """Does the running CPython's parser refuse ``source``? Asked of a fresh interpreter
    (the CLI's): how deep a tree it builds depends on the stack already in use."""
    check = "import ast, sys; ast.parse(sys.stdin.read())"
    proc = subprocess.run([sys.executable, "-c", check], input=source.encode(), capture_output=True, timeout=120)
    return proc.returncode != 0


def test_extremely_long_line_that_parses(tmp_path):
    root = make_project(tmp_path, GOOD)
    items = ", ".join(f"'item{i}'" for i in range(20_000))  # a 250 kB line
    write_bytes(
        root, "app/long.py", f"from app.engine import ExecutionEngine\nX = [{items}]\ne = ExecutionEngine(X)\n".encode()
    )
    found = check_json(root)
    assert_rest_unaffected(found)
    assert found[("SSOT001", "app/long.py")]["range"]["start"]["line"] == 3


def test_directory_named_py_fifo_broken_symlink_and_loop(tmp_path):
    root = make_project(tmp_path, GOOD)
    (root / "app" / "pkg.py").mkdir()
    (root / "app" / "pkg.py" / "inner.py").write_text("x = 1\n")
    os.mkfifo(root / "app" / "fifo.py")
    os.symlink(root / "nonexistent.py", root / "app" / "broken.py")
    os.symlink("loop_b.py", root / "app" / "loop_a.py")
    os.symlink("loop_a.py", root / "app" / "loop_b.py")
    os.symlink(root / "app", root / "app" / "self_dir")  # a directory loop
    found = check_json(root)
    assert_rest_unaffected(found)
    assert "not a regular file" in found[("SSOT000", "app/fifo.py")]["message"]
    assert "cannot read" in found[("SSOT000", "app/broken.py")]["message"]
    assert "cannot read" in found[("SSOT000", "app/loop_a.py")]["message"]
    assert not any(path.startswith("app/self_dir") for _, path in found)
    # Each hostile file named explicitly gives a diagnostic, never a crash or a hang.
    for name in ("fifo.py", "broken.py", "loop_a.py"):
        proc = run_cli("check", str(root / "app" / name), "--root", str(root), "--format", "concise")
        assert proc.returncode == 1 and b"SSOT000" in proc.stdout, proc.stderr


def test_unreadable_file(tmp_path, monkeypatch):
    """Unreadable files (simulated: CI runs as root, which reads anything)."""
    from ssot_lint import source as source_mod
    from ssot_lint.config import load_config
    from ssot_lint.engine import Linter
    from ssot_lint.registry import load_rules

    root = make_project(tmp_path, {**GOOD, "app/secret.py": "x = 1\n"})
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        os.chmod(root / "app" / "secret.py", 0)
    else:
        real_open = open

        def fake_open(path, *args, **kwargs):
            if str(path).endswith("secret.py"):
                raise PermissionError(13, "Permission denied")
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(source_mod, "open", fake_open, raising=False)
    linter = Linter(load_config(root), load_rules())
    result = linter.run([str(root)])
    found = {(d.code, d.path): d for d in result.diagnostics}
    assert "Permission denied" in found[("SSOT000", "app/secret.py")].message
    assert ("SSOT001", "app/routes.py") in found and result.errors == []


@pytest.mark.parametrize(
    "data",
    [
        b"from app.engine import ExecutionEngine\r\n\r\ne = ExecutionEngine(1)\r\n",
        b"from app.engine import ExecutionEngine\n\r\ne = ExecutionEngine(1)\r\n",
        b"from app.engine import ExecutionEngine\n\x0c\ne = ExecutionEngine(1)\n",
        b"from app.engine import ExecutionEngine\nif True:\n\te = ExecutionEngine(1)\n",
        b"from app.engine import ExecutionEngine\re = ExecutionEngine(1)\r",
    ],
    ids=["crlf", "mixed", "form-feed", "tabs", "old-mac-cr"],
)
def test_line_endings_tabs_form_feeds(tmp_path, data):
    root = make_project(tmp_path, GOOD)
    write_bytes(root, "app/endings.py", data)
    found = check_json(root)
    assert_rest_unaffected(found)
    d = found[("SSOT001", "app/endings.py")]
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    line_no = next(i for i, line in enumerate(lines, 1) if b"ExecutionEngine(1)" in line)
    assert d["range"]["start"]["line"] == line_no
    col = lines[line_no - 1].index(b"ExecutionEngine(1)") + 1
    assert d["range"]["start"]["column"] == col


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_non_ascii_columns_count_code_points(tmp_path):
    root = make_project(tmp_path, GOOD)
    write_bytes(
        root,
        "app/unicode.py",
        "from app.engine import ExecutionEngine\nnom = 'héllo😀'; e = ExecutionEngine(1)\n".encode(),
    )
    d = check_json(root)[("SSOT001", "app/unicode.py")]
    assert d["range"]["start"]["column"] == len("nom = 'héllo😀'; e = ") + 1


def test_stdin_with_a_coding_cookie_is_decoded_once(tmp_path):
    """The buffer is decoded from stdin's bytes once; columns count its characters."""
    root = make_project(tmp_path, GOOD)
    data = "# -*- coding: latin-1 -*-\nfrom app.engine import ExecutionEngine\nn = 'café'; e = ExecutionEngine(1)\n"
    proc = run_cli(
        "check",
        "--stdin-filename",
        str(root / "app" / "buffer.py"),
        "--format",
        "json",
        "--select",
        "SSOT001",
        input=data.encode("latin-1"),
    )
    [d] = json.loads(proc.stdout)["diagnostics"]
    assert d["range"]["start"] == {"line": 3, "column": len("n = 'café'; e = ") + 1}


DEEP_STRINGS = "x = (" + " ".join(repr(f"s{i}") for i in range(3000)) + ")\n"  # LibCST parses, cannot traverse


@pytest.mark.parametrize("quiet", ["(pars): bool = True\n", DEEP_STRINGS], ids=["unparsable", "untraversable"])
def test_valid_python_that_libcst_cannot_parse(tmp_path, quiet):
    """CPython accepts `(x): int = 1`; LibCST 1.x does not (and it parses, but cannot
    traverse, 3,000 implicitly concatenated strings). Where no rule could report in the
    file nothing is lost and nothing is reported, with or without the prefilter; where a
    rule could, the file gets an SSOT000 saying it was not analysed."""
    risky = "(pars): bool = True\nfrom app.engine import ExecutionEngine\nengine = ExecutionEngine(1, 2, 3)\n"
    root = make_project(tmp_path / "p", {**GOOD, "app/quiet.py": quiet, "app/risky.py": risky})
    outputs = []
    for extra in ([], ["--no-prefilter"]):
        found = check_json(root, "--no-cache", "--select", "ALL", *extra)
        assert_rest_unaffected(found)
        assert not any(path == "app/quiet.py" for _, path in found)
        risky_diag = found[("SSOT000", "app/risky.py")]
        assert risky_diag["range"]["start"]["line"] == 1
        assert risky_diag["message"].startswith("cannot analyse (CPython accepts the file; LibCST cannot handle it): ")
        outputs.append(sorted(found))
    assert outputs[0] == outputs[1]


def test_star_import_graph_with_cycles_is_searched_once_per_module(monkeypatch):
    """Every module star-imports two others (a graph full of cycles) and calls a name none
    of them defines at module level. The search enters each module once: along every path
    it was exponential in the depth limit (the fuzz campaign found a project that took
    seconds per lookup)."""
    from pathlib import Path

    from ssot_lint.config import Config
    from ssot_lint.engine import Linter
    from ssot_lint.index import ProjectIndex
    from ssot_lint.registry import load_rules

    n = 12
    files = {"app/__init__.py": ""}
    for i in range(n):
        files[f"app/m{i}.py"] = (
            f"from app.m{(i + 1) % n} import *\nfrom app.m{(i + 2) % n} import *\n"
            f"class C{i}:\n    async def ghost(self):\n        pass\n"
            f"async def f{i}():\n    ghost()\n"
        )
    calls = 0
    original = ProjectIndex.module_member

    def counting(self, *args, **kwargs):
        nonlocal calls
        calls += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ProjectIndex, "module_member", counting)
    linter = Linter(Config(root=Path("/virtual")), load_rules(), select=["ALL"])
    result = linter.lint_texts(files, sorted(files))
    assert result.errors == [] and result.diagnostics == []
    assert calls < 20 * n * n, calls  # about n per lookup, not 2 ** (depth limit / 2)
