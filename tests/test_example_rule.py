"""The worked example of docs/writing-rules.md (examples/blocking_calls) is a rule pack that
works: installed like a plugin (its entry point on PYTHONPATH), its examples hold, its
prefilter is sound, and it finds exactly its fixture's markers, warm as cold.

Everything runs in a subprocess: putting the pack on sys.path here would make its entry
point (and its fact collector) visible to every other test of this process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, expected_markers, run_cli

PACK = REPO / "examples" / "blocking_calls"
ENV = {"PYTHONPATH": os.pathsep.join([str(PACK), os.environ.get("PYTHONPATH", "")])}

# Run inside the subprocess: every example through check_example, and through the engine
# with the prefilter on and bypassed (the findings must be the same: the prefilter is sound).
_SCRIPT = """
import json
from ssot_lint.engine import Linter
from ssot_lint.run.options import RunOptions
from ssot_lint.registry import load_rules
from ssot_lint.api import Valid
from ssot_lint.testing import check_example, config_from

rules = load_rules()
rule = rules.by_code("EXM001")
out = {"collectors": [], "examples": []}
from ssot_lint.facts import installed_collectors
out["collectors"] = [c.name for c in installed_collectors()]
for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID)):
    for example in examples:
        check_example(rule, example, rules)
        example = Valid(example) if isinstance(example, str) else example
        cfg = config_from(example.config or {})
        found = []
        for prefilter in (True, False):
            linter = Linter(cfg, rules, select=[rule.code], options=RunOptions(prefilter=prefilter))
            result = linter.lint_texts({**example.files, example.path: example.code}, [example.path])
            found.append([(d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics])
        from ssot_lint.context import RuleContext
        linter = Linter(cfg, rules, select=[rule.code])
        index, sources, facts, _ = linter.build_index([], {**example.files, example.path: example.code})
        from ssot_lint.run.contract import bind
        bind(linter, index)
        fa = facts[example.path]
        ctx = RuleContext(example.path, fa.module, fa, index, cfg, linter.contract, False, linter.rule_options)
        out["examples"].append({"kind": kind, "with": found[0], "without": found[1], "passes": rule.could_fire(ctx)})
print(json.dumps(out))
"""


def test_the_example_pack_loads_as_a_plugin_and_its_examples_hold():
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # Its fact collector runs in the facts pass next to the built-in ones.
    assert "example-sleepers" in out["collectors"] and "attr-ops" in out["collectors"]
    examples = out["examples"]
    assert [e["kind"] for e in examples] == ["valid"] * 4 + ["invalid"] * 2
    for e in examples:
        # Sound: the findings do not depend on the prefilter.
        assert e["with"] == e["without"]
        assert bool(e["with"]) == (e["kind"] == "invalid")
        if e["with"]:
            assert e["passes"], "the prefilter rejected a file with findings"
    # Precise enough to matter: the file without a blocking name is skipped, the one
    # with a namesake that does not block is not (the rule itself decides there).
    assert [e["passes"] for e in examples if e["kind"] == "valid"] == [False, True, True, False]


def test_the_example_finds_exactly_its_fixture_markers_warm_and_cold(tmp_path):
    project = tmp_path / "fixture"
    shutil.copytree(PACK / "fixture", project)
    expected = {(code, path, line) for code, path, line in expected_markers(project)}
    assert len(expected) == 2
    runs = []
    for extra in (["--no-cache"], [], []):  # cold, then a cold cache, then warm
        proc = run_cli("check", ".", "--select", "EXM001", "--format", "json", *extra, cwd=project, env=ENV)
        assert proc.returncode == 1, proc.stderr.decode()
        runs.append(json.loads(proc.stdout))
    assert runs[0] == runs[1] == runs[2]
    found = {(d["code"], Path(d["path"]).as_posix(), d["range"]["start"]["line"]) for d in runs[0]["diagnostics"]}
    assert found == expected
