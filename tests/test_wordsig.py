"""Word signatures (``ssot_lint.wordsig``): a "no" is certain, and after the first edit that
asks, a file whose signature says "no" is not read again."""

from __future__ import annotations

import random
import string
import subprocess
import sys

import pytest
from test_module_rows import project, run
from warm_cold import findings, write_tree

from ssot_lint.facts import identifier_words
from ssot_lint.project import Project
from ssot_lint.wordsig import BITS, may_contain, signature

TEXT = "from app import thing as other\n\n\ndef handler(x):  # mentions ünïcode_word\n    return other(x)\n"


def test_every_word_of_a_text_may_be_in_its_signature_and_most_others_are_not():
    words = identifier_words(TEXT)
    sig = signature(words)
    assert len(sig) == BITS // 4
    assert all(may_contain(sig, [w]) for w in words)
    rng = random.Random(7)
    others = {"".join(rng.choices(string.ascii_letters, k=12)) for _ in range(2000)} - words
    maybe = sum(may_contain(sig, [w]) for w in others)
    assert maybe < len(others) * 0.01  # 13 words in 1,024 bits: a false "maybe" is rare
    assert not may_contain(sig, [])


def test_a_signature_is_the_same_in_every_process():
    """Bit positions come from CRC-32, not ``hash``, which each process seeds anew."""
    code = f"from ssot_lint.wordsig import signature; print(signature({sorted(identifier_words(TEXT))!r}))"
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        for _ in range(2)
    }
    assert runs == {signature(identifier_words(TEXT))}


@pytest.mark.parametrize("damaged", ["", "zz" * (BITS // 8), "0" * (BITS // 4 - 1)])
def test_a_damaged_signature_is_an_error(damaged):
    with pytest.raises(ValueError):
        may_contain(damaged, ["word"])


def test_a_function_added_again_reads_no_file_whose_signature_cannot_spell_it(tmp_path, monkeypatch):
    """The files whose cached findings met the await tables are asked whether they spell
    the new name: the first such edit reads them and keeps their signatures; the next
    answers from the signatures, reading none (and computing none but the edited
    file's), and the findings are those of a run without the cache."""
    import ssot_lint.project as project_mod
    import ssot_lint.run.plan as plan_mod

    root = tmp_path / "p"
    files = project({"app/caller.py": "from app.leaf05 import helper_5\n\n\nasync def go():\n    await helper_5(1)\n"})
    write_tree(root, files)
    run(root)
    signed: list[int] = []
    asked: list[str] = []
    exact: list[int] = []
    real_signature, real_mentions, real_may = project_mod.signature, plan_mod.mentions, Project.may_spell
    monkeypatch.setattr(project_mod, "signature", lambda words: signed.append(1) or real_signature(words))
    monkeypatch.setattr(plan_mod, "mentions", lambda text, words: exact.append(1) or real_mentions(text, words))
    monkeypatch.setattr(Project, "may_spell", lambda self, rel, words: asked.append(rel) or real_may(self, rel, words))
    for i, name in enumerate(["first_new", "second_new"]):
        files = {**files, "app/leaf06.py": files["app/leaf06.py"] + f"\n\ndef {name}():\n    return {i}\n"}
        write_tree(root, files)
        signed.clear()
        asked.clear()
        exact.clear()
        found, _ = run(root)
        assert found == findings(root, cache=False)
        assert exact == [], "no file's signature spells the new name"
        others = set(asked) - {"app/leaf06.py"}
        assert others, "files that met the tables are asked"
        if i == 0:
            assert len(signed) >= len(others), "the first edit signs them"
        else:
            assert len(signed) == len(set(asked)) - len(others), "only the edited file is signed again"
