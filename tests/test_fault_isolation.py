"""A broken plugin rule, loaded through the real entry point, never takes the run down."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli, validate_json
from test_cli import ENGINE, VIOLATION, make_project

PLUGINS = Path(__file__).parent / "plugins"
ENV = {"PYTHONPATH": str(PLUGINS)}


def test_plugin_rules_are_loaded_through_the_entry_point():
    proc = run_cli("rules", "--format", "json", env=ENV)
    codes = {r["code"] for r in json.loads(proc.stdout)}
    assert {"BRK001", "FIX001", "SSOT001"} <= codes


def test_rule_that_raises_is_an_error_and_everything_else_is_reported(tmp_path, json_schema):
    root = make_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            # Both the broken rule and SSOT001 visit this file.
            "app/routes.py": VIOLATION + "\nexplode()\nlegacy_call()\n",
            "app/other.py": "from app.engine import ExecutionEngine\nx = ExecutionEngine(2)\n",
        },
    )
    proc = run_cli("check", str(root), "--format", "json", env=ENV)
    doc = json.loads(proc.stdout)
    validate_json(doc, json_schema)
    assert proc.returncode == 2
    [error] = doc["errors"]
    assert error["kind"] == "rule" and error["rule"] == "BRK001" and error["path"] == "app/routes.py"
    assert "deliberate failure" in error["message"] and "RuntimeError" in error["traceback"]
    found = {(d["code"], d["path"], d["range"]["start"]["line"]) for d in doc["diagnostics"]}
    assert ("SSOT001", "app/routes.py", 5) in found  # same file, other rule
    assert ("FIX001", "app/routes.py", 8) in found  # same file, a later visitor of the same node type
    assert ("SSOT001", "app/other.py", 2) in found  # other files


def test_text_output_shows_the_error_line(tmp_path):
    root = make_project(tmp_path, {"app/x.py": "explode()\n"})
    proc = run_cli("check", str(root), env=ENV)
    assert proc.returncode == 2
    assert b"BRK001" in proc.stdout and b"app/x.py" in proc.stdout


def test_a_pack_that_cannot_load_is_a_one_line_error(tmp_path):
    broken = tmp_path / "site"
    (broken / "bad_pack-1.0.dist-info").mkdir(parents=True)
    (broken / "bad_pack-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-pack\nVersion: 1.0\n")
    (broken / "bad_pack-1.0.dist-info" / "entry_points.txt").write_text("[ssot_lint.rules]\nbad = bad_pack:RULES\n")
    (broken / "bad_pack.py").write_text("raise ImportError('boom')\n")
    root = make_project(tmp_path / "proj", {"app/x.py": "x = 1\n"})
    proc = run_cli("check", str(root), env={"PYTHONPATH": str(broken)})
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1
    assert "bad" in err and "boom" in err
