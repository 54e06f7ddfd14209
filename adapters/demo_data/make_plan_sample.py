"""Writes the sample plan workbook and the directory it draws from, as a county's office keeps
them: `python adapters/demo_data/make_plan_sample.py` (both files are committed beside it).

plan-2024-sample.xlsx holds the two tables of 晋城市城区教科局's 2024 plan (城教函字〔2024〕4号,
附件1 and 附件2) typed in as the county wrote them, the internal table's empty row 2 included,
and a 部门 sheet naming the departments' codes. schools-2024-sample.csv is a 名录库 of schools and
kindergartens under the headers a clerk's ledger has.

    ssj directory open 晋城市城区学校名录库 --owner education
    ssj directory import-targets schools-2024-sample.csv --directory 晋城市城区学校名录库
    ssj plan import plan-2024-sample.xlsx --directory 晋城市城区学校名录库 --document 城教函字〔2024〕4号
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from domain.credit_code import make_credit_code

HERE = Path(__file__).resolve().parent
PLAN = "plan-2024-sample.xlsx"
SCHOOLS = "schools-2024-sample.csv"
DIRECTORY = "晋城市城区学校名录库"

RISK = (
    "根据企业信用风险分类结果, 结合行业监管风险分类, 对低风险、一般风险、较高风险、"
    "高风险企业分别递加抽查比例、频次。"
)
JOINT_TITLE = "晋城市城区教科局2024年度部门联合双随机抽查工作计划"
JOINT_HEADER = (
    "序号",
    "抽查任务名称",
    "抽查事项",
    "抽查对象范围",
    "抽查比例及频次",
    "信用风险分类管理",
    "抽查起止时间",
    "发起部门",
    "配合部门",
)
JOINT_ROWS = (
    (
        1,
        "对中小学学校办学情况双随机抽查",
        "1. 中小学教育装备产品(含信息技术装备、校服等)检查2. 招生、办学情况的检查"
        "3. 执行政府定价、政府指导价情况、明码标价情况及其他价格行为的检查",
        "全区中小学、普通初中",
        "不低于10%; 1次/年",
        RISK,
        "3月-11月",
        "城区教科局",
        "城区市场监管局",
    ),
    (
        2,
        "对民办学校招生、办学情况的检查",
        "1. 民办教育促进法、民办教育促进法实施条例、山西省民办教育促进法实施办法"
        "2. 执行政府定价、政府指导价情况、明码标价情况及其他价格行为的检查",
        "全区营利性民办幼儿园",
        "100%; 1次/年",
        RISK,
        "3月-11月",
        "城区教科局",
        "城区市场监管局",
    ),
)
INTERNAL_TITLE = "晋城市城区教科局2024年度内部双随机抽查工作计划"
INTERNAL_HEADER = (
    "序号",
    "抽查任务名称",
    "抽查类型",
    "抽查事项",
    "抽查对象范围",
    "抽查比例及频次",
    "信用风险分类管理",
    "抽查起止时间",
    "发起主体/指导单位",
    "抽查检查主体",
)
INTERNAL_ROWS: tuple[tuple[object, ...], ...] = (
    (
        1,
        "全区各级各类学校安全抽查",
        "定向",
        "学校校车安全抽查",
        "持校车学校、幼儿园",
        "100%",
        "根据企业信用风险分类结果，对低风险、一般风险、较高风险、高风险企业分别追加比例抽查",
        "3月-11月",
        "城区教科局安全管理股 组织发起",
        "晋城市城区教科局",
    ),
    (2,),
)
DEPARTMENTS = (("部门名称", "部门代码"), ("城区教科局", "education"), ("城区市场监管局", "market"))

SCHOOL_HEADER = (
    "序号",
    "单位名称",
    "统一社会信用代码",
    "行业类别",
    "所属区域",
    "信用风险分类",
    "法定代表人",
    "联系电话",
    "标签",
)
# name, the first 17 characters of its credit code, category, region, grade, tags
SCHOOL_ROWS = (
    ("晋城市城区东街小学", "12140502MB000001", "中小学", "东街街道", "低风险", ""),
    ("晋城市城区西街小学", "12140502MB000002", "中小学", "西街街道", "低风险", ""),
    ("晋城市城区凤鸣小学", "12140502MB000003", "中小学", "南街街道", "一般风险", "持校车"),
    (
        "晋城市城区钟家庄中心学校",
        "12140502MB000004",
        "中小学",
        "钟家庄街道",
        "一般风险",
        "持校车、寄宿",
    ),
    ("晋城市城区北石店中学", "12140502MB000005", "中小学", "北石店镇", "较高风险", "持校车、寄宿"),
    ("晋城市城区矿区中学", "12140502MB000006", "中小学", "矿区街道", "低风险", ""),
    ("晋城市城区西上庄初级中学", "12140502MB000007", "中小学", "西上庄街道", "一般风险", ""),
    ("晋城市城区实验中学", "12140502MB000008", "中小学", "北街街道", "高风险", "寄宿"),
    (
        "晋城市城区小太阳幼儿园有限公司",
        "91140502MA000009",
        "民办幼儿园",
        "东街街道",
        "一般风险",
        "营利性",
    ),
    (
        "晋城市城区金色童年幼儿园有限公司",
        "91140502MA000010",
        "民办幼儿园",
        "北街街道",
        "较高风险",
        "营利性、持校车",
    ),
    (
        "晋城市城区七彩幼儿园有限公司",
        "91140502MA000011",
        "民办幼儿园",
        "钟家庄街道",
        "低风险",
        "营利性",
    ),
    ("晋城市城区博爱幼儿园", "52140502MJ000012", "民办幼儿园", "南街街道", "低风险", "非营利性"),
    ("晋城市城区第一幼儿园", "12140502MB000013", "公办幼儿园", "西街街道", "低风险", "持校车"),
    ("晋城市城区机关幼儿园", "12140502MB000014", "公办幼儿园", "北街街道", "低风险", ""),
)


def school_rows() -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [SCHOOL_HEADER]
    for n, (name, code, category, region, grade, tags) in enumerate(SCHOOL_ROWS, start=1):
        phone = f"0356-20{n:05d}"
        rows.append(
            (
                str(n),
                name,
                make_credit_code(code + "1"),
                category,
                region,
                grade,
                "王某",
                phone,
                tags,
            )
        )
    return rows


def _table(
    ws: Worksheet, above: list[str], header: tuple[str, ...], rows: Iterable[Iterable[object]]
) -> None:
    for line in above:
        ws.append([line])
        if line.endswith("计划"):  # the title, across the table as the county's is
            row = ws.max_row
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(header))
            ws.cell(row, 1).font = Font(bold=True, size=14)
            ws.cell(row, 1).alignment = Alignment(horizontal="center")
    ws.append(list(header))
    for values in rows:
        ws.append(list(values))
    for column, width in zip("ABCDEFGHIJ", (6, 24, 40, 20, 16, 30, 12, 18, 18, 18), strict=False):
        ws.column_dimensions[column].width = width


def write(directory: Path = HERE) -> tuple[Path, Path]:
    workbook = openpyxl.Workbook()
    joint = workbook.worksheets[0]
    joint.title = "附件1 部门联合抽查计划"
    _table(joint, [JOINT_TITLE], JOINT_HEADER, JOINT_ROWS)
    _table(
        workbook.create_sheet("附件2 内部抽查计划"),
        ["附件二", INTERNAL_TITLE],
        INTERNAL_HEADER,
        INTERNAL_ROWS,
    )
    departments = workbook.create_sheet("部门")
    for line in DEPARTMENTS:
        departments.append(list(line))
    # Fixed document properties: writing the sample again changes no cell nor its metadata.
    fixed = datetime(2024, 2, 20, 9, 0)
    workbook.properties.created = workbook.properties.modified = fixed
    workbook.properties.creator = workbook.properties.lastModifiedBy = "ssj"
    plan = directory / PLAN
    workbook.save(plan)
    schools = directory / SCHOOLS
    with schools.open("w", newline="", encoding="utf-8-sig") as file:
        csv.writer(file, lineterminator="\n").writerows(school_rows())
    return plan, schools


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
