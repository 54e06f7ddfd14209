"""The fixtures of the domain's unit tests; the builders themselves live in builders.py."""

from tests.unit.builders import (
    calendar,
    inspector_directories,
    internal,
    joint,
    refused,
    run,
    target_directory,
)

__all__ = [
    "calendar",
    "inspector_directories",
    "internal",
    "joint",
    "refused",
    "run",
    "target_directory",
]
