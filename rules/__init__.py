"""The built-in rule pack of ssot-lint (installed as ``ssot_lint.rules``)."""
