"""Load a recipe: safe YAML, ``${ENV}`` interpolation, ``--set`` overrides, validation with file:line errors."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ablations.recipe.schema import RecipeConfig
from filters.plugins import PluginError
from pipelines.config import ItemKeyError

M = TypeVar("M", bound=BaseModel)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """A recipe that cannot be used; the message names the file, line and key path of every problem."""


def _line_map(node: yaml.Node, path: tuple = (), out: dict | None = None, source: str = "") -> dict[tuple, int]:
    """Key path -> 1-based line, for every key and list item; duplicate keys are errors."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dotted = ".".join(map(str, path + (key,)))
                raise ConfigError(f"{source}:{key_node.start_mark.line + 1}: duplicate key {dotted}")
            seen.add(key)
            out[path + (key,)] = key_node.start_mark.line + 1
            _line_map(value_node, path + (key,), out, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[path + (i,)] = item.start_mark.line + 1
            _line_map(item, path + (i,), out, source)
    return out


def _interpolate(value: Any, where: str) -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in strings, recursively."""
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{where}.{i}") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match) -> str:
        var, default = m.group(1), m.group(2)
        if var in os.environ and os.environ[var] != "":
            return os.environ[var]
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {var} is not set (set it, or override {where} with --set)")

    return _ENV.sub(sub, value)


def _apply_override(data: dict, assignment: str) -> tuple:
    """Apply ``a.b.0.c=value`` (value parsed as YAML) to ``data``; return the key path."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected KEY.PATH=VALUE")
    dotted, _, raw = assignment.partition("=")
    path = tuple(int(p) if p.isdigit() else p for p in dotted.strip().split("."))
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as e:
        raise ConfigError(f"--set {assignment!r}: value is not valid YAML: {e}") from e
    target: Any = data
    for i, key in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(target, list):
            if not isinstance(key, int) or key >= len(target):
                raise ConfigError(f"--set {dotted}: {'.'.join(map(str, path[: i + 1]))} is not an item of the list")
            target = target[key]
        else:
            if not isinstance(target, dict):
                raise ConfigError(f"--set {dotted}: {'.'.join(map(str, path[:i]))} is not a section")
            target = target.setdefault(key, [] if isinstance(nxt, int) else {})
    last = path[-1]
    if isinstance(target, list):
        if not isinstance(last, int) or last > len(target):
            raise ConfigError(f"--set {dotted}: index {last} is out of range")
        if last == len(target):
            target.append(value)
        else:
            target[last] = value
    elif isinstance(target, dict):
        target[last] = value
    else:
        raise ConfigError(f"--set {dotted}: the parent is not a section")
    return path


def _error_lines(
    e: ValidationError, source: str, lines: dict[tuple, int], overridden: dict[tuple, str], schema: str
) -> list[str]:
    out = []
    for err in e.errors():
        # a plug-in error names its parameter: a key of the item itself (a source, a dedup stage) or of its params
        loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, PluginError) and cause.key:
            if isinstance(cause.key, tuple):  # a place under the item (a candidate's sweep path)
                loc = loc + cause.key
            else:
                loc = loc + ((cause.key,) if isinstance(cause, ItemKeyError) else ("params", cause.key))
        msg = str(cause) if isinstance(cause, Exception) else err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown key (check its spelling, or see the schema in {schema})"
        elif err["type"] == "missing":
            msg = "required key is missing"
        key = ".".join(map(str, loc)) or "<root>"
        place = _place(loc, source, lines, overridden)
        out.append(f"{place}: {key}: {msg}")
    return out


def _place(loc: tuple, source: str, lines: dict[tuple, int], overridden: dict[tuple, str]) -> str:
    for n in range(len(loc), -1, -1):
        prefix = loc[:n]
        if prefix in overridden:
            return f"--set {overridden[prefix]}"
        if prefix in lines:
            return f"{source}:{lines[prefix]}"
    return source


def key_place(path: str | Path, overrides: list[str] | None, loc: tuple) -> str:
    """Where a key of a recipe file was set: ``file:line``, ``--set KEY=VALUE``, or the file alone (checks made
    after loading, ablations/preflight.py)."""
    overridden = {}
    for assignment in overrides or []:
        dotted = assignment.partition("=")[0]
        overridden[tuple(int(p) if p.isdigit() else p for p in dotted.strip().split("."))] = assignment
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        lines = _line_map(node, source=str(path)) if node is not None else {}
    except (OSError, yaml.YAMLError, ConfigError):
        lines = {}
    return _place(loc, str(path), lines, overridden)


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> RecipeConfig:
    """Read, override, interpolate and validate a recipe. Raises ConfigError naming file, line and key."""
    return load_config(path, RecipeConfig, overrides, what="a recipe is a mapping of sections (experiment, data, ...)")


def load_config(path: str | Path, model: type[M], overrides: list[str] | None = None, what: str = "") -> M:
    """Read, override, interpolate and validate any YAML config model (the recipe, the OCR benchmark's config).

    Raises ConfigError naming file, line and key of every problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(e, 'problem', e)}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {what or 'a config is a mapping of keys'}")
    lines = _line_map(node, source=str(path)) if node is not None else {}
    overridden = {}
    for assignment in overrides or []:
        overridden[_apply_override(data, assignment)] = assignment
    data = _interpolate(data, "")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        schema = model.__module__.replace(".", "/") + ".py"
        problems = _error_lines(e, str(path), lines, overridden, schema)
        raise ConfigError(f"{len(problems)} problem(s) in {path}:\n  " + "\n  ".join(problems)) from None


def dump_recipe(cfg: RecipeConfig) -> str:
    """The resolved recipe (every default filled in) as YAML that ``load_recipe`` reads back unchanged."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=119)
