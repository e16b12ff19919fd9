"""Issue 15: real-code shapes that hid await bugs from SSOT003/SSOT005.

Each shape has fixtures in ``fixtures/legacy_service/netra_backend/app/await_shapes`` (and
``tests/`` for the pytest shapes): the exact findings (code, line, column) are listed
here, the `# expect:` markers must match them, and the decoys next to them stay silent.
The last tests check that the new resolution is sound for the prefilter and the cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, expected_markers, prefilter_soundness, run_cli
from ssot_lint.facts import extract_facts
from ssot_lint.registry import load_rules
from ssot_lint.testing import lint_example

RULES = load_rules()
SSOT003 = RULES.by_code("SSOT003")
SSOT005 = RULES.by_code("SSOT005")
LEGACY = FIXTURES / "legacy_service"
SHAPES = "netra_backend/app/await_shapes/"
PATCHES = "tests/test_patch_scopes.py"
SHAPE_FILES = (SHAPES, PATCHES)
FILES = {
    "app/__init__.py": "",
    "app/ws_auth.py": "def make_user_context(uid):\n    return {'uid': uid}\n",
    "app/testing_auth.py": "async def make_user_context(uid):\n    return {'uid': uid}\n",
}

# (code, path, line, column) of every finding of the shape fixtures.
EXPECTED = {
    # 3: the last straight-line binding wins.
    ("SSOT003", SHAPES + "rebinding.py", 12, 11),
    # 2: an `except ImportError` fallback that cannot run.
    ("SSOT003", SHAPES + "import_fallback.py", 24, 15),
    ("SSOT003", SHAPES + "import_fallback.py", 29, 12),
    # 1: a patch applies only where it is active.
    ("SSOT003", PATCHES, 23, 15),
    ("SSOT003", PATCHES, 38, 11),
    ("SSOT003", PATCHES, 52, 12),
    ("SSOT003", PATCHES, 61, 12),
    ("SSOT003", PATCHES, 66, 5),
    ("SSOT003", PATCHES, 84, 12),
}


def _shape_findings(project: Path, *args: str) -> set[tuple[str, str, int, int]]:
    # From the project root: paths are relative to the working directory.
    proc = run_cli("check", str(project), "--format", "json", "--select", "SSOT003,SSOT005", *args, cwd=project)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    return {
        (d["code"], d["path"], d["range"]["start"]["line"], d["range"]["start"]["column"])
        for d in doc["diagnostics"]
        if d["path"].startswith(SHAPE_FILES)
    }


@pytest.fixture(scope="module")
def shape_findings() -> set[tuple[str, str, int, int]]:
    return _shape_findings(LEGACY, "--no-cache")


def test_every_shape_finding_exactly(shape_findings):
    assert shape_findings == EXPECTED


def test_markers_agree_with_the_table():
    markers = {m for m in expected_markers(LEGACY) if m[1].startswith(SHAPE_FILES) and m[0] in ("SSOT003", "SSOT005")}
    assert markers == {(code, path, line) for code, path, line, _ in EXPECTED}


# --- 3: rebinding ------------------------------------------------------------------------------------
def test_binding_conditions_are_recorded():
    src = (
        "from a import x\n"
        "try:\n    from app.ws import g\n    REAL = True\nexcept ImportError:\n    g = None\n"
        "if c:\n    from b import x\nelse:\n    y = 1\n"
        "for i in z:\n    w = 1\n"
        "with open(p) as fh:\n    v = 1\n"
        "try:\n    go()\nexcept Exception:\n    u = 1\n"
    )
    scope = extract_facts(src, "m", "m.py", False).module_scope.bindings
    assert [b.cond for b in scope["x"]] == ["", "if"]
    assert [b.cond for b in scope["g"]] == ["", "except:app.ws|g"]
    assert [b.cond for b in scope["REAL"]] == [""]
    assert [b.cond for b in scope["y"]] == ["else"]
    assert [b.cond for b in scope["w"]] == ["loop"] and [b.cond for b in scope["i"]] == ["loop"]
    assert [b.cond for b in scope["v"]] == [""] and [b.cond for b in scope["fh"]] == [""]
    assert [b.cond for b in scope["u"]] == ["except:?"]  # the body may fail for other reasons


@pytest.mark.parametrize(
    "imports,flagged",
    [
        ("from app.testing_auth import make_user_context\nfrom app.ws_auth import make_user_context\n", True),
        ("from app.ws_auth import make_user_context\nfrom app.testing_auth import make_user_context\n", False),
        # Under a condition: either may be the one at run time.
        ("from app.ws_auth import make_user_context\nif X:\n    from app.testing_auth import make_user_context\n", False),
        ("import app.testing_auth as m\nimport app.ws_auth as m\n", True),
    ],
)
def test_last_binding_wins(imports, flagged):
    call = "m.make_user_context" if "as m" in imports else "make_user_context"
    code = imports + f"async def f():\n    return await {call}(1)\n"
    result = lint_example(SSOT003, code, files=FILES)
    assert [d.range.start.line for d in result.diagnostics] == ([code.count("\n")] if flagged else [])


def test_rebinding_no_longer_reports_the_first_import_as_a_coroutine():
    files = {
        "app/__init__.py": "",
        "app/a.py": "class Registry:\n    async def get_agent(self, n):\n        return n\n",
        "app/b.py": "class Registry:\n    def get_agent(self, n):\n        return str(n)\n",
    }
    code = (
        "from app.a import Registry\nfrom app.b import Registry\n"
        "def f():\n    r = Registry()\n    agent = r.get_agent('x')\n    return agent.upper()\n"
    )
    assert lint_example(SSOT005, code, files=files).diagnostics == []
    swapped = code.replace("app.a", "app.TMP").replace("app.b", "app.a").replace("app.TMP", "app.b")
    assert [d.range.start.line for d in lint_example(SSOT005, swapped, files=files).diagnostics] == [5]


# --- 2: except ImportError ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "block,flagged",
    [
        ("try:\n    from app.ws_auth import make_user_context\nexcept ImportError:\n    make_user_context = None\n", True),
        # A module the project does not have: the fallback may run.
        ("try:\n    from vendor import make_user_context\nexcept ImportError:\n"
         "    from app.ws_auth import make_user_context\n", False),
        # The project module does not define the name: the import fails.
        ("try:\n    from app.ws_auth import other\nexcept ImportError:\n"
         "    from app.ws_auth import make_user_context\n", True),
        # Something else in the body may raise.
        ("try:\n    from app.ws_auth import make_user_context\n    setup()\nexcept ImportError:\n"
         "    async def make_user_context(u):\n        return u\n", False),
    ],
)
def test_except_import_error_fallback(block, flagged):
    code = block + "async def f():\n    return await make_user_context(1)\n"
    result = lint_example(SSOT003, code, files=FILES)
    assert [d.range.start.line for d in result.diagnostics] == ([code.count("\n")] if flagged else [])


# --- 1: patch scopes ------------------------------------------------------------------------------------
def test_patch_regions_are_recorded():
    src = (
        "from unittest.mock import patch\n"                      # 1
        "def test_a(m):\n"                                        # 2
        "    with patch('a.b.f'):\n"                              # 3
        "        pass\n"                                          # 4
        "    m.setattr(x, 'g', 1)\n"                              # 5
        "    obj.h = 1\n"                                         # 6
        "    return 2\n"                                          # 7
        "@patch.object(A, 'k')\n"                                 # 8
        "def test_b(k):\n"                                        # 9
        "    pass\n"                                              # 10
        "class T:\n"                                              # 11
        "    def setUp(self):\n"                                  # 12
        "        patch(f'{M}.s').start()\n"                       # 13
        "    def test_c(self):\n"                                 # 14
        "        pass\n"                                          # 15
        "def helper():\n"                                         # 16
        "    patch('a.helped').start()\n"                         # 17
        "def fixture_like():\n"                                   # 18
        "    with patch('a.' + 'yielded'):\n"                     # 19
        "        yield\n"                                         # 20
        "patch('a.module_level').start()\n"                       # 21
    )
    facts = extract_facts(src, "tests.t", "tests/t.py", False)
    assert set(facts.patched_regions) == {("f", 3, 4), ("g", 2, 7), ("h", 6, 7), ("k", 9, 10), ("s", 11, 15)}
    assert {"helped", "yielded", "module_level"} <= facts.patched_attrs
    assert not {"f", "g", "h", "k", "s"} & facts.patched_attrs


def test_a_patch_in_one_test_does_not_hide_another():
    files = {**FILES, "app/ws.py": "def get_manager(ctx):\n    return {'ctx': ctx}\n"}
    code = (
        "from unittest.mock import patch\nfrom app.ws import get_manager\n"
        "async def test_a(ctx):\n    return await get_manager(ctx)\n"
        "async def test_b():\n    with patch('app.ws.get_manager') as fake:\n        await get_manager(1)\n"
    )
    assert [d.range.start.line for d in lint_example(SSOT003, code, path="tests/test_x.py", files=files).diagnostics] == [4]


def test_explain_documents_the_shapes():
    out3 = " ".join(run_cli("explain", "SSOT003").stdout.decode().split())
    for phrase in ("the last binding", "`except ImportError` fallback", "where the patch is active"):
        assert phrase in out3, phrase


# --- soundness: prefilter and cache -------------------------------------------------------------------------
@pytest.fixture()
def shapes_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "legacy_service"
    shutil.copytree(LEGACY, dst)
    return dst


@pytest.mark.parametrize("code", ["SSOT003", "SSOT005"])
def test_prefilter_passes_every_file_that_reports(monkeypatch, code):
    rule = RULES.by_code(code)
    passed, flagged, _ = prefilter_soundness(RULES, rule, LEGACY, monkeypatch)
    assert flagged <= passed
    assert any(p.startswith(SHAPE_FILES) for p in flagged) or code == "SSOT005"


def test_warm_cold_and_no_prefilter_agree(shapes_copy: Path):
    cold = _shape_findings(shapes_copy)  # writes the cache
    warm = _shape_findings(shapes_copy)
    assert cold == warm == EXPECTED
    assert _shape_findings(shapes_copy, "--no-cache") == EXPECTED
    assert _shape_findings(shapes_copy, "--no-prefilter", "--no-cache") == EXPECTED


def test_warm_run_sees_edits_of_the_modules_the_resolution_read(shapes_copy: Path):
    """The dead `except ImportError` branch and the last binding are decided from other
    modules' facts: editing those modules must change the warm findings."""
    _shape_findings(shapes_copy)
    ws = shapes_copy / SHAPES / "ws_auth.py"
    # `get_manager` gone: the import fails, so the MagicMock fallback may run (unknown).
    ws.write_text(ws.read_text().replace("def get_manager(", "def get_other_manager("))
    after = _shape_findings(shapes_copy)
    assert ("SSOT003", SHAPES + "import_fallback.py", 24, 15) not in after
    assert after == _shape_findings(shapes_copy, "--no-cache")
    # `make_user_context` made async: the rebinding now gives a coroutine.
    ws.write_text(ws.read_text().replace("def make_user_context(", "async def make_user_context("))
    after = _shape_findings(shapes_copy)
    assert not any(f[1] == SHAPES + "rebinding.py" for f in after)
    assert after == _shape_findings(shapes_copy, "--no-cache")
