"""LibCST, imported on first use.

Most runs never parse a file with LibCST: a check with nothing changed answers from its
stamp, and the prefilters send only the files where a rule could fire to LibCST (6 of
Home Assistant's 6,725). Importing LibCST costs about 0.2 s, as much as the rest of the
start-up together. So the engine and the rules name it through these stand-ins, which
import it the first time an attribute is read::

    from ssot_lint.lazy import cst            # instead of `import libcst as cst`
    from ssot_lint.lazy import cst_metadata   # instead of `import libcst.metadata`

The first attribute read from a module rebinds that module's own name to the real module,
so later reads there cost what a module attribute costs. Type checkers see the real modules.
A rule pack may import ``libcst`` directly; it then loads LibCST when the pack is loaded.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any


class LazyModule:
    """A stand-in for the module ``name``, imported on the first attribute read (or write)."""

    __slots__ = ("_name", "_module")

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_module", None)

    def _load(self) -> ModuleType:
        module = object.__getattribute__(self, "_module")
        if module is None:
            module = importlib.import_module(object.__getattribute__(self, "_name"))
            object.__setattr__(self, "_module", module)
        return module

    def __getattr__(self, attr: str) -> Any:
        module = self._load()
        # The module that reads it names the real module from now on.
        namespace = sys._getframe(1).f_globals
        for key, value in list(namespace.items()):
            if value is self:
                namespace[key] = module
        return getattr(module, attr)

    def __setattr__(self, attr: str, value: Any) -> None:  # tests patch `cst.parse_module`
        setattr(self._load(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._load(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {object.__getattribute__(self, '_name')!r}>"


def loaded(name: str = "libcst") -> bool:
    """Has the module been imported (by anyone) in this process?"""
    return name in sys.modules


if TYPE_CHECKING:
    import libcst as cst
    import libcst.metadata as cst_metadata
else:
    cst = LazyModule("libcst")
    cst_metadata = LazyModule("libcst.metadata")

__all__ = ["LazyModule", "cst", "cst_metadata", "loaded"]
