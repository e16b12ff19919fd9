"""Adoption: the baseline file, `check --baseline`, `baseline --prune`, `check --add-noqa`, SSOT100."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from test_cli import ENGINE, make_project

ROUTES = """\
from app.engine import ExecutionEngine


def build(ctx):
    return ExecutionEngine(ctx)


class Handler:
    def legacy(self, ctx):
        engine = ExecutionEngine(ctx)
        return engine
"""


def engine_project(path, files: dict[str, str]):
    """A project with the managed ``ExecutionEngine`` class and ``files``."""
    return make_project(path, {"app/__init__.py": "", "app/engine.py": ENGINE, **files})


# A module with one finding, at 5:12 (constructions stay in functions: module-level
# ones are SSOT002's business too).
NEW_MODULE = "from app.engine import ExecutionEngine\n\n\ndef new(ctx):\n    return ExecutionEngine(ctx)\n"


@pytest.fixture
def project(tmp_path):
    return engine_project(tmp_path / "proj", {"app/routes.py": ROUTES})


def concise(project, *args):
    proc = run_cli("check", str(project), "--format", "concise", *args, cwd=project)
    findings = [line for line in proc.stdout.decode().splitlines() if line.startswith("app/")]
    return proc, findings


def test_baseline_then_check_reports_nothing(project):
    proc = run_cli("baseline", cwd=project)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Wrote 2 findings" in proc.stdout
    data = json.loads((project / ".ssot-lint-baseline.json").read_text())
    assert data["version"] == 1 and data["tool"] == "ssot-lint"
    entries = {(e["code"], e["path"], e["scope"], e["snippet"], e["count"]) for e in data["findings"]}
    assert entries == {
        ("SSOT001", "app/routes.py", "build", "ExecutionEngine(ctx)", 1),
        ("SSOT001", "app/routes.py", "Handler.legacy", "ExecutionEngine(ctx)", 1),
    }
    assert "line" not in json.dumps(data["findings"])  # never a line number
    proc, findings = concise(project, "--baseline", ".ssot-lint-baseline.json")
    assert proc.returncode == 0 and findings == []
    assert b"2 findings hidden by the baseline" in proc.stderr
    # Without the baseline, both are reported.
    proc, findings = concise(project)
    assert proc.returncode == 1 and len(findings) == 2


def test_lines_inserted_above_stay_suppressed(project):
    run_cli("baseline", cwd=project)
    routes = project / "app" / "routes.py"
    routes.write_text(
        '"""Routes."""\nimport os\nimport sys\n\n\n' + routes.read_text().replace("\n\nclass", "\n\nX = 1\n\n\nclass")
    )
    proc, findings = concise(project, "--baseline", ".ssot-lint-baseline.json")
    assert proc.returncode == 0 and findings == []
    assert b"stale" not in proc.stderr


def test_duplicated_line_reports_the_new_copy(project):
    run_cli("baseline", cwd=project)
    routes = project / "app" / "routes.py"
    routes.write_text(
        routes.read_text().replace(
            "        engine = ExecutionEngine(ctx)\n",
            "        engine = ExecutionEngine(ctx)\n        engine = ExecutionEngine(ctx)\n",
        )
    )
    proc, findings = concise(project, "--baseline", ".ssot-lint-baseline.json")
    assert proc.returncode == 1
    assert [f.split(" ")[0] for f in findings] == ["app/routes.py:11:18:"]


def test_same_code_in_another_scope_is_new(project):
    run_cli("baseline", cwd=project)
    routes = project / "app" / "routes.py"
    routes.write_text(routes.read_text() + "\n\ndef another(ctx):\n    return ExecutionEngine(ctx)\n")
    proc, findings = concise(project, "--baseline", ".ssot-lint-baseline.json")
    assert [f.split(" ")[0] for f in findings] == ["app/routes.py:15:12:"]


def test_fixed_finding_is_stale_and_prune_removes_it(project):
    run_cli("baseline", cwd=project)
    routes = project / "app" / "routes.py"
    routes.write_text(routes.read_text().replace("    return ExecutionEngine(ctx)\n", "    return None\n"))
    proc, findings = concise(project, "--baseline", ".ssot-lint-baseline.json")
    assert proc.returncode == 0 and findings == []
    assert "1 baseline entry is stale" in proc.stderr.decode()
    assert "ssot-lint baseline --prune" in proc.stderr.decode()
    text = run_cli("check", str(project), "--baseline", ".ssot-lint-baseline.json", cwd=project).stdout.decode()
    assert "1 baseline entry is stale" in text and "All checks passed!" in text

    # A new finding elsewhere is not added by --prune.
    (project / "app" / "new.py").write_text(NEW_MODULE)
    proc = run_cli("baseline", "--prune", cwd=project)
    assert proc.returncode == 0 and b"Removed 1 stale entry" in proc.stdout
    data = json.loads((project / ".ssot-lint-baseline.json").read_text())
    assert [(e["scope"], e["count"]) for e in data["findings"]] == [("Handler.legacy", 1)]
    proc, findings = concise(project, "--baseline", ".ssot-lint-baseline.json")
    assert "stale" not in proc.stderr.decode()
    assert [f.split(" ")[0] for f in findings] == ["app/new.py:5:12:"]


def test_baseline_of_some_paths_keeps_other_entries(project):
    (project / "app" / "other.py").write_text(NEW_MODULE)
    run_cli("baseline", cwd=project)
    # Re-baselining one file after fixing it keeps the other file's entries.
    routes = project / "app" / "routes.py"
    routes.write_text("x = 1\n")
    proc = run_cli("baseline", "app/routes.py", cwd=project)
    assert b"Wrote 1 finding" in proc.stdout
    data = json.loads((project / ".ssot-lint-baseline.json").read_text())
    assert [e["path"] for e in data["findings"]] == ["app/other.py"]
    # Checking only routes.py does not call other.py's entry stale.
    proc = run_cli("check", "app/routes.py", "--baseline", ".ssot-lint-baseline.json", cwd=project)
    assert proc.returncode == 0 and b"stale" not in proc.stdout
    # A deleted file's entries are stale.
    (project / "app" / "other.py").unlink()
    proc = run_cli("check", "--baseline", ".ssot-lint-baseline.json", cwd=project)
    assert b"1 baseline entry is stale" in proc.stdout


def test_config_baseline_key_and_confinement(project):
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '[tool.ssot-lint]\nbaseline = "ci/ssot-baseline.json"\n')
    proc = run_cli("baseline", cwd=project)
    assert proc.returncode == 0 and (project / "ci" / "ssot-baseline.json").is_file()
    proc, findings = concise(project)
    assert proc.returncode == 0 and findings == []
    proc, findings = concise(project, "--no-baseline")
    assert proc.returncode == 1 and len(findings) == 2
    pyproject.write_text('[project]\nname = "demo"\n[tool.ssot-lint]\nbaseline = "../outside.json"\n')
    proc = run_cli("check", str(project), cwd=project)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1
    assert "pyproject.toml" in err and "tool.ssot-lint.baseline" in err and "inside the project root" in err


def test_symlinked_config_baseline_cannot_escape(project, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (project / "link").symlink_to(tmp_path / "elsewhere")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '[tool.ssot-lint]\nbaseline = "link/b.json"\n')
    proc = run_cli("check", str(project), cwd=project)
    assert proc.returncode == 2 and b"inside the project root" in proc.stderr


def test_explicit_baseline_may_live_outside_root(project, tmp_path):
    outside = tmp_path / "baselines" / "proj.json"
    assert run_cli("baseline", "--baseline", str(outside), cwd=project).returncode == 0
    proc, findings = concise(project, "--baseline", str(outside))
    assert proc.returncode == 0 and findings == []


@pytest.mark.parametrize(
    "content,needle",
    [
        (None, "baseline file not found"),
        ("{nope", "invalid JSON"),
        ('{"tool": "other", "findings": []}', "not a ssot-lint baseline"),
        ('{"version": 9, "tool": "ssot-lint", "findings": []}', "unsupported baseline version"),
        ('{"version": 1, "tool": "ssot-lint", "findings": [{"code": "SSOT001"}]}', "findings[0]"),
    ],
)
def test_bad_baseline_is_a_one_line_error(project, content, needle):
    path = project / "b.json"
    if content is not None:
        path.write_text(content)
    proc = run_cli("check", str(project), "--baseline", str(path), cwd=project)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and len(err.splitlines()) == 1 and needle in err and "b.json" in err


def test_baseline_with_machine_formats(project, json_schema):
    run_cli("baseline", cwd=project)
    (project / "app" / "new.py").write_text(NEW_MODULE)
    proc = run_cli("check", str(project), "--baseline", ".ssot-lint-baseline.json", "--format", "json", cwd=project)
    doc = json.loads(proc.stdout)
    assert [d["path"] for d in doc["diagnostics"]] == ["app/new.py"]
    assert b"2 findings hidden by the baseline" in proc.stderr


# --- SSOT100 through the CLI -----------------------------------------------------------------------


def test_unused_suppression_fix_through_cli(tmp_path):
    root = engine_project(
        tmp_path,
        {
            "app/a.py": (
                "from app.engine import ExecutionEngine\n"
                "def f(): return ExecutionEngine(1)  # noqa: SSOT001\n"
                "y = 2  # noqa: SSOT001\n"
                "z = 3  # noqa: SSOT001, E501\n"
                "w = 4  # ssot-lint: ignore\n"
                "v = 5  # noqa\n"  # a bare noqa comment is every linter's: never judged, never removed
            ),
            "tests/test_a.py": "x = 1  # noqa: SSOT001\n",  # SSOT001 does not run on tests: not judged
        },
    )
    proc, findings = concise(root)
    assert [f.split(" [*]")[0] for f in findings] == [
        "app/a.py:3:8: SSOT100",
        "app/a.py:4:8: SSOT100",
        "app/a.py:5:8: SSOT100",
    ]
    proc = run_cli("check", str(root), "--fix", "--show-fixes")
    assert proc.returncode == 0, proc.stdout.decode()
    out = proc.stdout.decode()
    assert "Fixed 3 findings:" in out and "- app/a.py:" in out and "3 × SSOT100 (unused-suppression)" in out
    assert (root / "app" / "a.py").read_text() == (
        "from app.engine import ExecutionEngine\n"
        "def f(): return ExecutionEngine(1)  # noqa: SSOT001\n"
        "y = 2\n"
        "z = 3  # noqa: E501\n"
        "w = 4\n"
        "v = 5  # noqa\n"
    )
    # Not judged when the rule it names is disabled.
    (root / "app" / "a.py").write_text("y = 2  # noqa: SSOT001\n")
    proc, findings = concise(root, "--ignore", "SSOT001")
    assert proc.returncode == 0 and findings == []


def test_unused_suppression_in_file_where_no_rule_could_fire(tmp_path):
    # No managed class is named in the file: SSOT001's prefilter skips it, and SSOT100 still runs.
    root = engine_project(tmp_path, {"app/plain.py": "x = 1  # noqa: SSOT001\n"})
    proc, findings = concise(root)
    assert findings == ["app/plain.py:1:8: SSOT100 [*] Unused `noqa` directive (unused: `SSOT001`)"]


# --- --add-noqa ------------------------------------------------------------------------------------


def test_add_noqa(project):
    routes = project / "app" / "routes.py"
    routes.write_text(
        routes.read_text()
        + '\n\ndef more():\n    doc = """\n%s""" % ExecutionEngine(2)\n    later = ExecutionEngine(3)  # noqa: E501\n'
        + "    items = [\n        ExecutionEngine(4),  # why: legacy\n    ]\n"
        + "    pair = (ExecutionEngine(5), ExecutionEngine(6))\n    return doc, later, items, pair\n"
    )
    proc = run_cli("check", "--add-noqa", cwd=project)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Added 6 noqa directives to 1 file." in proc.stderr and b"cannot hold" not in proc.stderr
    text = routes.read_text()
    assert "    return ExecutionEngine(ctx)  # noqa: SSOT001\n" in text
    assert "        engine = ExecutionEngine(ctx)  # noqa: SSOT001\n" in text
    assert '%s""" % ExecutionEngine(2)  # noqa: SSOT001\n' in text
    assert "    later = ExecutionEngine(3)  # noqa: E501, SSOT001\n" in text
    assert "        ExecutionEngine(4),  # why: legacy  # noqa: SSOT001\n" in text
    assert "    pair = (ExecutionEngine(5), ExecutionEngine(6))  # noqa: SSOT001\n" in text
    proc, findings = concise(project)
    assert proc.returncode == 0 and findings == []
    # Running it again adds nothing.
    proc = run_cli("check", "--add-noqa", cwd=project)
    assert b"Added 0 noqa directives" in proc.stderr


def test_add_noqa_never_writes_inside_a_string(tmp_path):
    source = 'from app.engine import ExecutionEngine\ndef g(f):\n    return f("""\n{}""", ExecutionEngine(1)\n    )\n'
    root = engine_project(tmp_path, {"app/s.py": source})
    # The finding's line (4) ends inside the call: it can hold a comment, so it goes there.
    run_cli("check", "--add-noqa", cwd=root)
    assert (root / "app" / "s.py").read_text().splitlines()[3] == '{}""", ExecutionEngine(1)  # noqa: SSOT001'
    # Both the finding's line and its statement's first line end inside a string: skipped, and said so.
    source = 'from app.engine import ExecutionEngine\ndef g():\n    return ExecutionEngine("""\nabc""")\n'
    (root / "app" / "s.py").write_text(source)
    proc = run_cli("check", "--add-noqa", cwd=root)
    assert b"Added 0 noqa directives" in proc.stderr and b"1 finding(s) are on lines that cannot hold" in proc.stderr
    assert (root / "app" / "s.py").read_text() == source


def test_add_noqa_rejects_fix():
    proc = run_cli("check", "--add-noqa", "--fix")
    assert proc.returncode == 2 and b"--add-noqa cannot be combined" in proc.stderr


def test_post_pass_sees_failed_rules_and_is_isolated():
    """A rule that raised is not judged by SSOT100; a post-pass rule that raises is an error, not a crash."""
    import libcst as cst

    from ssot_lint.engine import Linter
    from ssot_lint.registry import LoadedRules, load_rules
    from ssot_lint.rule import Invalid, LintRule, Valid
    from ssot_lint.testing import config_from

    class Boom(LintRule):
        """
        ## What it does
        Raises on every name.

        ## Why is this bad?
        It is a test.

        ## Example
        ```python
        x
        ```

        ## Fix
        None.
        """

        code, name, summary = "TST801", "boom", "Raises"
        VALID = [Valid("")]
        INVALID = [Invalid("x\n")]

        def visit_Name(self, node: cst.Name) -> None:
            raise KeyError("boom")

    class BrokenPost(Boom):
        code, name = "TST802", "broken-post"
        POST_PASS = True

        def finish_file(self, outcome) -> None:
            raise ValueError("post")

    rules = LoadedRules(load_rules().rules + (Boom, BrokenPost))
    linter = Linter(config_from({}), rules, select=["TST801", "TST802", "SSOT100"])
    result = linter.lint_texts({"a.py": "x = 1  # noqa: TST801\ny = 2  # ssot-lint: ignore\n"}, ["a.py"])
    assert sorted(e.rule for e in result.errors) == ["TST801", "TST802"]
    # TST801 raised: neither its noqa nor the blanket one (which it might have needed) is judged.
    assert result.diagnostics == []
    ok = Linter(config_from({}), rules, select=["SSOT100"]).lint_texts(
        {"a.py": "x = 1  # noqa: TST801\ny = 2  # ssot-lint: ignore\n"}, ["a.py"]
    )
    assert [(d.code, d.range.start.line) for d in ok.diagnostics] == [("SSOT100", 2)]
