"""The code a class runs: the closure of the modules its defining modules import, for stage keys.

A stage key must change whenever anything that can change the stage's output changes (DVC and Bazel key on the
closure of their inputs). For code that is every first-party module reachable through imports from the modules that
define a class and its bases: ``import`` and ``from ... import`` statements anywhere in a module (also inside
functions and ``if TYPE_CHECKING`` blocks: an over-approximation, never an under-one), relative ones included, plus
the ``__init__.py`` of every package on the way (it runs on import). A module is first-party when it belongs to
FineBooks (``PROJECT``) or its file lies outside the standard library and the installed packages (a user's module on
``PYTHONPATH``, an editable checkout). Its source enters the key by
sha256; a third-party import enters by its distribution's version, a standard-library one not at all.

Modules are found by name without being imported (``importlib.util.find_spec`` only imports the parent packages of
a first-party module); each file's import list is parsed once per content (sha256) and process.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import site
import sys
import sysconfig
from pathlib import Path
from typing import Any

from pipelines.fingerprint import RACY_SECONDS, _distributions, file_sha256, library_versions, stable_hash

PROJECT = ("ablations", "pipelines", "filters", "run_ablation")


@functools.lru_cache(maxsize=1)
def _library_roots() -> tuple[str, ...]:
    """Folders of the standard library and of installed packages: modules there are not first-party."""
    paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    paths.add(site.getusersitepackages())
    return tuple(str(Path(p).resolve()) + "/" for p in paths if p)


def _origin(name: str) -> str | None:
    """The source file of module ``name`` (a package's ``__init__.py``), or None when there is none or it cannot be
    found. Only parent packages are imported to find it, never the module itself."""
    module = sys.modules.get(name)
    if module is not None:
        path = getattr(module, "__file__", None)
        return path if path and path.endswith(".py") else None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None or not spec.has_location or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return spec.origin


@functools.lru_cache(maxsize=4096)
def _imports(path: str, sha256: str, package: str) -> tuple[str, ...]:
    """The absolute module names a source file imports (``from a import b`` gives ``a`` and ``a.b``); ``sha256``
    makes the cache follow the file's content, ``package`` resolves relative imports."""
    tree = ast.parse(Path(path).read_bytes(), filename=path)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = "." * node.level + (node.module or "")
                try:
                    base = importlib.util.resolve_name(base, package)
                except (ImportError, ValueError):
                    continue
            else:
                base = node.module or ""
            names += [base] + [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return tuple(dict.fromkeys(n for n in names if n and n != "__future__"))


def _first_party(top: str, origin: str) -> bool:
    return top in PROJECT or not str(Path(origin).resolve()).startswith(_library_roots())


_CLOSURES: dict[tuple[str, ...], tuple[list[tuple[str, int, int]], dict, dict]] = {}


def _stats(files: list[str]) -> list[tuple[str, int, int]] | None:
    """``(file, size, mtime_ns)`` of each file; None when one is missing or changed in the last RACY_SECONDS."""
    import time

    out = []
    for f in files:
        try:
            st = Path(f).stat()
        except FileNotFoundError:
            return None
        if time.time() - st.st_mtime_ns / 1e9 <= RACY_SECONDS:
            return None
        out.append((f, st.st_size, st.st_mtime_ns))
    return out


def module_closure(roots: list[str]) -> tuple[dict[str, str], dict[str, str | None]]:
    """For the modules ``roots``: every first-party module reachable by imports -> the sha256 of its source, and the
    third-party distributions imported -> their versions. Reused within a process while no file of the closure
    changed size or modification time (the walk costs tens of milliseconds; the loop names many stages)."""
    memo = _CLOSURES.get(tuple(roots))
    if memo is not None and _stats([f for f, _, _ in memo[0]]) == memo[0]:
        return dict(memo[1]), dict(memo[2])
    files: list[str] = []
    sources: dict[str, str] = {}
    libraries: set[str] = set()
    todo = list(roots)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or top in sys.builtin_module_names:
            continue
        top_origin = _origin(top)
        if top_origin is None or not _first_party(top, top_origin):
            libraries.update(_distributions().get(top, []))
            continue
        origin = _origin(name)
        if origin is None:  # an attribute imported from a module (``from a import f``), or nothing to read
            continue
        digest = file_sha256(origin) or ""
        sources[name] = digest
        files.append(origin)
        package = name if origin.endswith("__init__.py") else name.rpartition(".")[0]
        parents = [name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)]  # their __init__ runs too
        todo += parents + list(_imports(origin, digest, package))
    sources, versions = dict(sorted(sources.items())), library_versions(*sorted(libraries))
    if (stats := _stats(files)) is not None:
        _CLOSURES[tuple(roots)] = (stats, sources, versions)
    return dict(sources), dict(versions)


def code_fingerprint(cls: Any) -> dict[str, Any]:
    """The code version of a class (or function): its distribution and version (None outside any installed
    package), a sha256 over the source of every first-party module that the modules of the class and its bases
    import, transitively (``pipelines/code_closure.py``: a helper module that a block imports counts, not only the
    block's file), and the versions of the third-party distributions they import. A base class from a third-party
    package counts by its file's sha256 too (a fix in datatrove's base filter). Only module names and file sha256s
    are used, never paths: keys agree across clones and machines."""
    import inspect
    from importlib.metadata import version

    own = cls.__module__.split(".")[0]
    dists = _distributions().get(own, [])
    roots, files = [], []
    for klass in cls.__mro__ if isinstance(cls, type) else [cls]:  # a function plug-in: its own module
        if klass.__module__ == "builtins":
            continue
        roots.append(klass.__module__)
        try:
            source = inspect.getsourcefile(klass)
        except TypeError:  # no source file (a compiled module)
            continue
        if source and source not in files:
            files.append(source)
    sources, libraries = module_closure(roots)
    return {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "package": {d: version(d) for d in sorted(dists)} or None,
        "source_sha256": stable_hash([[f, d] for f, d in sources.items()] + [file_sha256(f) for f in files], 64),
        "modules": len(sources),
        "libraries": libraries,
    }


def stage_code(*classes: type) -> dict[str, Any]:
    """The code fingerprints of a stage's own class and the plug-ins it runs, one entry per class: part of the key
    of every stage, so an edit anywhere in the code a stage runs makes a new stage."""
    return {f"{c.__module__}:{c.__qualname__}": code_fingerprint(c) for c in classes}
