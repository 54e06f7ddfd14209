"""The cells of a 抽查工作计划 table as offices type them, read into what a task definition needs.

Each reader takes the cell's text and raises `CellError` with the Chinese reason shown beside the
row and column: “不低于10%; 1次/年”, “3月-11月”, “1. …检查2. …检查”, 城区市场监管局, 全区中小学.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.directory import RiskGrade


class CellError(Exception):
    """What is wrong with one cell, in Chinese, saying what was expected."""


def _plain(text: str) -> str:
    """Full-width digits, letters and punctuation as ASCII, for matching only."""
    return unicodedata.normalize("NFKC", text).strip()


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", _plain(text))


# ---------------------------------------------------------------------------- 抽查比例及频次
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_FREQUENCY = (
    re.compile(r"(\d+)\s*次\s*/\s*(年|半年|季度|季|月)"),
    re.compile(r"每\s*(年|半年|季度|季|月)\s*(\d+)\s*次"),
)
_GRADE_WORDS = {
    "低风险": RiskGrade.A,
    "一般风险": RiskGrade.B,
    "较高风险": RiskGrade.C,
    "高风险": RiskGrade.D,
    **{f"{g.value}类": g for g in RiskGrade},
}
_BY_GRADE = re.compile(r"(较高风险|低风险|一般风险|高风险|[ABCD]类)[^\d%]*?(\d+(?:\.\d+)?)\s*%")
RATIO_EXPECTED = "抽查比例及频次，如 不低于10%; 1次/年、不低于 3% 或 100%"


@dataclass(frozen=True)
class Ratio:
    ratios: Mapping[str, str]
    """Minimum ratio per risk grade, as the decimal text the draw reads ("0.1")."""
    frequency: str | None
    """“1次/年”, or None when the cell names none."""

    @property
    def whole(self) -> bool:
        return all(value == "1" for value in self.ratios.values())


def _fraction(percent: str, text: str) -> str:
    try:
        value = Decimal(percent) / 100
    except InvalidOperation:  # pragma: no cover - the pattern only passes decimals
        raise CellError(f"应为{RATIO_EXPECTED}（收到 {text!r}）") from None
    if not 0 < value <= 1:
        raise CellError(f"比例应大于 0% 且不超过 100%（收到 {text!r}）")
    return format(value.normalize(), "f")


def ratio(text: str) -> Ratio:
    """“不低于10%; 1次/年” → 0.1 for every grade, 1次/年; “低风险3%、…、高风险10%” per grade."""
    plain = _plain(text)
    if not plain:
        raise CellError(f"不能为空，应填写{RATIO_EXPECTED}")
    frequency = None
    rest = plain
    for pattern in _FREQUENCY:
        found = pattern.search(rest)
        if found:
            number, unit = found.groups() if found.group(1).isdigit() else found.groups()[::-1]
            frequency = f"{int(number)}次/{unit}"
            rest = rest[: found.start()] + rest[found.end() :]
            break
    by_grade = {_GRADE_WORDS[word]: value for word, value in _BY_GRADE.findall(rest)}
    if len(by_grade) == len(RiskGrade):
        return Ratio({g.value: _fraction(by_grade[g], text) for g in RiskGrade}, frequency)
    percents = _PERCENT.findall(rest)
    if not percents:
        raise CellError(f"未写明抽查比例：应为{RATIO_EXPECTED}（收到 {text!r}）")
    if len(set(percents)) > 1:
        raise CellError(
            "写了多个比例：应为一个比例（如 不低于10%），或分别写明"
            f"低风险、一般风险、较高风险、高风险的比例（收到 {text!r}）"
        )
    share = _fraction(percents[0], text)
    return Ratio(dict.fromkeys((g.value for g in RiskGrade), share), frequency)


# ---------------------------------------------------------------------------- 抽查起止时间
_DASH = r"\s*(?:[-~—–−至到]+)\s*"
_MONTHS = re.compile(
    r"(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月?\s*(?:(\d{1,2})\s*日)?"
    + _DASH
    + r"(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?\s*(?:底|末|前|止)?"
)
_DAYS = re.compile(
    r"(\d{4})[./-](\d{1,2})[./-](\d{1,2})" + _DASH + r"(\d{4})[./-](\d{1,2})[./-](\d{1,2})"
)
WINDOW_EXPECTED = "抽查起止时间，如 3月-11月、3月1日-11月30日 或 2024-03-01至2024-11-30"


def window(text: str, year: int | None) -> tuple[date, date]:
    """“3月-11月” of `year` → 1 March .. 30 November: a month named as the end is done by its
    last day (the county's 11月30日前全部完成)."""
    plain = _plain(text)
    if not plain:
        raise CellError(f"不能为空，应填写{WINDOW_EXPECTED}")
    found = _DAYS.fullmatch(plain)
    if found:
        y1, m1, d1, y2, m2, d2 = (int(part) for part in found.groups())
        return _day(y1, m1, d1, text), _day(y2, m2, d2, text)
    found = _MONTHS.fullmatch(plain)
    if found is None:
        raise CellError(f"应为{WINDOW_EXPECTED}（收到 {text!r}）")
    y1_text, m1_text, d1_text, y2_text, m2_text, d2_text = found.groups()
    first_year = int(y1_text) if y1_text else (int(y2_text) if y2_text else year)
    last_year = int(y2_text) if y2_text else first_year
    if first_year is None or last_year is None:
        raise CellError(
            f"无法确定年度：计划标题应含“2024年度”，或导入时用 --year 指定（收到 {text!r}）"
        )
    end_month = int(m2_text)
    end_day = int(d2_text) if d2_text else _last_day(last_year, end_month, text)
    start = _day(first_year, int(m1_text), int(d1_text) if d1_text else 1, text)
    return start, _day(last_year, end_month, end_day, text)


def _last_day(year: int, month: int, text: str) -> int:
    if not 1 <= month <= 12:
        raise CellError(f"月份应为 1 到 12（收到 {text!r}）")
    return calendar.monthrange(year, month)[1]


def _day(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(f"应为日历上存在的日期（收到 {text!r}）") from None


# ---------------------------------------------------------------------------- 抽查事项
def numbered(text: str) -> list[str]:
    """“1. A2. B” → [A, B]: a list numbered 1, 2, 3… in order, even run together on one line as
    offices paste them; a cell not starting with 1 is one item."""
    body = text.strip()
    start = re.match(r"\s*[1１]\s*[.．、)）]\s*(?!\d)", body)
    if start is None:
        return [body] if body else []
    items, position, number = [], start.end(), 2
    while True:
        mark = re.compile(rf"(?<![\d.．]){number}\s*[.．、)）]\s*(?!\d)")
        found = mark.search(body, position)
        end = found.start() if found else len(body)
        items.append(body[position:end].strip(" \t\r\n;；,，。"))
        if found is None:
            return [item for item in items if item]
        position, number = found.end(), number + 1


# ---------------------------------------------------------------------------- 部门
class Departments:
    """Chinese names of departments → their codes: as the workbook's 部门 sheet, the import's
    --dept-name options and the names ssj knows give them, later ones yielding to earlier."""

    def __init__(self, *tables: Mapping[str, str]) -> None:
        self.names: dict[str, str] = {}
        for table in tables:
            for name, code in table.items():
                if _compact(name):
                    self.names.setdefault(_compact(name), code)
        self.codes = set(self.names.values())

    def code(self, text: str) -> str:
        """The code of the one department `text` names: exactly, by code, or as the longest
        known name inside it (晋城市城区教科局 and 城区教科局安全管理股 name 城区教科局)."""
        name = _compact(text)
        name = re.sub(r"(组织发起|牵头|发起|组织)$", "", name)
        if name in self.names:
            return self.names[name]
        if name in self.codes:
            return name
        inside = [known for known in self.names if known in name]
        if inside:
            longest = max(len(known) for known in inside)
            codes = {self.names[k] for k in inside if len(k) == longest}
            if len(codes) == 1:
                return codes.pop()
        known = "、".join(list(self.names)[:10])
        raise CellError(
            f"未知部门 {text.strip()!r}：应为已知部门的名称或代码（{known}…）；"
            "可在工作簿的「部门」表中写明 部门名称 与 部门代码，或导入时用 "
            "--dept-name 名称=代码"
        )

    def codes_of(self, text: str) -> list[str]:
        """Several departments, separated by 、 , ; or new lines."""
        return [self.code(part) for part in re.split(r"[、,，;；\n]", text) if part.strip()]

    def marked(self, item: str) -> tuple[str | None, str]:
        """An item may name its department: “（城区市场监管局）” at its end, or “城区市场监管局：” at
        its start; a bracket naming no department (“(含校服等)”) is part of the item."""
        end = re.search(r"[（(]([^（）()]+)[）)]\s*$", item)
        start = re.match(r"\s*([^:：（）()]+)[:：]", item)
        for found, rest in (
            (end, item[: end.start()] if end else ""),
            (start, item[start.end() :] if start else ""),
        ):
            if found is None:
                continue
            try:
                return self.code(found.group(1)), rest.strip()
            except CellError:
                continue
        return None, item


# ---------------------------------------------------------------------------- 抽查对象范围
@dataclass(frozen=True)
class Vocabulary:
    """What a target directory's targets are called: the words a scope can be made of."""

    directory: str
    categories: frozenset[str]
    regions: frozenset[str]
    tags: frozenset[str]


@dataclass(frozen=True)
class ScopeWords:
    category: str | None
    region: str | None
    tags: frozenset[str]


_WHOLE_AREA = re.compile(r"^(全区|全县|全市|全镇|全乡|本区|本县|本市|辖区内?|区内|县内|市内)")


def _named(words: Iterable[str], text: str) -> list[str]:
    """The words found in `text`, leaving out one found only inside a longer one found."""
    found = [word for word in words if word and word in text]
    return [w for w in found if not any(w != other and w in other for other in found)]


def scope(text: str, vocabulary: Vocabulary) -> ScopeWords:
    """“全区营利性民办幼儿园” → 类别 民办幼儿园, 标签 营利性, where the directory has those words;
    a scope names at most one category (or none, selecting by tags alone)."""
    plain = _compact(text)
    if not plain:
        raise CellError("不能为空，应填写抽查对象范围，如 全区中小学")
    plain = _WHOLE_AREA.sub("", plain)
    categories = _named(vocabulary.categories, plain)
    regions = _named(vocabulary.regions, plain)
    tags = frozenset(_named(vocabulary.tags, plain))
    if len(categories) > 1 or len(regions) > 1:
        raise CellError(
            f"对应名录库「{vocabulary.directory}」的多个类别或区域"
            f"（{'、'.join(sorted([*categories, *regions]))}）：一项任务只从一个类别中抽取，"
            "可拆为多项任务，或在「对象范围」表中写明"
        )
    if not categories and not tags:
        raise CellError(
            f"在名录库「{vocabulary.directory}」中找不到对应的类别或标签（收到 {text.strip()!r}）；"
            f"名录库现有类别：{_listed(vocabulary.categories)}；标签：{_listed(vocabulary.tags)}。"
            "请在范围中写明其中之一，或在工作簿的「对象范围」表中写明 类别、标签"
        )
    return ScopeWords(categories[0] if categories else None, regions[0] if regions else None, tags)


def _listed(words: Iterable[str]) -> str:
    return "、".join(sorted(words)) or "（无）"
