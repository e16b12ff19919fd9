"""SSOT100 unused-suppression: a ``# noqa`` / ``# ssot-lint: ignore`` that suppressed nothing."""

from __future__ import annotations

from ssot_lint.diagnostics import Edit, Fix, Position, Range
from ssot_lint.rule import FileOutcome, Invalid, LintRule, Valid
from ssot_lint.suppress import Suppression

_ENGINE = """\
class ExecutionEngine:
    def __init__(self, ctx):
        self.ctx = ctx
"""
_FILES = {"app/__init__.py": "", "app/engine.py": _ENGINE}
_WITH_SSOT001 = {"select": ["SSOT001"]}


class UnusedSuppression(LintRule):
    """
    ## What it does
    Flags a suppression comment (`# noqa: SSOT001`, `# ssot-lint: ignore[SSOT001]`,
    or a bare `# noqa` / `# ssot-lint: ignore`) that suppressed no finding, and each
    code listed in one that suppressed nothing. A code is judged only when its rule
    ran on the file: codes of rules that are disabled, that do not apply to the file
    (such as test code), or that failed, are left alone. Codes of other tools
    (`# noqa: E501`) are never touched; `SSOT` codes that name no rule are flagged.

    To keep a suppression on purpose, list `SSOT100` in it (`# noqa: SSOT001, SSOT100`).

    ## Why is this bad?
    A suppression outlives the finding it was written for: the code is fixed, or
    moved, and the comment stays. It then hides the next real finding on that
    line, and readers believe there is a problem where there is none.

    ## Example
    ```python
    engine = await factory.create_for_user(ctx)  # noqa: SSOT001
    ```

    Use instead:
    ```python
    engine = await factory.create_for_user(ctx)
    ```

    ## Fix
    Remove the unused suppression, or only its unused codes (`ssot-lint check --fix` does it).
    """

    code = "SSOT100"
    name = "unused-suppression"
    summary = "A suppression comment that suppressed nothing"
    default_severity = "warning"
    POST_PASS = True

    VALID = [
        # Used: it suppresses the finding on its line.
        Valid("from app.engine import ExecutionEngine\nx = ExecutionEngine(1)  # noqa: SSOT001\n",
              files=_FILES, config=_WITH_SSOT001),
        Valid("from app.engine import ExecutionEngine\nx = ExecutionEngine(1)  # noqa\n",
              files=_FILES, config=_WITH_SSOT001),
        # Codes of other tools are not ours to judge.
        Valid("import os  # noqa: F401\nx = 1  # noqa: E501, W291\n"),
        # The rule that would use it is not enabled: nothing to judge.
        Valid("x = 1  # noqa: SSOT001\n"),
        # Kept on purpose.
        Valid("x = 1  # noqa: SSOT001, SSOT100\n", files=_FILES, config=_WITH_SSOT001),
        # A multi-line statement is suppressed from its first line.
        Valid(
            "from app.engine import ExecutionEngine\n"
            "x = [  # ssot-lint: ignore[SSOT001]\n"
            "    ExecutionEngine(1),\n"
            "]\n",
            files=_FILES,
            config=_WITH_SSOT001,
        ),
    ]
    INVALID = [
        Invalid(
            "x = 1  # noqa: SSOT001\n",
            line=1,
            column=8,
            message="Unused `noqa` directive .*SSOT001",
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1\n",
        ),
        Invalid(
            "x = 1  # noqa: SSOT001, E501\n",
            line=1,
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1  # noqa: E501\n",
        ),
        Invalid(
            "from app.engine import ExecutionEngine\n"
            "x = ExecutionEngine(1)  # ssot-lint: ignore[SSOT001, SSOT000]\n",
            line=2,
            message="SSOT000",
            files=_FILES,
            config={"select": ["SSOT000", "SSOT001"]},
            expected_fix="from app.engine import ExecutionEngine\nx = ExecutionEngine(1)  # ssot-lint: ignore[SSOT001]\n",
        ),
        Invalid("x = 1  # noqa\n", message="blanket", expected_fix="x = 1\n"),
        Invalid(
            "x = 1  # noqa: SSOT999 -- legacy\n",
            message="unknown",
            expected_fix="x = 1  # -- legacy\n",
        ),
        Invalid(
            "def f():\n    # noqa: SSOT001\n    return 1\n",
            line=2,
            column=5,
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="def f():\n    return 1\n",
        ),
        Invalid(
            "x = 1  # noqa: SSOT001  # keep this\n",
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1  # keep this\n",
        ),
        Invalid(
            "x = 1  # keep this  # noqa: SSOT001\n",
            column=21,
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1  # keep this\n",
        ),
    ]

    def finish_file(self, outcome: FileOutcome) -> None:
        lines = outcome.text.splitlines(keepends=True)
        for line, sups in sorted(outcome.suppressions.items()):
            if any(self._kept_on_purpose(s) for s in sups):
                continue
            for s in sups:
                self._judge(s, outcome, lines)

    def _kept_on_purpose(self, s: Suppression) -> bool:
        return s.codes is not None and self.code in s.codes

    def _judge(self, s: Suppression, outcome: FileOutcome, lines: list[str]) -> None:
        directive = "noqa" if s.kind == "noqa" else "ssot-lint: ignore"
        rng = Range(Position(s.line, s.column), Position(s.line, s.end_column))
        source_line = lines[s.line - 1] if s.line <= len(lines) else ""
        if s.codes is None:
            if s.used:
                return
            fix = Fix(f"Remove the unused `{directive}` directive", (self._removal(s, lines),))
            self.report_range(rng, f"Unused blanket `{directive}` directive", fix=fix, snippet=source_line)
            return
        unused: list[str] = []
        unknown: list[str] = []
        for code in s.codes:
            if any(u.startswith(code) for u in s.used):
                continue
            matching = [k for k in outcome.known_codes if k.startswith(code)]
            if not matching:
                if code.startswith("SSOT"):
                    unknown.append(code)
            elif all(k in outcome.checked_codes for k in matching):
                unused.append(code)
        if not unused and not unknown:
            return
        parts = []
        if unused:
            parts.append("unused: " + ", ".join(f"`{c}`" for c in unused))
        if unknown:
            parts.append("unknown: " + ", ".join(f"`{c}`" for c in unknown))
        kept = [c for c in s.codes if c not in unused and c not in unknown]
        if kept:
            new = f"# noqa: {', '.join(kept)}" if s.kind == "noqa" else f"# ssot-lint: ignore[{', '.join(kept)}]"
            edit = Edit(rng, new)
            message = f"Remove the unused code{'s' if len(s.codes) - len(kept) > 1 else ''}"
        else:
            edit = self._removal(s, lines)
            message = f"Remove the unused `{directive}` directive"
        self.report_range(
            rng, f"Unused `{directive}` directive ({'; '.join(parts)})", fix=Fix(message, (edit,)), snippet=source_line
        )

    @staticmethod
    def _removal(s: Suppression, lines: list[str]) -> Edit:
        """The edit that removes the directive, and the comment when nothing else is in it."""
        raw = lines[s.line - 1]
        body = raw.rstrip("\r\n")
        start, end = s.column - 1, s.end_column - 1
        rest = body[end:]
        before = body[:start]
        if rest.strip():
            # Text follows the directive in the same comment: keep it as a comment.
            tail = len(rest) - len(rest.lstrip())
            if start + 1 == s.comment_column and not rest.lstrip().startswith("#"):  # it opens the comment
                return Edit(Range(Position(s.line, s.column), Position(s.line, s.end_column + tail)), "# ")
            return Edit(Range(Position(s.line, s.column), Position(s.line, s.end_column + tail)), "")
        if not before.strip():
            # The comment is the whole line: remove the line.
            if s.line < len(lines):
                return Edit(Range(Position(s.line, 1), Position(s.line + 1, 1)), "")
            return Edit(Range(Position(s.line, 1), Position(s.line, len(body) + 1)), "")
        keep = len(before.rstrip())
        return Edit(Range(Position(s.line, keep + 1), Position(s.line, len(body) + 1)), "")
