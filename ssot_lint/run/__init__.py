"""One check, phase by phase; each module is named after its phase (see ``ssot_lint.engine``)."""
