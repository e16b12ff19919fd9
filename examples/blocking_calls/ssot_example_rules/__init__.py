"""A third-party rule pack, as ``docs/writing-rules.md`` builds it: one cross-module rule.

Installed through the ``ssot_lint.rules`` entry-point group by the
``ssot_example_rules-0.1.dist-info`` folder beside this package (put this folder on
PYTHONPATH and importlib.metadata finds it, as it finds a pip-installed pack).
"""

from .blocking_call import BlockingCallInAsync

RULES = [BlockingCallInAsync]
