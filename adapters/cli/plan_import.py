"""`ssj plan import`: a plan from the office's own workbook, registered as `ssj plan create`
registers a TOML plan (the same service, the same permissions, the same checks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import typer

from adapters.cli.context import cli, run
from adapters.cli.words import DEPARTMENTS, dept
from adapters.importing.plan_cells import Vocabulary
from adapters.importing.plan_xlsx import PlanWorkbook, read_plan_workbook
from adapters.plan_file import PlanTask
from domain.directories import TargetDirectory

OFFICIAL_NAMES = {
    # Longer official names, and what counties call their own bureaus: each found inside a
    # cell (城区教科局, 晋城市城区教科局) names the department.
    "教科局": "education",
    "教育和科学技术局": "education",
    "教育和体育局": "education",
    "教体局": "education",
    "公安分局": "police",
    "消防救援支队": "fire",
    "消防救援局": "fire",
    "市场监督管理局": "market",
    "卫生健康委员会": "health",
    "卫健委": "health",
    "卫健局": "health",
}
"""Names ssj knows besides the short ones the CLI shows (adapters/cli/words.py)."""


def known_names() -> dict[str, str]:
    return {**{label: code for code, label in DEPARTMENTS.items()}, **OFFICIAL_NAMES}


def parse_pairs(values: Sequence[str]) -> dict[str, str]:
    """--dept-name 城区教科局=education, as many times as there are names."""
    pairs = {}
    for value in values:
        name, sep, code = value.partition("=")
        if not sep or not name.strip() or not code.strip():
            raise ValueError(
                f"--dept-name: 应为 部门名称=部门代码，如 城区教科局=education（收到 {value!r}）"
            )
        pairs[name.strip()] = code.strip()
    return pairs


def vocabulary_of(directory: TargetDirectory) -> Vocabulary:
    targets = directory.targets.values()
    return Vocabulary(
        directory.name,
        frozenset(t.category for t in targets),
        frozenset(t.region for t in targets),
        frozenset(tag for t in targets for tag in t.tags),
    )


def read_workbook(
    file: Path,
    directory: str,
    department: str | None,
    names: Mapping[str, str],
    year: int | None,
    title: str | None,
    document: str,
) -> PlanWorkbook:
    """The workbook read against the directory the plan draws from, as the registering
    department reads it (as the office when none is named)."""
    from adapters.cli.words import department_code
    from services.directory_listing import readable_directory

    code = department_code(department) if department else None
    reader = cli.reader(code, None)
    found = readable_directory(cli.service.directories, reader, TargetDirectory.id_for(directory))
    return read_plan_workbook(
        file,
        vocabulary_of(found),
        names,
        known_names(),
        year=year,
        title=title,
        document=document,
        department=code,
    )


def describe(task: PlanTask) -> str:
    scope = task.scope
    parts = [f"类别 {scope.category}" if scope.category else "类别不限"]
    if scope.region:
        parts.append(f"区域 {scope.region}")
    if scope.tags:
        parts.append("标签 " + "、".join(scope.tags))
    ratio = "定向 100%" if task.directed else "不低于 " + _percent(task.ratios)
    departments = "、".join(dept(d) for d in task.cooperating)
    return (
        f"{'，'.join(parts)}；{ratio}，{task.frequency}；"
        f"{task.window[0].isoformat()} 至 {task.window[1].isoformat()}；"
        f"{dept(task.lead)}发起" + (f"，{departments}配合" if departments else "")
    )


def _percent(ratios: Mapping[str, str]) -> str:
    from decimal import Decimal

    shares = {g: f"{Decimal(r) * 100:f}".rstrip("0").rstrip(".") + "%" for g, r in ratios.items()}
    if len(set(shares.values())) == 1:
        return next(iter(shares.values()))
    return "，".join(f"{g} 类 {s}" for g, s in shares.items())


def import_plan(
    file: Path,
    directory: str,
    department: str | None,
    dept_names: Sequence[str],
    year: int | None,
    title: str | None,
    document: str,
    check: bool,
    at: str | None,
) -> None:
    names = run(lambda: parse_pairs(dept_names), settle=False)
    workbook = run(
        lambda: read_workbook(file, directory, department, names, year, title, document),
        settle=False,
    )
    if not workbook.ok:
        typer.echo(workbook.render(), err=True)
        typer.echo("计划工作簿有错误，未登记任何任务（修正后重新导入）", err=True)
        raise typer.Exit(2)
    plan = run(workbook.plan, settle=False)
    typer.echo(f"计划「{plan.title}」（{plan.year} 年度，{dept(plan.department)}）：")
    for n, task in enumerate(workbook.tasks, start=1):
        typer.echo(f"  {n}. {task.name}：{describe(task)}")
    if check:
        typer.echo("（--check：已校验，未登记）")
        return
    from adapters.cli.task_commands import register_plan_file

    register_plan_file(plan, at)
