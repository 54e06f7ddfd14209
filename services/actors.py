"""Who asks: every command and query of the service is made by an actor, a department in a role.

The roles are those of DESIGN.md (Security). A department's staff act as its lead or as a
cooperating department of a task; an inspector records findings on the targets assigned to his or
her group; the coordinating office (双随机办) oversees; the auditor reads everything; the public
reads what was published. The service's own processes (dispatch, the deadline watch) act as the
service, a role no front can claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidValueError
from domain.values import department_code


class Role(StrEnum):
    LEAD = "lead"
    COOPERATING = "cooperating"
    OFFICE = "office"
    AUDITOR = "auditor"
    INSPECTOR = "inspector"
    PUBLIC = "public"
    SERVICE = "service"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, value: str, field: str = "role") -> Role:
        """A role a person or a department's system may claim (never the service's own)."""
        for role in cls:
            if role is not cls.SERVICE and value in (role.value, role.label):
                return role
        choices = "、".join(f"{r.value}（{r.label}）" for r in cls if r is not cls.SERVICE)
        raise InvalidValueError(field, f"以下角色之一：{choices}", value)


_LABELS = {
    Role.LEAD: "发起部门",
    Role.COOPERATING: "配合部门",
    Role.OFFICE: "双随机办",
    Role.AUDITOR: "审计",
    Role.INSPECTOR: "执法检查人员",
    Role.PUBLIC: "公众",
    Role.SERVICE: "系统自动流程",
}

DEPARTMENT_ROLES = frozenset({Role.LEAD, Role.COOPERATING, Role.INSPECTOR})
"""The roles that speak for one department."""


@dataclass(frozen=True)
class Actor:
    role: Role
    department: str | None = None
    """The department it speaks for: required for lead, cooperating and inspector."""
    inspector: str | None = None
    """The inspector's id in the department's directory (role inspector)."""

    def __post_init__(self) -> None:
        if self.role in DEPARTMENT_ROLES:
            if self.department is None:
                raise InvalidValueError("department", f"{self.role.label}所属部门的代码", None)
            object.__setattr__(self, "department", department_code(self.department))
        elif self.department is not None:
            raise InvalidValueError("department", f"不填（{self.role.label}不代表某一部门）", None)
        if (self.role is Role.INSPECTOR) != (self.inspector is not None):
            expected = (
                "执法检查人员编号" if self.role is Role.INSPECTOR else "不填（仅执法检查人员）"
            )
            raise InvalidValueError("inspector", expected, self.inspector)

    @classmethod
    def lead(cls, department: str) -> Actor:
        return cls(Role.LEAD, department)

    @classmethod
    def cooperating(cls, department: str) -> Actor:
        return cls(Role.COOPERATING, department)

    @classmethod
    def of_inspector(cls, department: str, inspector: str) -> Actor:
        return cls(Role.INSPECTOR, department, inspector)

    @classmethod
    def office(cls) -> Actor:
        return cls(Role.OFFICE)

    @classmethod
    def auditor(cls) -> Actor:
        return cls(Role.AUDITOR)

    @classmethod
    def public(cls) -> Actor:
        return cls(Role.PUBLIC)

    @property
    def speaks_for(self) -> str:
        """The department, for the commands whose department is who asks."""
        if self.department is None:
            raise InvalidValueError("department", "代表某一部门的角色（发起部门、配合部门）", None)
        return self.department

    def __str__(self) -> str:
        who = self.role.label
        if self.department:
            who = f"{self.department}（{who}）"
        return f"{who} {self.inspector}" if self.inspector else who


SERVICE = Actor(Role.SERVICE)
"""The service's own processes: dispatch after a draw, the deadline watch."""
