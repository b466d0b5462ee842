"""The one plug-in rule: every kind a user may extend (clean/filter blocks, readers, dedup kinds, evaluation tasks,
trainer backends, OCR engines) has one ``Registry`` of config names, and also accepts a dotted path to a user's own
class or function (``mypackage.blocks:MyFilter`` or ``mypackage.blocks.MyFilter``).

A plug-in's parameters are checked against its own signature (``__init__`` of a class, the parameters of a
function): an unknown name, a missing required one or a wrong type raises ``PluginError`` naming the parameter, which
the recipe loader turns into a ``file:line: key.path: message`` error. ``Registry.resolve_params`` fills in every
plain default, so a resolved recipe pins them (upstream defaults drift between versions).
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable, Iterable
from typing import Any


class PluginError(ValueError):
    """A plug-in name or parameter that is wrong; ``key`` is the parameter at fault (None: the name itself)."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


SEED = "seed"  # a plug-in parameter of this name whose default is None makes the plug-in random: see derived_seed


def derived_seed(experiment_seed: int, item_id: str) -> int:
    """The seed of a random plug-in the recipe gives none: from the experiment's seed and the item's id (two
    samplers of one recipe draw differently), pinned in the resolved recipe."""
    import hashlib

    digest = hashlib.sha256(f"{experiment_seed}:{item_id}".encode()).hexdigest()
    return int(digest[:8], 16) % (2**31 - 1)


def import_target(target: str) -> Any:
    """The object a ``module:attr`` or ``module.attr`` path names."""
    if ":" in target:
        module_name, _, attr = target.partition(":")
    else:
        module_name, _, attr = target.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _as_lists(value: Any) -> Any:
    """Tuples (common in datatrove defaults) become lists, so the resolved config dumps as plain YAML."""
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    return value


class Registry:
    """Config names of one plug-in kind, resolved lazily (a plug-in's dependencies load only when it is used).

    ``entries`` maps a name to a ``module:attr`` path; ``base`` is the class every plug-in of the kind must subclass
    (None: any callable); ``reserved`` are parameters the framework passes itself and a config may not set.
    """

    def __init__(
        self,
        kind: str,
        entries: dict[str, str],
        base: Callable[[], type] | type | None = None,
        reserved: Iterable[str] = (),
    ):
        self.kind = kind
        self.entries = dict(entries)
        self._base = base
        self.reserved = {"self", *reserved}

    def register(self, name: str, target: str) -> None:
        """Add a name (for plug-in packages that register themselves on import)."""
        self.entries[name] = target

    def names(self) -> list[str]:
        return sorted(self.entries)

    def base(self) -> type | None:
        if self._base is None or inspect.isclass(self._base):
            return self._base
        return self._base()  # a function returning the class: keeps heavy imports lazy

    def resolve(self, name: str) -> Any:
        """The class or function a config name (or a dotted path) refers to."""
        target = self.entries.get(name, name)
        if ":" not in target and "." not in target:
            raise PluginError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}, or a dotted path")
        try:
            obj = import_target(target)
        except (ImportError, AttributeError, ValueError) as e:
            raise PluginError(f"cannot import {self.kind} {name!r} ({target}): {e}") from e
        base = self.base()
        if base is not None and not (inspect.isclass(obj) and issubclass(obj, base)):
            raise PluginError(
                f"{self.kind} {name!r} ({target}) is not a subclass of {base.__module__}.{base.__name__}"
            )
        if base is None and not callable(obj):
            raise PluginError(f"{self.kind} {name!r} ({target}) is not a class or function")
        return obj

    def parameters(self, name: str) -> dict[str, inspect.Parameter]:
        """The parameters a config may set: the plug-in's signature less reserved and ``*args``/``**kwargs``."""
        obj = self.resolve(name)
        sig = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
        return {
            n: p
            for n, p in sig.parameters.items()
            if n not in self.reserved and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }

    def resolve_params(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Check ``params`` against the plug-in's signature; return them with every plain default filled in."""
        from pydantic import TypeAdapter, ValidationError

        obj = self.resolve(name)
        known = self.parameters(name)
        for key in params:
            if key not in known:
                raise PluginError(
                    f"{self.kind} {name!r} has no parameter {key!r}; its parameters: {', '.join(known) or 'none'}", key
                )
        try:
            hints = typing.get_type_hints(obj.__init__ if inspect.isclass(obj) else obj, include_extras=True)
        except Exception:  # unresolvable forward references: check names only
            hints = {}
        out: dict[str, Any] = {}
        for key, p in known.items():
            if key == SEED and key in params and params[key] is None:
                raise PluginError(
                    f"{self.kind} {name!r} parameter 'seed': null is refused (a random plug-in without a seed gives "
                    "other output under the same stage key each run); omit it to derive one from experiment.seed, or "
                    "give an integer",
                    key,
                )
            if key in params:
                value = params[key]
                if key in hints and not (value is None and p.default is None):  # a default may defy its hint
                    # (datatrove's SamplerFilter: seed: int = None), and a filled-in default is validated again
                    try:
                        value = TypeAdapter(hints[key]).validate_python(value)
                    except ValidationError as e:
                        msg = e.errors()[0]["msg"]
                        raise PluginError(f"{self.kind} {name!r} parameter {key!r}: {msg} (got {value!r})", key) from e
                    except Exception:  # a type pydantic cannot build a validator for
                        pass
                out[key] = _as_lists(value)
            elif p.default is inspect.Parameter.empty:
                raise PluginError(f"{self.kind} {name!r} needs parameter {key!r}", key)
            elif key == SEED and p.default is None:
                continue  # left out: the recipe derives it from experiment.seed (``derived_seed``), never None
            elif _is_plain(p.default):
                out[key] = _as_lists(p.default)
        return out

    def build(self, name: str, params: dict[str, Any], **extra: Any) -> Any:
        """Instantiate (or call) the plug-in with validated parameters plus framework-owned ``extra`` ones."""
        return self.resolve(name)(**self.resolve_params(name, params), **extra)
