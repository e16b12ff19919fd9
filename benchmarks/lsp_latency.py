"""How long a keystroke takes to re-lint in the editor, warm versus cold.

Usage:
    python benchmarks/lsp_latency.py [--project fixtures/legacy_service] [--copies N] [--no-server]

Every module of the project is "typed into": a statement is typed character by
character at the end of the file (``engine = ExecutionEngine(ctx)``), which passes
through syntax errors and changes the module's facts on most keystrokes.  For each
keystroke it measures:

- warm: ``Workspace.update_buffer`` + ``Workspace.lint`` (what the server does), with the
  project index kept between keystrokes;
- cold: ``Linter.run(stdin=...)``, which reads and indexes the whole project each time
  (what an editor plugin shelling out to ``check --stdin-filename`` pays, minus the
  process start);
- server (unless ``--no-server``): the real ``python -m ssot_lint server`` over stdio,
  from sending ``didChange`` to receiving ``publishDiagnostics``, debounce set to 0 ms.

``--copies N`` adds N copies of the project's package under ``vendor_<i>/`` in a
temporary directory, to show that the warm cost does not grow with the project.
Prints medians, 95th percentiles and the cold/warm ratio.  Not a test: numbers depend
on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ssot_lint.registry import load_rules  # noqa: E402
from ssot_lint.workspace import Workspace, load_linter  # noqa: E402

TYPED = "\nengine = ExecutionEngine(ctx)\n"


def keystrokes(text: str) -> list[str]:
    """The buffer after each character of ``TYPED`` is typed at the end of ``text``."""
    return [text + TYPED[:i] for i in range(1, len(TYPED) + 1)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(name: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(
        f"{name:<8} n={len(ms):<5} median {statistics.median(ms):8.2f} ms   p95 {pct(ms, 0.95):8.2f} ms   max {max(ms):8.2f} ms"
    )


def prepare(project: Path, copies: int, tmp: Path) -> Path:
    if copies == 0:
        return project
    root = tmp / "project"
    shutil.copytree(project, root, ignore=shutil.ignore_patterns("__pycache__"))
    packages = [p for p in project.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    for i in range(copies):
        for pkg in packages:
            shutil.copytree(pkg, root / f"vendor_{i}" / pkg.name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def engine_bench(root: Path, files: list[str], cold_every: int) -> tuple[list[float], list[float], Workspace]:
    rules = load_rules()
    linter = load_linter(root, rules)
    t0 = time.perf_counter()
    ws = Workspace(linter)
    ws.load()
    print(f"project: {root}  modules indexed: {len(ws.facts)}  first load {1000 * (time.perf_counter() - t0):.1f} ms")
    warm: list[float] = []
    cold: list[float] = []
    for rel in files:
        text = ws.sources[rel].text
        for n, buffer in enumerate(keystrokes(text)):
            t = time.perf_counter()
            ws.update_buffer(rel, buffer)
            ws.lint(rel)
            warm.append(time.perf_counter() - t)
            if n % cold_every == 0:
                t = time.perf_counter()
                linter.run([], stdin=(rel, buffer))
                cold.append(time.perf_counter() - t)
        ws.update_buffer(rel, text)
    return warm, cold, ws


async def server_bench(root: Path, files: list[str]) -> list[float]:
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("lsp-latency", "1")
    published: dict[str, asyncio.Queue] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published.setdefault(params.uri, asyncio.Queue()).put_nowait((time.perf_counter(), params.version))

    await client.start_io(sys.executable, "-m", "ssot_lint", "server")
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), initialization_options={"debounceMs": 0})
    )
    client.initialized(types.InitializedParams())
    times: list[float] = []
    for rel in files:
        path = root / rel
        uri = path.as_uri()
        text = path.read_text(encoding="utf-8")
        queue = published.setdefault(uri, asyncio.Queue())
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=0, text=text))
        )
        await asyncio.wait_for(queue.get(), 60)  # the first open also loads the project
        for version, buffer in enumerate(keystrokes(text), 1):
            sent = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    [types.TextDocumentContentChangeWholeDocument(text=buffer)],
                )
            )
            while True:
                received, got = await asyncio.wait_for(queue.get(), 60)
                if got == version:
                    break
            times.append(received - sent)
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", default=str(REPO / "fixtures" / "legacy_service"))
    ap.add_argument("--copies", type=int, default=0, help="extra copies of the project's packages")
    ap.add_argument("--cold-every", type=int, default=4, help="time a cold run every N keystrokes")
    ap.add_argument("--no-server", action="store_true", help="skip the end-to-end server measurement")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = prepare(Path(args.project).resolve(), args.copies, Path(tmp))
        rules = load_rules()
        linter = load_linter(root, rules)
        files = [f.relpath for f in linter.discover([str(root)]) if not f.relpath.startswith("vendor_")]
        print(f"typing {len(TYPED)} characters at the end of each of {len(files)} modules")
        warm, cold, _ws = engine_bench(root, files, args.cold_every)
        report("warm", warm)
        report("cold", cold)
        print(f"cold/warm median ratio: {statistics.median(cold) / statistics.median(warm):.1f}x")
        if not args.no_server:
            times = asyncio.run(server_bench(root, files))
            report("server", times)
            print(
                "server = didChange sent -> publishDiagnostics received, real `ssot-lint server` over stdio, no debounce"
            )


if __name__ == "__main__":
    main()
