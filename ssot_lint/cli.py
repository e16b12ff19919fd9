"""The command line: ``ssot-lint check | baseline | rules | explain | server | probe``.

Exit codes: 0 nothing found; 1 findings; 2 usage, configuration or internal error.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

import click

from . import __version__, timings
from .baseline import (
    DEFAULT_BASELINE,
    NOT_BASELINED,
    BaselineError,
    baseline_note,
    judged_by,
    load_baseline,
    match,
    updated,
    write_baseline,
)
from .config import ConfigError
from .discovery import OutsideRootError, find_root
from .engine import Linter, RunOptions, RunResult
from .registry import LoadedRules, RuleLoadError, load_rules
from .reporters import Report, RuleDoc, formats
from .reporters import get as get_reporter
from .since import SinceError, new_since
from .workspace import load_linter

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_CODES_HELP = (
    "Exit codes: 0 no findings at or above --fail-on (or --exit-zero, or --add-noqa); "
    "1 findings at or above --fail-on (with --diff: fixes to apply; with --exit-non-zero-on-fix: files fixed); "
    "2 usage, configuration or internal error, or a path given that does not exist (the others are still linted)."
)


class UsageFailure(click.ClickException):
    """A one-line error that exits 2."""

    exit_code = EXIT_ERROR

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"ssot-lint: error: {self.format_message()}", err=True)


def _split_codes(values: tuple[str, ...]) -> list[str] | None:
    if not values:
        return None
    return [c.strip().upper() for v in values for c in v.split(",") if c.strip()]


def _load_rules() -> LoadedRules:
    try:
        return load_rules()
    except RuleLoadError as exc:
        raise UsageFailure(str(exc)) from None


def rule_docs(rules: LoadedRules) -> dict[str, RuleDoc]:
    return {
        r.code: RuleDoc(r.code, r.name, r.summary, r.doc_section("Fix"), r.url(), r.default_severity, r.docs())
        for r in rules.rules
    }


def _use_color(out: TextIO, mode: str = "auto") -> bool:
    """``--color``: always / never, or auto: a terminal, unless NO_COLOR (FORCE_COLOR forces it)."""
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(out, "isatty") and out.isatty()


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        fh = open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageFailure(f"{path}: cannot write output: {exc.strerror or exc}") from None
    with fh:
        yield fh


def make_linter(
    paths: tuple[str, ...],
    root: str | None,
    config_file: str | None,
    select: list[str] | None,
    ignore: list[str] | None,
    stdin_filename: str | None = None,
    require_reason: bool = False,
    extend_select: list[str] | None = None,
    *,
    exclude: list[str] | None = None,
    extend_exclude: list[str] | None = None,
    options: RunOptions | None = None,
) -> tuple[Linter, LoadedRules]:
    first = stdin_filename or (paths[0] if paths else None)
    root_path = Path(root).resolve() if root else find_root(first)
    rules = _load_rules()
    try:
        linter = load_linter(
            root_path,
            rules,
            config_file,
            select,
            ignore,
            require_reason=require_reason,
            extend_select=extend_select,
            exclude=exclude,
            extend_exclude=extend_exclude,
            options=options,
        )
        return linter, rules
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ssot-lint")
def main() -> None:
    """ssot-lint: find per-user isolation bugs in async Python services, statically."""
    tune_gc()


def entry() -> None:
    """The ``ssot-lint`` command (and ``python -m ssot_lint``): ``main``, then an immediate
    exit once the output is flushed.

    A run leaves hundreds of thousands of objects (the manifest, the index) that the
    interpreter would otherwise free one by one on its way out: 0.07 s of a 0.8 s run
    after an edit on Home Assistant. Nothing is left to do by then: the cache is written,
    worker pools are shut down, and click has closed an output file. A code that is not
    a number, output that cannot be flushed (a closed pipe), or a profiler or tracer at
    work (``python -m cProfile``, coverage: they write their data on the way out) exits
    the usual way.
    """
    try:
        main(prog_name="ssot-lint")
    except SystemExit as exc:
        code = exc.code
        if (code is not None and not isinstance(code, int)) or sys.getprofile() or sys.gettrace():
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise exc from None
        os._exit(code or 0)


def tune_gc() -> None:
    """Collect cyclic garbage far less often than CPython's default (as mypy does).

    A run keeps hundreds of thousands of long-lived objects (every module's facts, the
    index, LibCST trees): with the default thresholds the collector re-scans them over
    and over. On the stdlib, extracting and keeping every module's facts takes 20.7 s
    of CPU with the defaults and 7.9 s with these. Garbage is still collected.
    """
    import gc

    gc.set_threshold(200_000, 30, 30)


@main.command(epilog=EXIT_CODES_HELP, short_help="Lint PATHS (default: the project root).")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(formats()), default="text", show_default=True, help="Output format.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option(
    "--select",
    multiple=True,
    help="Rule codes or prefixes to enable, instead of the configured ones (comma-separated).",
)
@click.option(
    "--extend-select",
    multiple=True,
    help="Rule codes or prefixes to enable on top of the selected ones (comma-separated).",
)
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable (comma-separated).")
@click.option(
    "--extend-ignore",
    multiple=True,
    help="Same as --ignore (Ruff's name): codes disabled on top of the configured ones.",
)
@click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="GLOB",
    help="Globs of paths not to lint, instead of the configured `exclude` (comma-separated; .gitignore syntax).",
)
@click.option(
    "--extend-exclude",
    multiple=True,
    metavar="GLOB",
    help="Globs of paths not to lint, on top of `exclude` (comma-separated).",
)
@click.option(
    "--force-exclude/--no-force-exclude",
    default=False,
    help="Apply the excludes to files named on the command line too (as pre-commit names every file).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Config file (pyproject.toml, or ssot-lint.toml with keys at top level).",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    help="Project root (default: nearest pyproject.toml/ssot-lint.toml/.ssot-lint.toml/setup.cfg/.git).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--stdin-filename", help="Lint source read from stdin, as if it were this file (also: the path `-`).")
@click.option("--statistics", is_flag=True, help="Show counts by rule instead of each finding.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache (.ssot_lint_cache/, see `cache-dir`).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Keep the cache in this folder instead of the config's `cache-dir` (may be outside the project).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes (default: one per core; 1: lint in this process).",
)
@click.option("--no-prefilter", is_flag=True, help="Run every rule on every file (slow; for checking the prefilter).")
@click.option("--fix", is_flag=True, help="Apply safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, apply unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them.")
@click.option(
    "--show-fixes",
    is_flag=True,
    help="List the fixes applied (text and concise: after the findings; json: a `fixes` array; other formats: on stderr).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    help="Report only findings that are not in this baseline file (see `ssot-lint baseline`).",
)
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline set in the configuration.")
@click.option(
    "--since",
    "since_ref",
    metavar="REF",
    help="Report only findings that are new relative to the git revision REF, such as origin/main.",
)
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` to every line with a finding, then exit.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default=None,
    help="Lowest severity that makes the exit code 1 (default: warning, or config `fail-on`).",
)
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when --fix changed files (as pre-commit expects).")
@click.option("--require-reason", is_flag=True, help="Report suppressions without a reason (SSOT101).")
@click.option(
    "--timings", "show_timings", is_flag=True, help="Print each phase's wall and CPU time and count to stderr."
)
@click.option(
    "--dependents/--no-dependents",
    default=True,
    show_default=True,
    help="When files are named, also lint the files whose findings depend on them (that import them).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary, notes or warnings.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text output (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option(
    "--watch", "-w", is_flag=True, help="Lint again whenever a Python or config file changes (uses the cache)."
)
def check(**options) -> None:
    """Lint PATHS (default: the project root; `-`: source read from stdin)."""
    opts = _CheckOptions(**options)
    if opts.watch:
        from .watch import watch

        if opts.stdin_filename is not None or opts.paths == ("-",) or opts.add_noqa or opts.diff:
            raise UsageFailure("--watch cannot be combined with stdin, --add-noqa or --diff")
        root = Path(opts.root).resolve() if opts.root else find_root(opts.paths[0] if opts.paths else None)
        sys.exit(watch(lambda: _check_once(opts), root, echo=lambda msg: click.echo(msg, err=True)))
    sys.exit(_check_once(opts))


@dataclass(frozen=True)
class _CheckOptions:
    """The options of one ``check`` (kept as given, so ``--watch`` can run it again).

    One field per ``check`` option, named as click passes it: an option added to ``check``
    without a field here fails at the first call (``TypeError``), so the two cannot drift.
    """

    paths: tuple[str, ...]
    fmt: str
    output_file: str | None
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    extend_ignore: tuple[str, ...]
    exclude: tuple[str, ...]
    extend_exclude: tuple[str, ...]
    force_exclude: bool
    config_file: str | None
    root: str | None
    exit_zero: bool
    stdin_filename: str | None
    statistics: bool
    no_cache: bool
    cache_dir: str | None
    jobs: int | None
    no_prefilter: bool
    fix: bool
    unsafe_fixes: bool
    diff: bool
    show_fixes: bool
    baseline_file: str | None
    no_baseline: bool
    since_ref: str | None
    add_noqa: bool
    fail_on: str | None
    exit_non_zero_on_fix: bool
    require_reason: bool
    show_timings: bool
    dependents: bool
    quiet: bool
    color: str
    watch: bool


def _check_once(o: _CheckOptions) -> int:
    """One ``check`` run: report, and return the exit code."""
    clock = timings.start() if o.show_timings else None
    paths = tuple(o.paths)
    stdin_filename = o.stdin_filename
    if "-" in paths:
        # As Ruff: `-` reads the source from stdin (named by --stdin-filename, else `-`).
        if len(paths) > 1:
            raise UsageFailure("`-` (stdin) cannot be combined with other paths")
        paths, stdin_filename = (), stdin_filename or "-"
    if stdin_filename is not None and paths:
        raise UsageFailure("--stdin-filename cannot be combined with paths")
    # As Ruff: a missing path is an error (exit 2), and the others are still linted.
    missing = [p for p in paths if not os.path.lexists(p)]
    for p in missing:
        click.echo(f"ssot-lint: error: {p}: no such file or directory", err=True)
    if missing:
        paths = tuple(p for p in paths if p not in missing)
        if not paths:
            return EXIT_ERROR
    if o.add_noqa and (o.fix or o.diff or stdin_filename is not None):
        raise UsageFailure("--add-noqa cannot be combined with --fix, --diff or --stdin-filename")
    if o.since_ref is not None and stdin_filename is not None:
        raise UsageFailure("--since cannot be combined with --stdin-filename")
    if o.baseline_file is not None and o.no_baseline:
        raise UsageFailure("--baseline and --no-baseline cannot be combined")
    ignore = (_split_codes(o.ignore) or []) + (_split_codes(o.extend_ignore) or [])
    # The run options are decided here, once; the linter never changes them.
    options = RunOptions(
        prefilter=not o.no_prefilter,
        jobs=o.jobs or None,
        use_cache=not o.no_cache,
        cache_dir=os.path.abspath(o.cache_dir) if o.cache_dir else None,
        force_exclude=o.force_exclude,
        dependents=o.dependents,
    )
    linter, rules = make_linter(
        paths,
        o.root,
        o.config_file,
        _split_codes(o.select),
        ignore or None,
        stdin_filename,
        o.require_reason,
        extend_select=_split_codes(o.extend_select),
        exclude=[g.strip() for v in o.exclude for g in v.split(",") if g.strip()] if o.exclude else None,
        extend_exclude=[g.strip() for v in o.extend_exclude for g in v.split(",") if g.strip()],
        options=options,
    )
    baseline_path = _baseline_path(linter, o.baseline_file, use_config=not o.no_baseline)
    baseline = None
    if baseline_path is not None:
        try:
            baseline = load_baseline(baseline_path)
        except BaselineError as exc:
            raise UsageFailure(str(exc)) from None
    stdin = None
    if stdin_filename is not None:
        data = sys.stdin.buffer.read()
        from .discovery import relpath_of
        from .source import ReadError, decode_source

        try:
            text, _, _ = decode_source(data, stdin_filename)
        except ReadError as exc:
            raise UsageFailure(f"{stdin_filename}: {exc}") from None
        # Unnamed (`-` alone): linted as a module of the root, reported as `-`.
        rel = STDIN_MODULE_PATH if stdin_filename == "-" else relpath_of(stdin_filename, linter.root)
        if Path(rel).is_absolute():
            raise UsageFailure(f"{stdin_filename}: outside the project root {linter.root} (pass --root)")
        stdin = (rel, text)
    fix, diff = o.fix, o.diff
    try:
        with _progress_bar() as progress:
            result = linter.run(
                list(paths),
                stdin,
                fix=fix or diff,
                unsafe_fixes=o.unsafe_fixes,
                write=fix and not diff,
                progress=progress,
            )
    except OutsideRootError as exc:
        raise UsageFailure(str(exc)) from None
    if stdin is not None and stdin[0] == STDIN_MODULE_PATH:
        _rename(result, STDIN_MODULE_PATH, "-")
    if not result.files and stdin is None and not o.quiet:
        click.echo("ssot-lint: warning: No Python files found under the given path(s)", err=True)
    baselined = stale = 0
    if baseline is not None:
        m = match(result.diagnostics, baseline, judged_by(linter.root, result.files))
        result.diagnostics, baselined, stale = m.new, m.baselined, m.stale
    if o.since_ref is not None:
        try:
            since = new_since(linter, o.since_ref, result.diagnostics, result.files)
        except SinceError as exc:
            raise UsageFailure(str(exc)) from None
        result.diagnostics = since.new
        if not o.quiet:
            click.echo(
                f"ssot-lint: --since {o.since_ref}: {len(since.new)} new, {since.existing} already there "
                f"({since.changed_files} changed Python file(s))",
                err=True,
            )
    if o.add_noqa:
        _add_noqa(linter, result)
        return EXIT_ERROR if result.errors else EXIT_OK
    fmt = o.fmt
    with _output(o.output_file) as out, timings.phase("report", len(result.diagnostics)):
        if stdin is not None and fix and not diff:
            # As Ruff does: with stdin and --fix, the fixed source goes to stdout.
            fixed = next((x.fixed for x in result.fixes if x.failed is None), stdin[1])
            out.write(fixed)
        elif diff:
            _write_diff(result, out)
        elif o.statistics:
            _write_statistics(result, out, fmt)
        else:
            report = Report(
                tool_version=__version__,
                root=str(linter.root),
                files=result.files,
                diagnostics=result.diagnostics,
                errors=result.errors,
                rules=rule_docs(rules),
                sources=result.sources,
                fixed={x.path: len(x.applied) for x in result.fixes if x.changed},
                show_fixes=o.show_fixes,
                color=_use_color(out, o.color) and o.output_file is None,
                applied=[d for x in result.fixes if x.changed for d in x.applied],
                baseline=str(baseline_path) if baseline_path is not None else None,
                baselined=baselined,
                baseline_stale=stale,
                quiet=o.quiet,
                dependents=result.dependents,
            )
            get_reporter(fmt)(report, out)
    if baseline_path is not None and (fmt != "text" or o.statistics or diff) and not o.quiet:
        click.echo(f"ssot-lint: {baseline_note(str(baseline_path), baselined, stale)}", err=True)
    if clock is not None:
        click.echo(clock.format(), err=True)
    threshold = o.fail_on or linter.config.fail_on
    code = _exit_code(result, o.exit_zero, diff, threshold, o.exit_non_zero_on_fix and fix)
    return max(code, EXIT_ERROR) if missing else code


# The path an unnamed stdin buffer (`check -`) is linted as: a module, so every rule runs.
STDIN_MODULE_PATH = "__stdin__.py"


def _rename(result: RunResult, old: str, new: str) -> None:
    """Report the file ``old`` as ``new`` (diagnostics, errors, fixes, sources)."""
    import dataclasses

    result.diagnostics = [dataclasses.replace(d, path=new) if d.path == old else d for d in result.diagnostics]
    result.errors = [dataclasses.replace(e, path=new) if e.path == old else e for e in result.errors]
    result.files = [new if f == old else f for f in result.files]
    for outcome in result.fixes:
        if outcome.path == old:
            outcome.path = new
            outcome.applied = [dataclasses.replace(d, path=new) for d in outcome.applied]
    if old in result.sources:
        result.sources[new] = result.sources.pop(old)


@contextmanager
def _progress_bar(delay: float = 1.0) -> Iterator:
    """A progress callback: a rich bar on stderr, shown only on a TTY once a run takes > ``delay`` s."""
    import time

    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()) or os.environ.get("SSOT_LINT_NO_PROGRESS"):
        yield None
        return
    start = time.monotonic()
    state: dict = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            if time.monotonic() - start < delay or done >= total:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            bar = Progress(
                TextColumn("linting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            bar.start()
            state["bar"] = bar
            state["task"] = bar.add_task("lint", total=total)
        bar.update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


def _baseline_path(linter: Linter, explicit: str | None, use_config: bool = True) -> Path | None:
    """The baseline file: given explicitly (any path), or from the config (inside the root)."""
    if explicit is not None:
        return Path(explicit)
    if use_config and linter.config.baseline is not None:
        return linter.root / linter.config.baseline
    return None


def _add_noqa(linter: Linter, result: RunResult) -> None:
    from .fixes import parses, write_atomic
    from .noqa import add_noqa
    from .source import ReadError, read_source

    by_path: dict[str, list] = {}
    for d in result.diagnostics:
        by_path.setdefault(d.path, []).append(d)
    added = files = skipped = 0
    for path, diags in sorted(by_path.items()):
        try:
            source = read_source(str(linter.root / path), path)
        except ReadError:
            continue
        res = add_noqa(source.text, diags)
        skipped += len(res.skipped)
        if res.added and parses(res.text):
            try:
                write_atomic(source, res.text)
            except OSError as exc:
                click.echo(f"ssot-lint: error: {path}: cannot write: {exc.strerror or exc}", err=True)
                continue
            added += res.added
            files += 1
    click.echo(
        f"Added {added} noqa directive{'s' if added != 1 else ''} to {files} file{'s' if files != 1 else ''}.", err=True
    )
    if skipped:
        click.echo(
            f"ssot-lint: {skipped} finding(s) are on lines that cannot hold a comment; not suppressed.", err=True
        )
    for e in result.errors:
        click.echo(f"ssot-lint: error: {e.message}", err=True)


@main.command("baseline", epilog="Exit codes: 0 written; 2 usage, configuration or internal error (nothing written).")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    help=f"The baseline file (default: `baseline` from the config, else {DEFAULT_BASELINE} in the root).",
)
@click.option("--prune", is_flag=True, help="Only remove the stale entries (findings fixed or gone); add nothing.")
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable (comma-separated).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file.")
@click.option("--root", type=click.Path(file_okay=False), help="Project root.")
def baseline_cmd(
    paths: tuple[str, ...],
    baseline_file: str | None,
    prune: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_file: str | None,
    root: str | None,
) -> None:
    """Record the current findings of PATHS in a baseline file.

    `ssot-lint check --baseline FILE` (or `baseline = "FILE"` in the config) then
    reports only findings that are not in it. Entries of files outside PATHS are kept.
    """
    for p in paths:
        if not os.path.lexists(p):
            raise UsageFailure(f"{p}: no such file or directory")
    linter, _ = make_linter(paths, root, config_file, _split_codes(select), _split_codes(ignore))
    path = _baseline_path(linter, baseline_file) or linter.root / DEFAULT_BASELINE
    old = None
    if path.exists() or prune:
        try:
            old = load_baseline(path)
        except BaselineError as exc:
            raise UsageFailure(str(exc)) from None
    try:
        result = linter.run(list(paths))
    except OutsideRootError as exc:
        raise UsageFailure(str(exc)) from None
    if result.errors:
        for e in result.errors:
            click.echo(f"ssot-lint: error: {e.message}", err=True)
        raise UsageFailure(f"{path}: not written: ssot-lint had internal errors")
    new = updated(old, result.diagnostics, judged_by(linter.root, result.files), prune=prune)
    try:
        write_baseline(path, new)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from None
    if prune:
        removed = (old.total if old else 0) - new.total
        click.echo(f"Removed {removed} stale entr{'ies' if removed != 1 else 'y'} from {path}; {new.total} remain.")
    else:
        click.echo(f"Wrote {new.total} finding{'s' if new.total != 1 else ''} to {path}.")
    broken = sum(1 for d in result.diagnostics if d.code in NOT_BASELINED)
    if broken:
        click.echo(f"ssot-lint: {broken} file(s) could not be parsed; they are not baselined.", err=True)


def _write_diff(result: RunResult, out: TextIO) -> None:
    import difflib  # only for --diff

    for o in result.fixes:
        if o.fixed == o.original:
            continue
        out.writelines(
            difflib.unified_diff(
                o.original.splitlines(keepends=True),
                o.fixed.splitlines(keepends=True),
                fromfile=f"a/{o.path}",
                tofile=f"b/{o.path}",
            )
        )
    for o in result.fixes:
        if o.failed:
            click.echo(f"ssot-lint: {o.path}: fix not applied: {o.failed}", err=True)


def _write_statistics(result: RunResult, out: TextIO, fmt: str) -> None:
    counts = Counter((d.code, d.rule) for d in result.diagnostics)
    fixable = Counter(d.code for d in result.diagnostics if d.fix is not None)
    safe = Counter(d.code for d in result.diagnostics if d.fix is not None and d.fix.safe)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if fmt == "json":
        json.dump(
            [{"code": c, "name": n, "count": k, "fixable": fixable.get(c, 0)} for (c, n), k in rows], out, indent=2
        )
        out.write("\n")
        return
    for (code, name), count in rows:
        # As Ruff: [*] when `--fix` fixes some; [-] when only `--unsafe-fixes` would.
        mark = "[*]" if safe.get(code) else "[-]" if fixable.get(code) else "   "
        out.write(f"{count:>5}\t{code}\t{mark} {name}\n")


SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def _exit_code(result: RunResult, exit_zero: bool, diff: bool, fail_on: str, fixed_fails: bool) -> int:
    """2 on internal errors; 1 when a finding at or above ``fail_on`` remains (or a fix changed
    files with ``--exit-non-zero-on-fix``); else 0."""
    if result.errors:
        return EXIT_ERROR
    if diff:
        return EXIT_FINDINGS if any(o.fixed != o.original for o in result.fixes) else EXIT_OK
    if fixed_fails and any(o.changed for o in result.fixes):
        return EXIT_FINDINGS
    floor = SEVERITY_RANK[fail_on]
    if not exit_zero and any(SEVERITY_RANK[d.severity] >= floor for d in result.diagnostics):
        return EXIT_FINDINGS
    return EXIT_OK


@main.command(short_help="Run the language server over stdio (needs ssot-lint[lsp]).")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="Log level of the server log (written to stderr).",
)
def server(log_level: str) -> None:
    """Run the language server over stdio (install with `pip install 'ssot-lint[lsp]'`)."""
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401  (pygls >= 2)
    except ImportError:
        raise UsageFailure("the language server needs pygls 2: pip install 'ssot-lint[lsp]'") from None
    import logging

    from .server import serve

    logging.basicConfig(level=log_level.upper(), format="ssot-lint server: %(levelname)s: %(message)s")
    serve()


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List every rule with its code, name, summary and default."""
    rules = _load_rules()
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "summary": r.summary,
                        "default_enabled": r.default_enabled,
                        "default_severity": r.default_severity,
                        "applies_to_tests": r.applies_to_tests,
                        "url": r.url(),
                    }
                    for r in rules.rules
                ],
                indent=2,
            )
        )
        return
    for r in rules.rules:
        state = "on " if r.default_enabled else "off"
        click.echo(f"{r.code}  {r.name:<28} {state}  {r.default_severity:<7}  {r.summary}")


@main.command("contract", short_help="Print the contract the rules check against, with origins.")
@click.option(
    "--root", type=click.Path(file_okay=False), help="Project root (default: nearest pyproject.toml/setup.cfg/.git)."
)
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), help="Config file (pyproject.toml or ssot-lint.toml)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def contract_cmd(root: str | None, config_file: str | None, fmt: str) -> None:
    """Print the merged contract: reference module, config and inferred entries, with origins.

    The linted code is parsed, never imported.
    """
    if root is not None and not os.path.isdir(root):
        raise UsageFailure(f"{root}: no such directory")
    linter, _ = make_linter((), root, config_file, None, None)
    linter.build_index(linter.discover([str(linter.root)]))
    contract = linter.contract
    if fmt == "json":
        click.echo(json.dumps({"root": str(linter.root), **contract.to_dict()}, indent=2))
        return
    click.echo(format_contract(contract, str(linter.root)))


def format_contract(contract, root: str) -> str:
    """The contract as text, one entry per line: what, origin, source file:line."""
    lines = [f"root: {root}"]
    where = contract.module_path or "not found"
    lines.append(f"reference module: {contract.module or '(none)'} ({where})")
    for w in contract.warnings:
        lines.append(f"warning: {w}")

    def row(name: str, origin: str, source: str | None, detail: str = "") -> str:
        return f"  {name:<58} {origin:<9} {source or '-'}" + (f"\n      {detail}" if detail else "")

    lines.append("\ncontext classes:")
    lines += [row(c.name, c.origin, c.source) for c in contract.contexts]
    lines.append("\nmanaged classes (construct only through the factory):")
    for m in contract.managed:
        detail = f"allowed in: {', '.join(m.allowed_in) or '(own module only)'}"
        if m.factory:
            detail += f"; built by {m.factory} ({m.role})"
        if m.ignored_factories:
            detail += f"; outranked: {', '.join(m.ignored_factories)}"
        lines.append(row(m.name, m.origin, m.source, detail))
    lines.append("\nfactory entry points:")
    for e in contract.entry_points:
        name = f"{e.module + '.' if e.module else ''}{e.owner + '.' if e.owner else ''}{e.method}"
        detail = ("async; " if e.is_async else "") + (f"returns {', '.join(e.returns)}" if e.returns else "")
        lines.append(row(name, e.origin, e.source, detail.strip("; ")))
    lines.append("\nnotifier classes:")
    for n in contract.notifier_classes:
        kind = "protocol" if n.protocol else (f"implements {n.implements}" if n.implements else "")
        methods = ", ".join(f"{'async ' if m.is_async else ''}{m.name}" for m in n.methods)
        detail = "; ".join(x for x in (kind, methods) if x)
        lines.append(row(n.name, n.origin, n.source, detail))
    lines.append("\nnotifier parameters:")
    for p in contract.notifier_params:
        detail = " ".join(
            x for x in (f"in {p.owner}" if p.owner else "", f": {p.annotation}" if p.annotation else "") if x
        )
        lines.append(row(p.name, p.origin, p.source, detail))
    lines.append("\nfactory-internal methods: " + (", ".join(contract.factory_internal_methods) or "(none)"))
    return "\n".join(lines)


@main.command(short_help="Print the docs of a rule (by code such as SSOT001, or by name).")
@click.argument("code")
def explain(code: str) -> None:
    """Print the docs of a rule (by code, e.g. SSOT001, or by name)."""
    rules = _load_rules()
    rule = rules.by_code(code.upper()) or rules.by_code(code)
    if rule is None:
        raise UsageFailure(f"unknown rule '{code}' (see `ssot-lint rules`)")
    click.echo(f"# {rule.code} {rule.name}\n")
    click.echo(f"{rule.summary}\n")
    click.echo(
        f"Default: {'enabled' if rule.default_enabled else 'disabled'}; severity {rule.default_severity}; "
        f"{'applies' if rule.applies_to_tests else 'does not apply'} to test code "
        "(`test-paths`, and with `test-only-imports` the modules only test code imports that use test tooling).\n"
    )
    click.echo(rule.docs())
    if rule.OPTIONS:
        click.echo(f"\n## Options (`[tool.ssot-lint.rules.{rule.name}]`)\n")
        for key, opt in rule.OPTIONS.items():
            click.echo(f"- `{key}` ({opt.kind}, default {opt.default!r}): {opt.doc}")


@main.command(short_help="Run a factory for many users; check nothing leaks (imports your code).")
@click.argument("target", metavar="MODULE:CALLABLE")
@click.option("--users", default=100, show_default=True, help="Distinct users to create engines for, concurrently.")
@click.option("--agents", default=3, show_default=True, help="Probe agents run per user.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--timeout", default=60.0, show_default=True, help="Seconds each phase (create, run, cleanup) may take.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Config file ([tool.ssot-lint.probe]).")
@click.option("--root", type=click.Path(file_okay=False), help="Project root whose pyproject.toml is read.")
def probe(
    target: str, users: int, agents: int, fmt: str, timeout: float, config_file: str | None, root: str | None
) -> None:
    """Run a factory for many users and check that nothing leaks between them.

    MODULE:CALLABLE builds the factory (no argument, or a transport). Unlike the
    other commands, this IMPORTS AND RUNS your code. Exit 0 isolated, 1 not, 2 usage error.
    """
    from .config import load_config
    from .probe import ProbeOptions, ProbeUsageError, run_probe, write_json, write_text

    try:
        config = load_config(Path(root).resolve() if root else find_root(None), config_file)
    except ConfigError as exc:
        raise UsageFailure(str(exc)) from None
    try:
        # What the probed code prints goes to stderr, so stdout holds only the report.
        with redirect_stdout(sys.stderr):
            result = run_probe(target, ProbeOptions(users, agents, timeout, config.probe))
    except ProbeUsageError as exc:
        raise UsageFailure(str(exc)) from None
    except Exception as exc:
        first_line = (str(exc).splitlines() or [""])[0]
        raise UsageFailure(f"probe of {target} stopped: {type(exc).__name__}: {first_line}") from None
    (write_json if fmt == "json" else write_text)(result, sys.stdout)
    sys.exit(EXIT_OK if result.ok else EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
