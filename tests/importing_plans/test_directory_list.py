"""`ssj directory list`: the directories, and a directory's targets a page at a time, for its
owner, the office and the auditor only; and target imports under the headers clerks use."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl

from adapters.importing import read_targets
from domain.credit_code import make_credit_code
from tests.importing_plans.conftest import DIRECTORY, SCHOOLS, ok, sample, ssj


def test_the_directories_are_listed_with_their_owner_and_size(db: Path) -> None:
    ok(ssj(db, "directory", "open", "城区校外培训机构名录库", "--owner", "market"))

    office = ok(ssj(db, "directory", "list"))
    market = ok(ssj(db, "directory", "list", "--dept", "market"))

    assert f"{DIRECTORY}\t教育局\t14 个对象（在营 14）" in office
    assert "城区校外培训机构名录库\t市场监管局\t0 个对象" in office
    assert DIRECTORY not in market and "城区校外培训机构名录库" in market


def test_a_directorys_targets_come_filtered_and_a_page_at_a_time(db: Path) -> None:
    first = ok(ssj(db, "directory", "list", DIRECTORY, "--category", "中小学", "--limit", "3"))
    assert "符合条件 8 个，共 14 个" in first
    seen = re.findall(r"^(\w{18})\t", first, flags=re.M)
    while (more := re.search(r"--after (\S+)）", first)) is not None:
        first = ok(
            ssj(
                db,
                "directory",
                "list",
                DIRECTORY,
                "--category",
                "中小学",
                "--limit",
                "3",
                "--after",
                more.group(1),
            )
        )
        seen += re.findall(r"^(\w{18})\t", first, flags=re.M)
    assert len(seen) == len(set(seen)) == 8

    buses = ok(ssj(db, "directory", "list", DIRECTORY, "--tag", "持校车", "--grade", "一般风险"))
    assert re.findall(r"\t(\S+)\t(?:中小学|民办幼儿园|公办幼儿园)\t", buses) == [
        "晋城市城区凤鸣小学",
        "晋城市城区钟家庄中心学校",
    ]
    assert "B 一般风险\t寄宿、持校车\t在营" in buses
    named = ok(
        ssj(db, "directory", "list", DIRECTORY, "--search", "幼儿园", "--region", "北街街道")
    )
    assert "符合条件 2 个" in named


def test_a_category_the_directory_lacks_is_answered_with_those_it_has(db: Path) -> None:
    out = ok(ssj(db, "directory", "list", DIRECTORY, "--category", "校外培训机构"))
    assert "符合条件 0 个" in out
    assert "现有类别：中小学、公办幼儿园、民办幼儿园" in out


def test_only_the_owner_the_office_and_the_auditor_read_a_directory(db: Path) -> None:
    refused = ssj(db, "directory", "list", DIRECTORY, "--dept", "police")
    assert refused.exit_code == 2
    assert "查看名录库" in refused.stderr
    assert "符合条件 14 个" in ok(ssj(db, "directory", "list", DIRECTORY, "--dept", "education"))
    assert "符合条件 14 个" in ok(ssj(db, "directory", "list", DIRECTORY, "--role", "auditor"))
    unknown = ssj(db, "directory", "list", "没有的名录库")
    assert unknown.exit_code == 2


def test_the_sample_directory_reads_under_a_clerks_headers() -> None:
    report = read_targets(SCHOOLS)
    assert report.ok, report.render()
    first = report.good[0]
    assert (first.name, first.category, first.region, first.risk_grade.value) == (
        "晋城市城区东街小学",
        "中小学",
        "东街街道",
        "A",
    )


def test_an_address_stands_for_the_region_only_where_there_is_none(tmp_path: Path) -> None:
    code = make_credit_code("91140502MA0000991")
    path = tmp_path / "ledger.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(["城区市场主体名录"])
    sheet.append(
        ["序号", "企业名称", "统一社会信用代码", "行业类别", "地址", "风险等级", "法定代表人"]
    )
    sheet.append(
        [1, "晋城市某某商贸有限公司", code, "批发业", "钟家庄街道凤台东街1号", "高风险", "李某"]
    )
    sheet.append([2])  # nothing but its 序号
    workbook.save(path)

    report = read_targets(path)

    assert report.ok and report.total_rows == 1, report.render()
    assert (report.good[0].region, report.good[0].risk_grade.value) == (
        "钟家庄街道凤台东街1号",
        "D",
    )
    both = tmp_path / "both.csv"
    with both.open("w", newline="", encoding="utf-8-sig") as file:
        csv.writer(file).writerows(
            [
                ["企业名称", "统一社会信用代码", "行业类别", "所属区域", "地址", "信用风险分类"],
                ["某某公司", code, "批发业", "钟家庄街道", "凤台东街1号", "低风险"],
            ]
        )
    assert read_targets(both).good[0].region == "钟家庄街道"


def test_the_committed_sample_is_what_its_script_writes(tmp_path: Path) -> None:
    plan, schools = sample.write(tmp_path)
    assert schools.read_bytes() == SCHOOLS.read_bytes()
    made, kept = (openpyxl.load_workbook(p) for p in (plan, SCHOOLS.parent / sample.PLAN))
    assert made.sheetnames == kept.sheetnames
    for name in made.sheetnames:
        rows = [list(r) for r in made[name].iter_rows(values_only=True)]
        assert rows == [list(r) for r in kept[name].iter_rows(values_only=True)], name
