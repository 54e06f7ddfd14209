"""The cells of a plan table as offices type them."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.importing.plan_cells import (
    CellError,
    Departments,
    Vocabulary,
    numbered,
    ratio,
    scope,
    window,
)


@pytest.mark.parametrize(
    ("text", "share", "frequency"),
    [
        ("不低于10%; 1次/年", "0.1", "1次/年"),
        ("不低于 3%", "0.03", None),
        ("100%", "1", None),
        ("100%; 1次/年", "1", "1次/年"),
        ("不低于２.５％，每年2次", "0.025", "2次/年"),
        ("5% 1次/半年", "0.05", "1次/半年"),
    ],
)
def test_a_ratio_is_read_as_the_decimal_the_draw_takes(
    text: str, share: str, frequency: str | None
) -> None:
    read = ratio(text)
    assert read.ratios == {"A": share, "B": share, "C": share, "D": share}
    assert read.frequency == frequency


def test_a_ratio_per_risk_grade_is_read_grade_by_grade() -> None:
    read = ratio("低风险3%、一般风险5%、较高风险8%、高风险10%；1次/年")
    assert read.ratios == {"A": "0.03", "B": "0.05", "C": "0.08", "D": "0.1"}
    assert not read.whole


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "不能为空"),
        ("1次/年", "未写明抽查比例"),
        ("不低于10%，高风险20%", "多个比例"),
        ("120%", "不超过 100%"),
        ("0%", "大于 0%"),
    ],
)
def test_a_ratio_that_cannot_be_read_says_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(CellError, match=says):
        ratio(text)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("3月-11月", date(2024, 3, 1), date(2024, 11, 30)),
        ("3月—11月", date(2024, 3, 1), date(2024, 11, 30)),
        ("3-11月", date(2024, 3, 1), date(2024, 11, 30)),
        ("2月至2月", date(2024, 2, 1), date(2024, 2, 29)),
        ("3月15日-11月20日", date(2024, 3, 15), date(2024, 11, 20)),
        ("2025年3月-11月", date(2025, 3, 1), date(2025, 11, 30)),
        ("2024-03-01至2024-11-30", date(2024, 3, 1), date(2024, 11, 30)),
    ],
)
def test_a_window_ends_on_the_last_day_of_its_end_month(text: str, start: date, end: date) -> None:
    assert window(text, 2024) == (start, end)


def test_a_window_without_a_year_asks_for_one() -> None:
    with pytest.raises(CellError, match="--year"):
        window("3月-11月", None)


@pytest.mark.parametrize("text", ["全年", "3月-13月", "2月30日-11月30日"])
def test_a_window_that_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(CellError):
        window(text, 2024)


def test_numbered_items_run_together_on_one_line_are_split_in_order() -> None:
    text = (
        "1. 中小学教育装备产品(含信息技术装备、校服等)检查2. 招生、办学情况的检查"
        "3. 执行政府定价、政府指导价情况、明码标价情况及其他价格行为的检查"
    )
    assert numbered(text) == [
        "中小学教育装备产品(含信息技术装备、校服等)检查",
        "招生、办学情况的检查",
        "执行政府定价、政府指导价情况、明码标价情况及其他价格行为的检查",
    ]


def test_numbers_inside_an_item_do_not_split_it() -> None:
    assert numbered("1、抽查比例不低于10%的检查\n2、第3.2条规定的检查") == [
        "抽查比例不低于10%的检查",
        "第3.2条规定的检查",
    ]
    assert numbered("学校校车安全抽查") == ["学校校车安全抽查"]


def test_a_department_is_known_by_a_name_inside_the_cell() -> None:
    names = Departments({"城区教科局": "education"}, {"市场监管局": "market"})
    assert names.code("城区教科局") == "education"
    assert names.code("晋城市城区教科局") == "education"
    assert names.code("城区教科局安全管理股 组织发起") == "education"
    assert names.code("城区市场监管局") == "market"
    assert names.code("market") == "market"
    assert names.codes_of("城区市场监管局、城区教科局") == ["market", "education"]
    with pytest.raises(CellError, match="--dept-name"):
        names.code("城区卫健局")


def test_earlier_names_decide_over_later_ones() -> None:
    names = Departments({"城区市场监管局": "market-cq"}, {"市场监管局": "market"})
    assert names.code("城区市场监管局") == "market-cq"


VOCABULARY = Vocabulary(
    "学校名录库",
    frozenset({"中小学", "民办幼儿园", "公办幼儿园"}),
    frozenset({"东街街道"}),
    frozenset({"持校车", "营利性", "非营利性"}),
)


def test_a_scope_is_made_of_the_directorys_own_words() -> None:
    assert scope("全区中小学、普通初中", VOCABULARY).category == "中小学"
    private = scope("全区营利性民办幼儿园", VOCABULARY)
    assert (private.category, private.tags) == ("民办幼儿园", frozenset({"营利性"}))
    buses = scope("持校车学校、幼儿园", VOCABULARY)
    assert (buses.category, buses.tags) == (None, frozenset({"持校车"}))
    assert scope("非营利性民办幼儿园", VOCABULARY).tags == frozenset({"非营利性"})
    assert scope("东街街道中小学", VOCABULARY).region == "东街街道"


def test_a_scope_the_directory_has_no_words_for_lists_what_it_has() -> None:
    with pytest.raises(CellError) as refused:
        scope("全区校外培训机构", VOCABULARY)
    assert "现有类别：中小学、公办幼儿园、民办幼儿园" in str(refused.value)
    with pytest.raises(CellError, match="多个类别"):
        scope("中小学、民办幼儿园", VOCABULARY)
