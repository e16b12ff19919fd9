"""Test code found by imports (``ssot_lint.testcode``): modules that only test code imports
and that use test tooling are test code, for every rule; warm runs agree with cold ones."""

from __future__ import annotations

import json
import random

import pytest
from conftest import FIXTURES, expected_markers, run_cli
from warm_cold import findings, write_tree

from ssot_lint.engine import Linter
from ssot_lint.registry import load_rules
from ssot_lint.testing import config_from

PROJECT = FIXTURES / "test_support"


def _found(*extra: str) -> list[tuple[str, str, int, int]]:
    proc = run_cli("check", str(PROJECT), "--format", "json", "--no-cache", *extra, cwd=PROJECT)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    return sorted(
        (d["code"], d["path"], d["range"]["start"]["line"], d["range"]["start"]["column"]) for d in doc["diagnostics"]
    )


def test_fixture_markers_match_findings_exactly():
    found = _found()
    assert {(c, p, line) for c, p, line, _ in found} == expected_markers(PROJECT)
    # The decoys, at their exact positions: a helper a production job imports, a plugin
    # only tests import but that uses no test tooling, an entry point nothing imports.
    assert found == [
        ("SSOT001", "src/app/cli.py", 8, 12),
        ("SSOT001", "src/app/plugins/reports.py", 6, 12),
        ("SSOT001", "src/app/seed_support/builders.py", 8, 12),
    ]


def test_switched_off_the_helper_package_is_production(tmp_path):
    config = tmp_path / "ssot.toml"
    config.write_text("test-only-imports = false\n")
    found = _found("--config", str(config))
    helpers = [f for f in found if "testing_support" in f[1]]
    assert helpers == [
        ("SSOT001", "src/app/testing_support/builders.py", 7, 17),
        ("SSOT001", "src/app/testing_support/builders.py", 12, 12),
        ("SSOT001", "src/app/testing_support/fakes.py", 15, 36),
        ("SSOT002", "src/app/testing_support/builders.py", 7, 1),
    ]
    assert [f for f in found if f not in helpers] == _found()


def test_a_bad_value_is_a_one_line_error(tmp_path):
    config = tmp_path / "ssot.toml"
    config.write_text('test-only-imports = "yes"\n')
    proc = run_cli("check", str(PROJECT), "--no-cache", "--config", str(config), cwd=PROJECT)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "test-only-imports" in err and str(config) in err
    assert len(err.strip().splitlines()) == 1


# --- the table on small projects --------------------------------------------------------------------

MOCKING = "from unittest import mock\n\n\ndef fake():\n    return mock.Mock()\n"


def _tests(files: dict[str, str], **config) -> set[str]:
    """The files of an in-memory project that are test code."""
    linter = Linter(config_from(config), load_rules())
    linter.lint_texts(files, [])
    return {rel for rel in files if linter.is_test(rel)}


BASE = {
    "app/__init__.py": "",
    "app/helpers/__init__.py": "from .fakes import fake\n",
    "app/helpers/fakes.py": MOCKING,
    "tests/test_a.py": "from app.helpers import fake\n",
}


def test_a_helper_package_only_tests_import_is_test_code():
    assert _tests(BASE) == {"tests/test_a.py", "app/helpers/__init__.py", "app/helpers/fakes.py"}
    assert _tests(BASE, **{"test-only-imports": False}) == {"tests/test_a.py"}


@pytest.mark.parametrize(
    "importer",
    [
        "from app.helpers import fakes\n",  # `from pkg import mod`
        "import app.helpers.fakes\n",
        "import app.helpers.fakes as f\n",
        "def job():\n    from app.helpers.fakes import fake\n    return fake()\n",  # function-local
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.helpers.fakes import fake\n",
    ],
)
def test_one_production_importer_keeps_it_production(importer):
    assert _tests({**BASE, "app/job.py": importer}) == {"tests/test_a.py"}


def test_a_relative_import_from_production_counts():
    files = {
        **BASE,
        "app/helpers/seed.py": "from .fakes import fake\n",
        "app/main.py": "from app.helpers import seed\n",
    }
    # seed.py is imported by production (main.py), and it imports fakes: both stay production;
    # __init__ too (importing app.helpers.seed imports the package).
    assert _tests(files) == {"tests/test_a.py"}


def test_nothing_imports_it_or_no_test_tooling_stays_production():
    files = {
        "app/__init__.py": "",
        "app/cli.py": MOCKING,  # an entry point: nothing imports it
        "app/routes.py": "def route():\n    return 1\n",  # only the tests import it; no test tooling
        "tests/test_routes.py": "from app.routes import route\n",
    }
    assert _tests(files) == {"tests/test_routes.py"}


def test_test_support_modules_may_import_each_other():
    files = {
        "app/__init__.py": "",
        "app/a.py": "import pytest\nfrom app import b\n",
        "app/b.py": "from app import a\n",  # uses test tooling through a.py
        "tests/test_x.py": "from app import a, b\n",
    }
    assert _tests(files) == {"tests/test_x.py", "app/a.py", "app/b.py"}
    # A production importer of b makes b production, and then a (b imports it) too.
    assert _tests({**files, "app/main.py": "from app import b\n"}) == {"tests/test_x.py"}


def test_importing_test_paths_code_is_test_tooling():
    files = {
        "app/__init__.py": "",
        "app/factories.py": "from tests.data import USERS\n",
        "tests/__init__.py": "",
        "tests/data.py": "USERS = []\n",
        "tests/test_x.py": "from app.factories import USERS\n",
    }
    assert "app/factories.py" in _tests(files)


def test_rules_skip_test_support_with_exact_positions():
    """SSOT001 does not run on test support; the same code in a module production imports is flagged."""
    engine = "class ExecutionEngine:\n    def __init__(self, context, registry, notifier):\n        pass\n"
    factory = (
        "from app.context import UserExecutionContext\nfrom app.engine import ExecutionEngine\n"
        "class EngineFactory:\n    async def create_for_user(self, context: UserExecutionContext):\n"
        "        return ExecutionEngine(context, None, self)\n"
    )
    helper = (
        "from unittest import mock\nfrom app.engine import ExecutionEngine\n\nE = ExecutionEngine(1, 2, mock.Mock())\n"
    )
    files = {
        "app/__init__.py": "",
        "app/context.py": "class UserExecutionContext:\n    user_id: str\n",
        "app/engine.py": engine,
        "app/factory.py": factory,
        "app/support.py": helper,
        "tests/test_e.py": "from app.support import E\n",
    }
    rules = load_rules()
    for extra, expected in (({}, []), ({"app/main.py": "from app.support import E\n"}, [("SSOT001", 4, 5)])):
        linter = Linter(config_from({}), rules, select=["SSOT001"])
        result = linter.lint_texts({**files, **extra}, ["app/support.py"])
        assert [(d.code, d.range.start.line, d.range.start.column) for d in result.diagnostics] == expected


# --- warm equals cold ------------------------------------------------------------------------------

ENGINE_FILES = {
    "app/__init__.py": "",
    "app/context.py": "class UserExecutionContext:\n    user_id: str\n",
    "app/engine.py": "class ExecutionEngine:\n    def __init__(self, context, registry, notifier):\n        pass\n",
    "app/factory.py": (
        "from app.context import UserExecutionContext\nfrom app.engine import ExecutionEngine\n"
        "class EngineFactory:\n    async def create_for_user(self, context: UserExecutionContext):\n"
        "        return ExecutionEngine(context, None, self)\n"
    ),
    "app/helpers/__init__.py": "",
    "app/helpers/fakes.py": (
        "from unittest import mock\nfrom app.engine import ExecutionEngine\n\n"
        "ENGINE = ExecutionEngine(1, 2, mock.Mock())\n"
    ),
    "app/helpers/builders.py": (
        "from app.engine import ExecutionEngine\nfrom app.helpers.fakes import ENGINE\n\n"
        "def build():\n    return ExecutionEngine(1, 2, ENGINE)\n"
    ),
    "app/main.py": "def main():\n    return 1\n",
    "tests/test_a.py": "from app.helpers.builders import build\n",
}
# Each step: (file, new text). The helper package turns test-only, production and back.
STEPS = [
    ("app/main.py", "from app.helpers.builders import build\n"),  # production imports builders
    ("app/main.py", "def main():\n    from app.helpers import fakes\n    return fakes\n"),  # only fakes
    ("app/main.py", "def main():\n    return 1\n"),  # test-only again
    (
        "app/helpers/fakes.py",
        "from app.engine import ExecutionEngine\n\nENGINE = ExecutionEngine(1, 2, 3)\n",
    ),  # no tooling
    (
        "app/helpers/fakes.py",
        "import pytest\nfrom app.engine import ExecutionEngine\n\nENGINE = ExecutionEngine(1, 2, 3)\n",
    ),
    ("tests/test_a.py", ""),  # nothing imports the helpers any more
    ("tests/test_a.py", "from app.helpers import builders\n"),
    ("app/helpers/__init__.py", "from . import builders\n"),
    ("app/seed.py", "import app.helpers\n"),  # a production importer of the package's __init__
    ("app/seed.py", "import app.context\n"),
]


def _checked(root, files, jobs=1):
    write_tree(root, files)
    warm = findings(root, cache=True, jobs=jobs)
    cold = findings(root, cache=False)
    assert warm == cold
    return {(f[0], f[1]) for f in cold}


def test_warm_equals_cold_as_a_helper_package_turns_test_only_and_back(tmp_path):
    root = tmp_path / "p"
    files = dict(ENGINE_FILES)
    seen = [_checked(root, files)]
    assert ("SSOT001", "app/helpers/fakes.py") not in seen[0]
    for rel, text in STEPS:
        files[rel] = text
        seen.append(_checked(root, files))
    production = {("SSOT001", "app/helpers/fakes.py"), ("SSOT001", "app/helpers/builders.py")}
    assert production <= seen[1]  # main.py imports builders: both helpers are production
    # Production imports fakes only: builders uses test tooling only through fakes, so both are.
    assert production <= seen[2]
    assert not seen[3] & production  # test-only again
    assert production <= seen[4]  # without test tooling, nothing is test support
    assert not seen[5] & production
    assert production <= seen[6]  # nothing imports them: production
    assert not seen[7] & production
    assert not seen[8] & production  # __init__ imports builders, which uses fakes: test support
    assert production <= seen[9]  # app/seed.py imports the package: __init__ and what it imports
    assert not seen[10] & production  # app/seed.py no longer imports the package


IMPORT_LINES = [
    "from app.helpers import fakes\n",
    "import app.helpers.builders\n",
    "from app.helpers.builders import build\n",
    "import pytest\n",
    "",
]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_import_edits_warm_equals_cold(tmp_path, seed):
    """Random import lines added to and removed from production, test and helper modules."""
    rng = random.Random(seed)
    root = tmp_path / "p"
    files = dict(ENGINE_FILES)
    _checked(root, files)
    for _ in range(8):
        rel = rng.choice(["app/main.py", "app/helpers/fakes.py", "app/helpers/__init__.py", "tests/test_a.py"])
        line = rng.choice(IMPORT_LINES)
        files[rel] = line + files[rel] if rng.random() < 0.6 else line
        _checked(root, files, jobs=rng.choice([1, 2]))
