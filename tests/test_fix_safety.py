"""--fix never corrupts: atomic writes that keep encoding, BOM, line endings and mode;
no write when the result would not parse; overlapping fixes in rounds; idempotent."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from conftest import run_cli
from test_cli import make_project

PLUGINS = Path(__file__).parent / "plugins"
ENV = {"PYTHONPATH": str(PLUGINS)}


def fix(root, *args):
    return run_cli("check", str(root), "--fix", "--select", "FIX001", "--format", "json", *args, env=ENV)


def test_fix_preserves_encoding_bom_line_endings_and_mode(tmp_path):
    root = make_project(tmp_path, {})
    cases = {
        "latin.py": ("# -*- coding: latin-1 -*-\r\nname = 'caf\u00e9'\r\nlegacy_call(name)\r\n", "latin-1", b""),
        "bom.py": ("x = 'h\u00e9'\nlegacy_call(x)  # trailing comment\n", "utf-8", b"\xef\xbb\xbf"),
        "mixed.py": ("a = 1\r\nlegacy_call(a)\nb = 2\r\n", "utf-8", b""),
    }
    for name, (text, enc, bom) in cases.items():
        p = root / name
        p.write_bytes(bom + text.encode(enc))
        os.chmod(p, 0o754)
    proc = fix(root)
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    for name, (text, enc, bom) in cases.items():
        p = root / name
        expected = bom + text.replace("legacy_call", "modern_call").encode(enc)
        assert p.read_bytes() == expected, name
        assert stat.S_IMODE(p.stat().st_mode) == 0o754
    assert not list(root.glob(".ssot-lint-*")), "no temporary file is left behind"


def test_fix_that_would_not_parse_writes_nothing(tmp_path):
    root = make_project(tmp_path, {"app/x.py": "legacy_call()\nbreak_me()\n"})
    before = (root / "app" / "x.py").read_bytes()
    proc = run_cli("check", str(root), "--fix", "--select", "FIX001,FIX002", "--format", "json", env=ENV)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 2
    assert (root / "app" / "x.py").read_bytes() == before
    [error] = doc["errors"]
    assert error["kind"] == "fix" and "would not parse" in error["message"] and "FIX002" in error["message"]


def test_overlapping_fixes_apply_in_rounds_and_are_idempotent(tmp_path):
    root = make_project(tmp_path, {"app/x.py": "value = legacy_call(1)  # keep me\n"})
    proc = run_cli("check", str(root), "--fix", "--select", "FIX001,FIX003", "--format", "json", env=ENV)
    assert proc.returncode == 0, proc.stdout.decode()
    fixed = (root / "app" / "x.py").read_text()
    # Round 1 renames (the smaller range), round 2 wraps, round 3 finds nothing to do.
    assert fixed == "value = wrapped(modern_call(1))  # keep me\n"
    again = run_cli("check", str(root), "--fix", "--select", "FIX001,FIX003", env=ENV)
    assert again.returncode == 0
    assert (root / "app" / "x.py").read_text() == fixed


def test_diff_writes_nothing_and_exit_non_zero_on_fix(tmp_path):
    root = make_project(tmp_path, {"app/x.py": "legacy_call()\n"})
    diff = run_cli("check", str(root), "--diff", "--select", "FIX001", env=ENV)
    assert diff.returncode == 1
    assert b"-legacy_call()" in diff.stdout and b"+modern_call()" in diff.stdout
    assert (root / "app" / "x.py").read_text() == "legacy_call()\n"
    proc = run_cli("check", str(root), "--fix", "--exit-non-zero-on-fix", "--select", "FIX001", env=ENV)
    assert proc.returncode == 1 and (root / "app" / "x.py").read_text() == "modern_call()\n"
    proc = run_cli("check", str(root), "--fix", "--exit-non-zero-on-fix", "--select", "FIX001", env=ENV)
    assert proc.returncode == 0


def test_stdin_fix_prints_fixed_source(tmp_path):
    root = make_project(tmp_path, {"app/x.py": "pass\n"})
    proc = run_cli(
        "check",
        "--fix",
        "--select",
        "FIX001",
        "--stdin-filename",
        str(root / "app" / "x.py"),
        input="legacy_call()\n",
        env=ENV,
    )
    assert proc.stdout.decode() == "modern_call()\n"
    assert (root / "app" / "x.py").read_text() == "pass\n"
