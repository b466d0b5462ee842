"""Optional dependencies (``pyproject.toml``'s extras): a block or trainer that needs one checks for it when it is
built, and the error names the extra that installs it."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# module -> (the package that provides it, the extra that installs it)
EXTRAS = {"fasttext": ("fasttext-numpy2-wheel", "signals"), "kenlm": ("kenlm", "signals")}


class MissingExtra(ImportError):
    """An optional dependency is not installed."""


def require(module: str, user: str) -> ModuleType:
    """The module; ``MissingExtra`` naming ``user`` (e.g. "block fasttext_quality") and the extra when it cannot be
    imported."""
    if importlib.util.find_spec(module) is None:
        package, extra = EXTRAS[module]
        raise MissingExtra(
            f"{user} needs {package}, which is in the {extra!r} extra: pip install -e '.[{extra}]' "
            "(./setup.sh installs it)"
        )
    return importlib.import_module(module)
