"""``python -m ssot_lint``."""

import os
import sys

# `python -m` puts the working directory first on sys.path. That directory is usually the
# project being linted, whose modules must never be imported: a `json.py` or `threading.py`
# there would otherwise shadow the modules ssot-lint imports from here on.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from ssot_lint.cli import entry

if __name__ == "__main__":
    entry()
