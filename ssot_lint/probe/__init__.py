"""``ssot-lint probe``: check a team's own factory for cross-user leaks at run time.

Unlike every other command, this one imports and runs the code it is pointed
at (an explicit opt-in): it builds the factory, creates engines for many users
at once, runs probe agents that emit per-user secrets, and checks that nothing
crosses between users.
"""

from ssot_lint.probe.adapter import FactoryAdapter, ProbeTransport, ProbeUsageError, load_callable
from ssot_lint.probe.report import write_json, write_text
from ssot_lint.probe.result import CHECKS, CheckResult, Failure, ProbeResult
from ssot_lint.probe.runner import ProbeOptions, run_probe

__all__ = [
    "CHECKS",
    "CheckResult",
    "FactoryAdapter",
    "Failure",
    "ProbeOptions",
    "ProbeResult",
    "ProbeTransport",
    "ProbeUsageError",
    "load_callable",
    "run_probe",
    "write_json",
    "write_text",
]
