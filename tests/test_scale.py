"""Screens that grow with the tree, not with the tree times the names they look for."""

from __future__ import annotations

import sys

import pytest
from conftest import REPO, contract_both_ways
from hypothesis import given, settings
from hypothesis import strategies as st

from ssot_lint.cache import Cache
from ssot_lint.config import load_config
from ssot_lint.contract import _notifier_modules
from ssot_lint.engine import Linter
from ssot_lint.facts import identifier_text, identifier_words, mentions_any
from ssot_lint.index import mentions
from ssot_lint.project import Project
from ssot_lint.registry import load_rules

sys.path.insert(0, str(REPO / "benchmarks"))
from legacy_corpus import NOTIFIER_METHODS, generate_monorepo


@pytest.mark.parametrize(
    "text, word, found",
    [
        ("class Foo(Bar): pass", "Bar", True),
        ("FooBar = 1", "Bar", False),
        ("x.Bar_2 = 1", "Bar", False),
        ("x = 'Bar'  # Bar in a string and a comment", "Bar", True),
        ("ｘ = 1", "x", True),  # NFKC: the parser reads ｘ as x
        ("café = 1", "café", True),
        ("cafés = 1", "café", False),
        ("2Bar", "Bar", False),  # a digit before it: not a whole word
        ("Bar²", "Bar", False),  # '²'.isdigit(): not a whole word either
        ("«Bar»", "Bar", True),
        ("", "Bar", False),
    ],
)
def test_identifier_words_answer_what_mentions_answers(text, word, found):
    assert mentions(identifier_text(text), [word]) is found
    assert mentions_any(identifier_words(text), frozenset({word})) is found


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab_1 .(\n'#é²ｘ·\u0301«")), max_size=30),
    st.text(alphabet=st.sampled_from(list("ab_1éx")), min_size=1, max_size=3),
)
def test_identifier_words_equal_mentions_on_any_text(text, word):
    if not word.isidentifier():
        return
    words = identifier_words(text)
    # A word made of word characters: exactly the textual search's answer; any other
    # word (none here) would be assumed present.
    assert mentions_any(words, frozenset({word})) == mentions(identifier_text(text), [word])


@pytest.fixture(scope="module")
def mono(tmp_path_factory):
    root = tmp_path_factory.mktemp("mono")
    info = generate_monorepo(root, 40_000, seed=3)
    return root, info


def test_notifier_screen_is_bounded_to_definers_and_their_subclasses(mono):
    root, _info = mono
    linter = Linter(load_config(root), load_rules())
    files = {f.relpath: f for f in linter.discover([str(root)])}
    project = Project(files, {}, Cache(root / ".none", enabled=False))
    index = project.index()
    keys: list[str] = []

    def screen(module: str, key: str) -> bool:
        keys.append(key)
        return project.screened(module, key)

    found = _notifier_modules(index, screen, sorted(NOTIFIER_METHODS))
    # One screen (the methods' names), asked once per module: no fixpoint over class names.
    assert set(keys) == {"names:" + ",".join(sorted(NOTIFIER_METHODS))}
    assert len(keys) == len(index.modules.names())
    mentioning = [m for m in index.modules.names() if screen(m, keys[0])]
    tests_mentioning = [m for m in mentioning if m.startswith("tests.mono.")]
    assert len(tests_mentioning) >= 5
    names = {fa.module for fa in found}
    # Test modules only asserting that events were sent define no notifier method.
    assert not any(m.startswith("tests.mono.") and "FakeNotifier" not in str(index.modules.get(m).defs) for m in names)
    # Every package's emitter (at the end of its re-export chain) and the subclasses of it
    # that other packages define through the chain are there.
    emitters = {m for m in names if m.endswith(".emitter")}
    assert len(emitters) >= 2
    subclassing = [
        fa.module
        for fa in (index.modules.get(m) for m in index.modules.names())
        if fa is not None and any(b.endswith("Emitter") for d in fa.defs.values() for b in d.bases)
    ]
    assert subclassing and set(subclassing) <= names


def test_screened_inference_equals_reading_every_module_on_the_monorepo_shape(mono):
    root, _info = mono
    with_screen, without = contract_both_ways(root)
    assert with_screen.to_dict() == without.to_dict()
    inferred = [n.name for n in with_screen.notifier_classes if n.origin == "inferred"]
    # The emitters and their subclasses in other packages (through 5-deep re-export chains).
    assert any(name.endswith("Emitter") for name in inferred)
    assert any(not name.endswith("Emitter") for name in inferred)
