"""CI and editor outputs through the real CLI: SARIF (schema-validated), GitHub, JSON Lines, JUnit."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import FIXTURES, REPO, marker_counts, run_cli, validate_json
from test_cli import ENGINE, VIOLATION, make_project

from ssot_lint.diagnostics import Diagnostic, Position, Range
from ssot_lint.reporters import Report
from ssot_lint.reporters.github import command, escape_data, escape_property, write_github

# Vendored in the repository (source and licence: tests/data/README.md).
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"

UNUSED = """\
from app.engine import ExecutionEngine


def build(ctx):
    x = 1  # noqa: SSOT001, E501
    return ExecutionEngine(ctx)
"""


@pytest.fixture(scope="module")
def sarif_schema():
    if not SARIF_SCHEMA.is_file():
        pytest.fail(f"the SARIF 2.1.0 schema is missing: expected it at {SARIF_SCHEMA}", pytrace=False)
    return json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))


def validate_sarif(doc: dict, schema: dict) -> None:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def project(tmp_path):
    return make_project(
        tmp_path / "proj",
        {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION, "app/unused.py": UNUSED},
    )


def _sarif(project: Path, *args: str, cwd: Path | None = None) -> tuple[dict, int]:
    proc = run_cli("check", str(project), "--format", "sarif", *args, cwd=cwd or project)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return json.loads(proc.stdout), proc.returncode


def test_sarif_validates_and_has_what_code_scanning_needs(project, sarif_schema):
    doc, rc = _sarif(project)
    validate_sarif(doc, sarif_schema)
    assert rc == 1 and doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert {"SSOT000", "SSOT001", "SSOT100"} <= set(ids)
    for r in rules:
        assert r["help"]["text"] and r["help"]["markdown"].startswith("## What it does")
        assert len(r["fullDescription"]["text"]) > len(r["shortDescription"]["text"])
        assert r["helpUri"].startswith("https://")
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r for r in run["results"]
    }
    direct = results[("SSOT001", "app/routes.py")]
    assert ids[direct["ruleIndex"]] == "SSOT001"
    assert direct["level"] == "error"
    assert direct["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5,
        "startColumn": 12,
        "endLine": 5,
        "endColumn": 32,
    }
    assert direct["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert "ExecutionEngine" in direct["message"]["text"]
    assert "fixes" not in direct
    unused = results[("SSOT100", "app/unused.py")]
    assert unused["level"] == "warning" and ids[unused["ruleIndex"]] == "SSOT100"
    (fix,) = unused["fixes"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app/unused.py"
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 5, "startColumn": 12, "endLine": 5, "endColumn": 33},
            "insertedContent": {"text": "# noqa: E501"},
        }
    ]
    fps = [r["partialFingerprints"]["ssotLint/v1"] for r in run["results"]]
    assert len(set(fps)) == len(fps) and all(":" in fp for fp in fps)
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_sarif_fingerprints_survive_edits_above(project, sarif_schema):
    before, _ = _sarif(project)
    routes = project / "app" / "routes.py"
    routes.write_text("# a new header comment\nimport os\n\n" + routes.read_text())
    after, _ = _sarif(project)
    validate_sarif(after, sarif_schema)

    def fps(doc):
        return {
            (r["ruleId"], r["partialFingerprints"]["ssotLint/v1"]): r["locations"][0]["physicalLocation"]["region"][
                "startLine"
            ]
            for r in doc["runs"][0]["results"]
        }

    b, a = fps(before), fps(after)
    assert set(b) == set(a)  # same identities
    assert sorted(a[k] - b[k] for k in b if k[0] == "SSOT001") == [0, 3]  # routes.py moved, unused.py did not


def test_sarif_paths_are_relative_to_the_checkout_when_run_from_above(project, sarif_schema):
    doc, _ = _sarif(project, cwd=project.parent)
    validate_sarif(doc, sarif_schema)
    run = doc["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"proj/app/routes.py", "proj/app/unused.py"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.parent.resolve().as_uri() + "/"


def test_sarif_with_no_findings_and_with_syntax_error(tmp_path, sarif_schema):
    clean = make_project(tmp_path / "clean", {"app/__init__.py": "", "app/engine.py": ENGINE})
    doc, rc = _sarif(clean)
    validate_sarif(doc, sarif_schema)
    assert rc == 0 and doc["runs"][0]["results"] == []
    broken = make_project(tmp_path / "broken", {"app/bad.py": "def f(:\n    pass\n"})
    doc, rc = _sarif(broken)
    validate_sarif(doc, sarif_schema)
    (res,) = doc["runs"][0]["results"]
    assert res["ruleId"] == "SSOT000" and res["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_sarif_for_the_legacy_fixture_validates(sarif_schema, fixture_copy):
    proc = run_cli("check", str(fixture_copy("legacy_service")), "--format", "sarif")
    assert proc.returncode == 1, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    validate_sarif(doc, sarif_schema)
    assert len(doc["runs"][0]["results"]) == marker_counts(FIXTURES / "legacy_service").total()


def test_sarif_internal_errors_are_notifications(sarif_schema):
    from ssot_lint.diagnostics import InternalError
    from ssot_lint.reporters.sarif import to_sarif

    report = Report(
        "0.1.0", "/r", ["a.py"], [], [InternalError("rule", "rule SSOT001 raised KeyError", "a.py", "SSOT001")]
    )
    doc = to_sarif(report)
    validate_sarif(doc, sarif_schema)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"] == "rule SSOT001 raised KeyError"


# --- GitHub workflow commands --------------------------------------------------------------------


def test_github_annotations(project):
    proc = run_cli("check", str(project), "--format", "github", cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert lines == [
        "::error file=app/routes.py,line=5,col=12,endLine=5,endColumn=32,title=SSOT001 direct-construction::"
        "`ExecutionEngine` is constructed directly outside its factory (allowed only in "
        "`app.engine` and its own module); get it from the factory",
        "::warning file=app/unused.py,line=5,col=12,endLine=5,endColumn=33,title=SSOT100 unused-suppression::"
        "Unused `noqa` directive (unused: `SSOT001`) [*]",
        "::error file=app/unused.py,line=6,col=12,endLine=6,endColumn=32,title=SSOT001 direct-construction::"
        "`ExecutionEngine` is constructed directly outside its factory (allowed only in "
        "`app.engine` and its own module); get it from the factory",
    ]


def test_github_paths_relative_to_workspace(project):
    proc = run_cli("check", str(project), "--format", "github", cwd=project.parent)
    assert "file=proj/app/routes.py," in proc.stdout.decode()


def test_github_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("notice", "x", file="we,ird:name.py", line=1) == "::notice file=we%2Cird%3Aname.py,line=1::x"


@pytest.mark.parametrize("severity,cmd", [("error", "::error "), ("warning", "::warning "), ("info", "::notice ")])
def test_github_command_by_severity(severity, cmd, tmp_path):
    import io

    d = Diagnostic(
        "SSOT001",
        "direct-construction",
        "line one\nline: two, 50%",
        "a,b.py",
        Range(Position(3, 4), Position(3, 9)),
        severity=severity,
    )
    out = io.StringIO()
    write_github(Report("0.1.0", str(tmp_path), ["a,b.py"], [d], []), out)
    assert out.getvalue() == (
        f"{cmd}file=a%2Cb.py,line=3,col=4,endLine=3,endColumn=9,title=SSOT001 direct-construction"
        "::line one%0Aline: two, 50%25\n"
    )


# --- JSON Lines and JUnit ----------------------------------------------------------------------


def test_jsonl_one_diagnostic_per_line(project, json_schema):
    proc = run_cli("check", str(project), "--format", "jsonl")
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 3
    diag_schema = {**json_schema["$defs"]["diagnostic"], "$defs": json_schema["$defs"]}
    docs = [json.loads(line) for line in lines]
    for d in docs:
        validate_json(d, diag_schema)
    assert [(d["code"], d["path"], d["range"]["start"]["line"]) for d in docs] == [
        ("SSOT001", "app/routes.py", 5),
        ("SSOT100", "app/unused.py", 5),
        ("SSOT001", "app/unused.py", 6),
    ]
    # Same objects as --format json.
    full = json.loads(run_cli("check", str(project), "--format", "json").stdout)
    assert full["diagnostics"] == docs


def test_jsonl_empty_when_clean(tmp_path):
    clean = make_project(tmp_path, {"app/__init__.py": "", "app/engine.py": ENGINE})
    proc = run_cli("check", str(clean), "--format", "jsonl")
    assert proc.returncode == 0 and proc.stdout == b""


def test_junit(project):
    proc = run_cli("check", str(project), "--format", "junit")
    assert proc.returncode == 1
    root = ET.fromstring(proc.stdout)
    suite = root.find("testsuite")
    # JUnit counts test cases: 3 findings in 2 files are 2 failing cases, not 3 failures.
    assert suite.get("failures") == "2" and suite.get("errors") == "0" and suite.get("tests") == "4"
    assert len(suite.findall("testcase/failure")) == 3
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"app/__init__.py", "app/engine.py", "app/routes.py", "app/unused.py"}
    assert cases["app/engine.py"].find("failure") is None
    (failure,) = cases["app/routes.py"].findall("failure")
    assert failure.get("type") == "SSOT001" and failure.text.startswith("app/routes.py:5:12: SSOT001")


def test_every_registered_format_is_offered():
    from ssot_lint.reporters import formats

    assert set(formats()) >= {"text", "concise", "json", "jsonl", "sarif", "github", "junit"}
    help_text = run_cli("check", "--help").stdout.decode()
    assert "sarif" in help_text and "Exit codes:" in help_text


# Where each format puts the path of the SSOT001 finding in app/routes.py.
PATH_OF = {
    "text": lambda out: out.splitlines()[0].split(":")[0],
    "concise": lambda out: out.splitlines()[0].split(":")[0],
    "json": lambda out: json.loads(out)["diagnostics"][0]["path"],
    "jsonl": lambda out: json.loads(out.splitlines()[0])["path"],
    "sarif": lambda out: json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"
    ]["uri"],
    "github": lambda out: out.splitlines()[0].split("file=")[1].split(",")[0],
    "junit": lambda out: ET.fromstring(out).find("testsuite/testcase/failure").text.split(":")[0],
}


@pytest.mark.parametrize("fmt", sorted(PATH_OF))
def test_paths_are_relative_to_the_working_directory_in_every_format(tmp_path, fmt):
    """As Ruff: `ssot-lint check proj` run beside the project prints `proj/app/...`, a path that
    exists from where the command ran (the project root is `proj`)."""
    make_project(tmp_path / "proj", {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})
    proc = run_cli("check", "proj", "--format", fmt, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr.decode()
    path = PATH_OF[fmt](proc.stdout.decode())
    assert path == "proj/app/routes.py" and (tmp_path / path).is_file()
    # From inside the root, and from a folder below it: relative to that folder too.
    proc = run_cli("check", ".", "--format", fmt, cwd=tmp_path / "proj")
    assert PATH_OF[fmt](proc.stdout.decode()) == "app/routes.py"
    if fmt != "sarif":  # SARIF locations stay relative to %SRCROOT% (the root, here)
        proc = run_cli("check", ".", "--format", fmt, cwd=tmp_path / "proj" / "app")
        assert PATH_OF[fmt](proc.stdout.decode()) == "routes.py"


def test_help_lines_are_whole_sentences(project):
    from ssot_lint.reporters.text import help_text

    out = run_cli("check", str(project)).stdout.decode()
    helps = [line for line in out.splitlines() if line.startswith("help: ")]
    assert helps and all(h.rstrip().endswith((".", ")")) for h in helps), helps
    wrapped = "Remove the `await` (safe fix; comments and formatting are kept, and the\nenclosing `async def` keeps.)"
    assert help_text(wrapped + "\n\nSecond paragraph.") == (
        "Remove the `await` (safe fix; comments and formatting are kept, and the enclosing `async def` keeps.)"
    )
