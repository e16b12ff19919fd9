"""``ssot-lint server``: a language server over stdio (needs the ``lsp`` extra, pygls 2).

- Diagnostics are published on open, on save and, debounced, on change.  They come
  from the in-memory buffer, linted against a warm project ``Workspace`` (one per
  project root): a keystroke re-extracts one module's facts and lints one file.
- When an edit changes what other modules can see (its facts), the other open
  documents of the project are linted again too.
- Code actions: the rule's fix for each fixable diagnostic, "suppress on this line"
  (``# noqa: CODE``, merged into an existing one), and fix all
  (``source.fixAll.ssot-lint``).
- Closing a document clears its diagnostics and puts the module back to its file on disk.

All engine work runs on one worker thread, in the order it was asked for, so the
protocol keeps being served while a large project is indexed.  Nothing here imports
or runs the code being linted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol.language_server import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path

from . import __version__
from .config import ConfigError
from .diagnostics import Diagnostic, InternalError
from .discovery import ROOT_MARKERS, find_root
from .editing import UTF16, TextEdit, TextLines, apply_change, minimal_edit, suppression_edit
from .engine import INVALID_SYNTAX
from .registry import LoadedRules, RuleLoadError, load_rules
from .workspace import Workspace, load_linter

SOURCE = "ssot-lint"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.{SOURCE}"
DEBOUNCE_SECONDS = 0.15
PYTHON_SUFFIXES = (".py", ".pyi")
CONFIG_FILES = ("pyproject.toml", "ssot-lint.toml", ".ssot-lint.toml")

log = logging.getLogger("ssot_lint.server")
T = TypeVar("T")

# Findings about code that does nothing (LSP ``DiagnosticTag.Unnecessary``): SSOT100 unused-suppression.
UNNECESSARY_CODES = frozenset({"SSOT100"})
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}


@dataclass
class Document:
    uri: str
    path: Path | None  # None for a non-file URI (not linted)
    text: str
    version: int | None
    language_id: str = "python"


@dataclass
class Linted:
    """The diagnostics of one document version, kept for code actions."""

    version: int | None
    text: str
    root: Path | None = None
    relpath: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    published: list[types.Diagnostic] = field(default_factory=list)


@dataclass
class _Outcome:
    linted: Linted
    facts_changed: bool = False
    errors: list[InternalError] = field(default_factory=list)
    problem: str | None = None  # a configuration or rule-pack error, shown once


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, minus its own handling of document changes.

    pygls applies incremental changes to its copy of a document with ``str.splitlines``,
    which also breaks lines at form feed, U+2028 and friends, and clamps the change's
    positions *in place*, so the handler would receive altered ranges.  The server keeps
    its own documents (``Document``, ``editing.apply_change``) and needs neither.
    """

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (user_handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield user_handler, (params,), None


class SsotLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "ssot-lint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=_Protocol,
        )
        self.documents: dict[str, Document] = {}
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.workspaces: dict[Path, tuple[tuple, Workspace]] = {}
        self.problems: dict[Path, tuple[tuple, str]] = {}
        self.shown_problems: set[str] = set()
        self.rules: LoadedRules | None = None
        self.engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ssot-lint-engine")
        self.unsafe_fixes = False
        self.debounce = DEBOUNCE_SECONDS

    # --- helpers -----------------------------------------------------------------------------
    @property
    def encoding(self) -> str:
        try:
            enc = self.workspace.position_encoding
        except Exception:
            return UTF16
        return str(getattr(enc, "value", enc) or UTF16)

    async def run_engine(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.engine, fn, *args)

    def lsp_range(self, lines: TextLines, start, end) -> types.Range:
        enc = self.encoding
        sl, sc = lines.to_client(start, enc)
        el, ec = lines.to_client(end, enc)
        return types.Range(types.Position(sl, sc), types.Position(el, ec))

    def offsets_range(self, lines: TextLines, start: int, end: int) -> types.Range:
        return self.lsp_range(lines, lines.position(start), lines.position(end))

    def to_lsp(self, lines: TextLines, d: Diagnostic) -> types.Diagnostic:
        return types.Diagnostic(
            range=self.lsp_range(lines, d.range.start, d.range.end),
            message=d.message,
            severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Error),
            code=d.code,
            code_description=types.CodeDescription(href=d.url) if d.url else None,
            source=SOURCE,
            data={"rule": d.rule, "fixable": d.fix is not None},
            # An unused suppression is dead text: editors fade it out.
            tags=[types.DiagnosticTag.Unnecessary] if d.code in UNNECESSARY_CODES else None,
        )

    # --- the project of a document (engine thread) -----------------------------------------
    def _rules(self) -> LoadedRules:
        if self.rules is None:
            self.rules = load_rules()
        return self.rules

    def _workspace_for(self, path: Path) -> Workspace:
        """The warm workspace of ``path``'s project root; rebuilt when its pyproject.toml changes."""
        # A file outside any project is its own project (never the server's working directory).
        root = find_root(str(path), fallback=path.parent)
        stamp = _config_stamp(root)
        cached = self.workspaces.get(root)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        failed = self.problems.get(root)
        if failed is not None and failed[0] == stamp:
            raise ConfigError(failed[1])
        try:
            linter = load_linter(root, self._rules())
        except (ConfigError, RuleLoadError) as exc:
            self.problems[root] = (stamp, str(exc))
            self.workspaces.pop(root, None)
            raise ConfigError(str(exc)) from None
        self.problems.pop(root, None)
        # A file outside any project is linted on its own, without indexing its folder.
        workspace = Workspace(linter, index_project=any((root / m).exists() for m in ROOT_MARKERS))
        workspace.load()
        if cached is not None:  # the configuration changed: keep the open buffers
            for rel in sorted(cached[1].buffers):
                src = cached[1].sources.get(rel)
                if src is not None:
                    workspace.update_buffer(rel, src.text)
        self.workspaces[root] = (stamp, workspace)
        return workspace

    def _lint_sync(self, doc: Document) -> _Outcome:
        linted = Linted(doc.version, doc.text)
        out = _Outcome(linted)
        is_python = doc.language_id == "python" or (doc.path is not None and doc.path.name.endswith(PYTHON_SUFFIXES))
        if doc.path is None or not is_python:
            return out
        try:
            ws = self._workspace_for(doc.path)
        except ConfigError as exc:
            out.problem = str(exc)
            return out
        rel = ws.relpath(doc.path)
        linted.root, linted.relpath = ws.root, rel
        if ws.is_excluded(rel):
            return out
        out.facts_changed = ws.update_buffer(rel, doc.text)
        result = ws.lint(rel)
        linted.diagnostics = result.diagnostics
        out.errors = result.errors
        lines = TextLines(doc.text)
        linted.published = [self.to_lsp(lines, d) for d in result.diagnostics]
        return out

    def _close_sync(self, path: Path) -> Path | None:
        """Put a closed module back to its disk contents; the root whose other documents need a relint."""
        for _stamp, ws in list(self.workspaces.values()):
            if ws.contains(path) and ws.relpath(path) in ws.buffers:
                if ws.close_buffer(ws.relpath(path)):
                    return ws.root
        return None

    def _files_changed_sync(self, paths: list[Path]) -> set[Path]:
        roots: set[Path] = set()
        for path in paths:
            for _stamp, ws in list(self.workspaces.values()):
                if ws.contains(path) and ws.file_changed(ws.relpath(path)):
                    roots.add(ws.root)
        return roots

    def _fix_all_sync(self, doc: Document, unsafe: bool) -> str | None:
        if doc.path is None:
            return None
        ws = self._workspace_for(doc.path)
        rel = ws.relpath(doc.path)
        ws.update_buffer(rel, doc.text)
        outcome = ws.fix(rel, unsafe)
        if outcome is None or not outcome.changed:
            return None
        return outcome.fixed

    # --- linting and publishing (event loop) ---------------------------------------------------
    def schedule(self, uri: str, delay: float) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            await self.lint_and_publish(uri)
        except asyncio.CancelledError:
            pass
        except Exception:  # never let a failure kill the server
            log.exception("linting %s failed", uri)
            self.log_message(f"ssot-lint: linting {uri} failed (see the server log)", types.MessageType.Error)
        finally:
            if self.pending.get(uri) is asyncio.current_task():
                del self.pending[uri]

    async def lint_and_publish(self, uri: str) -> Linted | None:
        doc = self.documents.get(uri)
        if doc is None:
            return None
        snapshot = Document(doc.uri, doc.path, doc.text, doc.version, doc.language_id)
        outcome = await self.run_engine(self._lint_sync, snapshot)
        if outcome.facts_changed and outcome.linted.root is not None:
            # Even when this result is stale: the other open documents saw the change.
            self.relint_others(outcome.linted.root, exclude=uri)
        current = self.documents.get(uri)
        if current is None or current.version != snapshot.version or current.text != snapshot.text:
            return None  # edited or closed meanwhile: a newer lint is on its way
        self.linted[uri] = outcome.linted
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=outcome.linted.published, version=doc.version)
        )
        for err in outcome.errors:
            self.log_message(f"ssot-lint: {err.message}", types.MessageType.Error)
        if outcome.problem and outcome.problem not in self.shown_problems:
            self.shown_problems.add(outcome.problem)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=f"ssot-lint: {outcome.problem}")
            )
        return outcome.linted

    def relint_others(self, root: Path, exclude: str | None = None) -> None:
        """Lint again the open documents of ``root`` (another module's facts changed)."""
        for uri, linted in list(self.linted.items()):
            if uri != exclude and uri in self.documents and linted.root == root:
                self.schedule(uri, self.debounce)

    async def current(self, uri: str) -> Linted | None:
        """The diagnostics of the document's current text (linting now if they are stale)."""
        doc = self.documents.get(uri)
        if doc is None:
            return None
        linted = self.linted.get(uri)
        if linted is not None and linted.version == doc.version and linted.text == doc.text:
            return linted
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        return await self.lint_and_publish(uri)

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    # --- code actions ------------------------------------------------------------------------------
    def suppressible(self, code: str) -> bool:
        """Syntax errors and findings about suppression comments cannot be suppressed by a comment."""
        if code == INVALID_SYNTAX:
            return False
        rule = self.rules.by_code(code) if self.rules is not None else None
        return rule is None or not getattr(rule, "ENGINE_RULE", False)

    def workspace_edit(self, doc: Document, lines: TextLines, edits: list[TextEdit]) -> types.WorkspaceEdit:
        text_edits = [
            types.TextEdit(range=self.offsets_range(lines, e.start, e.end), new_text=e.content) for e in edits
        ]
        caps = self.client_capabilities
        document_changes = bool(
            caps.workspace and caps.workspace.workspace_edit and caps.workspace.workspace_edit.document_changes
        )
        if document_changes:
            ident = types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=ident, edits=text_edits)])
        return types.WorkspaceEdit(changes={doc.uri: text_edits})

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        linted = await self.current(uri)
        doc = self.documents.get(uri)
        if linted is None or doc is None or doc.text != linted.text:
            return None
        only = params.context.only

        def wanted(kind: str) -> bool:
            return not only or any(kind == o or kind.startswith(f"{o}.") for o in only)

        lines = TextLines(doc.text)
        actions: list[types.CodeAction] = []
        suppressed: set[tuple[int, str]] = set()
        if wanted(types.CodeActionKind.QuickFix.value):
            for d, published in zip(linted.diagnostics, linted.published, strict=True):
                if not _overlaps(published.range, params.range):
                    continue
                # As Ruff does, unsafe fixes are offered only with the `unsafeFixes` option.
                if d.fix is not None and d.fix.edits and (d.fix.safe or self.unsafe_fixes):
                    edits = [
                        TextEdit(lines.offset(e.range.start), lines.offset(e.range.end), e.content) for e in d.fix.edits
                    ]
                    title = f"{d.fix.message} ({d.code})" + ("" if d.fix.safe else " [unsafe]")
                    actions.append(
                        types.CodeAction(
                            title=title,
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=[published],
                            edit=self.workspace_edit(doc, lines, edits),
                            is_preferred=d.fix.safe,
                        )
                    )
                if not self.suppressible(d.code) or (d.range.start.line, d.code) in suppressed:
                    continue
                edit = suppression_edit(doc.text, d)
                if edit is not None:
                    suppressed.add((d.range.start.line, d.code))
                    actions.append(
                        types.CodeAction(
                            title=f"Suppress {d.code} on this line",
                            kind=types.CodeActionKind.QuickFix,
                            diagnostics=[published],
                            edit=self.workspace_edit(doc, lines, [edit]),
                        )
                    )
        if wanted(FIX_ALL_KIND) and any(
            d.fix is not None and (d.fix.safe or self.unsafe_fixes) for d in linted.diagnostics
        ):
            snapshot = Document(doc.uri, doc.path, doc.text, doc.version, doc.language_id)
            try:
                fixed = await self.run_engine(self._fix_all_sync, snapshot, self.unsafe_fixes)
            except ConfigError:
                fixed = None
            current = self.documents.get(uri)
            if fixed is not None and current is not None and current.text == snapshot.text:
                edit = minimal_edit(snapshot.text, fixed)
                if edit is not None:
                    actions.append(
                        types.CodeAction(
                            title="Fix all ssot-lint auto-fixable problems",
                            kind=FIX_ALL_KIND,
                            edit=self.workspace_edit(snapshot, lines, [edit]),
                        )
                    )
        return actions


def _overlaps(a: types.Range, b: types.Range) -> bool:
    """Ranges touch or overlap (a cursor at either end of a diagnostic counts)."""
    a0, a1 = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b0, b1 = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a0 <= b1 and b0 <= a1


def _config_stamp(root: Path) -> tuple:
    out: list[tuple[str, int | None, int | None]] = []
    for name in CONFIG_FILES:
        try:
            st = os.stat(root / name)
            out.append((name, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((name, None, None))
    return tuple(out)


def _path_of(uri: str) -> Path | None:
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


def create_server() -> SsotLanguageServer:
    server = SsotLanguageServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SsotLanguageServer, params: types.InitializeParams) -> None:
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ls.unsafe_fixes = bool(options.get("unsafeFixes", False))
        debounce = options.get("debounceMs")
        if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
            ls.debounce = debounce / 1000.0

    @server.feature(types.INITIALIZED)
    def initialized(ls: SsotLanguageServer, params: types.InitializedParams) -> None:
        caps = ls.client_capabilities
        watched = caps.workspace.did_change_watched_files if caps.workspace else None
        if not (watched and watched.dynamic_registration):
            return
        watchers = [
            types.FileSystemWatcher(glob_pattern=g)
            for g in ("**/*.py", "**/*.pyi", "**/pyproject.toml", "**/ssot-lint.toml", "**/.ssot-lint.toml")
        ]
        registration = types.Registration(
            id="ssot-lint-watched-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        future = ls.client_register_capability(types.RegistrationParams(registrations=[registration]))

        def done(fut: Any) -> None:
            if fut.exception() is not None:
                log.warning("cannot watch files: %s", fut.exception())

        if hasattr(future, "add_done_callback"):
            future.add_done_callback(done)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SsotLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.documents[item.uri] = Document(item.uri, _path_of(item.uri), item.text, item.version, item.language_id)
        ls.schedule(item.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SsotLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return
        enc = ls.encoding
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                r = change.range
                doc.text = apply_change(
                    doc.text, (r.start.line, r.start.character), (r.end.line, r.end.character), change.text, enc
                )
            else:
                doc.text = change.text
        doc.version = params.text_document.version
        ls.schedule(doc.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SsotLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return
        if params.text is not None:
            doc.text = params.text
        ls.schedule(doc.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: SsotLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        doc = ls.documents.pop(uri, None)
        ls.linted.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        if doc is not None and doc.path is not None:
            root = await ls.run_engine(ls._close_sync, doc.path)
            if root is not None:
                ls.relint_others(root)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: SsotLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [p for p in (_path_of(c.uri) for c in params.changes) if p is not None]
        if any(p.name in CONFIG_FILES for p in paths):
            # The configuration is re-read lazily (its stamp changed); lint every open document again.
            for uri in list(ls.documents):
                ls.schedule(uri, ls.debounce)
            return
        roots = await ls.run_engine(ls._files_changed_sync, [p for p in paths if p.name.endswith(PYTHON_SUFFIXES)])
        for root in roots:
            ls.relint_others(root)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False
        ),
    )
    async def code_action(ls: SsotLanguageServer, params: types.CodeActionParams):
        return await ls.code_actions(params)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: SsotLanguageServer, params: None) -> None:
        for task in ls.pending.values():
            task.cancel()
        ls.pending.clear()
        ls.engine.shutdown(wait=False, cancel_futures=True)

    return server


def serve() -> None:
    """Serve the protocol on stdin/stdout until the client says exit."""
    create_server().start_io()


__all__ = ["SsotLanguageServer", "create_server", "serve"]
