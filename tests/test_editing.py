"""Positions and edits for editors: code points vs UTF-8/16/32 code units, line breaks, noqa edits."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

from ssot_lint.diagnostics import Diagnostic, Position, Range
from ssot_lint.editing import TextLines, apply_change, code_units, minimal_edit, suppression_edit


def test_code_units_per_encoding():
    s = "aé😀"
    assert (code_units(s, "utf-8"), code_units(s, "utf-16"), code_units(s, "utf-32")) == (1 + 2 + 4, 1 + 1 + 2, 3)


@pytest.mark.parametrize("encoding, character", [("utf-16", 8), ("utf-8", 10), ("utf-32", 7)])
def test_to_and_from_client_after_astral_character(encoding, character):
    text = 'x = "😀"; y\n'
    lines = TextLines(text)
    col = text.index("; y") + 1  # 1-based code point column of ';'
    assert lines.to_client(Position(1, col), encoding) == (0, character)
    assert lines.from_client(0, character, encoding) == col - 1


def test_line_breaks_are_lf_crlf_and_cr_only():
    # Form feed and U+2028 are not line breaks for LSP (str.splitlines would split on them).
    text = "a\r\nb\x0cc\rd\u2028e\nf"
    lines = TextLines(text)
    assert [lines.line(i) for i in range(lines.line_count)] == ["a", "b\x0cc", "d\u2028e", "f"]
    assert lines.to_client(Position(3, 3), "utf-16") == (2, 2)
    assert lines.from_client(2, 2) == text.index("e")
    assert lines.position(text.index("f")) == Position(4, 1)


def test_positions_past_the_end_clamp():
    lines = TextLines("ab\ncd")
    assert lines.from_client(0, 99) == 2  # end of line 0, not into line 1
    assert lines.from_client(7, 0) == 5
    assert lines.to_client(Position(1, 99)) == (0, 2)
    assert lines.to_client(Position(9, 1)) == (1, 2)


def test_apply_incremental_change():
    text = 'a = "😀"\r\nb = 1\n'
    # Replace `1` (line 1, char 4) and insert after the emoji (UTF-16 char 6 on line 0).
    text = apply_change(text, (1, 4), (1, 5), "2")
    text = apply_change(text, (0, 6), (0, 6), "!")
    assert text == 'a = "😀!"\r\nb = 2\n'
    assert apply_change(text, None, None, "new") == "new"


def test_minimal_edit_keeps_crlf_pairs_whole():
    edit = minimal_edit("a\r\nb", "a\nb")
    assert edit is not None
    old = "a\r\nb"
    assert old[: edit.start] + edit.content + old[edit.end :] == "a\nb"
    assert old[edit.start - 1 : edit.start] != "\r"
    assert minimal_edit("same", "same") is None
    e = minimal_edit("print(x)\nprint(y)\n", "print(x)\nlog(y)\n")
    assert (e.start, e.end, e.content) == (9, 14, "log")


def _diag(line, col=1, statement_line=None, code="SSOT001"):
    return Diagnostic(
        code, "r", "m", "a.py", Range(Position(line, col), Position(line, col + 1)), statement_line=statement_line
    )


def _apply(text, edit):
    return text[: edit.start] + edit.content + text[edit.end :]


def test_suppression_appends_noqa_before_trailing_space_and_line_break():
    text = "x = f()   \r\ny = 2\n"
    assert _apply(text, suppression_edit(text, _diag(1))) == "x = f()  # noqa: SSOT001\r\ny = 2\n"


def test_suppression_merges_into_existing_codes():
    text = "x = f()  # noqa: SSOT003\ny = g()  # ssot-lint: ignore[SSOT002]\n"
    assert _apply(text, suppression_edit(text, _diag(1))).splitlines()[0] == "x = f()  # noqa: SSOT003, SSOT001"
    assert (
        _apply(text, suppression_edit(text, _diag(2))).splitlines()[1]
        == "y = g()  # ssot-lint: ignore[SSOT002, SSOT001]"
    )


def test_suppression_after_an_ordinary_comment():
    text = "x = f()  # expect: SSOT001\n"
    assert _apply(text, suppression_edit(text, _diag(1))) == "x = f()  # expect: SSOT001  # noqa: SSOT001\n"


def test_suppression_already_present_gives_no_edit():
    assert suppression_edit("x = f()  # noqa\n", _diag(1)) is None
    assert suppression_edit("x = f()  # ssot-lint: ignore\n", _diag(1)) is None


def test_suppression_avoids_lines_inside_strings_and_continuations():
    # Neither the finding's line nor its statement's first line can take a comment.
    assert suppression_edit('x = (f("""a\nb"""), 1)\n', _diag(1, statement_line=1)) is None
    # The finding's line ends inside a triple-quoted string: use the statement's first line.
    text = 'y = g(1,\n      """\n      """ + f())\n'
    edit = suppression_edit(text, _diag(2, statement_line=1))
    assert _apply(text, edit) == 'y = g(1,  # noqa: SSOT001\n      """\n      """ + f())\n'
    text = "y = 1 + \\\n    f()\n"
    edit = suppression_edit(text, _diag(2, statement_line=1))
    assert _apply(text, edit) == "y = 1 + \\\n    f()  # noqa: SSOT001\n"
    text = "y = 1 + \\\n    f() + \\\n    2\n"
    assert suppression_edit(text, _diag(1, statement_line=1)) is None


def test_suppressed_text_is_really_suppressed():
    from ssot_lint.suppress import parse_suppressions

    text = "x = f()  # noqa: SSOT003 -- legacy path\n"
    fixed = _apply(text, suppression_edit(text, _diag(1)))
    assert fixed == "x = f()  # noqa: SSOT003, SSOT001 -- legacy path\n"
    (sup,) = parse_suppressions(fixed).all()
    assert sup.reason == "legacy path"
    assert parse_suppressions(fixed).is_suppressed("SSOT001", 1)
    assert parse_suppressions(fixed).is_suppressed("SSOT003", 1)


def test_server_without_pygls_exits_2_with_one_line():
    code = "import sys; sys.modules['pygls'] = None; from ssot_lint.cli import main; main(['server'])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "ssot-lint: error: the language server needs pygls 2: pip install 'ssot-lint[lsp]'"
    ]
