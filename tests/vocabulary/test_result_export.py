"""The export of published results, from the log of an earlier version (tests/fixtures): the
published task in XLSX, CSV and JSON, read back and checked against the log's own events, the
unpublished task never in it; by the CLI, the API and the console's download."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from typer.testing import CliRunner

from adapters.bootstrap import Service, bootstrap, load_settings
from adapters.cli.main import app as cli_app
from adapters.http.app import create_app
from adapters.results_file import ExportFormat, export_bytes
from services.result_export import COLUMNS, ResultExport
from tests.services.conftest import PUBLIC

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NAMES = {"education": "教育局", "police": "公安局", "fire": "消防救援大队"}
LABELS = [label for _, label in COLUMNS]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    copy = tmp_path / "ssj.db"
    shutil.copy(FIXTURES / "log-2026-12-01.db", copy)
    return copy


@pytest.fixture
def old(db: Path) -> Iterator[Service]:
    service = bootstrap(load_settings(db=db))
    yield service
    service.close()


def logged() -> list[dict[str, Any]]:
    lines = (FIXTURES / "log-2026-12-01.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def expected() -> tuple[str, dict[tuple[str, str], str], set[str]]:
    """From the exported log alone: the published task, each (target, department)'s result as
    published and then corrected, and every task that never published."""
    log = logged()
    published = [e for e in log if e["type"] == "ResultsPublished"]
    assert len(published) == 1
    task = published[0]["aggregate_id"]
    results = {
        (entry["target"], d): c
        for entry in published[0]["fields"]["entries"]
        for d, c in entry["results"].items()
    }
    after = published[0]["position"]
    for e in log:
        if e["type"] == "ResultCorrected" and e["aggregate_id"] == task and e["position"] > after:
            results[(e["fields"]["target"], e["fields"]["department"])] = e["fields"]["category"]
    planned = {e["aggregate_id"] for e in log if e["type"] == "Planned"}
    return task, results, planned - {task}


CODES = {"未发现问题": "1", "发现问题已责令改正": "E", "发现问题待后续处理": "A"}
NATIONAL = {
    "未发现问题": "未发现问题",
    "发现问题已责令改正": "发现问题经责令已改正",
    "发现问题待后续处理": "发现问题待后续处理",
}


def check_rows(rows: list[dict[str, str]]) -> None:
    _task, results, _ = expected()
    items = {"education": {"JY-1", "JY-2"}, "police": {"GA-1"}, "fire": {"XF-1"}}
    assert {r["抽查任务"] for r in rows} == {"2023年迁安市校外培训机构跨部门联合抽查"}
    assert {r["抽查机关"] for r in rows} == {"教育局、公安局、消防救援大队"}
    assert {r["公示日期"] for r in rows} == {"2023-11-20"}
    seen: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        department = next(d for d, n in NAMES.items() if n == row["检查部门"])
        published = results[(row["统一社会信用代码"], department)]
        assert row["检查结果"] == NATIONAL[published]
        assert row["结果代码"] == CODES[published] == row["公示系统结果代码"]
        seen.setdefault((row["统一社会信用代码"], department), set()).add(row["事项编号"])
    assert set(seen) == set(results)
    assert all(codes == items[d] for (_, d), codes in seen.items())
    assert "E" in {r["结果代码"] for r in rows}  # the old stored value, decoded


def test_the_export_in_three_formats_reads_back_as_the_log_published(old: Service) -> None:
    tasks = ResultExport(old.tasks).published(PUBLIC)
    task, _results, unpublished = expected()
    assert [str(t.task_id) for t in tasks] == [task]

    text = export_bytes(tasks, ExportFormat.CSV)
    assert text.startswith(b"\xef\xbb\xbf")  # Excel opens UTF-8 with its BOM
    check_rows(list(csv.DictReader(io.StringIO(text.decode("utf-8-sig")))))

    workbook = openpyxl.load_workbook(io.BytesIO(export_bytes(tasks, ExportFormat.XLSX)))
    sheet = workbook.active
    assert sheet is not None
    table = [
        [str(c) if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert table[0] == LABELS
    check_rows([dict(zip(LABELS, row, strict=True)) for row in table[1:]])

    document = json.loads(export_bytes(tasks, ExportFormat.JSON))
    (only,) = document["tasks"]
    assert only["task_id"] == task and only["plan"]["year"] == 2023
    assert [a["name"] for a in only["authorities"]] == ["教育局", "公安局", "消防救援大队"]
    flat = [
        {
            "抽查任务": only["task"],
            "抽查机关": "、".join(a["name"] for a in only["authorities"]),
            "公示日期": only["published_on"],
            "统一社会信用代码": t["credit_code"],
            "检查部门": i["department_name"],
            "事项编号": i["item_code"],
            "检查结果": i["result"],
            "结果代码": i["result_code"],
            "公示系统结果代码": i["national_code"],
        }
        for t in only["targets"]
        for i in t["items"]
    ]
    check_rows(flat)
    for unpublished_id in unpublished:
        for blob in (text, json.dumps(document).encode()):
            assert unpublished_id.encode() not in blob
    assert ResultExport(old.tasks).published(PUBLIC, year=2022) == []


def test_an_unpublished_task_is_never_exported(old: Service) -> None:
    """The kindergarten task was drawn, never published: none of its targets is in the export,
    even those drawn by it alone."""
    log = logged()
    _, results, unpublished = expected()
    (other,) = unpublished
    drawn = {
        code
        for e in log
        if e["type"] == "TargetsDrawn" and e["aggregate_id"] == other
        for codes in e["fields"]["drawn"].values()
        for code in codes
    }
    published_targets = {t for t, _ in results}
    only_there = drawn - published_targets
    assert only_there
    blob = export_bytes(ResultExport(old.tasks).published(PUBLIC), ExportFormat.JSON).decode()
    assert not any(code in blob for code in only_there)


def test_the_cli_exports_each_format(db: Path, tmp_path: Path) -> None:
    for kind in ("csv", "json", "xlsx"):
        out = tmp_path / f"r.{kind}"
        result = CliRunner().invoke(
            cli_app,
            [
                "--db",
                str(db),
                "results",
                "export",
                "--format",
                kind,
                "-o",
                str(out),
                "--year",
                "2023",
            ],
        )
        assert result.exit_code == 0, result.output
        assert "已导出 1 项已公示任务、8 个对象" in result.stdout
    check_rows(list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text("utf-8-sig")))))
    refused = CliRunner().invoke(
        cli_app,
        ["--db", str(db), "results", "export", "--format", "pdf", "-o", str(tmp_path / "x")],
    )
    assert refused.exit_code == 2 and "--format" in refused.output


def test_the_items_cli_imports_and_lists_a_list(db: Path) -> None:
    sample = Path(__file__).resolve().parents[2] / "adapters" / "demo_data" / "items-fire.csv"
    result = CliRunner().invoke(
        cli_app, ["--db", str(db), "items", "import", str(sample), "--dept", "fire"]
    )
    assert result.exit_code == 0, result.output
    assert "新登记 4 项" in result.stdout
    listed = CliRunner().invoke(
        cli_app, ["--db", str(db), "items", "list", "--dept", "消防救援大队"]
    )
    assert listed.exit_code == 0, listed.output
    assert (
        "XF-2\t消防设施器材完好有效情况" in listed.stdout and "实地核查、检验检测" in listed.stdout
    )


async def test_the_console_and_the_api_give_the_download_to_the_public(old: Service) -> None:
    transport = httpx.ASGITransport(create_app(old))
    async with httpx.AsyncClient(transport=transport, base_url="http://ssj.test") as client:
        home = await client.get("/public")
        assert home.status_code == 200 and "/public/results/export?format=csv" in home.text
        answer = await client.get("/public/results/export", params={"format": "csv"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        check_rows(list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))))
        api = await client.get("/api/v1/results/export", params={"format": "json"})
        assert api.status_code == 200, api.text
        assert [t["task"] for t in api.json()["tasks"]] == [
            "2023年迁安市校外培训机构跨部门联合抽查"
        ]
        bad = await client.get("/api/v1/results/export", params={"format": "pdf"})
        assert bad.status_code == 422
        lists = await client.get("/public/items")
        assert lists.status_code == 200 and "尚无部门登记抽查事项清单" in lists.text
