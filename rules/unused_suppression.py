"""SSOT100 unused-suppression: a ``# noqa`` / ``# ssot-lint: ignore`` that suppressed nothing."""

from __future__ import annotations

from ssot_lint.api import Edit, FileOutcome, Fix, Invalid, LintRule, Position, Range, Suppression, Suppressions, Valid

_ENGINE = """\
class ExecutionEngine:
    def __init__(self, ctx):
        self.ctx = ctx


def create_engine_for_user(ctx: "UserExecutionContext"):
    return ExecutionEngine(ctx)
"""
_FILES = {"app/__init__.py": "", "app/engine.py": _ENGINE}
_WITH_SSOT001 = {"select": ["SSOT001"]}


class UnusedSuppression(LintRule):
    """
    ## What it does
    Flags a suppression comment that suppressed no finding, and each code listed in
    one that suppressed nothing: line forms (`# noqa: SSOT001`,
    `# ssot-lint: ignore[SSOT001]`, bare `# ssot-lint: ignore`), ranges
    (`# ssot-lint: disable[...]` ... `enable[...]`) and file-level
    `# ssot-lint: file-ignore[...]`. A code is judged only when its rule
    ran on the file: codes of rules that are disabled, that do not apply to the file
    (such as test code), or that failed, are left alone (and blanket suppressions too,
    when a rule failed on the file). Codes of other tools
    (`# noqa: E501`) are never touched, nor is a bare `# noqa` (it belongs to every
    linter of the project: Ruff would report what removing it uncovers); the fix
    removes only `SSOT` codes and keeps the others (`# noqa: F401, SSOT001` becomes
    `# noqa: F401`). `SSOT` codes that name no rule are flagged.

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
    Remove the unused suppression (with its reason, and the `enable` that closes an unused
    range), or only its unused codes (`ssot-lint check --fix` does it).
    """

    code = "SSOT100"
    name = "unused-suppression"
    summary = "A suppression comment that suppressed nothing"
    default_severity = "warning"
    POST_PASS = True

    VALID = [
        # Used: it suppresses the finding on its line.
        Valid(
            "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)  # noqa: SSOT001\n",
            files=_FILES,
            config=_WITH_SSOT001,
        ),
        Valid(
            "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)  # noqa\n",
            files=_FILES,
            config=_WITH_SSOT001,
        ),
        # Codes of other tools are not ours to judge, nor is a bare noqa comment (every linter's).
        Valid("import os  # noqa: F401\nx = 1  # noqa: E501, W291\n"),
        Valid("import os  # noqa\nx = 1  # noqa -- generated\n", files=_FILES, config=_WITH_SSOT001),
        # The rule that would use it is not enabled: nothing to judge.
        Valid("x = 1  # noqa: SSOT001\n"),
        # A range that suppressed something.
        Valid(
            "from app.engine import ExecutionEngine\n"
            "# ssot-lint: disable[SSOT001] -- legacy block\n"
            "x = ExecutionEngine(1)\n"
            "# ssot-lint: enable[SSOT001]\n",
            files=_FILES,
            config=_WITH_SSOT001,
        ),
        # Kept on purpose.
        Valid("x = 1  # noqa: SSOT001, SSOT100\n", files=_FILES, config=_WITH_SSOT001),
        # A multi-line statement is suppressed from its first line.
        Valid(
            "from app.engine import ExecutionEngine\nx = [  # ssot-lint: ignore[SSOT001]\n    ExecutionEngine(1),\n]\n",
            files=_FILES,
            config=_WITH_SSOT001,
        ),
    ]
    INVALID = [
        Invalid(
            "# ssot-lint: disable[SSOT001]\nx = 1\n# ssot-lint: enable[SSOT001]\n",
            line=1,
            column=1,
            message="ssot-lint: disable",
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1\n",
        ),
        Invalid(
            "# ssot-lint: file-ignore[SSOT001] -- generated\nx = 1\n",
            line=1,
            column=1,
            message="Unused `ssot-lint: file-ignore` directive \\(unused: `SSOT001`\\)",
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1\n",
        ),
        Invalid(
            "from app.engine import ExecutionEngine\n"
            "x = ExecutionEngine(1)  # noqa: SSOT001, SSOT000 -- legacy v1 path\n",
            column=25,
            message="Unused `noqa` directive \\(unused: `SSOT000`\\)",
            line=2,
            files=_FILES,
            config={"select": ["SSOT000", "SSOT001"]},
            expected_fix="from app.engine import ExecutionEngine\n"
            "x = ExecutionEngine(1)  # noqa: SSOT001 -- legacy v1 path\n",
        ),
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
            column=8,
            message="Unused `noqa` directive \\(unused: `SSOT001`\\)",
            line=1,
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1  # noqa: E501\n",
        ),
        Invalid(
            "from app.engine import ExecutionEngine\nx = ExecutionEngine(1)  # ssot-lint: ignore[SSOT001, SSOT000]\n",
            column=25,
            line=2,
            message="SSOT000",
            files=_FILES,
            config={"select": ["SSOT000", "SSOT001"]},
            expected_fix="from app.engine import ExecutionEngine\nx = ExecutionEngine(1)  # ssot-lint: ignore[SSOT001]\n",
        ),
        Invalid("x = 1  # ssot-lint: ignore\n", line=1, column=8, message="blanket", expected_fix="x = 1\n"),
        Invalid(
            "import os  # noqa: F401, SSOT001\n",
            column=12,
            message="Unused `noqa` directive \\(unused: `SSOT001`\\)",
            line=1,
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="import os  # noqa: F401\n",
        ),
        Invalid(
            "x = 1  # noqa: SSOT999 -- legacy\n",
            line=1,
            column=8,
            message="unknown",
            expected_fix="x = 1\n",
        ),
        Invalid(
            "def f():\n    # noqa: SSOT001\n    return 1\n",
            message="Unused `noqa` directive \\(unused: `SSOT001`\\)",
            line=2,
            column=5,
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="def f():\n    return 1\n",
        ),
        Invalid(
            "x = 1  # noqa: SSOT001  # keep this\n",
            line=1,
            column=8,
            message="Unused `noqa` directive \\(unused: `SSOT001`\\)",
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1  # keep this\n",
        ),
        Invalid(
            "x = 1  # keep this  # noqa: SSOT001\n",
            line=1,
            message="Unused `noqa` directive \\(unused: `SSOT001`\\)",
            column=21,
            files=_FILES,
            config=_WITH_SSOT001,
            expected_fix="x = 1  # keep this\n",
        ),
    ]

    def finish_file(self, outcome: FileOutcome) -> None:
        lines = outcome.text.splitlines(keepends=True)
        sups = outcome.suppressions
        for s in sups.all():
            if not self._opted_out(s, sups):
                self._judge(s, outcome, lines)

    def _opted_out(self, s: Suppression, sups: Suppressions) -> bool:
        """A suppression that lists SSOT100, on ``s`` itself or covering its line, keeps ``s``."""
        covering = [s, *sups.by_line.get(s.line, ()), *sups.file_level]
        covering += [r for r in sups.ranges if r.line <= s.line <= r.end_line]
        for other in covering:
            if other.codes is not None and self.code in other.codes:
                other.used.add(self.code)
                return True
        return False

    def _judge(self, s: Suppression, outcome: FileOutcome, lines: list[str]) -> None:
        directive = "noqa" if s.kind == "noqa" else f"ssot-lint: {s.kind}"
        rng = Range(Position(s.line, s.column), Position(s.line, s.end_column))
        source_line = lines[s.line - 1] if s.line <= len(lines) else ""
        if s.codes is None:
            if s.kind == "noqa":
                return  # a bare noqa comment belongs to every linter of the project: never ours to judge
            if s.used or outcome.failed_codes:  # a rule that raised might have needed it
                return
            fix = Fix(f"Remove the unused `{directive}` directive", self._removals(s, outcome, lines))
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
            new = f"# noqa: {', '.join(kept)}" if s.kind == "noqa" else f"# {directive}[{', '.join(kept)}]"
            edits: tuple[Edit, ...] = (Edit(rng, new),)
            message = f"Remove the unused code{'s' if len(s.codes) - len(kept) > 1 else ''}"
        else:
            edits = self._removals(s, outcome, lines)
            message = f"Remove the unused `{directive}` directive"
        self.report_range(
            rng, f"Unused `{directive}` directive ({'; '.join(parts)})", fix=Fix(message, edits), snippet=source_line
        )

    def _removals(self, s: Suppression, outcome: FileOutcome, lines: list[str]) -> tuple[Edit, ...]:
        """Remove ``s``; for a ``disable``, also the ``enable`` that closes only it."""
        edits = [self._removal(s, lines)]
        if s.kind == "disable":
            sups = outcome.suppressions
            closing = [e for e in sups.enables if e.line == s.end_line]
            others = [r for r in sups.ranges if r is not s and r.end_line == s.end_line]
            if len(closing) == 1 and not others and closing[0].line != s.line:
                edits.append(self._removal(closing[0], lines))
        return tuple(sorted(edits, key=lambda e: e.range))

    @staticmethod
    def _removal(s: Suppression, lines: list[str]) -> Edit:
        """The edit that removes the directive, and the comment when nothing else is in it."""
        raw = lines[s.line - 1]
        body = raw.rstrip("\r\n")
        start, end = s.column - 1, s.end_column - 1
        rest = body[end:] if s.reason is None else ""  # a reason goes with its directive
        before = body[:start]
        if rest.strip():
            # Text follows the directive in the same comment: keep it as a comment.
            tail = len(rest) - len(rest.lstrip())
            if start + 1 == s.comment_column and not rest.lstrip().startswith("#"):  # it opens the comment
                return Edit(Range(Position(s.line, s.column), Position(s.line, s.end_column + tail)), "# ")
            return Edit(Range(Position(s.line, s.column), Position(s.line, s.end_column + tail)), "")
        if not before.strip():
            # The comment is the whole line: remove the line.
            if raw != body:  # it ends with a newline: remove through it
                return Edit(Range(Position(s.line, 1), Position(s.line + 1, 1)), "")
            return Edit(Range(Position(s.line, 1), Position(s.line, len(body) + 1)), "")
        keep = len(before.rstrip())
        return Edit(Range(Position(s.line, keep + 1), Position(s.line, len(body) + 1)), "")
