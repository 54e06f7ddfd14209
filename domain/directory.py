"""The directories (名录库) that draws are made from: targets, inspectors, check items.

A `Target` or `Inspector` is a value: the directory aggregates record who is in them and every
change as events, so a draw can name the directory's version it drew from and an auditor can
rebuild exactly that population later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import cast

from domain.credit_code import CodeKind, validate_credit_code
from domain.errors import InvalidValueError
from domain.publicity import InspectionMethod


class RiskGrade(StrEnum):
    """信用风险分类: A 低风险, B 一般风险, C 较高风险, D 高风险."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"

    @property
    def label(self) -> str:
        return {"A": "低风险", "B": "一般风险", "C": "较高风险", "D": "高风险"}[self.value]

    @classmethod
    def parse(cls, value: str, field: str = "risk_grade") -> RiskGrade:
        text = value.strip().upper()
        for grade in cls:
            if text in (grade.value, grade.label):
                return grade
        raise InvalidValueError(field, "A、B、C、D 之一（低/一般/较高/高风险）", value)


def _required(value: str, field: str, expected: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidValueError(field, expected, value)
    return text


@dataclass(frozen=True)
class Target:
    """抽查对象: a market entity, school, kindergarten or training institution."""

    credit_code: str
    name: str
    category: str
    """What kind of entity, as the scope of a task names it (e.g. 校外培训机构)."""
    region: str
    risk_grade: RiskGrade
    tags: frozenset[str] = frozenset()
    """Marks a scope may require, such as 持校车."""
    active: bool = True
    """Inactive targets (closed, deregistered) stay in the directory but are never drawn."""

    def __post_init__(self) -> None:
        code, _ = validate_credit_code(self.credit_code)
        object.__setattr__(self, "credit_code", code)
        object.__setattr__(self, "name", _required(self.name, "name", "对象名称"))
        object.__setattr__(self, "category", _required(self.category, "category", "对象类别"))
        object.__setattr__(self, "region", _required(self.region, "region", "所属区域"))
        if not isinstance(self.risk_grade, RiskGrade):
            object.__setattr__(self, "risk_grade", RiskGrade.parse(str(self.risk_grade)))

    @property
    def code_kind(self) -> CodeKind:
        return validate_credit_code(self.credit_code)[1]

    def as_record(self) -> dict[str, object]:
        """The plain form stored in events: readable by any auditor without our code."""
        return {
            "credit_code": self.credit_code,
            "name": self.name,
            "category": self.category,
            "region": self.region,
            "risk_grade": self.risk_grade.value,
            "tags": sorted(self.tags),
            "active": self.active,
        }

    COLUMNS = ("credit_code", "name", "category", "region", "risk_grade", "tags", "active")
    """The order of a target's values in a directory event's rows."""

    def as_row(self) -> list[object]:
        """A directory holds millions of targets: events store them as rows under `COLUMNS`,
        which JSON reads far faster than one object per target and still reads without our code."""
        return [
            self.credit_code,
            self.name,
            self.category,
            self.region,
            self.risk_grade.value,
            sorted(self.tags),
            self.active,
        ]

    @classmethod
    def from_row(cls, row: list[object]) -> Target:
        """A target as recorded: it was checked when registered, so it is not checked again on
        every replay of a directory of millions."""
        target = object.__new__(cls)
        code, name, category, region, grade, tags, active = row
        target.__dict__.update(
            credit_code=code,
            name=name,
            category=category,
            region=region,
            risk_grade=RiskGrade(str(grade)),
            tags=frozenset(cast(list[str], tags)),
            active=active,
        )
        return target

    @classmethod
    def from_record(cls, record: dict[str, object]) -> Target:
        tags = cast(list[str], record.get("tags") or [])
        return cls(
            credit_code=str(record["credit_code"]),
            name=str(record["name"]),
            category=str(record["category"]),
            region=str(record["region"]),
            risk_grade=RiskGrade(str(record["risk_grade"])),
            tags=frozenset(str(t) for t in tags),
            active=bool(record.get("active", True)),
        )


@dataclass(frozen=True)
class Inspector:
    """执法检查人员 (or, with expert=True, 专业技术人员) of one department."""

    inspector_id: str
    name: str
    department: str
    certificate_no: str
    """执法证号: shown at the visit."""
    certificate_expiry: date
    phone: str = ""
    specialties: frozenset[str] = frozenset()
    expert: bool = False
    on_leave: bool = False
    active: bool = True
    conflicts: frozenset[str] = field(default=frozenset())
    """Credit codes of the targets he or she must recuse from (回避)."""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "inspector_id", _required(self.inspector_id, "inspector_id", "人员编号")
        )
        object.__setattr__(self, "name", _required(self.name, "name", "姓名"))
        object.__setattr__(self, "department", _required(self.department, "department", "部门"))
        if not self.expert:
            _required(self.certificate_no, "certificate_no", "执法证号")
        if not isinstance(self.certificate_expiry, date):
            raise InvalidValueError(
                "certificate_expiry", "日期（YYYY-MM-DD）", self.certificate_expiry
            )
        codes = frozenset(validate_credit_code(c, "conflicts")[0] for c in self.conflicts)
        object.__setattr__(self, "conflicts", codes)

    def eligible_on(self, day: date) -> bool:
        """In the pool of a draw on `day`: active, not on leave, holding an enforcement
        certificate still valid. Experts (专业技术人员) assist the drawn inspectors when their
        department sends them (选派专业人员协助); they are not drawn as enforcement staff."""
        return (
            self.active
            and not self.on_leave
            and not self.expert
            and bool(self.certificate_no)
            and self.certificate_expiry >= day
        )

    def as_record(self) -> dict[str, object]:
        return {
            "inspector_id": self.inspector_id,
            "name": self.name,
            "department": self.department,
            "certificate_no": self.certificate_no,
            "certificate_expiry": self.certificate_expiry.isoformat(),
            "phone": self.phone,
            "specialties": sorted(self.specialties),
            "expert": self.expert,
            "on_leave": self.on_leave,
            "active": self.active,
            "conflicts": sorted(self.conflicts),
        }

    @classmethod
    def from_record(cls, record: dict[str, object]) -> Inspector:
        def strings(key: str) -> frozenset[str]:
            values = cast(list[str], record.get(key) or [])
            return frozenset(str(v) for v in values)

        return cls(
            inspector_id=str(record["inspector_id"]),
            name=str(record["name"]),
            department=str(record["department"]),
            certificate_no=str(record["certificate_no"]),
            certificate_expiry=date.fromisoformat(str(record["certificate_expiry"])),
            phone=str(record.get("phone", "")),
            specialties=strings("specialties"),
            expert=bool(record.get("expert", False)),
            on_leave=bool(record.get("on_leave", False)),
            active=bool(record.get("active", True)),
            conflicts=strings("conflicts"),
        )


@dataclass(frozen=True)
class Recusal:
    """回避: this inspector must not inspect this target (a conflict of interest declared in the
    inspector's directory)."""

    inspector: str
    target: str
    """The target's credit code."""


@dataclass(frozen=True, init=False)
class CheckItem:
    """抽查事项: one item of a department's 随机抽查事项清单.

    `method` may be given as written (“实地核查、书面检查”) or as methods; records written before
    methods were typed hold free text, and a word the system does not know (资料查阅) is kept as
    written in `other_methods` rather than refused, so that every stored sheet still loads.
    """

    code: str
    name: str
    legal_basis: str
    methods: tuple[InspectionMethod, ...]
    """检查方式 the national system knows, in its order."""
    other_methods: tuple[str, ...]

    def __init__(
        self,
        code: str,
        name: str,
        legal_basis: str = "",
        method: str | Iterable[InspectionMethod | str] = "",
        *,
        methods: Iterable[InspectionMethod | str] = (),
        other_methods: Iterable[str] = (),
    ) -> None:
        written = [method] if isinstance(method, str) else [str(m) for m in method]
        written += [str(m) for m in (*methods, *other_methods)]
        known: set[InspectionMethod] = set()
        others: list[str] = []
        for text in written:
            found, unknown = InspectionMethod.recognise(text)
            known.update(found)
            others += [word for word in unknown if word not in others]
        object.__setattr__(self, "code", _required(code, "code", "事项编号"))
        object.__setattr__(self, "name", _required(name, "name", "事项名称"))
        object.__setattr__(self, "legal_basis", legal_basis)
        object.__setattr__(self, "methods", tuple(m for m in InspectionMethod if m in known))
        object.__setattr__(self, "other_methods", tuple(others))

    @property
    def method(self) -> str:
        """检查方式 as the tables write it: “实地核查、书面检查”."""
        return "、".join((*self.methods, *self.other_methods))

    @property
    def allows_off_site(self) -> bool:
        """Whether the item may be checked without a visit: any method but 实地核查.

        国办发〔2024〕54号 asks an on-site visit to say why an off-site check would not do, where
        the items allow one. An item whose method is unknown (older records) does not claim to.
        """
        return any(m.is_off_site for m in self.methods)

    def as_record(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "legal_basis": self.legal_basis,
            "method": self.method,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, str]) -> CheckItem:
        return cls(
            code=record["code"],
            name=record["name"],
            legal_basis=record.get("legal_basis", ""),
            method=record.get("method", ""),
        )
