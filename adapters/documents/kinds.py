"""The kinds of document ssj issues: one line each, with the builder that makes it.

A builder is an object (a module's attribute named by `builder`, imported on first use) with

    gather(source: services.documents.Source, subject: services.documents.Subject) -> facts
    render(facts, fmt: str, press: adapters.documents.press.Press) -> bytes

`gather` reads the log through `source` only (what it reads becomes the document's inputs);
`render` must give the same bytes for the same facts and press (no clock, no randomness, no
set or dict order that is not fixed).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from domain.errors import InvalidValueError

if TYPE_CHECKING:  # the registry is read by `ssj --help`: it loads nothing heavy
    from adapters.documents.press import Press
    from services.documents import Source, Stamp, Subject

DEFAULT_FONT_DIR = Path("/usr/share/fonts/opentype/noto")


class About(Enum):
    """What a kind of document is about: the fields of `Subject` it needs."""

    TASK_TARGET = ("task", "target")
    TASK = ("task",)
    PLAN = ("plan",)
    YEAR = ("year",)

    @property
    def fields(self) -> tuple[str, ...]:
        fields: tuple[str, ...] = self.value
        return fields


@dataclass(frozen=True)
class Kind:
    code: str
    title: str
    """The Chinese title, as the document itself is headed."""
    formats: tuple[str, ...]
    about: About
    builder: str
    """`module:attribute` of the builder, imported when first used."""


class Builder(Protocol):
    def gather(self, source: Source, subject: Subject) -> Any: ...

    def render(self, facts: Any, fmt: str, press: Press) -> bytes: ...


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind(
            "notice",
            "跨部门“双随机、一公开”联合抽查告知书",
            ("pdf", "docx"),
            About.TASK_TARGET,
            "adapters.documents.notice:BUILDER",
        ),
        Kind(
            "record_sheet",
            "“双随机、一公开”实地核查记录表（一企一表）",
            ("pdf",),
            About.TASK_TARGET,
            "adapters.documents.record_sheet:BUILDER",
        ),
        Kind(
            "joint_record_sheet",
            "“双随机、一公开”实地核查记录表（一企一表 · 合并检查）",
            ("pdf",),
            About.TASK_TARGET,
            "adapters.documents.joint_visit:BUILDER",
        ),
        # H2 (docs-tables) adds its kinds here, one line each.
        Kind(
            "phone_notice",
            "市场主体“双随机”抽查电话告知记录表",
            ("xlsx", "pdf"),
            About.TASK,
            "adapters.documents.tables:PHONE_NOTICE",
        ),
        Kind(
            "grouping",
            "人员分组及车辆安排情况表",
            ("xlsx", "pdf"),
            About.TASK,
            "adapters.documents.tables:GROUPING",
        ),
        Kind(
            "follow_up_ledger",
            "随机抽查后续处置工作台账",
            ("xlsx", "pdf"),
            About.TASK,
            "adapters.documents.tables:FOLLOW_UP_LEDGER",
        ),
        Kind(
            "publicity",
            "“双随机、一公开”抽查结果公示表",
            ("xlsx", "pdf"),
            About.TASK,
            "adapters.documents.tables:PUBLICITY",
        ),
        Kind(
            "plan_tables",
            "抽查工作计划（部门联合、内部）",
            ("xlsx",),
            About.PLAN,
            "adapters.documents.plan_tables:BUILDER",
        ),
        Kind(
            "statistics",
            "“双随机、一公开”抽查工作统计报告",
            ("pdf",),
            About.YEAR,
            "adapters.documents.report:BUILDER",
        ),
    )
}


def kind_of(code: str) -> Kind:
    kind = KINDS.get(code)
    if kind is None:
        raise InvalidValueError("kind", "文书种类之一：" + "、".join(sorted(KINDS)), code)
    return kind


def builder_of(kind: Kind) -> Builder:
    module, _, attribute = kind.builder.partition(":")
    builder: Builder = getattr(importlib.import_module(module), attribute)
    return builder


class KindsMaker:
    """services.documents.DocumentMaker over the registry."""

    def __init__(self, font_dir: Path = DEFAULT_FONT_DIR) -> None:
        self.font_dir = font_dir

    def describe(self, kind: str, fmt: str, subject: Subject) -> str:
        found = kind_of(kind)
        if fmt not in found.formats:
            raise InvalidValueError(
                "format", f"{found.title}可出具的格式：{'、'.join(found.formats)}", fmt
            )
        given = subject.as_record()
        for name in found.about.fields:
            if name not in given:
                raise InvalidValueError(name, f"{found.title}所针对的{_FIELD_NAMES[name]}", None)
        return found.title

    def gather(self, kind: str, subject: Subject, source: Source) -> Any:
        return builder_of(kind_of(kind)).gather(source, subject)

    def render(self, kind: str, fmt: str, facts: Any, stamp: Stamp) -> bytes:
        from adapters.documents.press import Press

        found = kind_of(kind)
        press = Press(stamp, found.title, self.font_dir)
        return builder_of(found).render(facts, fmt, press)


_FIELD_NAMES = {
    "task": "抽查任务",
    "target": "检查对象（统一社会信用代码）",
    "plan": "抽查工作计划",
    "year": "年度",
}
