"""The CLI as a real subprocess: exit codes, formats, stdin, selection, config errors."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli, validate_json

# `create_engine_for_user` makes `ExecutionEngine` factory-managed (inferred by the contract).
ENGINE = """\
class ExecutionEngine:
    def __init__(self, ctx):
        self.ctx = ctx


def create_engine_for_user(ctx: "UserExecutionContext"):
    return ExecutionEngine(ctx)
"""
VIOLATION = """\
from app.engine import ExecutionEngine


def build(ctx):
    return ExecutionEngine(ctx)
"""


def make_project(tmp_path: Path, files: dict[str, str], config: str = "") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n' + config, encoding="utf-8")
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_exit_0_when_clean(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE})
    proc = run_cli("check", str(root))
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert b"All checks passed" in proc.stdout


def test_exit_1_with_findings_and_text_output(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    proc = run_cli("check", str(root))
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert "app/routes.py:5:12 SSOT001" in out
    assert "^^^^" in out  # the code frame underlines the range
    assert "help:" in out
    assert "\x1b[" not in out  # no colour when not a TTY


def test_exit_zero_flag(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    assert run_cli("check", str(root), "--exit-zero").returncode == 0


def test_exit_2_on_missing_path(tmp_path):
    proc = run_cli("check", str(tmp_path / "nope.py"))
    assert proc.returncode == 2
    assert b"nope.py" in proc.stderr


def test_concise_format(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    proc = run_cli("check", str(root), "--format", "concise")
    lines = proc.stdout.decode().splitlines()
    assert lines[0].startswith("app/routes.py:5:12: SSOT001 ")
    assert lines[-1] == "Found 1 error."


def test_json_output_validates_and_is_relative(tmp_path, json_schema):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    proc = run_cli("check", str(root), "--format", "json")
    doc = json.loads(proc.stdout)
    validate_json(doc, json_schema)
    assert doc["root"] == str(root.resolve())
    assert doc["summary"] == {"files": 3, "diagnostics": 1, "fixable": 0}
    d = doc["diagnostics"][0]
    assert (d["code"], d["path"], d["range"]["start"]) == ("SSOT001", "app/routes.py", {"line": 5, "column": 12})


def test_output_file(tmp_path, json_schema):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    out = tmp_path / "report.json"
    proc = run_cli("check", str(root), "--format", "json", "--output-file", str(out))
    assert proc.returncode == 1 and proc.stdout == b""
    validate_json(json.loads(out.read_text()), json_schema)


def test_a_report_larger_than_a_pipe_arrives_whole_with_its_exit_code(tmp_path):
    """The command exits at once after flushing (``cli.entry``): a report of a few hundred
    kilobytes through a pipe is complete, and the exit code is the run's."""
    files = {"app/__init__.py": "", "app/engine.py": ENGINE}
    files.update({f"app/routes_{i:03d}.py": VIOLATION * 8 for i in range(120)})
    root = make_project(tmp_path, files)
    proc = run_cli("check", str(root), "--format", "json", "--no-cache")
    assert proc.returncode == 1, proc.stderr.decode()
    assert len(proc.stdout) > 256 * 1024
    doc = json.loads(proc.stdout)
    assert doc["summary"]["diagnostics"] == len(doc["diagnostics"]) == 120 * 8


def test_cache_dir_keeps_the_cache_where_the_user_says(tmp_path):
    """`--cache-dir` (relative to the current folder, and outside the project) holds the
    whole cache: the project gets none, and the next run with it answers from it."""
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    first = run_cli("check", str(root), "--format", "json", "--cache-dir", "elsewhere", cwd=tmp_path)
    assert first.returncode == 1, first.stderr.decode()
    kept = tmp_path / "elsewhere"
    assert (kept / "findings.json").is_file() and (kept / ".gitignore").is_file()
    assert not (root / ".ssot_lint_cache").exists()
    second = run_cli("check", str(root), "--format", "json", "--cache-dir", str(kept), "--timings")
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert re.search(r"^facts +\S+ +\S+ +0 ", second.stderr.decode(), re.M), second.stderr.decode()


def test_syntax_error_among_good_files(tmp_path, json_schema):
    root = make_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/engine.py": ENGINE,
            "app/broken.py": "def f(:\n    pass\n",
            "app/routes.py": VIOLATION,
            "app/zz_bad_bytes.py": "",
        },
    )
    (root / "app" / "zz_bad_bytes.py").write_bytes(b"x = '\xff\xfe'\n")
    proc = run_cli("check", str(root), "--format", "json")
    doc = json.loads(proc.stdout)
    validate_json(doc, json_schema)
    found = {(d["code"], d["path"], d["range"]["start"]["line"]) for d in doc["diagnostics"]}
    assert ("SSOT000", "app/broken.py", 1) in found
    assert ("SSOT000", "app/zz_bad_bytes.py", 1) in found
    assert ("SSOT001", "app/routes.py", 5) in found  # the other files are still checked
    assert proc.returncode == 1 and doc["errors"] == []


def test_stdin_filename_lints_buffer_against_project(tmp_path, json_schema):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": "x = 1\n"})
    proc = run_cli("check", "--stdin-filename", str(root / "app" / "routes.py"), "--format", "json", input=VIOLATION)
    doc = json.loads(proc.stdout)
    validate_json(doc, json_schema)
    assert proc.returncode == 1
    assert [(d["path"], d["range"]["start"]["line"]) for d in doc["diagnostics"]] == [("app/routes.py", 5)]


def test_select_and_ignore(tmp_path):
    root = make_project(
        tmp_path,
        {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION, "app/bad.py": "def (:\n"},
    )
    only_syntax = run_cli("check", str(root), "--select", "SSOT000", "--format", "concise").stdout.decode()
    assert "SSOT000" in only_syntax and "SSOT001" not in only_syntax
    ignored = run_cli("check", str(root), "--ignore", "SSOT001", "--format", "concise").stdout.decode()
    assert "SSOT001" not in ignored and "SSOT000" in ignored
    prefix = run_cli("check", str(root), "--select", "SSOT00", "--format", "concise").stdout.decode()
    assert "SSOT001" in prefix and "SSOT000" in prefix


def test_syntax_errors_only_when_ssot000_is_enabled(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/bad.py": "def f(:\n"})
    assert run_cli("check", str(root), "--select", "SSOT001").returncode == 0
    assert run_cli("check", str(root), "--ignore", "SSOT000").returncode == 0
    cfg = "[tool.ssot-lint]\nper-file-ignores = {'app/bad.py' = ['SSOT000']}\n"
    assert run_cli("check", str(make_project(tmp_path / "pfi", {"app/bad.py": "def f(:\n"}, cfg))).returncode == 0
    assert run_cli("check", str(root)).returncode == 1


def test_unknown_select_code_is_exit_2(tmp_path):
    root = make_project(tmp_path, {"app/engine.py": ENGINE})
    proc = run_cli("check", str(root), "--select", "XYZ123")
    assert proc.returncode == 2
    assert b"XYZ123" in proc.stderr and len(proc.stderr.decode().strip().splitlines()) == 1


@pytest.mark.parametrize(
    "config,key",
    [
        ("[tool.ssot-lint]\nselec = ['SSOT001']\n", "tool.ssot-lint.selec"),
        ("[tool.ssot-lint]\nselect = 'SSOT001'\n", "tool.ssot-lint.select"),
        ("[tool.ssot-lint]\nselect = ['NOPE1']\n", "NOPE1"),
        ("[tool.ssot-lint.contract]\nmanaged = [1]\n", "tool.ssot-lint.contract.managed"),
        ("[tool.ssot-lint.contract]\nbogus = true\n", "tool.ssot-lint.contract.bogus"),
        ("[tool.ssot-lint.rules.direct-construction]\nbogus = 1\n", "tool.ssot-lint.rules.direct-construction.bogus"),
        ("[tool.ssot-lint\n", "invalid TOML"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, config, key):
    root = make_project(tmp_path, {"app/engine.py": ENGINE}, config)
    proc = run_cli("check", str(root))
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2
    assert len(err.splitlines()) == 1, err
    assert "pyproject.toml" in err and key in err


def test_config_per_file_ignores_and_managed(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/engine.py": ENGINE + "\nclass Session:\n    pass\n",
        "app/routes.py": VIOLATION + "\nfrom app.engine import Session\ns = Session()\n",
    }
    cfg = "[tool.ssot-lint]\nper-file-ignores = {'app/routes.py' = ['SSOT001']}\n"
    root = make_project(tmp_path, files, cfg)
    assert run_cli("check", str(root)).returncode == 0
    # Configured classes are added to the inferred ones (ExecutionEngine stays managed) ...
    cfg = "[tool.ssot-lint.contract]\nmanaged = ['app.engine.Session']\n"
    root2 = make_project(tmp_path / "two", files, cfg)
    out = run_cli("check", str(root2), "--format", "concise").stdout.decode()
    assert "app/routes.py:8:5: SSOT001" in out and "app/routes.py:5:12: SSOT001" in out
    # ... unless inference is switched off.
    cfg = "[tool.ssot-lint.contract]\ninfer = false\nmanaged = ['app.engine.Session']\n"
    root3 = make_project(tmp_path / "three", files, cfg)
    out = run_cli("check", str(root3), "--format", "concise").stdout.decode()
    assert "app/routes.py:8:5: SSOT001" in out and ":5:12:" not in out


def test_config_file_option(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    cfg = tmp_path / "ssot-lint.toml"
    cfg.write_text("ignore = ['SSOT001']\n")
    assert run_cli("check", str(root), "--config", str(cfg)).returncode == 0
    cfg.write_text("ignroe = ['SSOT001']\n")
    proc = run_cli("check", str(root), "--config", str(cfg))
    assert proc.returncode == 2 and b"unknown key 'ignroe'" in proc.stderr


def test_statistics(tmp_path):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    out = run_cli("check", str(root), "--statistics").stdout.decode()
    assert out.split() == ["1", "SSOT001", "direct-construction"]


def test_rules_and_explain():
    proc = run_cli("rules", "--format", "json")
    rules = json.loads(proc.stdout)
    assert {"SSOT000", "SSOT001"} <= {r["code"] for r in rules}
    assert all({"code", "name", "summary", "default_enabled"} <= set(r) for r in rules)
    text = run_cli("explain", "SSOT001").stdout.decode()
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
        assert section in text
    assert run_cli("explain", "direct-construction").returncode == 0
    options = run_cli("explain", "SSOT002").stdout.decode()
    assert "## Options (`[tool.ssot-lint.rules.module-singleton]`)" in options and "per-user-words" in options
    bad = run_cli("explain", "SSOT999")
    assert bad.returncode == 2 and b"SSOT999" in bad.stderr


def test_python_dash_m_and_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and b"ssot-lint" in proc.stdout


def test_legacy_fixture_text_run_exits_1(fixture_copy):
    proc = run_cli("check", str(fixture_copy("legacy_service")))
    assert proc.returncode == 1
    assert b"SSOT001" in proc.stdout
