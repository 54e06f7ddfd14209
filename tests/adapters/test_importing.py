"""Importing 名录库 files as department staff keep them: CSV from Excel, or .xlsx."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from adapters.importing import (
    HeaderError,
    ImportFileError,
    RowError,
    UnreadableFileError,
    UnsupportedFileTypeError,
    read_inspectors,
    read_targets,
)
from domain.credit_code import make_credit_code
from domain.directory import Inspector, RiskGrade, Target

DEMO_DATA = Path(__file__).resolve().parents[2] / "adapters" / "demo_data"

CODE_1 = make_credit_code("52330106MJ0000001")
CODE_2 = make_credit_code("91330106MA2B3C4D5")
CODE_3 = make_credit_code("12330100470000001")

TARGET_HEADER = ("统一社会信用代码", "名称", "类别", "区域", "风险等级", "标签", "状态")
INSPECTOR_HEADER = (
    "人员编号",
    "姓名",
    "部门",
    "执法证号",
    "证件有效期",
    "手机",
    "专长",
    "专家",
    "状态",
    "回避对象",
)


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as file:
        csv.writer(file).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def wrong_check_character(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


# Targets


def test_a_good_target_csv_becomes_targets(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [
            TARGET_HEADER,
            (
                CODE_1,
                "启明星培训学校",
                "校外培训机构",
                "东城街道",
                "低风险",
                "持校车、寄宿",
                "在营",
            ),
            (CODE_2, "阳光幼儿园", "幼儿园", "南山镇", "D", "", "注销"),
        ],
    )

    report = read_targets(path)

    assert report.ok
    assert report.total_rows == 2
    assert report.good == (
        Target(
            CODE_1,
            "启明星培训学校",
            "校外培训机构",
            "东城街道",
            RiskGrade.A,
            frozenset({"持校车", "寄宿"}),
            True,
        ),
        Target(CODE_2, "阳光幼儿园", "幼儿园", "南山镇", RiskGrade.D, frozenset(), False),
    )


def test_a_good_target_workbook_becomes_the_same_targets_as_the_csv(tmp_path: Path) -> None:
    rows = [
        TARGET_HEADER,
        (CODE_1, "启明星培训学校", "校外培训机构", "东城街道", "较高风险", "持校车;寄宿", "是"),
        (CODE_2, "阳光幼儿园", "幼儿园", "南山镇", "b", None, None),
    ]

    from_xlsx = read_targets(write_xlsx(tmp_path / "targets.xlsx", rows))
    from_csv = read_targets(write_csv(tmp_path / "targets.csv", rows))

    assert from_xlsx.ok
    assert from_xlsx.good == from_csv.good
    assert [t.risk_grade for t in from_xlsx.good] == [RiskGrade.C, RiskGrade.B]
    assert from_xlsx.good[0].tags == {"持校车", "寄宿"}
    assert from_xlsx.good[1].active


def test_tags_may_be_separated_by_any_punctuation_staff_type(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [TARGET_HEADER, (CODE_1, "甲", "幼儿园", "东城", "A", "持校车、寄宿,食堂;泳池；午托", "")],
    )

    assert read_targets(path).good[0].tags == {"持校车", "寄宿", "食堂", "泳池", "午托"}


def test_english_field_names_work_as_headers_in_any_order(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [
            (" name ", "credit_code", "region", "category", "risk_grade", "备注"),
            ("甲", CODE_1, "东城", "幼儿园", "C", "不会被读取"),
        ],
    )

    report = read_targets(path)

    assert report.ok
    assert report.good[0] == Target(CODE_1, "甲", "幼儿园", "东城", RiskGrade.C)


def test_a_title_row_above_the_header_keeps_the_real_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "targets.xlsx",
        [
            ("某某县教育局抽查对象名录库",),
            TARGET_HEADER,
            (CODE_1, "甲", "幼儿园", "东城", "A"),
            (CODE_2, "", "幼儿园", "东城", "A"),
        ],
    )

    report = read_targets(path)

    assert len(report.good) == 1
    assert report.errors == (RowError(4, "name", "不能为空，应填写对象名称"),)


def test_blank_rows_are_skipped_without_errors_or_renumbering(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [
            TARGET_HEADER,
            (CODE_1, "甲", "幼儿园", "东城", "A"),
            ("", "", "", "", "", "", ""),
            (),
            (CODE_2, "乙", "幼儿园", "东城", "E"),
        ],
    )

    report = read_targets(path)

    assert report.total_rows == 2
    assert [e.row for e in report.errors] == [5]


def test_every_bad_row_is_reported_with_its_row_field_and_what_was_expected(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [
            TARGET_HEADER,
            (CODE_1, "甲", "幼儿园", "东城", "A"),  # row 2: good
            (wrong_check_character(CODE_2), "乙", "幼儿园", "东城", "A"),  # row 3
            (CODE_3, "丙", "幼儿园", "东城", "极高风险"),  # row 4
            (make_credit_code("91330106MA2B3C4D6"), "", "幼儿园", "东城", "B"),  # row 5
            (CODE_1, "甲分校", "幼儿园", "西城", "A"),  # row 6: duplicate of row 2
            (make_credit_code("91330106MA2B3C4D7"), "丁", "幼儿园", "东城", "B", "", "歇着"),
        ],
    )

    report = read_targets(path)

    assert not report.ok
    assert report.total_rows == 6
    assert [t.credit_code for t in report.good] == [CODE_1]
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "credit_code"),
        (4, "risk_grade"),
        (5, "name"),
        (6, "credit_code"),
        (7, "active"),
    ]
    check, grade, name, duplicate, status = report.errors
    assert f"第 18 位应为 {CODE_2[17]}" in check.reason
    assert "A、B、C、D" in grade.reason and "极高风险" in grade.reason
    assert "对象名称" in name.reason
    assert "第 2 行" in duplicate.reason
    assert "在营" in status.reason and "歇着" in status.reason


def test_every_bad_field_of_a_row_is_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "targets.csv", [TARGET_HEADER, ("12345", "", "幼儿园", "", "Z")])

    errors = read_targets(path).errors

    assert [(e.row, e.field) for e in errors] == [
        (2, "credit_code"),
        (2, "name"),
        (2, "region"),
        (2, "risk_grade"),
    ]


def test_the_rendered_report_names_the_row_the_column_and_the_reason(tmp_path: Path) -> None:
    bad = wrong_check_character(CODE_2)
    path = write_csv(
        tmp_path / "targets.csv",
        [TARGET_HEADER, (CODE_1, "甲", "幼儿园", "东城", "A"), (bad, "乙", "幼儿园", "东城", "A")],
    )

    lines = read_targets(path).render().splitlines()

    assert lines[0] == "共 2 行数据：1 行有效，1 行有错误（1 处）。"
    assert lines[1].startswith("第 3 行 credit_code（统一社会信用代码）：")
    assert f"第 18 位应为 {CODE_2[17]}" in lines[1] and bad in lines[1]


def test_a_gb18030_csv_saved_by_excel_in_china_is_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [TARGET_HEADER, (CODE_1, "启明星培训学校", "校外培训机构", "东城街道", "高风险")],
        encoding="gb18030",
    )
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    report = read_targets(path)

    assert report.ok
    assert report.good[0].name == "启明星培训学校"
    assert report.good[0].risk_grade is RiskGrade.D


def test_a_csv_without_bom_is_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [TARGET_HEADER, (CODE_1, "甲", "幼儿园", "东城", "A")],
        encoding="utf-8",
    )

    assert read_targets(path).ok


def test_an_unknown_suffix_is_refused_naming_the_path_and_accepted_suffixes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "名录.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")

    with pytest.raises(UnsupportedFileTypeError) as raised:
        read_targets(path)

    message = str(raised.value)
    assert str(path) in message and ".csv" in message and ".xlsx" in message
    assert isinstance(raised.value, ImportFileError)


def test_a_missing_required_column_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "targets.csv",
        [("统一社会信用代码", "名称", "类别", "标签"), (CODE_1, "甲", "幼儿园", "")],
    )

    with pytest.raises(HeaderError) as raised:
        read_targets(path)

    assert raised.value.missing == ("region", "risk_grade")
    assert "区域" in str(raised.value) and "风险等级" in str(raised.value)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_bytes(b"")

    with pytest.raises(HeaderError, match="空"):
        read_targets(path)


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "targets.csv", [(*TARGET_HEADER, "name"), ()])

    with pytest.raises(HeaderError, match="名称"):
        read_targets(path)


def test_a_file_that_is_not_really_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "targets.xlsx"
    path.write_text("统一社会信用代码,名称\n", encoding="utf-8")

    with pytest.raises(UnreadableFileError, match=r"\.xlsx"):
        read_targets(path)


def test_a_workbook_exported_without_default_styles_is_read(tmp_path: Path) -> None:
    # Systems that export 名录 often omit the styles Excel writes; openpyxl warns and carries on.
    plain = write_xlsx(
        tmp_path / "plain.xlsx", [TARGET_HEADER, (CODE_1, "甲", "幼儿园", "东城", "A")]
    )
    path = tmp_path / "exported.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                data = re.sub(rb"<cellStyles.*?</cellStyles>", b"", data)
            target.writestr(item, data)

    report = read_targets(path)

    assert report.ok
    assert report.good[0].credit_code == CODE_1


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="找不到"):
        read_targets(tmp_path / "nowhere.csv")


# Inspectors


def inspector_rows() -> list[tuple[object, ...]]:
    return [
        INSPECTOR_HEADER,
        ("JY001", "张伟", "education", "33010600001", "2027-06-30", "13800000001",
         "校外培训、消防", "否", "在岗", ""),
        ("JY002", "李娜", "education", "33010600002", "2026/12/31", "13800000002",
         "", "", "请假", f"{CODE_1}、{CODE_2}"),
        ("ZJ001", "陈静", "education", "", "2028-1-5", "", "食品安全", "是", "离职", ""),
    ]  # fmt: skip


EXPECTED_INSPECTORS = (
    Inspector(
        "JY001",
        "张伟",
        "education",
        "33010600001",
        date(2027, 6, 30),
        phone="13800000001",
        specialties=frozenset({"校外培训", "消防"}),
    ),
    Inspector(
        "JY002",
        "李娜",
        "education",
        "33010600002",
        date(2026, 12, 31),
        phone="13800000002",
        on_leave=True,
        conflicts=frozenset({CODE_1, CODE_2}),
    ),
    Inspector(
        "ZJ001",
        "陈静",
        "education",
        "",
        date(2028, 1, 5),
        specialties=frozenset({"食品安全"}),
        expert=True,
        active=False,
    ),
)


def test_a_good_inspector_csv_becomes_inspectors(tmp_path: Path) -> None:
    report = read_inspectors(write_csv(tmp_path / "inspectors.csv", inspector_rows()))

    assert report.ok
    assert report.good == EXPECTED_INSPECTORS


def test_a_good_inspector_workbook_with_date_and_number_cells_becomes_inspectors(
    tmp_path: Path,
) -> None:
    rows = inspector_rows()
    rows[1] = (*rows[1][:4], date(2027, 6, 30), 13800000001, *rows[1][6:])
    rows[2] = (*rows[2][:4], datetime(2026, 12, 31), 13800000002, *rows[2][6:])

    report = read_inspectors(write_xlsx(tmp_path / "inspectors.xlsx", rows))

    assert report.ok, report.render()
    assert report.good == EXPECTED_INSPECTORS


def test_the_department_may_be_given_instead_of_a_column(tmp_path: Path) -> None:
    rows = [(r[:2] + r[3:]) for r in inspector_rows()]
    path = write_csv(tmp_path / "inspectors.csv", rows)

    report = read_inspectors(path, department="education")

    assert report.good == EXPECTED_INSPECTORS


def test_without_a_department_a_file_needs_the_department_column(tmp_path: Path) -> None:
    rows = [(r[:2] + r[3:]) for r in inspector_rows()]
    path = write_csv(tmp_path / "inspectors.csv", rows)

    with pytest.raises(HeaderError) as raised:
        read_inspectors(path)

    assert raised.value.missing == ("department",)


def test_a_row_of_another_department_than_the_one_given_is_an_error(tmp_path: Path) -> None:
    rows = inspector_rows()
    rows[2] = (rows[2][0], rows[2][1], "market", *rows[2][3:])
    rows[3] = (rows[3][0], rows[3][1], "", *rows[3][3:])

    report = read_inspectors(write_csv(tmp_path / "i.csv", rows), department="education")

    assert [(e.row, e.field) for e in report.errors] == [(3, "department")]
    assert "education" in report.errors[0].reason and "market" in report.errors[0].reason
    assert [i.inspector_id for i in report.good] == ["JY001", "ZJ001"]


def test_english_inspector_headers_are_accepted(tmp_path: Path) -> None:
    header = (
        "inspector_id",
        "name",
        "department",
        "certificate_no",
        "certificate_expiry",
        "phone",
        "specialties",
        "expert",
        "status",
        "conflicts",
    )
    rows = [header, *inspector_rows()[1:]]

    report = read_inspectors(write_csv(tmp_path / "inspectors.csv", rows))

    assert report.good == EXPECTED_INSPECTORS


def test_bad_inspector_rows_are_each_reported(tmp_path: Path) -> None:
    rows = [
        INSPECTOR_HEADER,
        ("JY001", "张伟", "education", "C1", "2027-06-30"),  # row 2: good
        ("JY002", "李娜", "education", "C2", "2026-13-01"),  # row 3
        ("JY003", "王芳", "education", "C3", "明年年底"),  # row 4
        ("JY001", "刘洋", "education", "C4", "2027-01-01"),  # row 5: duplicate of row 2
        ("JY005", "赵磊", "education", "", "2027-01-01"),  # row 6: no certificate
        ("JY006", "孙丽", "education", "C6", "2027-01-01", "", "", "不知道", "出差"),  # row 7
        ("JY007", "周杰", "education", "C7", "2027-01-01", "", "", "", "", "ABC"),  # row 8
    ]

    report = read_inspectors(write_csv(tmp_path / "inspectors.csv", rows))

    assert [i.inspector_id for i in report.good] == ["JY001"]
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "certificate_expiry"),
        (4, "certificate_expiry"),
        (5, "inspector_id"),
        (6, "certificate_no"),
        (7, "expert"),
        (7, "status"),
        (8, "conflicts"),
    ]
    reasons = [e.reason for e in report.errors]
    assert "日期" in reasons[0] and "2026-13-01" in reasons[0]
    assert "2025-12-31" in reasons[1] and "明年年底" in reasons[1]
    assert "第 2 行" in reasons[2]
    assert "执法证号" in reasons[3]
    assert "是 或 否" in reasons[4]
    assert "在岗" in reasons[5] and "出差" in reasons[5]
    assert "ABC" in reasons[6]
    assert "第 8 行 conflicts（回避对象）：" in report.render()


def test_a_date_cell_shown_as_its_serial_number_is_read_as_a_date(tmp_path: Path) -> None:
    rows = [INSPECTOR_HEADER, ("JY001", "张伟", "education", "C1", 46022)]

    report = read_inspectors(write_xlsx(tmp_path / "inspectors.xlsx", rows))

    assert report.good[0].certificate_expiry == date(2025, 12, 31)


# The sample files shipped for users


def test_the_sample_target_file_imports_cleanly() -> None:
    report = read_targets(DEMO_DATA / "targets-sample.csv")

    assert report.ok, report.render()
    assert report.total_rows == len(report.good) >= 5


def test_the_sample_inspector_file_imports_cleanly() -> None:
    report = read_inspectors(DEMO_DATA / "inspectors-sample.csv")

    assert report.ok, report.render()
    assert report.total_rows == len(report.good) >= 5
