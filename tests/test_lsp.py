"""End to end: ``python -m ssot_lint server`` driven by the pytest-lsp client over stdio."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls.lsp.server", reason="the language server needs pygls 2 (the `lsp` extra)")
pytest_lsp = pytest.importorskip("pytest_lsp", reason="end-to-end server tests need pytest-lsp")

from conftest import FIXTURES, expected_markers  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

pytestmark = pytest.mark.asyncio(loop_scope="function")

SERVER = [sys.executable, "-m", "ssot_lint", "server"]
FIX_SERVER = [sys.executable, str(Path(__file__).with_name("lsp_fix_server.py"))]
URL = "https://ssot-lint.dev/rules/direct-construction"

ENGINE = """\
class ExecutionEngine:
    def __init__(self, context, registry, notifier):
        self.context = context
"""
PROJECT = {
    # Handlers below build engines at module level, which SSOT002 also reports; these tests follow SSOT001.
    "pyproject.toml": "[project]\nname = 'tmp-service'\n[tool.ssot-lint]\nignore = ['SSOT002']\n",
    "app/__init__.py": "",
    "app/agents/__init__.py": "from .execution_engine import ExecutionEngine\n",
    "app/agents/execution_engine.py": ENGINE,
    # The factory makes `ExecutionEngine` factory-managed (inferred by the contract).
    "app/agents/execution_engine_factory.py": (
        "from .execution_engine import ExecutionEngine\n\n\n"
        "class ExecutionEngineFactory:\n"
        "    async def create_for_user(self, context: 'UserExecutionContext'):\n"
        "        return ExecutionEngine(context, None, None)\n"
    ),
    "app/compat.py": "from app.agents.execution_engine import ExecutionEngine as Engine\n",
    "app/use.py": "from app.compat import Engine\n\n\ndef legacy(ctx):\n    return Engine(ctx, registry, notifier)\n",
    # Linted code is never imported: this would leave a marker file behind.
    "app/boom.py": "import pathlib\npathlib.Path(__file__).with_name('IMPORTED').write_text('x')\n",
}


def make_project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8", newline="")
    return root


async def _start(lsp_client: LanguageClient, spec: str = "visual-studio-code", options: dict | None = None):
    # The recorded client capabilities allow dynamic registration (the server asks to watch files).
    lsp_client.registrations = []

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        lsp_client.registrations.extend(params.registrations)

    params = types.InitializeParams(capabilities=client_capabilities(spec), initialization_options=options)
    return await lsp_client.initialize_session(params)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    await _start(lsp_client, options={"debounceMs": 50})
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def neovim(lsp_client: LanguageClient):
    # Neovim offers UTF-8 positions first: the server must count in UTF-8 bytes then.
    await _start(lsp_client, spec="neovim")
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=FIX_SERVER))
async def fixer(lsp_client: LanguageClient):
    await _start(lsp_client)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=FIX_SERVER))
async def unsafe_fixer(lsp_client: LanguageClient):
    await _start(lsp_client, options={"unsafeFixes": True})
    yield
    await lsp_client.shutdown_session()


# --- helpers: a client-side edit applier written independently of the server's ---------------
def _offset(lines: list[str], pos: types.Position, encoding: str) -> int:
    start = sum(len(line) + 1 for line in lines[: pos.line])
    line = lines[pos.line] if pos.line < len(lines) else ""
    if encoding == "utf-16":
        prefix = line.encode("utf-16-le")[: 2 * pos.character].decode("utf-16-le")
    elif encoding == "utf-8":
        prefix = line.encode("utf-8")[: pos.character].decode("utf-8")
    else:
        prefix = line[: pos.character]
    return start + len(prefix)


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    lines = text.split("\n")
    spans = sorted(
        ((_offset(lines, e.range.start, encoding), _offset(lines, e.range.end, encoding), e.new_text) for e in edits),
        reverse=True,
    )
    for a, b, new in spans:
        text = text[:a] + new + text[b:]
    return text


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    edit = action.edit
    assert edit is not None
    if edit.document_changes:
        (change,) = edit.document_changes
        assert change.text_document.uri == uri
        return list(change.edits)
    return list(edit.changes[uri])


async def wait_for(client: LanguageClient, uri: str, predicate, timeout: float = 20.0) -> list[types.Diagnostic]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        diags = client.diagnostics.get(uri)
        if diags is not None and predicate(list(diags)):
            return list(diags)
        if loop.time() > deadline:
            raise AssertionError(
                f"timed out waiting for diagnostics of {uri}; last: {diags}; log: {client.log_messages}"
            )
        await asyncio.sleep(0.02)


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> tuple[str, str]:
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )
    return uri, text


def open_module(client: LanguageClient, root: Path, text: str) -> str:
    """Open ``mod.py`` with ``text`` in a one-module project at ``root``."""
    make_project(root, {"pyproject.toml": "[project]\nname = 'x'\n", "mod.py": text})
    return open_doc(client, root / "mod.py")[0]


def change_doc(client: LanguageClient, uri: str, version: int, edits: list[types.TextEdit]) -> None:
    """Send edits as incremental changes (last first, so earlier ranges stay valid)."""
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in ordered],
        )
    )


def replace_all(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def actions_at(client: LanguageClient, uri: str, rng: types.Range, diags, only=None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=list(diags), only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def close_doc(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


# --- tests -----------------------------------------------------------------------------------------
async def test_fixture_open_suppress_change_close(client: LanguageClient):
    """Open a legacy_service module: its SSOT001 findings are exactly its markers; suppress one."""
    project = FIXTURES / "legacy_service"
    path = project / "netra_backend/app/routes/admin.py"
    rel = path.relative_to(project).as_posix()
    expected_lines = sorted(line for code, p, line in expected_markers(project) if p == rel and code == "SSOT001")
    assert expected_lines, "the fixture should hold SSOT001 markers"
    uri, text = open_doc(client, path)
    diags = await wait_for(client, uri, lambda d: len(d) > 0)
    assert sorted(d.range.start.line + 1 for d in diags) == expected_lines
    for d in diags:
        assert d.code == "SSOT001"
        assert d.source == "ssot-lint"
        assert d.severity == types.DiagnosticSeverity.Error
        assert d.code_description is not None and d.code_description.href == URL

    # The exact range of `AgentExecutionRegistry(context.user_id)` (ASCII line: columns agree).
    lines = text.split("\n")
    target = next(d for d in diags if "AgentExecutionRegistry(context.user_id)" in lines[d.range.start.line])
    line = lines[target.range.start.line]
    start = line.index("AgentExecutionRegistry(")
    assert (target.range.start.character, target.range.end.line, target.range.end.character) == (
        start,
        target.range.start.line,
        line.index(")", start) + 1,
    )

    actions = await actions_at(client, uri, target.range, [target])
    titles = [a.title for a in actions]
    assert "Suppress SSOT001 on this line" in titles
    assert not any(a.kind == "source.fixAll.ssot-lint" for a in actions)  # nothing fixable
    suppress = next(a for a in actions if a.title == "Suppress SSOT001 on this line")
    assert suppress.kind == types.CodeActionKind.QuickFix
    assert [d.range for d in suppress.diagnostics] == [target.range]
    edits = edits_of(suppress, uri)
    new_text = apply_edits(text, edits)
    assert new_text.split("\n")[target.range.start.line] == line + "  # noqa: SSOT001"

    change_doc(client, uri, 2, edits)
    after = await wait_for(client, uri, lambda d: len(d) == len(diags) - 1)
    assert target.range.start.line not in {d.range.start.line for d in after}

    close_doc(client, uri)
    await wait_for(client, uri, lambda d: d == [])
    assert path.read_text(encoding="utf-8") == text  # the server never writes files


async def test_utf16_columns_and_warm_cross_module_edits(client: LanguageClient, tmp_path: Path):
    root = make_project(tmp_path, PROJECT)
    handler = root / "app/handler.py"
    handler.write_text(
        "from app.agents import ExecutionEngine\n"
        "\n"
        "def handle(ctx):\n"
        '    label = "😀é"; return ExecutionEngine(ctx, registry, notifier)\n',
        encoding="utf-8",
    )
    uri, text = open_doc(client, handler)
    (diag,) = await wait_for(client, uri, lambda d: len(d) == 1)
    line = text.split("\n")[3]
    start_cp = line.index("ExecutionEngine(")
    # One astral character before the call: UTF-16 counts it twice.
    assert diag.range.start == types.Position(3, start_cp + 1)
    assert diag.range.end == types.Position(3, len(line) + 1)

    # A suppression edit computed in UTF-16 lands at the end of the line.
    (suppress,) = [a for a in await actions_at(client, uri, diag.range, [diag]) if a.title.startswith("Suppress")]
    edits = edits_of(suppress, uri)
    assert apply_edits(text, edits).split("\n")[3] == line + "  # noqa: SSOT001"

    # Cross-module: `use.py` sees `Engine` through `compat.py`, which is open and edited unsaved.
    use_uri, _ = open_doc(client, root / "app/use.py")
    (use_diag,) = await wait_for(client, use_uri, lambda d: len(d) == 1)
    assert (use_diag.code, use_diag.range.start.line) == ("SSOT001", 4)
    compat_uri, _ = open_doc(client, root / "app/compat.py")
    await wait_for(client, compat_uri, lambda d: d == [])
    replace_all(client, compat_uri, 2, "class Engine:\n    pass\n")
    await wait_for(client, use_uri, lambda d: d == [])  # linted again against the edited buffer
    close_doc(client, compat_uri)  # closed unsaved: back to the file on disk
    (back,) = await wait_for(client, use_uri, lambda d: len(d) == 1)
    assert back.range.start.line == 4

    # A closed module changes on disk (a checkout): the watched-files notification re-reads it.
    (registration,) = client.registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    assert {"globPattern": "**/*.py"} in registration.register_options["watchers"]
    (root / "app/compat.py").write_text("Engine = object\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(root / "app/compat.py").as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await wait_for(client, use_uri, lambda d: d == [])

    # Typing in the handler: a debounced relint of the new text.
    replace_all(client, uri, 2, text.replace("ExecutionEngine(ctx", "make_engine(ctx"))
    await wait_for(client, uri, lambda d: d == [])
    assert not (root / "app" / "IMPORTED").exists()


async def test_utf8_positions_when_the_client_prefers_them(neovim: LanguageClient, tmp_path: Path):
    root = make_project(tmp_path, PROJECT)
    handler = root / "app/handler.py"
    handler.write_text(
        'from app.agents import ExecutionEngine\nx = "é😀"; e = ExecutionEngine(1, 2, 3)\n', encoding="utf-8"
    )
    uri, text = open_doc(neovim, handler)
    (diag,) = await wait_for(neovim, uri, lambda d: len(d) == 1)
    line = text.split("\n")[1]
    start = line.index("ExecutionEngine(")
    assert diag.range.start == types.Position(1, len(line[:start].encode("utf-8")))
    assert diag.range.end == types.Position(1, len(line.encode("utf-8")))


async def test_quick_fix_and_fix_all(fixer: LanguageClient, tmp_path: Path):
    text = 's = "😀"; print(s)\nif s:\n    pass\nprint(s, s)\n'
    uri = open_module(fixer, tmp_path, text)
    diags = await wait_for(fixer, uri, lambda d: len(d) == 3)
    by_code = sorted((d.code, d.range.start.line, d.range.start.character) for d in diags)
    # `print` after one astral character: UTF-16 character 10, code point 9.
    assert by_code == [("TST901", 0, 10), ("TST901", 3, 0), ("TST902", 2, 4)]
    first = next(d for d in diags if d.range.start.line == 0)
    assert first.severity == types.DiagnosticSeverity.Warning
    info = next(d for d in diags if d.code == "TST902")
    assert info.severity == types.DiagnosticSeverity.Information

    # The unsafe fix of TST902 is not offered without the `unsafeFixes` option.
    assert not any("..." in a.title for a in await actions_at(fixer, uri, info.range, [info]))

    actions = await actions_at(fixer, uri, first.range, [first])
    fix = next(a for a in actions if a.title == "Replace `print` with `log` (TST901)")
    assert fix.is_preferred
    edits = edits_of(fix, uri)
    assert [(e.range.start.character, e.range.end.character, e.new_text) for e in edits] == [(10, 15, "log")]
    fixed = apply_edits(text, edits)
    assert fixed.startswith('s = "😀"; log(s)\n')
    change_doc(fixer, uri, 2, edits)
    diags = await wait_for(fixer, uri, lambda d: len(d) == 2)
    assert sorted(d.code for d in diags) == ["TST901", "TST902"]

    # Fix all (asked for by kind, as editors do on save): the remaining safe fix only.
    everything = types.Range(types.Position(0, 0), types.Position(4, 0))
    (fix_all,) = await actions_at(fixer, uri, everything, [], only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.ssot-lint"
    all_fixed = apply_edits(fixed, edits_of(fix_all, uri))
    assert all_fixed == 's = "😀"; log(s)\nif s:\n    pass\nlog(s, s)\n'
    change_doc(fixer, uri, 3, edits_of(fix_all, uri))
    (left,) = await wait_for(fixer, uri, lambda d: len(d) == 1)
    assert left.code == "TST902"
    # Only quick fixes asked for: no fix-all action.
    quick = await actions_at(fixer, uri, left.range, [left], only=[types.CodeActionKind.QuickFix])
    assert quick and all(a.kind == types.CodeActionKind.QuickFix for a in quick)


async def test_unsafe_fixes_option(unsafe_fixer: LanguageClient, tmp_path: Path):
    # TST901 suppresses nothing here: listing SSOT100 keeps the comment on purpose (no unused-suppression).
    text = "if True:\n    pass  # noqa: TST901, SSOT100\n"
    uri = open_module(unsafe_fixer, tmp_path, text)
    (diag,) = await wait_for(unsafe_fixer, uri, lambda d: len(d) == 1)
    actions = await actions_at(unsafe_fixer, uri, diag.range, [diag])
    unsafe = next(a for a in actions if a.title == "Replace `pass` with `...` (TST902) [unsafe]")
    assert not unsafe.is_preferred
    # The suppression merges into the existing noqa comment.
    suppress = next(a for a in actions if a.title == "Suppress TST902 on this line")
    assert apply_edits(text, edits_of(suppress, uri)) == "if True:\n    pass  # noqa: TST901, SSOT100, TST902\n"
    (fix_all,) = [a for a in actions if a.kind == "source.fixAll.ssot-lint"]
    assert apply_edits(text, edits_of(fix_all, uri)) == "if True:\n    ...  # noqa: TST901, SSOT100\n"


async def test_config_error_is_shown_once_then_fixed(client: LanguageClient, tmp_path: Path):
    root = make_project(tmp_path, {**PROJECT, "pyproject.toml": "[tool.ssot-lint]\nselect = 3\n"})
    uri, _ = open_doc(client, root / "app/use.py")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not client.messages and loop.time() < deadline:
        await asyncio.sleep(0.02)
    other, _ = open_doc(client, root / "app/compat.py")
    await wait_for(client, other, lambda d: d == [])
    (msg,) = client.messages  # shown once, not once per document
    assert msg.type == types.MessageType.Error
    assert msg.message == f"ssot-lint: {root / 'pyproject.toml'}:2:1: 'tool.ssot-lint.select' must be a list of strings"
    assert list(client.diagnostics.get(uri, [])) == []

    # The configuration is fixed on disk: the next save lints with it.
    (root / "pyproject.toml").write_text("[tool.ssot-lint]\nselect = ['SSOT']\n", encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    (diag,) = await wait_for(client, uri, lambda d: len(d) == 1)
    assert diag.code == "SSOT001"


async def test_form_feed_and_crlf_lines_with_incremental_edits(client: LanguageClient, tmp_path: Path):
    # "\f" and "\u2028" do not end lines in LSP (str.splitlines would split on them).
    root = make_project(tmp_path, PROJECT)
    path = root / "app/paged.py"
    text = "from app.agents import ExecutionEngine\r\n\x0c\r\ns = '\u2028'\r\nx = ExecutionEngine(1, 2, 3)\r\n"
    path.write_text(text, encoding="utf-8", newline="")
    uri, _ = open_doc(client, path, text=text)
    (diag,) = await wait_for(client, uri, lambda d: len(d) == 1)
    assert (diag.range.start.line, diag.range.start.character) == (3, 4)
    (suppress,) = [a for a in await actions_at(client, uri, diag.range, [diag]) if a.title.startswith("Suppress")]
    (edit,) = edits_of(suppress, uri)
    assert (edit.range.start.line, edit.range.start.character, edit.new_text) == (3, 28, "  # noqa: SSOT001")
    change_doc(client, uri, 2, [edit])
    await wait_for(client, uri, lambda d: d == [])
    # Undo it with an incremental edit: the finding comes back at the same place.
    end = types.Position(3, 28 + len("  # noqa: SSOT001"))
    change_doc(client, uri, 3, [types.TextEdit(range=types.Range(edit.range.start, end), new_text="")])
    (again,) = await wait_for(client, uri, lambda d: len(d) == 1)
    assert again.range == diag.range


async def test_a_crashing_rule_is_logged_and_the_others_still_report(fixer: LanguageClient, tmp_path: Path):
    uri = open_module(fixer, tmp_path, "crash_the_rule()\nprint(1)\n")
    (diag,) = await wait_for(fixer, uri, lambda d: len(d) == 1)
    assert (diag.code, diag.range.start.line) == ("TST901", 1)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while not any("TST903" in m.message for m in fixer.log_messages) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    (log,) = [m for m in fixer.log_messages if "TST903" in m.message]
    assert log.type == types.MessageType.Error
    assert log.message.startswith("ssot-lint: rule TST903 (crashes) raised RuntimeError: boom")


SERVICES = 'async def save_user(user):\n    return {"user": user}\n'
ROUTES = (
    "from app.services import save_user\n"
    "\n"
    "\n"
    "async def create(user):\n"
    "    x = 1  # noqa: SSOT003 -- nothing to suppress here\n"
    "    await save_user(user)  # keep this comment\n"
    "    return x\n"
)


async def test_whole_editor_cycle_with_the_real_server(client: LanguageClient, tmp_path: Path):
    """`ssot-lint server` through one editing session: didOpen -> diagnostics, didChange ->
    diagnostics (in the edited file and in another open file that depends on it),
    codeAction -> an edit that, applied, clears the finding."""
    root = make_project(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'svc'\n",
            "app/__init__.py": "",
            "app/services.py": SERVICES,
            "app/routes.py": ROUTES,
        },
    )
    # didOpen -> diagnostics: the awaited `save_user` is async, only the unused suppression is reported,
    # tagged Unnecessary so editors fade it.
    routes_uri, routes_text = open_doc(client, root / "app/routes.py")
    (unused,) = await wait_for(client, routes_uri, lambda d: len(d) == 1)
    assert (unused.code, unused.range.start.line) == ("SSOT100", 4)
    assert list(unused.tags) == [types.DiagnosticTag.Unnecessary]
    services_uri, services_text = open_doc(client, root / "app/services.py")
    await wait_for(client, services_uri, lambda d: d == [])

    # didChange in services.py (unsaved: `async def` -> `def`) -> the other open file is linted again.
    replace_all(client, services_uri, 2, services_text.replace("async def save_user", "def save_user"))
    diags = await wait_for(client, routes_uri, lambda d: any(x.code == "SSOT003" for x in d))
    awaited = next(d for d in diags if d.code == "SSOT003")
    assert awaited.range.start == types.Position(5, 4) and awaited.tags is None
    assert awaited.severity == types.DiagnosticSeverity.Error

    # codeAction -> the rule's fix; applied by the client with didChange -> diagnostics cleared.
    actions = await actions_at(client, routes_uri, awaited.range, [awaited])
    fix = next(
        a
        for a in actions
        if a.kind == types.CodeActionKind.QuickFix and "SSOT003" in a.title and not a.title.startswith("Suppress")
    )
    edits = edits_of(fix, routes_uri)
    fixed = apply_edits(routes_text, edits)
    assert fixed.split("\n")[5] == "    save_user(user)  # keep this comment"
    change_doc(client, routes_uri, 2, edits)
    (left,) = await wait_for(client, routes_uri, lambda d: [x.code for x in d] == ["SSOT100"])
    assert left.range.start.line == 4

    # didChange in routes.py itself (drop the suppression) -> no diagnostics; nothing was written.
    replace_all(client, routes_uri, 3, fixed.replace("  # noqa: SSOT003 -- nothing to suppress here", ""))
    await wait_for(client, routes_uri, lambda d: d == [])
    assert (root / "app/routes.py").read_text(encoding="utf-8") == ROUTES
