"""The built-in rule pack of ssot-lint, installed as ``ssot_lint.rules``.

It is registered through the ``ssot_lint.rules`` entry-point group, like any
third-party pack; ``RULES`` lists its rules, one module a rule.
"""

from .awaited_sync_call import AwaitedSyncCall
from .direct_construction import DirectConstruction
from .invalid_syntax import InvalidSyntax
from .missing_await import MissingAwait
from .missing_suppression_reason import MissingSuppressionReason
from .module_singleton import ModuleSingleton
from .shared_class_state import SharedClassState
from .shared_factory_product import SharedFactoryProduct

RULES = [
    InvalidSyntax,
    DirectConstruction,
    AwaitedSyncCall,
    MissingAwait,
    ModuleSingleton,
    SharedFactoryProduct,
    SharedClassState,
    MissingSuppressionReason,
]

__all__ = ["RULES"]
