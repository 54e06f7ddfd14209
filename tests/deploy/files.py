"""What the tests of deploy/ share: the files, read as the tools that use them read them."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
README = DEPLOY / "README.md"

VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")
"""Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?message}, ${VAR-…}, ${VAR:+…}."""


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def compose_schema() -> dict[str, Any]:
    """The compose specification's JSON Schema, as check-jsonschema vendors it."""
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads(vendor.joinpath("compose-spec.json").read_text("utf-8"))
    return schema


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """What compose does to every string before it reads the model; a ${VAR:?…} whose variable
    is unset raises, as compose refuses to start."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        present = env.get(name)
        empty = present is None or (op.startswith(":") and present == "")
        if op.endswith("?") and empty:
            raise KeyError(f"{name}: {arg}")
        if op.endswith("-") and empty:
            return arg
        if op.endswith("+"):
            return "" if empty else arg
        return present or ""

    return VARIABLE.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def variables(text: str) -> dict[str, str]:
    """Each ${VAR} of a file, with its operator (`:?` required, `:-` defaulted, `` plain)."""
    return {m["name"]: m["op"] or "" for m in VARIABLE.finditer(text)}
