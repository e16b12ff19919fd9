"""The built-in rule pack of ssot-lint, installed as ``ssot_lint.rules``.

It is registered through the ``ssot_lint.rules`` entry-point group, like any
third-party pack; ``RULES`` lists its rules, one module a rule.
"""

from .awaited_sync_call import AwaitedSyncCall
from .direct_construction import DirectConstruction
from .duplicate_definition import DuplicateDefinition
from .invalid_syntax import InvalidSyntax
from .missing_await import MissingAwait
from .missing_suppression_reason import MissingSuppressionReason
from .module_singleton import ModuleSingleton
from .null_notifier import NullNotifier
from .shared_class_state import SharedClassState
from .shared_factory_product import SharedFactoryProduct
from .unknown_notifier_method import UnknownNotifierMethod
from .unused_suppression import UnusedSuppression

RULES = [
    InvalidSyntax,
    DirectConstruction,
    NullNotifier,
    UnknownNotifierMethod,
    DuplicateDefinition,
    AwaitedSyncCall,
    MissingAwait,
    ModuleSingleton,
    SharedFactoryProduct,
    SharedClassState,
    UnusedSuppression,
    MissingSuppressionReason,
]

__all__ = ["RULES"]
