"""Module names from paths (``index.module_name_for``): split as strings for the paths
discovery writes, and the same answer as ``PurePosixPath`` gives for any path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ssot_lint.index import module_for_path, module_name_by_path, module_name_for

PART = st.sampled_from(
    [
        "a",
        "b_c",
        "__init__",
        "x.py",
        ".py",
        "..py",
        "a.b",
        ".",
        "..",
        "",
        "é",
        "1a",
        "__init__.pyi",
        "m.pyc",
        ".hidden.py",
        "a..py",
        "tar.gz.py",
        "x.PY",
        "src",
        "a.",
    ]
) | st.text(alphabet="ab._/é1", max_size=6)


@settings(max_examples=3000, deadline=None)
@given(st.lists(PART, min_size=1, max_size=4), st.sampled_from(["", ".py", ".pyi", "/"]))
def test_a_module_name_is_what_the_path_says(parts, tail):
    relpath = "/".join(parts) + tail
    assert module_name_for(relpath) == module_name_by_path(relpath)


def test_a_name_that_is_only_a_suffix_is_no_module():
    """``..py`` and ``./..py``: ``PurePosixPath`` refuses ``.`` as the name left on Python
    3.13 (and gives no part on 3.11): no module, and no error, either way."""
    for relpath in ("..py", "./..py", "a/./..pyi", "..py/"):
        assert module_name_for(relpath) is None
        assert module_name_by_path(relpath) is None


def test_the_names_of_common_paths():
    assert module_for_path("app/core.py") == ("app.core", False)
    assert module_for_path("app/__init__.py") == ("app", True)
    assert module_for_path("src/app/stubs.pyi") == ("app.stubs", False)
    assert module_for_path("app/not-a-module.py") is None
    assert module_for_path("README.md") is None
