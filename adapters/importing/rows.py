"""One row of a directory file, as department staff fill it in, turned into a domain value.

Staff type what their own ledgers say: 低风险 or A, 在营 or 存续（在营、开业、在册）, 2025/12/31 or
an Excel date cell. The pydantic models here accept those spellings and say in Chinese what was
expected when a cell is wrong; the domain then checks the value again as it is built, so nothing
reaches a directory that the domain itself would refuse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from domain.credit_code import validate_credit_code
from domain.directory import Inspector, RiskGrade, Target
from domain.errors import InvalidValueError

T = TypeVar("T")
V = TypeVar("V")

CELL_ERROR = "ssj_cell"
"""The pydantic error type whose message is already the Chinese reason shown to the user."""


@dataclass(frozen=True)
class Column:
    """A column the reader recognises, under its Chinese header, its field name or an alias."""

    field: str
    label: str
    """The header the sample files use, and the name shown beside the field in error lines."""
    aliases: tuple[str, ...] = ()
    required: bool = True
    fallbacks: tuple[str, ...] = ()
    """Headers taken for this column only when the sheet has none of the others (地址 for 所属区域)."""
    counts_as_content: bool = True
    """False for 序号: a row holding nothing else is blank."""


@dataclass(frozen=True)
class Sheet(Generic[T]):
    """What one kind of directory file holds and how a row of it becomes a domain value."""

    what: str
    columns: tuple[Column, ...]
    key: str
    """The field that identifies a row: it may not appear twice in one file."""
    parse: Callable[[Mapping[str, object], Mapping[str, object]], T]
    """Raises pydantic's `ValidationError` or the domain's `InvalidValueError`."""
    normalise_key: Callable[[str], str]

    @property
    def labels(self) -> dict[str, str]:
        return {column.field: column.label for column in self.columns}


def reason_of(error: InvalidValueError) -> str:
    """The domain's message without the field name, which the error line shows on its own."""
    return str(error).removeprefix(f"{error.field}: ")


def _refuse(reason: str) -> PydanticCustomError:
    return PydanticCustomError(CELL_ERROR, "{reason}", {"reason": reason})


def cell_text(value: object) -> str:
    """A cell as the text the user sees: Excel stores 13800138000 as a number, not as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[、,，;；\n]", text) if part.strip()]


def _first_word(text: str) -> str:
    # The public registry writes 存续（在营、开业、在册） and 吊销，未注销: the first word decides.
    return re.split(r"[（(，,]", text, maxsplit=1)[0].strip().lower()


def _required(expected: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = cell_text(value)
        if not text:
            raise _refuse(f"不能为空，应填写{expected}")
        return text

    return parse


def _credit_code(value: object) -> str:
    text = cell_text(value)
    if not text:
        raise _refuse("不能为空，应填写 18 位统一社会信用代码")
    try:
        return validate_credit_code(text)[0]
    except InvalidValueError as error:
        raise _refuse(reason_of(error)) from error


def _credit_codes(value: object) -> frozenset[str]:
    codes = []
    for text in _split(cell_text(value)):
        try:
            codes.append(validate_credit_code(text, "conflicts")[0])
        except InvalidValueError as error:
            # The reason quotes the bad code, so the user can find it among the others.
            raise _refuse(reason_of(error)) from error
    return frozenset(codes)


def _risk_grade(value: object) -> RiskGrade:
    text = cell_text(value)
    if not text:
        raise _refuse("不能为空，应填写 A、B、C、D 或 低风险、一般风险、较高风险、高风险")
    try:
        return RiskGrade.parse(text)
    except InvalidValueError as error:
        raise _refuse(reason_of(error)) from error


def _tags(value: object) -> frozenset[str]:
    return frozenset(_split(cell_text(value)))


def _choice(words: Mapping[str, V], expected: str, empty: V) -> Callable[[object], V]:
    def parse(value: object) -> V:
        text = cell_text(value)
        if not text:
            return empty
        word = _first_word(text)
        if word not in words:
            raise _refuse(f"应为{expected}（收到 {text!r}）")
        return words[word]

    return parse


_OPEN = {word: True for word in ("在营", "正常", "是", "true", "1", "存续", "开业", "在业", "yes")}
_CLOSED = {
    word: False for word in ("注销", "停业", "否", "false", "0", "吊销", "撤销", "歇业", "no")
}
_YES_NO = {
    **{word: True for word in ("是", "true", "1", "yes", "y", "√")},
    **{word: False for word in ("否", "false", "0", "no", "n")},
}


class Duty(StrEnum):
    """状态 of an inspector in the directory."""

    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    INACTIVE = "inactive"


_DUTY = {
    **{word: Duty.ACTIVE for word in ("在岗", "正常", "active")},
    **{word: Duty.ON_LEAVE for word in ("请假", "休假", "病假", "产假", "on_leave")},
    **{word: Duty.INACTIVE for word in ("离职", "停用", "退休", "调离", "inactive")},
}

_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
)
_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_EXPECTED = "日期，如 2025-12-31、2025/12/31 或 Excel 日期单元格"


def _date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        # A date cell whose format was cleared shows as its serial number, e.g. 46022.
        return _EXCEL_EPOCH + timedelta(days=int(value))
    text = unicodedata.normalize("NFKC", cell_text(value))
    if not text:
        raise _refuse(f"不能为空，应填写{_DATE_EXPECTED}")
    match = _DATE_TEXT.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match is None:
        raise _refuse(f"应为{_DATE_EXPECTED}（收到 {text!r}）")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise _refuse(f"应为日历上存在的日期（收到 {text!r}）") from None


Text = Annotated[str, BeforeValidator(cell_text)]
Tags = Annotated[frozenset[str], BeforeValidator(_tags)]


class TargetRow(BaseModel):
    """A row of 抽查对象名录库."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    credit_code: Annotated[str, BeforeValidator(_credit_code)]
    name: Annotated[str, BeforeValidator(_required("对象名称"))]
    category: Annotated[str, BeforeValidator(_required("对象类别，如 校外培训机构"))]
    region: Annotated[str, BeforeValidator(_required("所属区域"))]
    risk_grade: Annotated[RiskGrade, BeforeValidator(_risk_grade)]
    tags: Tags = frozenset()
    active: Annotated[
        bool,
        BeforeValidator(
            _choice({**_OPEN, **_CLOSED}, "在营、正常、是 或 注销、停业、否（留空为在营）", True)
        ),
    ] = True

    def to_target(self) -> Target:
        return Target(
            credit_code=self.credit_code,
            name=self.name,
            category=self.category,
            region=self.region,
            risk_grade=self.risk_grade,
            tags=self.tags,
            active=self.active,
        )


class InspectorRow(BaseModel):
    """A row of 执法检查人员名录库.

    The department may come from the file or from the importer (`context["department"]`); a
    department's staff import their own people, so a row naming another department is refused.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    inspector_id: Annotated[str, BeforeValidator(_required("人员编号"))]
    name: Annotated[str, BeforeValidator(_required("姓名"))]
    department: Text = Field(default="", validate_default=True)
    expert: Annotated[bool, BeforeValidator(_choice(_YES_NO, "是 或 否（留空为否）", False))] = (
        False
    )
    certificate_no: Text = Field(default="", validate_default=True)
    certificate_expiry: Annotated[date, BeforeValidator(_date)]
    phone: Text = ""
    specialties: Tags = frozenset()
    status: Annotated[
        Duty,
        BeforeValidator(
            _choice(_DUTY, "在岗、请假、休假、离职 或 停用（留空为在岗）", Duty.ACTIVE)
        ),
    ] = Duty.ACTIVE
    conflicts: Annotated[frozenset[str], BeforeValidator(_credit_codes)] = frozenset()

    @field_validator("department")
    @classmethod
    def _department_as_given(cls, value: str, info: ValidationInfo) -> str:
        given = (info.context or {}).get("department")
        if not given:
            if not value:
                raise _refuse("不能为空，应填写部门")
            return value
        if value and value != given:
            raise _refuse(f"应为导入时指定的部门 {given!r}，或留空（收到 {value!r}）")
        return str(given)

    @field_validator("certificate_no")
    @classmethod
    def _certificate_unless_expert(cls, value: str, info: ValidationInfo) -> str:
        # 专业技术人员 assist the inspection and need not hold an enforcement certificate.
        if not value and not info.data.get("expert", False):
            raise _refuse("不能为空，执法检查人员应填写执法证号（专业技术人员可留空）")
        return value

    def to_inspector(self) -> Inspector:
        return Inspector(
            inspector_id=self.inspector_id,
            name=self.name,
            department=self.department,
            certificate_no=self.certificate_no,
            certificate_expiry=self.certificate_expiry,
            phone=self.phone,
            specialties=self.specialties,
            expert=self.expert,
            on_leave=self.status is Duty.ON_LEAVE,
            active=self.status is not Duty.INACTIVE,
            conflicts=self.conflicts,
        )


def _parse_target(cells: Mapping[str, object], context: Mapping[str, object]) -> Target:
    return TargetRow.model_validate(dict(cells), context=dict(context)).to_target()


def _parse_inspector(cells: Mapping[str, object], context: Mapping[str, object]) -> Inspector:
    return InspectorRow.model_validate(dict(cells), context=dict(context)).to_inspector()


def _code_key(text: str) -> str:
    try:
        return validate_credit_code(text)[0]
    except InvalidValueError:
        return "".join(unicodedata.normalize("NFKC", text).split()).upper()


TARGETS: Sheet[Target] = Sheet(
    what="抽查对象",
    columns=(
        # The names clerks' own ledgers use (序号, 法定代表人, 联系电话… are read past).
        Column("credit_code", "统一社会信用代码", ("社会信用代码", "信用代码")),
        Column(
            "name",
            "名称",
            (
                "对象名称",
                "单位名称",
                "企业名称",
                "机构名称",
                "学校名称",
                "主体名称",
                "市场主体名称",
            ),
        ),
        Column(
            "category",
            "类别",
            ("对象类别", "对象类型", "行业类别", "单位类别", "单位类型", "机构类型", "学校类型"),
        ),
        Column(
            "region",
            "区域",
            ("所属区域", "所在区域", "所属乡镇（街道）", "所属街道"),
            fallbacks=("地址", "住所", "单位地址"),
        ),
        Column(
            "risk_grade",
            "风险等级",
            ("信用风险分类", "信用风险等级", "信用风险分类结果", "风险分类", "风险类别"),
        ),
        Column("tags", "标签", ("特征", "对象标签"), required=False),
        Column("active", "状态", ("经营状态", "登记状态"), required=False),
    ),
    key="credit_code",
    parse=_parse_target,
    normalise_key=_code_key,
)

INSPECTORS: Sheet[Inspector] = Sheet(
    what="执法检查人员",
    columns=(
        Column("inspector_id", "人员编号"),
        Column("name", "姓名"),
        Column("department", "部门", ("所属部门",)),
        Column("certificate_no", "执法证号", ("执法证编号",)),
        Column("certificate_expiry", "证件有效期", ("执法证有效期",)),
        Column("phone", "手机", ("手机号", "手机号码", "联系电话"), required=False),
        Column("specialties", "专长", required=False),
        Column("expert", "专家", ("是否专家",), required=False),
        Column("status", "状态", ("在岗状态",), required=False),
        Column("conflicts", "回避对象", required=False),
    ),
    key="inspector_id",
    parse=_parse_inspector,
    normalise_key=lambda text: unicodedata.normalize("NFKC", text).strip(),
)
