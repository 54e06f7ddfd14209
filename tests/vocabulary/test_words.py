"""The national publicity system's words: every result category by name and by code, the old
stored values, which categories call for follow-up, the inspection methods and check items."""

from __future__ import annotations

import pytest

from domain.directory import CheckItem
from domain.errors import InvalidValueError
from domain.publicity import FollowUpMeasure, InspectionMethod, ResultCategory

R = ResultCategory

SYSTEM_CODES = {
    "1": "未发现问题",
    "A": "发现问题待后续处理",
    "2": "违反工商行政管理相关规定",
    "B": "未按规定公示应当公示的信息",
    "C": "公示信息隐瞒真实情况弄虚作假",
    "6": "通过登记的住所（经营场所）无法联系",
    "D": "违反其他工商行政管理规定行为",
    "3": "违反食品药品管理相关规定",
    "4": "违反质量技术监督相关规定",
    "5": "违反其他部门相关规定",
    "G": "违反公安部门相关规定",
    "E": "发现问题经责令已改正",
    "F": "未发现开展本次抽查涉及的经营活动",
    "7": "已关闭停业或正在组织清算",
    "8": "不配合检查情节严重",
    "9": "注销",
    "10": "被吊销",
    "11": "被撤销",
    "12": "迁出",
}
"""The code list of the provinces' result pages, as published."""


@pytest.mark.parametrize("category", list(R))
def test_every_category_parses_by_its_value_its_label_its_code_and_its_name(
    category: ResultCategory,
) -> None:
    for word in (category.value, category.label, category.code, category.name):
        assert R.parse(word) is category
        assert R(word) is category  # as a stored value folds


def test_the_codes_are_the_systems_and_ours_only_where_it_has_none() -> None:
    assert {c.code: c.label for c in R if not c.is_ours} == SYSTEM_CODES
    ours = {c.code: c.value for c in R if c.is_ours}
    assert ours == {
        "5-JY": "违反教育相关规定",
        "5-XF": "违反消防相关规定",
        "5-WJ": "违反卫生健康相关规定",
        "5-JT": "违反交通运输相关规定",
    }
    assert {c.national_code for c in R if c.is_ours} == {"5"}
    assert len({c.code for c in R}) == len(R)


def test_values_stored_by_earlier_versions_still_decode() -> None:
    assert R("发现问题已责令改正") is R.RECTIFICATION_ORDERED
    assert R("公示信息隐瞒真实情况、弄虚作假") is R.FALSE_PUBLICITY
    assert R.RECTIFICATION_ORDERED.value == "发现问题已责令改正"  # never renamed
    assert R.RECTIFICATION_ORDERED.code == "E"


def test_an_unknown_category_names_the_field_and_the_choices() -> None:
    with pytest.raises(InvalidValueError) as refused:
        R.parse("基本合格", "category")
    assert refused.value.field == "category"
    assert "E 发现问题经责令已改正" in str(refused.value)


NEEDS_FOLLOW_UP = {
    R.PENDING_FOLLOW_UP,
    R.VIOLATES_MARKET_RULES,
    R.NOT_PUBLICISED,
    R.FALSE_PUBLICITY,
    R.UNREACHABLE,
    R.VIOLATES_OTHER_MARKET_RULES,
    R.VIOLATES_FOOD_DRUG_RULES,
    R.VIOLATES_QUALITY_RULES,
    R.VIOLATES_POLICE_RULES,
    R.VIOLATES_EDUCATION_RULES,
    R.VIOLATES_FIRE_RULES,
    R.VIOLATES_HEALTH_RULES,
    R.VIOLATES_TRANSPORT_RULES,
    R.VIOLATES_OTHER_RULES,
    R.RECTIFICATION_ORDERED,
    R.NOT_COOPERATING,
}


@pytest.mark.parametrize("category", list(R))
def test_is_problem_is_right_for_every_category(category: ResultCategory) -> None:
    assert category.is_problem is (category in NEEDS_FOLLOW_UP)


def test_every_kind_leads_back_to_pending_follow_up() -> None:
    kinds = [c for c in R if c.kind_of is not None]
    assert len(kinds) == 13
    for category in kinds:
        chain = category
        while chain.kind_of is not None:
            chain = chain.kind_of
        assert chain is R.PENDING_FOLLOW_UP
    assert R.NOT_PUBLICISED.kind_of is R.VIOLATES_MARKET_RULES


def test_each_department_has_its_violation_and_others_the_other_departments() -> None:
    assert R.violation_of("education") is R.VIOLATES_EDUCATION_RULES
    assert R.violation_of("fire") is R.VIOLATES_FIRE_RULES
    assert R.violation_of("police") is R.VIOLATES_POLICE_RULES
    assert R.violation_of("market") is R.VIOLATES_MARKET_RULES
    assert R.violation_of("tobacco") is R.VIOLATES_OTHER_RULES


@pytest.mark.parametrize(
    ("word", "method"),
    [
        ("实地核查", InspectionMethod.ON_SITE),
        ("实地检查", InspectionMethod.ON_SITE),
        ("1", InspectionMethod.ON_SITE),
        ("书面检查", InspectionMethod.WRITTEN),
        ("行政部门结果或专业意见", InspectionMethod.AUTHORITY_FINDINGS),
        ("行政部门检查结果或专业意见", InspectionMethod.AUTHORITY_FINDINGS),
        ("检验检测", InspectionMethod.TESTING),
        ("网络监测", InspectionMethod.ONLINE),
        ("5", InspectionMethod.ONLINE),
        ("委托专业机构", InspectionMethod.PROFESSIONAL_BODY),
        ("委托专业机构辅助", InspectionMethod.PROFESSIONAL_BODY),
    ],
)
def test_methods_parse_by_the_names_the_lists_use(word: str, method: InspectionMethod) -> None:
    assert InspectionMethod.parse(word) is method


def test_a_new_list_names_only_the_systems_methods() -> None:
    assert InspectionMethod.parse_all("网络监测、实地核查") == (
        InspectionMethod.ON_SITE,
        InspectionMethod.ONLINE,
    )
    for bad in ("资料查阅", "", "实地核查、看看"):
        with pytest.raises(InvalidValueError) as refused:
            InspectionMethod.parse_all(bad, "methods")
        assert refused.value.field == "methods"


def test_a_check_item_types_its_methods_and_keeps_old_free_text() -> None:
    old = CheckItem.from_record(
        {"code": "JY-1", "name": "从业人员资质", "legal_basis": "", "method": "实地核查、资料查阅"}
    )
    assert old.methods == (InspectionMethod.ON_SITE,)
    assert old.other_methods == ("资料查阅",)
    assert old.as_record()["method"] == "实地核查、资料查阅"
    assert CheckItem.from_record(old.as_record()) == old
    blank = CheckItem.from_record({"code": "GA-1", "name": "单位内部治安保卫情况"})
    assert blank.methods == () and blank.method == ""


@pytest.mark.parametrize(
    ("method", "off_site"),
    [
        ("实地核查", False),
        ("", False),
        ("资料查阅", False),
        ("书面检查", True),
        ("实地核查、网络监测", True),
        ("检验检测", True),
    ],
)
def test_allows_off_site_is_any_method_but_on_site(method: str, off_site: bool) -> None:
    assert CheckItem("X-1", "事项", "", method).allows_off_site is off_site


def test_follow_up_measures_parse_by_name_and_code() -> None:
    for measure in FollowUpMeasure:
        assert FollowUpMeasure.parse(measure.value) is measure
        assert FollowUpMeasure.parse(measure.code) is measure
    assert FollowUpMeasure.parse("责令整改") is FollowUpMeasure.ORDER_RECTIFICATION
    with pytest.raises(InvalidValueError):
        FollowUpMeasure.parse("批评教育")
