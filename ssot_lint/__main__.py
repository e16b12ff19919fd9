"""``python -m ssot_lint``."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="ssot-lint")
