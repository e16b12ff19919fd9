"""``ssot-lint probe``: the run-time isolation probe, through the real CLI.

The reference factory and a correct team factory pass; each deliberately broken
factory in ``fixtures/probe_factories`` fails with the right check named.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, REPO, run_cli, validate_json

from ssot_lint.probe import CHECKS
from ssot_lint.reference.introspect import class_state, describe_path, reachable_objects, shared_between_roots

USERS = 200  # the 1,000-user run is in benchmarks/probe.py


def probe(*args: str, cwd=FIXTURES):
    return run_cli("probe", *args, cwd=cwd)


PROBE_SCHEMA = json.loads((REPO / "ssot_lint" / "schemas" / "probe.schema.json").read_text(encoding="utf-8"))


def probe_json(target: str, *args: str, users: int = USERS) -> tuple[int, dict]:
    """Run the probe with ``--format json``; the output always matches the shipped schema."""
    proc = probe(target, "--users", str(users), "--format", "json", *args)
    assert proc.stderr == b"", proc.stderr.decode()
    doc = json.loads(proc.stdout)
    validate_json(doc, PROBE_SCHEMA)
    assert doc["isolated"] is (proc.returncode == 0)
    return proc.returncode, doc


def by_name(doc: dict) -> dict[str, dict]:
    return {check["name"]: check for check in doc["checks"]}


def failing(doc: dict) -> set[str]:
    return {check["name"] for check in doc["checks"] if check["status"] == "fail"}


# --- passing factories ----------------------------------------------------------------------


def test_reference_factory_is_isolated_for_200_users() -> None:
    code, doc = probe_json("ssot_lint.reference:ExecutionEngineFactory")
    assert code == 0
    assert doc["isolated"] is True
    assert (doc["users"], doc["agents"]) == (USERS, 3)
    assert doc["factory"] == "ssot_lint.reference.execution_engine_factory.ExecutionEngineFactory"
    assert doc["transport_hook"] == "transport passed to CALLABLE"
    assert [c["name"] for c in doc["checks"]] == list(CHECKS)
    assert all(c["status"] == "pass" and c["failures"] == [] for c in doc["checks"])
    checks = by_name(doc)
    # 3 agents x 2 steps x 3 notifier calls, plus agent_started/agent_completed from the engine.
    assert checks["events"]["summary"].startswith(f"{USERS * 3 * 8} events delivered")
    assert checks["distinct-engines"]["summary"] == f"{2 * USERS} distinct engines from {2 * USERS} creates"
    assert checks["cleanup"]["summary"] == f"{2 * USERS} of {2 * USERS} engines collected"


def test_reference_factory_text_report() -> None:
    proc = probe("ssot_lint.reference:ExecutionEngineFactory", "--users", "20", "--agents", "2")
    assert proc.returncode == 0, proc.stdout.decode()
    out = proc.stdout.decode()
    assert "20 users x 2 agents" in out
    for name in CHECKS:
        assert f"ok    {name}" in out
    assert out.rstrip().endswith("Isolated: 20 users, 6 checks passed")


def test_a_correct_team_factory_passes() -> None:
    code, doc = probe_json("probe_factories.isolated:make_factory")
    assert code == 0 and failing(doc) == set()


def test_adapter_maps_other_names_from_config() -> None:
    code, doc = probe_json("probe_factories.renamed:make_factory", "--config", "probe_factories/renamed.toml")
    assert code == 0, failing(doc)
    assert doc["transport_hook"] == "factory.sink"  # found on a factory built with no argument
    assert doc["context_factory"] == "probe_factories._app:make_context"
    assert by_name(doc)["events"]["summary"].startswith(f"{USERS * 3 * 6} events delivered through factory.sink")


def test_transport_attribute_can_be_named(tmp_path) -> None:
    config = tmp_path / "probe.toml"
    config.write_text((FIXTURES / "probe_factories" / "renamed.toml").read_text() + 'transport-attribute = "sink"\n')
    code, doc = probe_json("probe_factories.renamed:make_factory", "--config", str(config), users=10)
    assert code == 0 and doc["transport_hook"] == "factory.sink"


# --- broken factories -----------------------------------------------------------------------


def test_cached_shared_engine() -> None:
    code, doc = probe_json("probe_factories.cached_engine:make_factory")
    assert code == 1 and doc["isolated"] is False
    assert failing(doc) == {"distinct-engines", "events", "shared-state", "cleanup"}
    checks = by_name(doc)
    across, twice = checks["distinct-engines"]["failures"]
    assert across["message"] == f"{USERS} users got the same probe_factories._app.Engine object from create_for_user()"
    assert across["pairs"][0] == ["probe-user-000", "probe-user-001"] and len(across["pairs"]) == USERS - 1
    assert twice["pairs"][0] == ["probe-user-000", "probe-user-000"] and twice["count"] == USERS
    (shared,) = checks["shared-state"]["failures"]
    assert shared["message"] == f"{USERS} users share one engine object (probe_factories._app.Engine)"
    assert shared["types"] == ["probe_factories._app.Engine"] and shared["count"] == USERS
    leak = checks["events"]["failures"][0]
    assert leak["message"] == (
        f"probe-user-000 received {(USERS - 1) * 24} events carrying the secrets of other users "
        f"({USERS - 1} users, first: probe-user-001)"
    )
    assert leak["pairs"][:2] == [["probe-user-001", "probe-user-000"], ["probe-user-002", "probe-user-000"]]
    assert "agent_thinking" in leak["types"]
    (collected,) = checks["cleanup"]["failures"]
    assert collected["message"].endswith("not garbage-collected after cleanup; still reachable as factory._engine")


def test_module_level_emitter() -> None:
    code, doc = probe_json("probe_factories.module_emitter:make_factory")
    assert code == 1 and failing(doc) == {"events", "shared-state"}
    checks = by_name(doc)
    (shared,) = checks["shared-state"]["failures"]
    assert (
        shared["message"]
        == f"the engines of {USERS} users share a probe_factories._app.Emitter, reached as engine.notifier"
    )
    assert shared["path"] == "engine.notifier" and shared["types"] == ["probe_factories._app.Emitter"]
    assert shared["pairs"][0] == ["probe-user-000", "probe-user-001"]
    last = f"probe-user-{USERS - 1:03d}"
    leak, lost = checks["events"]["failures"]
    assert leak["message"].startswith(f"{last} received ")  # the emitter is bound to the last user created
    assert ["probe-user-000", last] in leak["pairs"]
    assert lost["count"] == USERS - 1 and last not in lost["users"]


def test_engine_built_with_a_none_notifier() -> None:
    code, doc = probe_json("probe_factories.none_notifier:make_factory")
    assert code == 1 and failing(doc) == {"notifier", "runtime-errors"}
    checks = by_name(doc)
    (none,) = checks["notifier"]["failures"]
    assert (
        none["message"] == f"{USERS} engines (probe_factories._app.Engine) without a notifier: engine.notifier is None"
    )
    assert none["users"][0] == "probe-user-000" and none["count"] == USERS
    (error,) = checks["runtime-errors"]["failures"]
    assert error["types"] == ["AttributeError"] and error["count"] == 3 * USERS
    assert checks["events"]["status"] == "skip"  # no agent could emit anything


def test_registry_kept_as_a_class_attribute() -> None:
    code, doc = probe_json("probe_factories.class_registry:make_factory")
    assert code == 1 and failing(doc) == {"shared-state"}
    (shared,) = by_name(doc)["shared-state"]["failures"]
    assert shared["path"] == "engine.registry (class attribute SharedRegistryEngine.registry)"
    assert shared["types"] == ["probe_factories._app.RunRegistry"]
    assert shared["count"] == USERS and len(shared["pairs"]) == USERS - 1


def test_cleanup_that_forgets_nothing() -> None:
    code, doc = probe_json("probe_factories.leaky_cleanup:make_factory", users=20)
    assert code == 1 and failing(doc) == {"cleanup"}
    containers, collected = by_name(doc)["cleanup"]["failures"]
    assert (
        containers["message"] == "factory._engines (dict) holds 20 entries after cleanup (it held 0 before the probe)"
    )
    assert containers["path"] == "factory._engines"
    assert collected["message"].startswith("40 engines (probe_factories._app.Engine) were not garbage-collected")
    assert "still reachable as factory._engines['probe-user-00'][0]" in collected["message"]


def test_a_phase_that_hangs_times_out() -> None:
    code, doc = probe_json("probe_factories.hanging:make_factory", "--timeout", "0.3", users=3)
    assert code == 1 and failing(doc) == {"runtime-errors"}
    (error,) = by_name(doc)["runtime-errors"]["failures"]
    assert error["message"] == "create did not finish within 0.3 s (--timeout) for 3 users"
    assert {c["status"] for c in doc["checks"] if c["name"] != "runtime-errors"} == {"skip"}


def test_broken_factory_text_report_names_the_failed_checks() -> None:
    proc = probe("probe_factories.class_registry:make_factory", "--users", "10")
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "FAIL  shared-state" in out
    assert "reached as engine.registry (class attribute SharedRegistryEngine.registry)" in out
    assert "pairs: probe-user-0 -> probe-user-1, probe-user-0 -> probe-user-2" in out
    assert out.rstrip().endswith("NOT ISOLATED: 1 check failed (shared-state)")


# --- usage errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["probe_factories.isolated"], "CALLABLE 'probe_factories.isolated' is not MODULE:CALLABLE"),
        (["nosuchpkg.factories:make"], "cannot import module 'nosuchpkg.factories': no module named 'nosuchpkg'"),
        (
            ["probe_factories.broken_import:make"],
            (
                "cannot import module 'probe_factories.broken_import': ModuleNotFoundError: "
                "No module named 'not_an_installed_dependency_for_the_probe'"
            ),
        ),
        (["probe_factories.isolated:nope"], "module 'probe_factories.isolated' has no attribute 'nope'"),
        (["probe_factories.isolated:__doc__"], "CALLABLE 'probe_factories.isolated:__doc__' is not callable"),
        (
            ["probe_factories._app:Engine"],
            (
                "CALLABLE 'probe_factories._app:Engine' must take no argument or a transport, "
                "but it requires (context, notifier, registry)"
            ),
        ),
        (["probe_factories.hanging:make_nothing"], "'probe_factories.hanging:make_nothing' returned None"),
        (
            ["probe_factories.renamed:make_factory"],
            "the factory (SessionManager) has no method 'create_for_user'; name it with [tool.ssot-lint.probe] create",
        ),
        (["probe_factories.isolated:make_factory", "--users", "1"], "--users must be at least 2, got 1"),
        (["probe_factories.isolated:make_factory", "--agents", "0"], "--agents must be at least 1, got 0"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    proc = probe(*args)
    assert proc.returncode == 2, proc.stdout.decode()
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("ssot-lint: error: "), err
    assert message in err
    assert proc.stdout == b""


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('create = "1st"', "'tool.ssot-lint.probe.create' must be a Python name or dotted attribute path"),
        ('context-factory = "myapp.ctx"', "'tool.ssot-lint.probe.context-factory' must be a 'module:name' string"),
        ('colour = "blue"', "unknown key 'tool.ssot-lint.probe.colour'"),
        (
            'transport-attribute = "wire"',
            "the factory (SessionManager) has no attribute 'wire' (tool.ssot-lint.probe.transport-attribute)",
        ),
        ('shared-types = ["logging:getLogger"]', "shared type 'logging:getLogger' is not a class"),
    ],
)
def test_probe_config_errors_name_the_key(tmp_path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ssot-lint.probe]\ncreate = "build"\ncleanup = "release"\n'
        'notifier-attribute = "emitter"\nrun = ""\n'.replace(
            'create = "build"\n', "" if table.startswith("create") else 'create = "build"\n'
        )
        + table
        + "\n"
    )
    proc = probe("probe_factories.renamed:make_factory", "--root", str(tmp_path), "--users", "2")
    assert proc.returncode == 2, proc.stdout.decode()
    assert message in proc.stderr.decode() and proc.stderr.decode().count("\n") == 1


def test_check_never_imports_the_code_it_lints(tmp_path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "app.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    proc = run_cli("check", str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()
    assert not marker.exists()
    proc = probe("app:nothing", cwd=tmp_path)  # the probe does import (an explicit opt-in)
    assert proc.returncode == 2 and marker.exists()


# --- the object-graph walker the probe uses ------------------------------------------------------


def test_walker_follows_class_attributes_only_when_asked() -> None:
    class Registry:
        pass

    class Engine:
        registry = Registry()
        limit = 3

        def __init__(self) -> None:
            self.own: dict[str, int] = {}

        @property
        def size(self) -> int:
            return len(self.own)

    assert [name for name, _ in class_state(Engine())] == ["Engine.registry"]
    one, two = Engine(), Engine()
    assert shared_between_roots([one, two]).hits == []
    found = shared_between_roots([one, two], class_attributes=True)
    assert [(found.objects[key], a, b) for key, a, b in found.hits] == [(Engine.registry, 0, 1)]
    (key, _, _) = found.hits[0]
    assert (
        describe_path("engine", key, found.parents, found.objects)
        == "engine.registry (class attribute Engine.registry)"
    )


def test_walker_lists_only_the_topmost_shared_object_and_sees_through_tuples() -> None:
    common = {"inner": []}

    class Holder:
        def __init__(self, shared: dict) -> None:
            self.pair = (shared, 1)
            self.own: list[int] = []

    found = shared_between_roots([Holder(common), Holder({}), Holder(common)])
    assert [(found.objects[key] is common, a, b) for key, a, b in found.hits] == [(True, 0, 2)]
    parents: dict[int, int | None] = {}
    root = Holder(common)
    objects = reachable_objects(root, parents=parents)
    assert describe_path("engine", id(common["inner"]), parents, objects) == "engine.pair[0]['inner']"


def test_json_text_events_and_printing_factories() -> None:
    """JSON-text events to connections named after users are read; prints never mix into the report."""
    proc = probe("probe_factories.json_events:make_factory", "--users", "10", "--format", "json")
    assert proc.returncode == 0, proc.stdout.decode()
    doc = json.loads(proc.stdout)
    validate_json(doc, PROBE_SCHEMA)
    assert by_name(doc)["events"]["summary"].startswith(f"{10 * 3 * 8} events delivered")
    assert "creating an engine for probe-user-0" in proc.stderr.decode()


def test_a_service_shaped_unlike_the_reference(tmp_path) -> None:
    """fixtures/clean_service: send_to_user transport, (agent_name, run_id, ...) emitters, from_request contexts."""
    config = FIXTURES / "probe_factories" / "netra.toml"
    code, doc = probe_json("probe_factories.netra_wiring:make_factory", "--config", str(config), users=50)
    assert code == 0, [c["failures"] for c in doc["checks"] if c["failures"]]
    # Each emitter call carried the secret in its payload or text: 3 agents x 2 steps x 3 calls.
    assert by_name(doc)["events"]["summary"] == (
        "900 events delivered through transport passed to CALLABLE; 900 emitted by probe agents"
    )
    # Without declaring the process-wide notifier as shared infrastructure, the walk finds it.
    unshared = tmp_path / "netra.toml"
    unshared.write_text("".join(line for line in config.read_text().splitlines(True) if "shared-types" not in line))
    code, doc = probe_json("probe_factories.netra_wiring:make_factory", "--config", str(unshared), users=5)
    assert code == 1 and failing(doc) == {"shared-state"}
    (shared,) = by_name(doc)["shared-state"]["failures"]
    assert shared["types"] == ["netra_backend.app.websocket.notifier.WebSocketNotifier"]
    assert shared["path"] == "engine._tool_engine._notifier._notifier"


def test_help_says_the_probe_runs_your_code() -> None:
    proc = run_cli("probe", "--help")
    assert proc.returncode == 0
    out = " ".join(proc.stdout.decode().split())
    assert "this IMPORTS AND RUNS your code" in out
    assert "--users INTEGER" in out and "--agents INTEGER" in out and "[text|json]" in out
