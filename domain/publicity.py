"""The words of 国家企业信用信息公示系统, where every result ends up: result categories, inspection
methods and follow-up measures, each with the code the system gives it.

Where the codes come from: the checkboxes of the provinces' 双随机抽查结果录入 pages, whose public
source (the `checkResult` and `checkType` values of the 涉企信息归集 platforms built on the national
system) lists 检查结果 as 1, A, 2–12, B–G and 核查方式 as 1–6. Where no public list gives a code
(the per-department 违反…相关规定 of departments other than 市场监管 and 公安, and the follow-up
measures), the code is ours and says so; ours never take a code the system uses.

Stored events hold the category as written when recorded (`ResultCategory.value`). A value is
never renamed: a wording of the system that differs from ours is an alias that parses, and the
system's own wording is `label`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from domain.errors import InvalidValueError


class ResultCategory(StrEnum):
    """检查结果 in the categories of 国家企业信用信息公示系统.

    发现问题待后续处理 has kinds: 违反…相关规定 per department, and under 违反工商行政管理相关规定 the
    kinds of 企业公示信息 (未按规定公示…, 隐瞒真实情况…, 无法联系, 其他). A result names the most
    precise kind it knows; its `kind_of` chain leads back to 发现问题待后续处理.
    """

    NO_PROBLEM = "未发现问题"
    PENDING_FOLLOW_UP = "发现问题待后续处理"
    VIOLATES_MARKET_RULES = "违反工商行政管理相关规定"
    NOT_PUBLICISED = "未按规定公示应当公示的信息"
    FALSE_PUBLICITY = "公示信息隐瞒真实情况、弄虚作假"
    UNREACHABLE = "通过登记的住所（经营场所）无法联系"
    VIOLATES_OTHER_MARKET_RULES = "违反其他工商行政管理规定行为"
    VIOLATES_FOOD_DRUG_RULES = "违反食品药品管理相关规定"
    VIOLATES_QUALITY_RULES = "违反质量技术监督相关规定"
    VIOLATES_POLICE_RULES = "违反公安部门相关规定"
    VIOLATES_EDUCATION_RULES = "违反教育相关规定"
    VIOLATES_FIRE_RULES = "违反消防相关规定"
    VIOLATES_HEALTH_RULES = "违反卫生健康相关规定"
    VIOLATES_TRANSPORT_RULES = "违反交通运输相关规定"
    VIOLATES_OTHER_RULES = "违反其他部门相关规定"
    RECTIFICATION_ORDERED = "发现问题已责令改正"
    """Stored with this wording since the first version; the system writes 发现问题经责令已改正."""
    NO_RELEVANT_ACTIVITY = "未发现开展本次抽查涉及的经营活动"
    CLOSED_OR_LIQUIDATING = "已关闭停业或正在组织清算"
    NOT_COOPERATING = "不配合检查情节严重"
    DEREGISTERED = "注销"
    LICENCE_REVOKED = "被吊销"
    REGISTRATION_CANCELLED = "被撤销"
    MOVED_OUT = "迁出"

    @property
    def code(self) -> str:
        """The system's code; ours (`5-XX`, a kind of 5 违反其他部门相关规定) where it gives none."""
        return _CATEGORY_CODES[self]

    @property
    def national_code(self) -> str:
        """What the system itself accepts: our own kinds go in as 5, 违反其他部门相关规定."""
        return self.code.split("-", 1)[0]

    @property
    def is_ours(self) -> bool:
        """Whether the code is ours rather than the system's."""
        return "-" in self.code

    @property
    def label(self) -> str:
        """As the system writes it."""
        return _SYSTEM_WORDING.get(self, self.value)

    @property
    def kind_of(self) -> ResultCategory | None:
        """The broader category this is a kind of (发现问题待后续处理 for every 违反…相关规定)."""
        return _KIND_OF.get(self)

    @property
    def is_problem(self) -> bool:
        """Whether the result calls for follow-up handling (后续处置), a line of the
        随机抽查后续处置工作台账.

        发现问题待后续处理 and its kinds do, and so does 不配合检查情节严重 (列入经营异常名录 or
        严重违法失信名单). 发现问题已责令改正 does too: the order to rectify (责令改正) and its
        result are what the ledger records. The states of the entity (已关闭停业…, 注销, 被吊销,
        被撤销, 迁出) and 未发现… are not problems found by the inspection.
        """
        return (
            self in (ResultCategory.PENDING_FOLLOW_UP, ResultCategory.RECTIFICATION_ORDERED)
            or self is ResultCategory.NOT_COOPERATING
            or self.kind_of is not None
        )

    @property
    def is_entity_state(self) -> bool:
        """The target could not be inspected as a going concern: closed, deregistered, moved."""
        return self in _ENTITY_STATES

    @classmethod
    def violation_of(cls, department: str) -> ResultCategory:
        """违反<department>相关规定 for a department code; 违反其他部门相关规定 when it has none."""
        return _DEPARTMENT_VIOLATIONS.get(department, cls.VIOLATES_OTHER_RULES)

    @classmethod
    def parse(cls, value: str, field: str = "category") -> ResultCategory:
        """By our wording, the system's wording, its code, or the member's name."""
        found = _lookup(value) if isinstance(value, str) else None
        if found is None:
            choices = "、".join(f"{c.code} {c.label}" for c in cls)
            raise InvalidValueError(field, f"以下之一（名称或代码）：{choices}", value)
        return found

    @classmethod
    def _missing_(cls, value: object) -> ResultCategory | None:
        # ResultCategory(stored) also reads a code or the system's wording, so that a value
        # written by another system, or by a later version, folds as the same category.
        return _lookup(value) if isinstance(value, str) else None


_R = ResultCategory
_CATEGORY_CODES: dict[ResultCategory, str] = {
    _R.NO_PROBLEM: "1",
    _R.PENDING_FOLLOW_UP: "A",
    _R.VIOLATES_MARKET_RULES: "2",
    _R.NOT_PUBLICISED: "B",
    _R.FALSE_PUBLICITY: "C",
    _R.UNREACHABLE: "6",
    _R.VIOLATES_OTHER_MARKET_RULES: "D",
    _R.VIOLATES_FOOD_DRUG_RULES: "3",
    _R.VIOLATES_QUALITY_RULES: "4",
    _R.VIOLATES_POLICE_RULES: "G",
    _R.VIOLATES_EDUCATION_RULES: "5-JY",
    _R.VIOLATES_FIRE_RULES: "5-XF",
    _R.VIOLATES_HEALTH_RULES: "5-WJ",
    _R.VIOLATES_TRANSPORT_RULES: "5-JT",
    _R.VIOLATES_OTHER_RULES: "5",
    _R.RECTIFICATION_ORDERED: "E",
    _R.NO_RELEVANT_ACTIVITY: "F",
    _R.CLOSED_OR_LIQUIDATING: "7",
    _R.NOT_COOPERATING: "8",
    _R.DEREGISTERED: "9",
    _R.LICENCE_REVOKED: "10",
    _R.REGISTRATION_CANCELLED: "11",
    _R.MOVED_OUT: "12",
}
_SYSTEM_WORDING = {
    _R.RECTIFICATION_ORDERED: "发现问题经责令已改正",
    _R.FALSE_PUBLICITY: "公示信息隐瞒真实情况弄虚作假",
}
_ALIASES = {
    "违反市场监督管理相关规定": _R.VIOLATES_MARKET_RULES,
    "违反其他市场监督管理规定行为": _R.VIOLATES_OTHER_MARKET_RULES,
    "发现问题责令改正": _R.RECTIFICATION_ORDERED,
    "已办理营业执照注销": _R.DEREGISTERED,
    "被吊销营业执照": _R.LICENCE_REVOKED,
    "被撤销登记": _R.REGISTRATION_CANCELLED,
}
_MARKET_KINDS = (
    _R.NOT_PUBLICISED,
    _R.FALSE_PUBLICITY,
    _R.UNREACHABLE,
    _R.VIOLATES_OTHER_MARKET_RULES,
)
_DEPARTMENT_VIOLATIONS = {
    "market": _R.VIOLATES_MARKET_RULES,
    "police": _R.VIOLATES_POLICE_RULES,
    "education": _R.VIOLATES_EDUCATION_RULES,
    "fire": _R.VIOLATES_FIRE_RULES,
    "health": _R.VIOLATES_HEALTH_RULES,
    "transport": _R.VIOLATES_TRANSPORT_RULES,
}
_KIND_OF: dict[ResultCategory, ResultCategory] = {
    **dict.fromkeys(_MARKET_KINDS, _R.VIOLATES_MARKET_RULES),
    **dict.fromkeys(
        (
            *_DEPARTMENT_VIOLATIONS.values(),
            _R.VIOLATES_FOOD_DRUG_RULES,
            _R.VIOLATES_QUALITY_RULES,
            _R.VIOLATES_OTHER_RULES,
        ),
        _R.PENDING_FOLLOW_UP,
    ),
}
_ENTITY_STATES = frozenset(
    (
        _R.CLOSED_OR_LIQUIDATING,
        _R.DEREGISTERED,
        _R.LICENCE_REVOKED,
        _R.REGISTRATION_CANCELLED,
        _R.MOVED_OUT,
    )
)


def _words() -> dict[str, ResultCategory]:
    words: dict[str, ResultCategory] = dict(_ALIASES)
    for category in ResultCategory:
        for word in (category.name, category.name.lower(), category.label, category.code):
            words[word] = category
    return words


_WORDS = _words()


def _lookup(value: str) -> ResultCategory | None:
    text = value.strip()
    for category in ResultCategory:
        if text == category.value:
            return category
    return _WORDS.get(text)


class InspectionMethod(StrEnum):
    """检查方式 (the system's 核查方式, codes 1–6). Every one but 实地核查 is done off site."""

    ON_SITE = "实地核查"
    WRITTEN = "书面检查"
    AUTHORITY_FINDINGS = "行政部门结果或专业意见"
    """Results of another administrative department's inspection, or a professional opinion."""
    TESTING = "检验检测"
    ONLINE = "网络监测"
    PROFESSIONAL_BODY = "委托专业机构"

    @property
    def code(self) -> str:
        return str(tuple(InspectionMethod).index(self) + 1)

    @property
    def is_off_site(self) -> bool:
        return self is not InspectionMethod.ON_SITE

    @classmethod
    def lookup(cls, value: str) -> InspectionMethod | None:
        text = value.strip()
        for method in cls:
            if text in (method.value, method.code, method.name, method.name.lower()):
                return method
        return _METHOD_ALIASES.get(text)

    @classmethod
    def parse(cls, value: str, field: str = "method") -> InspectionMethod:
        found = cls.lookup(value) if isinstance(value, str) else None
        if found is None:
            raise InvalidValueError(field, f"检查方式之一：{'、'.join(cls)}", value)
        return found

    @classmethod
    def recognise(
        cls, value: str | Iterable[str]
    ) -> tuple[tuple[InspectionMethod, ...], tuple[str, ...]]:
        """A 检查方式 as written (“实地核查、书面检查”): the methods the system knows, in its order,
        and the words it does not (kept as written, e.g. 资料查阅 in older records)."""
        words = _METHOD_SEPARATORS.split(value) if isinstance(value, str) else list(value)
        known: set[InspectionMethod] = set()
        others: list[str] = []
        for word in (w.strip() for w in words):
            if not word:
                continue
            method = cls.lookup(word)
            if method is not None:
                known.add(method)
            elif word not in others:
                others.append(word)
        return tuple(m for m in cls if m in known), tuple(others)

    @classmethod
    def parse_all(cls, value: str, field: str = "method") -> tuple[InspectionMethod, ...]:
        """A new list's 检查方式: at least one, and only the system's methods."""
        methods, others = cls.recognise(value) if isinstance(value, str) else ((), ())
        if others or not methods:
            expected = f"一种或多种检查方式（以、分隔）：{'、'.join(cls)}"
            raise InvalidValueError(field, expected, value)
        return methods


_METHOD_ALIASES = {
    "实地检查": InspectionMethod.ON_SITE,
    "现场检查": InspectionMethod.ON_SITE,
    "现场核查": InspectionMethod.ON_SITE,
    "行政部门检查结果或专业意见": InspectionMethod.AUTHORITY_FINDINGS,
    "委托专业机构辅助": InspectionMethod.PROFESSIONAL_BODY,
    "第三方专业机构": InspectionMethod.PROFESSIONAL_BODY,
}
_METHOD_SEPARATORS = re.compile(r"[、，,；;/／\s]+")


class FollowUpMeasure(StrEnum):
    """后续处置措施, as the 随机抽查后续处置工作台账 and the system's 后续处置 field name them.

    The system records measures as text (no public code list); the codes here are ours.
    """

    ORDER_RECTIFICATION = "责令改正"
    ADMINISTRATIVE_PENALTY = "行政处罚"
    TRANSFER = "移送"
    """To the case-handling body or the judiciary (移送办案机构 / 司法机关)."""
    NOTIFY = "抄告"
    """To the department whose rules were broken (违反其他部门相关规定，抄告相关部门)."""
    ABNORMAL_OPERATIONS_LIST = "列入经营异常名录"
    SERIOUS_DISHONESTY_LIST = "列入严重违法失信名单"
    INTERVIEW = "约谈"
    REFER_TO_ROUTINE_SUPERVISION = "反馈日常监管部门"
    """停止检查，反馈至日常监管部门依法依规处理."""

    @property
    def code(self) -> str:
        return f"CZ{tuple(FollowUpMeasure).index(self) + 1:02d}"

    @classmethod
    def parse(cls, value: str, field: str = "measure") -> FollowUpMeasure:
        text = value.strip() if isinstance(value, str) else ""
        for measure in cls:
            if text in (measure.value, measure.code, measure.name, measure.name.lower()):
                return measure
        found = _MEASURE_ALIASES.get(text)
        if found is None:
            raise InvalidValueError(field, f"后续处置措施之一：{'、'.join(cls)}", value)
        return found


_MEASURE_ALIASES = {
    "责令整改": FollowUpMeasure.ORDER_RECTIFICATION,
    "限期整改": FollowUpMeasure.ORDER_RECTIFICATION,
    "责令限期整改": FollowUpMeasure.ORDER_RECTIFICATION,
    "立案查处": FollowUpMeasure.ADMINISTRATIVE_PENALTY,
    "移送司法机关": FollowUpMeasure.TRANSFER,
    "移送办案机构": FollowUpMeasure.TRANSFER,
    "抄告相关部门": FollowUpMeasure.NOTIFY,
}
