"""Module rows: project tables folded from per-module rows kept in the manifest.

After an edit, a table that reads every module (test code, attribute operations, await
names, the notifier model, SSOT004's targets, SSOT007's duplicates) is folded again from
the rows of the unchanged modules and the recomputed rows of the changed ones: only the
changed modules' facts are loaded. Rows that follow imports are kept with what they
read, and only while none of it changed. Each test compares the warm run with a run
without the cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from warm_cold import findings, write_tree

from ssot_lint.cache import Cache, row_digest, tool_fingerprint
from ssot_lint.config import load_config
from ssot_lint.engine import Linter, RunOptions
from ssot_lint.project import Project
from ssot_lint.registry import load_rules
from ssot_lint.session import AnalysisSession

NOTIFIER = (
    "class UserWebSocketEmitter:\n"
    "    async def agent_started(self, run_id): ...\n\n"
    "    async def agent_finished(self, run_id): ...\n"
)
ENGINE = (
    "from app.notifier import UserWebSocketEmitter\n\n"
    "UserId = str\n\n\n"
    "class UserSessionTracker:\n"
    "    _sessions: dict[UserId, object] = {}\n\n\n"
    "async def run(emitter: UserWebSocketEmitter):\n"
    "    await emitter.agent_start(1)\n"
)
# The only in-place change of the class-level dict is in another module.
USER = "from app.engine import UserSessionTracker\n\n\ndef forget():\n    UserSessionTracker._sessions.clear()\n"


def leaf(i: int) -> str:
    return f"def helper_{i}(x):\n    return x + {i}\n\n\nclass Thing{i}:\n    def get(self):\n        return helper_{i}(1)\n"


def project(extra: dict[str, str] | None = None) -> dict[str, str]:
    files = {
        "app/__init__.py": "",
        "app/notifier.py": NOTIFIER,
        "app/engine.py": ENGINE,
        "app/user.py": USER,
    }
    files.update({f"app/leaf{i:02d}.py": leaf(i) for i in range(30)})
    files.update(extra or {})
    return files


def run(root: Path, jobs: int = 1) -> tuple[list[tuple], dict]:
    linter = Linter(load_config(root), load_rules(), options=RunOptions(jobs=jobs, use_cache=True))
    result = linter.run([str(root)])
    found = [(d.code, d.path, d.range.start.line, d.range.start.column, d.message) for d in result.diagnostics]
    return found, linter.stats


def linted_then_edited(tmp_path: Path, path: str, text: str) -> tuple[Path, dict[str, str], list[tuple]]:
    """``project()`` linted, then ``path`` replaced by ``text`` and linted again: the root,
    the files as they are now, and the second run's findings."""
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    run(root)
    files = {**files, path: text}
    write_tree(root, files)
    found, _ = run(root)
    return root, files, found


def test_a_leaf_edit_loads_only_the_changed_modules_facts(tmp_path):
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, stats = run(root)
    assert {f[0] for f in cold} >= {"SSOT006", "SSOT009"}  # tables of both kinds were read
    assert stats["facts_loaded"] == len(files)
    warm, stats = run(root)
    assert warm == cold and stats["linted"] == 0
    write_tree(root, {**files, "app/leaf07.py": leaf(7) + "\nEXTRA = 1\n"})
    after, stats = run(root)
    assert after == findings(root, cache=False) == cold
    # The edited file is linted again; no other file's findings depend on it. Every
    # project table is folded from rows: the facts of the other 33 modules stay on disk.
    assert stats["linted"] == 1
    assert stats["facts_loaded"] <= 3, stats


def test_rows_computed_in_workers_reach_the_cache(tmp_path):
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, stats = run(root, jobs=2)
    assert stats["linted"] == len(files)
    rules = load_rules()
    tool = tool_fingerprint([__import__(r.__module__, fromlist=["_"]) for r in rules.rules])
    rows = {
        k: v for shard in Cache(root / ".ssot_lint_cache").load_section(tool, "rows").values() for k, v in shard.items()
    }
    kinds = {key.split("@", 1)[0].rsplit(":", 1)[0] for key, _rel in rows}
    # Rows of tables only the workers read (the prefilters run there) are in the manifest.
    assert {"notifier-relevant", "null-notifier-targets", "attr-ops", "notifier-classes"} <= kinds, kinds
    relevant = [rel for key, rel in rows if key.startswith("notifier-relevant:")]
    assert len(relevant) == len(files)
    write_tree(root, {**files, "app/leaf03.py": leaf(3) + "\nEXTRA = 1\n"})
    after, stats = run(root)
    assert after == findings(root, cache=False) == cold
    assert stats["facts_loaded"] <= 3, stats


def test_a_row_that_follows_imports_is_recomputed_when_what_it_read_changes(tmp_path):
    """``h`` in app/b.py returns ``g()`` of app/a.py: its kind (the await rows) was read
    from app/a.py. Turning ``g`` into an ``async def`` changes b's row, although b did not change."""
    root = tmp_path / "p"
    files = {
        "app/__init__.py": "",
        "app/a.py": "def g():\n    return 1\n",
        "app/b.py": "from app.a import g\n\n\ndef h():\n    return g()\n",
        "app/c.py": "from app.b import h\n\n\nasync def run():\n    await h()\n",
    }
    files.update({f"app/leaf{i:02d}.py": leaf(i) for i in range(5)})
    write_tree(root, files)
    cold, _ = run(root)
    assert [f[:3] for f in cold] == [("SSOT003", "app/c.py", 5)]
    assert run(root)[0] == cold
    write_tree(root, {**files, "app/a.py": "async def g():\n    return 1\n"})
    warm, _ = run(root)
    assert warm == findings(root, cache=False) == []
    write_tree(root, files)
    assert run(root)[0] == findings(root, cache=False) == cold


def test_an_attribute_operation_in_another_module_is_a_dependency_of_its_value(tmp_path):
    """SSOT009 on ``UserSessionTracker._sessions`` depends on the operations on ``_sessions``
    anywhere in the project (``@table:attr-ops:_runs:...``), not on every module."""
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    assert any(f[0] == "SSOT009" and f[1] == "app/engine.py" for f in cold)
    write_tree(root, {**files, "app/user.py": "def forget():\n    return None\n"})
    warm, stats = run(root)
    assert warm == findings(root, cache=False)
    assert not any(f[0] == "SSOT009" for f in warm)
    assert stats["linted"] == 2, stats  # app/user.py (changed), app/engine.py (its table value changed)
    poke = "\n\ndef poke():\n    from app.engine import UserSessionTracker\n    UserSessionTracker._sessions.clear()\n"
    write_tree(root, {**files, "app/user.py": "def forget():\n    return None\n", "app/leaf01.py": leaf(1) + poke})
    warm, _ = run(root)
    assert warm == findings(root, cache=False)
    assert any(f[0] == "SSOT009" and f[1] == "app/engine.py" for f in warm)


def test_rows_of_another_config_are_not_reused(tmp_path):
    """Rows that follow imports depend on the config and contract (their salt): with the
    notifier parameter configured away, SSOT004's targets change, warm as cold."""
    root = tmp_path / "p"
    files = project(
        {
            "app/tools.py": (
                "class ToolExecutor:\n"
                "    def __init__(self, registry, websocket_notifier=None):\n"
                "        self.websocket_notifier = websocket_notifier\n\n\n"
                "def build(registry):\n"
                "    return ToolExecutor(registry, websocket_notifier=None)\n"
            )
        }
    )
    write_tree(root, files)
    first, _ = run(root)
    assert first == findings(root, cache=False)
    config = '\n[tool.ssot-lint]\nselect = ["SSOT004"]\n\n[tool.ssot-lint.contract]\nnotifier-params = ["emitter"]\n'
    write_tree(root, {**files, "pyproject.toml": config})
    warm, _ = run(root)
    assert warm == findings(root, cache=False)
    write_tree(root, files)
    assert run(root)[0] == findings(root, cache=False) == first


def test_damaged_or_foreign_rows_are_rebuilt(tmp_path):
    """The rows and their JSON are data checked against their declared types: a truncated
    shard, a foreign shape, a damaged header, a row's JSON that is not of its digest, or
    JSON of its digest that does not fit the row type is a miss, never an answer. (A
    shard is a header line, then its entries: a damaged header makes the run read the
    entries, so the plantings in the entries come with one.)"""
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    cache = root / ".ssot_lint_cache"
    write_tree(root, {**files, "app/leaf05.py": leaf(5) + "\nEXTRA = -1\n"})
    run(root)  # checks the tables: each shard's header gets its parts
    shards = sorted((cache / "sections" / "rows").glob("*.json"))
    texts = sorted((cache / "row-texts").glob("*.json"))
    assert shards and texts and any('"test-imports:1"' in p.read_text() for p in shards)
    assert all(json.loads(p.read_text().split("\n", 1)[0])[3][2] for p in shards)  # parts
    bad = json.dumps("not a row")
    bad_digest = row_digest(bad)

    def plant_rows(make=None, head=None, whole=None):
        for p in shards:
            text = p.read_text(encoding="utf-8")
            if whole is not None:
                text = whole(text)
            else:
                first, rest = text.split("\n", 1)
                text = (head or (lambda t: t))(first) + "\n" + (make or (lambda t: t))(rest)
            p.write_text(text, encoding="utf-8")

    def no_head(first):
        return "not a header"

    def union_out_of_range(first):  # every part's union names a string past the table
        doc = json.loads(first)
        for part in doc[3][2].values():
            part[1] = [0, len(doc[3][0])]
        return json.dumps(doc)

    def another_basis(first):  # written for other contents of the shard's modules
        doc = json.loads(first)
        for rel in doc[3][1]:
            doc[3][1][rel][1] = "0" * 32
        return json.dumps(doc)

    def plant_texts(make):
        for p in texts:
            p.write_text(make(p.read_text(encoding="utf-8")), encoding="utf-8")

    def other_digests(text):  # every row names JSON of the right digest, of the wrong shape
        doc = json.loads(text)
        strings = doc[3][0]
        strings.append(bad_digest)
        for rows in doc[3][1].values():
            for entry in rows:
                entry[2] = len(strings) - 1
        return json.dumps(doc)

    def add_bad_text(text):
        doc = json.loads(text)
        doc[3][bad_digest] = bad
        return json.dumps(doc)

    def dependency_out_of_range(text):  # a dependency index past the shard's strings
        doc = json.loads(text)
        for rows in doc[3][1].values():
            for entry in rows:
                entry.extend([0, len(doc[3][0])])
        return json.dumps(doc)

    plantings = [
        lambda: plant_rows(whole=lambda t: t[: len(t) // 2]),
        lambda: plant_rows(whole=lambda t: t[: len(t) - 40]),
        lambda: plant_rows(whole=lambda t: '["ssot-lint-cache", 8, "x", {"rows": 1}]'),
        lambda: plant_rows(dependency_out_of_range, no_head),
        lambda: plant_rows(head=union_out_of_range),
        lambda: plant_rows(head=another_basis),
        lambda: (plant_rows(head=no_head), plant_texts(lambda t: t.replace('[[\\"', "[[7"))),
        lambda: (plant_rows(other_digests, no_head), plant_texts(add_bad_text)),
    ]
    for i, plant in enumerate(plantings):
        plant()
        write_tree(root, {**files, "app/leaf05.py": leaf(5) + f"\nEXTRA = {i}\n"})
        assert run(root)[0] == findings(root, cache=False) == cold, i
        run(root)  # the shards as the run writes them, for the next planting
        shards = sorted((cache / "sections" / "rows").glob("*.json"))
        texts = sorted((cache / "row-texts").glob("*.json"))


@pytest.mark.parametrize("memo", [True, False])
def test_a_table_whose_inputs_did_not_change_is_not_computed_again(tmp_path, monkeypatch, memo):
    """A comment added to a leaf changes its content, not its rows: every project table a
    cached finding depends on reads the same rows, so the previous run's entry for it
    (``Project.table_memo``: what computing it read, and its value) holds and the table is
    not computed again to check those findings. Without the entries, every one is."""
    if not memo:
        monkeypatch.setattr(Project, "_memo_holds", lambda self, dep: False)
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    computed: list[str] = []
    real = AnalysisSession.table_summary

    def counting(self, kind, arg):
        computed.append(f"{kind}:{arg}")
        return real(self, kind, arg)

    monkeypatch.setattr(AnalysisSession, "table_summary", counting)
    write_tree(root, {**files, "app/leaf07.py": leaf(7) + "# a comment\n"})
    after, stats = run(root)
    assert after == findings(root, cache=False) == cold
    assert stats["linted"] == 1
    # Tables folded from rows that follow imports (the await kinds, the notifier's names,
    # SSOT004's targets) hold too: those rows are checked against what they read.
    if memo:
        assert computed == [], computed
    else:
        kinds = {c.split(":", 1)[0] for c in computed}
        assert kinds >= {"test-code", "attr-ops", "await-kind-names", "notifier-relevant-names"}, kinds


def test_a_table_whose_rows_changed_is_computed_again(tmp_path):
    """A new in-place change of the class-level dict, in a leaf: the attribute-operations
    table reads that leaf's row, which changed, so the table is computed again and the
    finding it gave (SSOT009 in app/engine.py) goes, as without the cache."""
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    assert any(f[0] == "SSOT009" for f in cold)
    edited = {
        **files,
        "app/leaf07.py": leaf(7)
        + "\n\ndef more():\n    from app.engine import UserSessionTracker\n\n    UserSessionTracker._sessions['a'] = 1\n",
    }
    write_tree(root, edited)
    after, _ = run(root)
    assert after == findings(root, cache=False)
    assert after != cold


RESTORABLE = (
    "await-callable-names",
    "await-kind-names",
    "notifier-model",
    "notifier-relevant-names",
    "null-notifier-targets",
    "duplicate-candidates",
    "test-support",
)


def _compute_counter(monkeypatch) -> list[str]:
    """The kinds of the project tables computed (not restored) from here on."""
    computed: list[str] = []
    real = AnalysisSession.table

    def counting(self, table, arg=""):
        if (table.kind, arg) not in self._values and self.index.stored_table(f"@table:{table.kind}:{arg}") is None:
            computed.append(table.kind)
        return real(self, table, arg)

    monkeypatch.setattr(AnalysisSession, "table", counting)
    return computed


def test_a_relinted_file_reads_the_kept_values_of_tables_whose_inputs_held(tmp_path, monkeypatch):
    """The edited leaf is linted again, and its prefilters ask for the tables of names
    (await names, the notifier's relevant names, SSOT004's targets, SSOT007's candidates).
    Their inputs did not change (a comment), so their values
    are read from the manifest (``ProjectTable.restore``), not folded again from every
    module's rows; the findings equal a run without the cache."""
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    memo = Cache(root / ".ssot_lint_cache").load_manifest(Linter(load_config(root), load_rules()).tool()).tables
    assert set(RESTORABLE) <= {dep.split(":")[1] for dep in memo.values}, sorted(memo.values)
    computed = _compute_counter(monkeypatch)
    write_tree(root, {**files, "app/leaf07.py": leaf(7) + "\n# a comment\n"})
    after, stats = run(root)
    assert stats["linted"] == 1
    assert not set(RESTORABLE) & set(computed), computed
    assert after == findings(root, cache=False) == cold


def test_a_kept_table_value_that_is_damaged_is_computed_again(tmp_path, monkeypatch):
    """A value in the manifest that is not what its table restores (a hand-edited or
    hostile cache) is ignored: the table is computed, and the findings are those of a run
    without the cache."""
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    real = Project.stored_table
    bad = iter([{"x": 1}, [1, 2], "names", [["a", "b"]], None, [[1, "b", []]]] * 10)
    monkeypatch.setattr(Project, "stored_table", lambda self, dep: next(bad, None) if real(self, dep) else None)
    computed = _compute_counter(monkeypatch)
    write_tree(root, {**files, "app/leaf07.py": leaf(7) + "\n# a comment\n"})
    after, _ = run(root)
    assert set(RESTORABLE) & set(computed), computed
    assert after == findings(root, cache=False) == cold


def test_a_new_name_no_pattern_wants_leaves_the_duplicate_candidates_as_they_were(tmp_path, monkeypatch):
    """SSOT007's candidates fold each module's row of *wanted* names (the contract's class
    names and the patterns' matches, ``duplicate_definition._hits_row``). A leaf that gains
    an import and a module constant keeps its row, so the candidates are not folded again.
    A leaf that gains a class named like an engine changes its row: the candidates are
    folded again, and the new duplicate is reported, as without the cache."""
    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    computed = _compute_counter(monkeypatch)
    quiet = {**files, "app/leaf07.py": "import os\n\nLIMIT = 3\n" + leaf(7)}
    write_tree(root, quiet)
    after, stats = run(root)
    assert stats["linted"] == 1
    assert "duplicate-candidates" not in computed, computed
    assert after == findings(root, cache=False) == cold
    engine = {
        **quiet,
        "app/engine.py": ENGINE + "\n\nclass ExecutionEngine:\n    pass\n",
        "app/leaf08.py": leaf(8) + "\n\nclass ExecutionEngine:\n    pass\n",
    }
    write_tree(root, engine)
    computed.clear()
    after, _ = run(root)
    assert "duplicate-candidates" in computed, computed
    assert any(f[0] == "SSOT007" for f in after), after
    assert after == findings(root, cache=False)


def test_a_leaf_edit_reads_the_rows_of_one_shard(tmp_path, monkeypatch):
    """Each rows shard keeps in its header, for every row key, the XOR of its modules'
    rows (and what ``reads_project`` rows read), with the contents it holds for. After
    a leaf edit, the shards whose modules did not change answer from their header: only
    the edited module's shard has its entries read. An edit that changes what the rows
    of other shards read (a function that turns ``async``) reads theirs, and the
    findings equal a run without the cache at every step."""
    root = tmp_path / "p"
    files = project({f"app/more{i:02d}.py": leaf(100 + i) for i in range(60)})
    write_tree(root, files)
    run(root)
    edited = {**files, "app/leaf07.py": leaf(7) + "\nEXTRA = 1\n"}
    write_tree(root, edited)
    run(root)  # the headers get their parts
    read: list[bytes] = []
    real = Cache.rows_entries

    def counting(self, tool, data):
        read.append(data)
        return real(self, tool, data)

    monkeypatch.setattr(Cache, "rows_entries", counting)
    edited = {**edited, "app/leaf07.py": leaf(7) + "\nEXTRA = 2\n"}
    write_tree(root, edited)
    after, stats = run(root)
    assert stats["linted"] == 1
    assert len(read) == 1, len(read)
    assert after == findings(root, cache=False)
    read.clear()
    edited = {**edited, "app/leaf08.py": leaf(8).replace("def helper_8", "async def helper_8")}
    write_tree(root, edited)
    after, _ = run(root)
    assert after == findings(root, cache=False)
    read.clear()
    after, stats = run(root)  # nothing changed: the unchanged run answers
    assert read == [] and stats.get("linted", 0) == 0


def test_a_definition_added_updates_the_await_names_without_folding_every_row(tmp_path, monkeypatch):
    """The await rules' tables of names are unions of rows (``union_delta``). A function
    added to a leaf changes that leaf's rows only: the tables are updated from the kept
    value and the changed rows (``Project.table_changes``), not folded again, and the
    file that awaits the new sync function gets its SSOT003, as without the cache. A name
    removed may still come from another module: the tables are then folded again."""
    import ssot_lint.rules._awaits as awaits

    root = tmp_path / "p"
    caller = "from app.leaf05 import fresh_sync\n\n\nasync def go():\n    await fresh_sync()\n"
    files = project({"app/caller.py": caller})
    write_tree(root, files)
    cold, _ = run(root)
    assert not any(f[0] == "SSOT003" for f in cold)
    folded: list[str] = []
    real = awaits._callable_names

    def counting(index, wanted_name):
        folded.append(wanted_name)
        return real(index, wanted_name)

    monkeypatch.setattr(awaits, "_callable_names", counting)
    edited = {**files, "app/leaf05.py": leaf(5) + "\n\ndef fresh_sync():\n    return 1\n"}
    write_tree(root, edited)
    after, _ = run(root)
    assert folded == [], folded
    assert any(f[0] == "SSOT003" and f[1] == "app/caller.py" for f in after), after
    assert after == findings(root, cache=False)
    write_tree(root, files)  # the function goes again
    after, _ = run(root)
    assert folded, "a name removed folds the table again"
    assert after == findings(root, cache=False) == cold


def test_a_run_with_nothing_changed_keeps_the_table_memo(tmp_path, monkeypatch):
    """A run in which nothing changed (no file, no setting) checks no table: the previous
    memo's entries all still hold and are kept as they were, values included. Before, such
    a run (an incremental one: a file edited within two seconds of its read leaves no
    stamp for the unchanged run) dropped them, and the next function added anywhere
    re-linted every file that had met the await tables: 3,513 on Home Assistant."""
    root, edited, _ = linted_then_edited(tmp_path, "app/leaf05.py", leaf(5) + "\n\ndef first_new():\n    return 1\n")
    (root / ".ssot_lint_cache" / "last-run.json").unlink(missing_ok=True)  # the next run is incremental
    _, stats = run(root)
    assert stats["linted"] == 0
    memo = Cache(root / ".ssot_lint_cache").load_manifest(Linter(load_config(root), load_rules()).tool()).tables
    assert "@table:await-callable-names:may_be_sync" in memo.values, sorted(memo.values)
    edited = {**edited, "app/leaf06.py": leaf(6) + "\n\ndef second_new():\n    return 1\n"}
    write_tree(root, edited)
    after, stats = run(root)
    assert stats["linted"] == 1, stats
    assert after == findings(root, cache=False)


def test_the_alias_closure_is_kept_or_updated_from_the_changed_bindings(tmp_path, monkeypatch):
    """The alias closure (``ssot_lint.aliases``) is a project table kept in the cache. A
    leaf edit that leaves its bindings as they were keeps it without a fold; a binding
    added from a name outside the closure keeps it too (``_delta``); one bound to a name in
    it (``import UserWebSocketEmitter as Emitter``) folds it again, and the new name is in it. Each run
    gives what a run without the cache gives."""
    import ssot_lint.aliases as aliases

    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    run(root)
    cache = root / ".ssot_lint_cache"

    def closures() -> dict[str, list[str]]:
        memo = Cache(cache).load_manifest(Linter(load_config(root), load_rules()).tool()).tables
        return {k: json.loads(v) for k, v in memo.values.items() if k.startswith("@table:alias-closure:")}

    before = closures()
    assert before and all("UserWebSocketEmitter" in names for names in before.values()), before
    folded: list[str] = []
    real = aliases.closure_of

    def counting(index, names):
        folded.append(names)
        return real(index, names)

    monkeypatch.setattr(aliases, "closure_of", counting)  # what the table's compute calls
    steps = [
        ("app/leaf05.py", leaf(5) + "\nX = 1\n", False),  # no binding changed
        ("app/leaf06.py", leaf(6) + "\nH = helper_6\n", False),  # from a name outside the closure
        ("app/leaf07.py", leaf(7) + "\nfrom app.notifier import UserWebSocketEmitter as Emitter\n", True),
    ]
    for path, text, grows in steps:
        files = {**files, path: text}
        write_tree(root, files)
        folded.clear()
        after, _ = run(root)
        assert bool(folded) == grows, (path, folded)
        assert after == findings(root, cache=False), path
        now = closures()
        assert now.keys() == before.keys()
        assert all(("Emitter" in names) == grows for names in now.values()), (path, now)


def test_a_leaf_edit_reads_its_duplicate_entries_back_without_building_the_table(tmp_path, monkeypatch):
    """SSOT007's entries of a module are a project table kept in the cache: a file linted
    again while nothing the duplicate table read changed (a leaf edited) reads them back
    instead of building the table from every candidate's facts. A duplicate class added
    builds it again, and the finding is the one a run without the cache gives."""
    import ssot_lint.rules.duplicate_definition as dup

    root = tmp_path / "p"
    files = project()
    write_tree(root, files)
    cold, _ = run(root)
    built: list[int] = []
    real = dup._build

    def counting(*args):
        built.append(1)
        return real(*args)

    monkeypatch.setattr(dup, "_build", counting)
    files = {**files, "app/leaf05.py": leaf(5) + "\nX = 1\n"}
    write_tree(root, files)
    after, stats = run(root)
    assert stats["linted"] == 1 and built == [], (stats, built)
    assert after == cold == findings(root, cache=False)
    files = {**files, "app/leaf06.py": leaf(6) + "\n\nclass UserWebSocketEmitter:\n    pass\n"}
    write_tree(root, files)
    after, _ = run(root)
    assert built, "a new duplicate builds the table again"
    assert any(f[0] == "SSOT007" and f[1] == "app/leaf06.py" for f in after), after
    assert after == findings(root, cache=False)


def test_the_class_hierarchy_is_kept_and_updated_from_the_changed_rows(tmp_path, monkeypatch):
    """The class hierarchy (``ssot_lint.hierarchy``) is a project table kept in the cache:
    a module edited without a class change reads it back; a subclass added, moved or
    removed updates it from the changed rows (``_delta``), in module order. No edit folds
    every module's rows again, and each run gives what a run without the cache gives."""
    import ssot_lint.hierarchy as hierarchy

    root = tmp_path / "p"
    dispatch = "from app.leaf05 import Thing5\n\n\nasync def go(t: Thing5):\n    t.get()\n    return await t.get()\n"
    files = project({"app/caller.py": dispatch})
    write_tree(root, files)
    run(root)
    folded: list[int] = []
    real = hierarchy.fold
    monkeypatch.setattr(hierarchy, "fold", lambda index: folded.append(1) or real(index))
    sub = "from app.leaf05 import Thing5\n\n\nclass Sub{n}(Thing5):\n    async def get(self):\n        return 2\n"
    steps = [
        ("app/caller.py", dispatch + "\nX = 1\n"),  # no class changed: read back
        ("app/leaf09.py", leaf(9) + "\n" + sub.format(n=9)),  # a subclass added: updated
        ("app/leaf03.py", leaf(3) + "\n" + sub.format(n=3)),  # another, earlier in module order
        ("app/leaf09.py", leaf(9)),  # removed
    ]
    tool = Linter(load_config(root), load_rules()).tool()

    def kept(where: Path) -> str:
        return Cache(where / ".ssot_lint_cache").load_manifest(tool).tables.values["@table:class-hierarchy:"]

    for i, (path, text) in enumerate(steps):
        files = {**files, path: text}
        write_tree(root, files)
        folded.clear()
        after, _ = run(root)
        assert folded == [], path
        assert after == findings(root, cache=False), path
        fresh = tmp_path / f"fresh{i}"
        write_tree(fresh, files)
        run(fresh)
        assert kept(root) == kept(fresh), path  # the same subclasses, in the same order
    entry = Cache(root / ".ssot_lint_cache").load_manifest(tool).entries["app/caller.py"]
    assert "@table:class-hierarchy:" in entry.deps  # the caller's lookups read the hierarchy


def test_each_module_duplicate_table_reads_only_the_whole_table(tmp_path, monkeypatch):
    """SSOT007's module tables (``@table:duplicate-entries:<module>:<patterns>``) read the
    whole duplicate table, one input each; building that table reads about every module,
    and is kept once. When each module's table kept those reads itself, a tree of n
    modules kept n tables of n names (100 million on 10,000 modules: gigabytes, and the
    time to fingerprint them). Here, a few modules suffice to see the shape."""
    sessions: list[AnalysisSession] = []
    real_init = AnalysisSession.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        sessions.append(self)

    monkeypatch.setattr(AnalysisSession, "__init__", init)
    root = tmp_path / "p"
    write_tree(root, project())
    run(root)
    inputs = {dep: read for s in sessions for dep, read in s.inputs.items()}
    entries = {dep: read for dep, read in inputs.items() if dep.startswith("@table:duplicate-entries:")}
    whole = {dep for dep in inputs if dep.startswith("@table:duplicate-table:")}
    assert len(entries) >= 30, sorted(entries)
    assert len(whole) == 1
    assert all(read == frozenset(whole) for read in entries.values()), entries
    (built,) = (inputs[dep] for dep in whole)
    # What building it read (the candidates, the contract, ...) is kept with it, once.
    assert built is not None and "@contract" in built
    assert any(dep.startswith("@table:duplicate-candidates:") for dep in built), built


def test_the_contract_names_are_gathered_once_per_session_not_per_module_row(tmp_path, monkeypatch):
    """SSOT007's row of each module asks which of its names the contract wants. Gathering
    the contract's names walks every class of the contract, which on a large tree has
    thousands of inferred ones: done per module, that was the modules times the contract."""
    import ssot_lint.rules.duplicate_definition as dd

    calls: list[int] = []
    real = dd._contract_names

    def counting(contract):
        calls.append(1)
        return real(contract)

    monkeypatch.setattr(dd, "_contract_names", counting)
    root = tmp_path / "p"
    write_tree(root, project())
    run(root)
    assert 0 < len(calls) <= 3, len(calls)  # once per session (and the table's own), for 34 modules
