"""The fixture projects: every ``# expect:`` marker is found, and nothing unmarked is reported."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, copy_fixture, expected_markers, marker_counts, run_cli, validate_json


def _findings(project, *extra):
    # From the project root: paths are relative to the working directory.
    proc = run_cli("check", str(project), "--format", "json", *extra, cwd=project)
    doc = json.loads(proc.stdout)
    assert proc.returncode == (1 if doc["diagnostics"] else 0), proc.stderr.decode()  # 1: findings
    return doc, {(d["code"], d["path"], d["range"]["start"]["line"]) for d in doc["diagnostics"]}


@pytest.fixture(scope="module")
def legacy(tmp_path_factory):
    return _findings(copy_fixture("legacy_service", tmp_path_factory.mktemp("legacy")))


def test_legacy_service_markers_match_findings_exactly(legacy, json_schema):
    doc, found = legacy
    validate_json(doc, json_schema)
    assert doc["errors"] == []
    expected = expected_markers(FIXTURES / "legacy_service")
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    assert not missing, f"markers not reported: {missing}"
    assert not unexpected, f"reported without a marker: {unexpected}"


def test_legacy_service_has_every_ssot001_shape(legacy):
    _, found = legacy
    ssot001 = {(p, line) for code, p, line in found if code == "SSOT001"}
    assert len(ssot001) == marker_counts(FIXTURES / "legacy_service")["SSOT001"]
    files = {p for p, _ in ssot001}
    assert "netra_backend/app/legacy/compat.py" in files  # alias import
    assert "netra_backend/app/routes/admin.py" in files  # relative import, module.Class, re-export


def test_clean_service_has_no_findings(json_schema, fixture_copy):
    proc = run_cli("check", str(fixture_copy("clean_service")), "--format", "json")
    doc = json.loads(proc.stdout)
    validate_json(doc, json_schema)
    assert doc["diagnostics"] == [] and doc["errors"] == []
    assert proc.returncode == 0
