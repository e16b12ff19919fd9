"""The contract phase: the reference contract and config, plus what inference finds.

Inference looks only at the modules that pass its textual screens and records what it
reads. The inferred contract is cached in the manifest with the fingerprints of what it
read, and reused while none of that changed.

``bind`` is the one place the engine makes the run's analysis session (the index, the
config and the contract, and the project tables the rules declare) and hands it to them.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..cache import Manifest, digest
from ..contract import Contract, build_contract
from ..index import WHOLE_PROJECT, ProjectIndex
from ..project import Project
from ..session import AnalysisSession, rule_tables
from ..timings import count as count_phase
from .plan import contract_key

if TYPE_CHECKING:
    from ..engine import Linter


def bind(linter: Linter, index: ProjectIndex) -> None:
    """The run's analysis session, once the contract is known: the rules read it (their
    project tables are computed, and later recomputed by kind, in it)."""
    AnalysisSession(index, linter.config, linter.contract, rule_tables(linter.enabled), previous=index.session)


def bind_test_code(linter: Linter, index: ProjectIndex) -> None:
    """Test code by imports (``ssot_lint.testcode``) reads the config from the session, and
    ``Linter.is_test`` asks this index (also while the cached contract is checked)."""
    linter.current_index = index
    AnalysisSession(index, linter.config, None, previous=index.session)


def infer_eagerly(linter: Linter, index: ProjectIndex) -> None:
    """The contract inferred from an index over every module (no cache, no screens)."""
    bind_test_code(linter, index)
    linter.contract = build_contract(
        linter.config, index, lambda p: linter.is_test(p, index), references=linter.references
    )
    bind(linter, index)


def contract_for(linter: Linter, project: Project, manifest: Manifest | None) -> tuple[Contract, bool]:
    """The contract, and whether it was inferred in this run (rather than reused).

    Inference looks only at the modules that pass its textual screens and records
    what it reads (modules, and which modules pass each screen). The cached contract
    is keyed on the config and the reference part of the contract, and reused while
    none of what it read changed: editing a module that defines no factory (and is
    not read while following one) re-infers nothing. When inferred, the manifest (if
    any) records the new contract.
    """
    if not linter.config.contract.infer:
        return linter.base_contract, False
    key = digest(linter.config, contract_key(linter.base_contract))
    if manifest is not None and manifest.contract is not None:
        try:
            old_key, deps, contract, whole = manifest.contract
            # Nothing changed at all, or nothing of what inference read.
            if (
                old_key == key
                and isinstance(contract, Contract)
                and (whole == project.fingerprint(WHOLE_PROJECT) or all(project.holds(d, fp) for d, fp in deps.items()))
            ):
                return contract, False
        except (TypeError, ValueError, AttributeError):  # a foreign or damaged entry
            pass
    index = project.index()
    index.start_recording()
    try:
        contract = build_contract(
            linter.config,
            index,
            lambda p: linter.is_test(p, index),
            screen=project.screened,
            references=linter.references,
        )
    finally:
        read = index.stop_recording()
    count_phase("contract", len(read))
    if manifest is not None:
        if WHOLE_PROJECT in read:
            read = frozenset((WHOLE_PROJECT,))
        manifest.contract = (
            key,
            {d: project.fingerprint(d) for d in sorted(read)},
            dataclasses.replace(contract),
            project.fingerprint(WHOLE_PROJECT),
        )
    return contract, True
