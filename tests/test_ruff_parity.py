"""The command line where users type Ruff's habits: stdin, missing paths, empty folders,
--extend-*/--exclude/--force-exclude, -q, --color, --watch, config `extend` and
`ssot-lint.toml` discovery, --show-fixes in every format, dependents, config positions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import REPO, run_cli, validate_json
from test_cli import ENGINE, VIOLATION, make_project

AWAITED = "from app.services import save_user\n\n\nasync def create(user):\n    await save_user(user)\n"
ASYNC_SERVICES = 'async def save_user(user):\n    return {"user": user}\n'
SYNC_SERVICES = 'def save_user(user):\n    return {"user": user}\n'
# One safe fix: the unused suppression of an unknown code (SSOT100 judges it whatever rules run).
UNUSED = "x = 1  # noqa: SSOT999\n"


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "proj", {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION})


def concise(proc) -> list[str]:
    return [line for line in proc.stdout.decode().splitlines() if ": SSOT" in line]


# --- paths -----------------------------------------------------------------------------------
def test_dash_reads_stdin(project):
    proc = run_cli("check", "-", "--format", "concise", cwd=project, input=VIOLATION)
    assert proc.returncode == 1, proc.stderr.decode()
    (line,) = concise(proc)
    assert line.startswith("-:5:12: SSOT001 `ExecutionEngine` is constructed directly")
    named = run_cli("check", "-", "--stdin-filename", "app/new.py", "--format", "json", cwd=project, input=VIOLATION)
    assert [d["path"] for d in json.loads(named.stdout)["diagnostics"]] == ["app/new.py"]
    clean = run_cli("check", "-", cwd=project, input="x = 1\n")
    assert clean.returncode == 0 and b"All checks passed!" in clean.stdout
    assert run_cli("check", "-", "app", cwd=project, input="").returncode == 2


def test_missing_path_is_reported_and_the_others_are_linted(project):
    proc = run_cli("check", "app/routes.py", "missing.py", "--format", "concise", cwd=project)
    assert proc.returncode == 2
    assert [line.split(" ")[0] for line in concise(proc)] == ["app/routes.py:5:12:"]
    assert proc.stderr.decode().strip() == "ssot-lint: error: missing.py: no such file or directory"
    clean = run_cli("check", "app/__init__.py", "missing.py", "--format", "concise", cwd=project)
    assert clean.returncode == 2 and concise(clean) == []
    assert run_cli("check", "missing.py", cwd=project).returncode == 2


def test_folder_without_python_files_warns(project):
    (project / "docs").mkdir()
    (project / "docs" / "index.md").write_text("# docs\n")
    proc = run_cli("check", "docs", cwd=project)
    assert proc.returncode == 0
    assert "No Python files found" in proc.stderr.decode()
    assert run_cli("check", "docs", "-q", cwd=project).stderr == b""
    assert b"No Python files found" not in run_cli("check", "app", cwd=project).stderr


# --- selection and exclusion -------------------------------------------------------------------
def test_extend_select_and_extend_ignore(tmp_path):
    files = {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION, "app/noreason.py": UNUSED}
    root = make_project(tmp_path, files, "[tool.ssot-lint]\nselect = ['SSOT001']\n")

    def codes(*a):
        return sorted(line.split(" ")[1] for line in concise(run_cli("check", *a, "--format", "concise", cwd=root)))

    assert codes() == ["SSOT001"]
    # --select replaces the configured selection; --extend-select adds to it.
    assert codes("--select", "SSOT100") == ["SSOT100"]
    assert codes("--extend-select", "SSOT100") == ["SSOT001", "SSOT100"]
    assert codes("--extend-select", "SSOT100", "--extend-ignore", "SSOT001") == ["SSOT100"]
    assert codes("--extend-select", "SSOT100", "--ignore", "SSOT001") == ["SSOT100"]
    # Without a configured selection, --extend-select adds to the default rules (SSOT101 is off by default).
    plain = make_project(tmp_path / "plain", files)
    got = sorted(
        line.split(" ")[1]
        for line in concise(run_cli("check", "--extend-select", "SSOT101", "--format", "concise", cwd=plain))
    )
    assert got == ["SSOT001", "SSOT100", "SSOT101"]
    bad = run_cli("check", "--extend-select", "NOPE9", cwd=root)
    assert bad.returncode == 2 and b"NOPE9" in bad.stderr


def test_exclude_extend_exclude_and_force_exclude(tmp_path):
    files = {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION, "legacy/old.py": VIOLATION}
    root = make_project(tmp_path, files, "[tool.ssot-lint]\nexclude = ['legacy/**']\n")

    def paths(*a):
        return sorted(line.split(":")[0] for line in concise(run_cli("check", *a, "--format", "concise", cwd=root)))

    assert paths() == ["app/routes.py"]
    # --exclude replaces the configured excludes; --extend-exclude adds to them.
    assert paths("--exclude", "app/routes.py") == ["legacy/old.py"]
    assert paths("--extend-exclude", "app/routes.py") == []
    # A file named on the command line is linted even when excluded (as Ruff) ...
    assert paths("legacy/old.py") == ["legacy/old.py"]
    # ... unless --force-exclude (what pre-commit needs: it names every staged file).
    proc = run_cli("check", "legacy/old.py", "--force-exclude", "--format", "concise", cwd=root)
    assert proc.returncode == 0 and concise(proc) == []
    assert paths("legacy/old.py", "app/routes.py", "--force-exclude") == ["app/routes.py"]
    # Directory patterns and default-skipped folders count for files inside them.
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "x.py").write_text(VIOLATION)
    assert paths(".venv/lib/x.py", "--force-exclude") == []
    assert paths("app/routes.py", "--force-exclude", "--exclude", "app/") == []


def test_pre_commit_hooks_use_force_exclude():
    hooks = (REPO / ".pre-commit-hooks.yaml").read_text()
    entries = [line.split("entry:", 1)[1].strip() for line in hooks.splitlines() if "entry:" in line]
    assert len(entries) == 2 and all("--force-exclude" in e for e in entries), entries


# --- output --------------------------------------------------------------------------------------
def test_quiet_prints_findings_only(project):
    proc = run_cli("check", "-q", cwd=project)
    out = proc.stdout.decode()
    assert proc.returncode == 1 and "SSOT001" in out
    assert "Found" not in out and "fixable" not in out
    proc = run_cli("check", "-q", "--format", "concise", cwd=project)
    assert proc.stdout.decode().splitlines() == concise(proc)
    (project / "app" / "routes.py").write_text("x = 1\n")
    clean = run_cli("check", "--quiet", cwd=project)
    assert clean.returncode == 0 and clean.stdout == b""


def test_color_always_never_auto(project):
    always = run_cli("check", "--color", "always", cwd=project).stdout
    never = run_cli("check", "--color", "never", cwd=project, env={"FORCE_COLOR": "1"}).stdout
    auto = run_cli("check", cwd=project).stdout  # not a terminal
    assert b"\x1b[" in always
    assert b"\x1b[" not in never and b"\x1b[" not in auto
    assert run_cli("check", "--color", "sometimes", cwd=project).returncode == 2


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "jsonl", "sarif", "github", "junit"])
def test_show_fixes_in_every_format(tmp_path, fmt, json_schema):
    root = make_project(tmp_path, {"app/__init__.py": "", "app/unused.py": UNUSED})
    proc = run_cli("check", "--fix", "--show-fixes", "--format", fmt, cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()
    assert (root / "app" / "unused.py").read_text() == "x = 1\n"
    out, err = proc.stdout.decode(), proc.stderr.decode()
    if fmt == "json":
        doc = json.loads(out)
        validate_json(doc, json_schema)
        assert [(d["code"], d["path"]) for d in doc["fixes"]] == [("SSOT100", "app/unused.py")]
        return
    listing = out if fmt in ("text", "concise") else err
    assert "Fixed 1 finding:" in listing and "- app/unused.py:" in listing
    assert "1 × SSOT100 (unused-suppression)" in listing
    if fmt == "sarif":
        json.loads(out)  # stdout stays a SARIF document
    if fmt == "junit":
        ET.fromstring(out)


# --- dependents --------------------------------------------------------------------------------
def _service(tmp_path: Path) -> Path:
    files = {
        "app/__init__.py": "",
        "app/services.py": ASYNC_SERVICES,
        "app/routes.py": AWAITED,
        "app/other.py": "import os\n",
    }
    return make_project(tmp_path, files)


@pytest.mark.parametrize("warm", [False, True])
def test_dependents_report_the_unchanged_caller(tmp_path, warm, json_schema):
    """The issue's case: `async def save_user` becomes a `def`; checking only services.py
    (as pre-commit does) still reports the await in the unchanged routes.py."""
    root = _service(tmp_path)
    if warm:  # a cache from before the change, holding routes.py's (clean) result
        assert run_cli("check", cwd=root).returncode == 0
        assert run_cli("check", "app/services.py", cwd=root).returncode == 0
    (root / "app" / "services.py").write_text(SYNC_SERVICES)
    proc = run_cli("check", "app/services.py", "--format", "concise", cwd=root)
    assert proc.returncode == 1, proc.stderr.decode()
    assert [line.split(" [*]")[0] for line in concise(proc)] == ["app/routes.py:5:5: SSOT003"]
    assert "Found 1 error (1 in files that import the ones given)." in proc.stdout.decode()
    text = run_cli("check", "app/services.py", cwd=root).stdout.decode()
    assert "Found 1 finding (1 in files that import the ones given) in 1 file(s)." in text
    doc = json.loads(run_cli("check", "app/services.py", "--format", "json", cwd=root).stdout)
    validate_json(doc, json_schema)
    assert doc["summary"]["dependents"] == 1 and doc["summary"]["files"] == 2  # other.py is not a dependent
    off = run_cli("check", "app/services.py", "--no-dependents", cwd=root)
    assert off.returncode == 0
    # Through a re-export: routes.py imports the package, which re-exports from services.py.
    (root / "app" / "__init__.py").write_text("from .services import save_user\n")
    (root / "app" / "routes.py").write_text(AWAITED.replace("from app.services import", "from app import"))
    proc = run_cli("check", "app/services.py", "--format", "concise", cwd=root)
    assert [line.split(" [*]")[0] for line in concise(proc)] == ["app/routes.py:5:5: SSOT003"]


def test_dependents_are_reported_but_never_fixed(tmp_path):
    root = _service(tmp_path)
    (root / "app" / "services.py").write_text(SYNC_SERVICES + "y = 1  # noqa: SSOT001\n")
    proc = run_cli("check", "app/services.py", "--fix", "--format", "concise", cwd=root)
    assert proc.returncode == 1
    assert (root / "app" / "services.py").read_text() == SYNC_SERVICES + "y = 1\n"  # the file given: fixed
    assert (root / "app" / "routes.py").read_text() == AWAITED  # its dependent: reported, not touched
    assert [line.split(" [*]")[0] for line in concise(proc)] == ["app/routes.py:5:5: SSOT003"]


def test_dependents_only_for_files_named(tmp_path):
    """A folder given is linted as it is; files named bring their dependents."""
    root = make_project(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/services.py": SYNC_SERVICES,
            "app/__init__.py": "",
            "app/routes.py": AWAITED.replace("app.services", "core.services"),
        },
    )
    assert run_cli("check", "core", cwd=root).returncode == 0
    proc = run_cli("check", "core/services.py", "--format", "concise", cwd=root)
    assert [line.split(" [*]")[0] for line in concise(proc)] == ["app/routes.py:5:5: SSOT003"]


def test_dependents_unit(tmp_path):
    from ssot_lint.cache import Cache
    from ssot_lint.dependents import find_dependents
    from ssot_lint.discovery import discover
    from ssot_lint.project import Project

    root = make_project(
        tmp_path,
        {
            "pkg/__init__.py": "from .base import Base\n",
            "pkg/base.py": "class Base: ...\n",
            "pkg/sub.py": "from pkg import Base\n",  # through the re-export
            "pkg/deep.py": "import pkg.sub\n",  # `import a.b` binds `a`: counts as importing under it
            "pkg/lone.py": "x = 1\n",
            "pkg/star.py": "from pkg.base import *\n",
            "pkg/alias.py": "from pkg.base import Base\nLegacy = Base\n",
            "pkg/uses_alias.py": "from pkg.alias import Legacy\n",  # through the alias
            "pkg/subcls.py": "from pkg.base import Base\n\n\nclass Child(Base): ...\n",
            "pkg/uses_child.py": "from pkg.subcls import Child\n",  # through the subclass
            "pkg/user.py": "from pkg.base import Base\n\n\ndef make():\n    return Base()\n\n\nclass Own: ...\n",
            "pkg/uses_own.py": "from pkg.user import Own\n",  # Own has nothing of base: not a dependent
        },
    )
    files = {f.relpath: f for f in discover([str(root)], root)}
    project = Project(files, None, Cache(root / ".c", enabled=False))
    assert find_dependents(project, {}, ["pkg/base.py"]) == [
        "pkg/__init__.py",
        "pkg/alias.py",
        "pkg/deep.py",
        "pkg/star.py",
        "pkg/sub.py",
        "pkg/subcls.py",
        "pkg/user.py",
        "pkg/uses_alias.py",
        "pkg/uses_child.py",
    ]
    # deep.py's `import pkg.sub` could reach pkg.lone as an attribute, but its text never names it.
    assert find_dependents(project, {}, ["pkg/lone.py"]) == []

    class Entry:
        deps = frozenset({"pkg.lone"})

    assert "pkg/base.py" in find_dependents(project, {"pkg/base.py": Entry()}, ["pkg/lone.py"])


# --- config --------------------------------------------------------------------------------------
def test_ssot_lint_toml_discovery_and_precedence(tmp_path):
    files = {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION}
    root = make_project(tmp_path, files, "[tool.ssot-lint]\nignore = ['SSOT001']\n")
    assert run_cli("check", cwd=root).returncode == 0  # pyproject.toml's table
    (root / "ssot-lint.toml").write_text("select = ['SSOT001']\n")
    assert run_cli("check", cwd=root).returncode == 1  # ssot-lint.toml wins over pyproject.toml
    (root / ".ssot-lint.toml").write_text("ignore = ['SSOT001']\n")
    assert run_cli("check", cwd=root).returncode == 0  # .ssot-lint.toml wins over both
    # A folder with only an ssot-lint.toml is a project root.
    alone = tmp_path / "alone"
    (alone / "app").mkdir(parents=True)
    for rel, text in files.items():
        (alone / rel).write_text(text)
    (alone / "ssot-lint.toml").write_text("ignore = ['SSOT001']\n")
    assert run_cli("check", "routes.py", cwd=alone / "app").returncode == 0
    assert run_cli("check", "routes.py", "--no-dependents", cwd=alone / "app").returncode == 0


def test_config_extend(tmp_path):
    files = {"app/__init__.py": "", "app/engine.py": ENGINE, "app/routes.py": VIOLATION, "app/unused.py": UNUSED}
    root = make_project(tmp_path / "proj", files, "[tool.ssot-lint]\nextend = '../base.toml'\nfail-on = 'error'\n")
    (tmp_path / "base.toml").write_text("ignore = ['SSOT001']\nfail-on = 'info'\n")
    proc = run_cli("check", "--format", "concise", cwd=root)
    # SSOT001 ignored by the base; SSOT100 (a warning) found, and this file's fail-on wins.
    assert [line.split(":")[3].split(" ")[1] for line in concise(proc)] == ["SSOT100"]
    assert proc.returncode == 0
    (tmp_path / "base.toml").write_text("extend = 'proj/pyproject.toml'\n")
    cycle = run_cli("check", cwd=root)
    assert cycle.returncode == 2 and b"cycle" in cycle.stderr
    (tmp_path / "base.toml").write_text("bogus = 1\n")
    bad = run_cli("check", cwd=root).stderr.decode().strip()
    assert bad == f"ssot-lint: error: {tmp_path / 'base.toml'}:1:1: unknown key 'bogus'"


@pytest.mark.parametrize(
    "config,where",
    [
        ("[tool.ssot-lint]\nselect = ['SSOT001']\nselec = ['SSOT001']\n", ":5:1: unknown key 'tool.ssot-lint.selec'"),
        (
            "[tool.ssot-lint.contract]\nmanaged = ['A']\n  bogus = true\n",
            ":5:3: unknown key 'tool.ssot-lint.contract.bogus'",
        ),
        ("[tool.ssot-lint]\n\nselect = ['NOPE1']\n", ":5:1: unknown rule code 'NOPE1' in 'tool.ssot-lint.select'"),
        (
            "[tool.ssot-lint.rules.direct-construction]\nbogus = 1\n",
            ":4:1: unknown key 'tool.ssot-lint.rules.direct-construction.bogus'",
        ),
        ("[tool.ssot-lint]\nfail-on = 'loud'\n", ":4:1: 'tool.ssot-lint.fail-on' must be one of error, warning, info"),
    ],
)
def test_config_errors_name_line_and_column(tmp_path, config, where):
    root = make_project(tmp_path, {"app/engine.py": ENGINE}, config)  # 2 lines of [project] come first
    proc = run_cli("check", str(root))
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == f"ssot-lint: error: {root / 'pyproject.toml'}{where}"


# --- help ------------------------------------------------------------------------------------------
def test_top_level_help_does_not_cut_summaries():
    out = run_cli("--help").stdout.decode()
    commands = out.split("Commands:", 1)[1]
    assert "e.g." not in commands and "..." not in commands
    assert "Print the docs of a rule (by code such as SSOT001, or by name)." in " ".join(commands.split())


def test_every_check_option_is_in_the_readme_table():
    import click

    from ssot_lint.cli import check

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = [
        opt
        for p in check.params
        if isinstance(p, click.Option)
        for opt in p.opts + p.secondary_opts
        if opt.startswith("--") and opt != "--help"
    ]
    missing = [n for n in names if f"`{n}" not in readme]
    assert not missing, f"options missing from the README: {missing}"


# --- watch -----------------------------------------------------------------------------------------
def test_watch_runs_again_after_a_change(project):
    """A bounded watch (SSOT_LINT_WATCH_RUNS=2): the first run finds the violation, the file is
    fixed, the second run (seen by polling) passes."""
    env = {**os.environ, "NO_COLOR": "1", "SSOT_LINT_WATCH_RUNS": "2", "SSOT_LINT_WATCH_INTERVAL": "0.05"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssot_lint", "check", "--watch", "--format", "concise"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first = proc.stdout.readline().decode()
        assert first.startswith("app/routes.py:5:12: SSOT001"), first
        assert proc.stdout.readline().decode().startswith("Found 1 error")
        time.sleep(0.1)
        (project / "app" / "routes.py").write_text("x = 1\n")
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err.decode()
    assert "File change detected (app/routes.py); linting again..." in err.decode()
    assert "SSOT001" not in out.decode()


def test_watch_loop_unit(tmp_path):
    from ssot_lint.watch import watch

    (tmp_path / "a.py").write_text("x = 1\n")
    runs, sleeps = [], []

    def run_once() -> int:
        runs.append(len(runs))
        return len(runs)

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:  # a change after three polls
            (tmp_path / "a.py").write_text("x = 22\n")

    assert watch(run_once, tmp_path, echo=lambda m: None, interval=0.01, max_runs=2, sleep=sleep) == 2
    assert runs == [0, 1] and len(sleeps) == 3
