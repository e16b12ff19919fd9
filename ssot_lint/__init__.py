"""ssot-lint: static checks for per-user isolation in async Python services."""

__version__ = "0.1.0"
