"""`ssj enterprise …`: every inspection of an enterprise, the yearly caps and their exemptions
(国办发〔2024〕54号)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.context import AtOption, ReaderDeptOption, cli, run
from adapters.cli.words import department_code, dept, parse_at, when

if TYPE_CHECKING:
    from services.actors import Actor

enterprise_app = typer.Typer(
    rich_markup_mode=None,
    help="企业检查台账与年度检查次数上限（国办发〔2024〕54号）",
    no_args_is_help=True,
)
caps_app = typer.Typer(
    rich_markup_mode=None, help="年度检查次数上限（双随机办设定）", no_args_is_help=True
)
enterprise_app.add_typer(caps_app, name="caps")

CodeArg = Annotated[str, typer.Argument(help="统一社会信用代码")]
YearOption = Annotated[int, typer.Option("--year", help="年份，例如 2027")]


def _reader(department: str | None) -> Actor:
    return cli.reader(department, None)


@enterprise_app.command("ledger")
def ledger(code: CodeArg, department: ReaderDeptOption = None) -> None:
    """企业检查台账：该企业历年被各部门、各任务抽查的记录（抽取日期、检查日期、各部门结果、是否公示）。"""
    from services.inspection_ledger import InspectionLedgers, joint_visits_in

    reader = _reader(department)
    found = run(
        lambda: InspectionLedgers(
            cli.service.read_models, joint_visits_in(cli.service.tasks)
        ).ledger(reader, code)
    )
    typer.echo(f"企业检查台账 {found.credit_code}：共 {len(found.inspections)} 次抽查")
    for year, rows in found.by_year().items():
        per, total = found.counts(year)
        counted = "，".join(f"{dept(d)} {n} 次" for d, n in per.items())
        typer.echo(f"{year} 年：{total} 次（{counted}）")
        for row in rows:
            results = "，".join(f"{dept(d)}：{c}" for d, c in row.results.items()) or "—"
            visited = row.visited_on.isoformat() if row.visited_on else "未检查"
            published = f"已公示 {row.published_on}" if row.published_on else "未公示"
            joint = f"  联合检查 {row.joint_visit_id}（一次入户）" if row.joint_visit_id else ""
            typer.echo(
                f"  {when(row.drawn_at)} 抽取  {row.task_name}（{row.task_id}）{joint}"
                f"  部门 {'、'.join(dept(d) for d in row.departments)}"
                f"  检查 {visited}  结果 {results}  {published}"
            )


def _caps(values: list[str] | None) -> dict[str, int]:
    """`--dept education=1` (or `--dept 教育局=1`)."""
    caps: dict[str, int] = {}
    for value in values or ():
        name, _, number = value.partition("=")
        if not number.strip().isdigit():
            raise ValueError(f"--dept: 应为 部门=次数，例如 education=1（收到 {value!r}）")
        caps[department_code(name.strip())] = int(number)
    return caps


@caps_app.command("set")
def caps_set(
    year: YearOption,
    departments: Annotated[
        list[str] | None,
        typer.Option("--dept", help="部门=每年对同一企业的检查次数上限，如 education=1；可多次"),
    ] = None,
    total: Annotated[
        int | None, typer.Option("--total", help="各部门合计每年对同一企业的检查次数上限")
    ] = None,
    at: AtOption = None,
) -> None:
    """设定一年的检查次数上限（双随机办）：此后提交承诺的抽取，总体中不含已达上限的对象。"""
    from services.actors import Actor
    from services.inspection_caps import Caps

    caps = run(lambda: _caps(departments), settle=False)
    office = Actor.office()
    run(lambda: Caps(cli.service.tasks).set_caps(office, year, caps, total, at=parse_at(at)))
    shown = "，".join(f"{dept(d)} ≤ {n} 次" for d, n in caps.items())
    typer.echo(f"已设定 {year} 年检查次数上限：{shown or '—'}；合计 ≤ {total or '不限'}")


@caps_app.command("show")
def caps_show(year: Annotated[int | None, typer.Option("--year", help="年份")] = None) -> None:
    """显示一年的检查次数上限和例外。"""
    from adapters.clock import china_now
    from services.actors import Actor
    from services.inspection_caps import Caps

    chosen = year or china_now().year
    found = run(lambda: Caps(cli.service.tasks).caps(Actor.office(), chosen), settle=False)
    if found is None:
        typer.echo(f"{chosen} 年未设定检查次数上限")
        return
    per = "，".join(f"{dept(d)} ≤ {n} 次" for d, n in found.departments.items()) or "—"
    typer.echo(
        f"{chosen} 年检查次数上限（第 {found.version} 版）：{per}；合计 ≤ {found.total or '不限'}"
    )
    for e in found.exemptions:
        where = "".join(
            (
                f" 仅 {dept(e.department)}" if e.department else "",
                f" 仅任务 {e.task_id}" if e.task_id else "",
            )
        )
        typer.echo(f"  例外 {e.credit_code}{where}：{e.reason_kind}，{e.reason}")


@enterprise_app.command("exempt")
def exempt(
    code: CodeArg,
    year: YearOption,
    reason_kind: Annotated[
        str,
        typer.Option(
            "--reason-kind",
            help="例外事由类别：投诉举报 complaint、转办交办 referral、数据监测 monitoring、"
            "企业申请 enterprise_request、上级部署 superior_deployment、其他 other",
        ),
    ] = "",
    reason: Annotated[str, typer.Option("--reason", help="例外事由说明（必填）")] = "",
    department: Annotated[
        str | None, typer.Option("--dept", help="仅对该部门参与的任务（默认不限）")
    ] = None,
    task: Annotated[str | None, typer.Option("--task", help="仅对该任务（默认不限）")] = None,
    lead: Annotated[
        str | None, typer.Option("--lead", help="以该发起部门身份登记（默认以双随机办身份）")
    ] = None,
    at: AtOption = None,
) -> None:
    """登记检查上限例外：该对象在该年的抽取中不因上限被排除（须写明事由类别和说明）。"""
    from services.actors import Actor
    from services.inspection_caps import Caps

    actor = Actor.lead(department_code(lead)) if lead else Actor.office()
    task_id = run(lambda: cli.task_id(task), settle=False) if task else None
    department_given = department_code(department) if department else None
    run(
        lambda: Caps(cli.service.tasks).grant_exemption(
            actor,
            code,
            year,
            reason_kind,
            reason,
            at=parse_at(at),
            department=department_given,
            task_id=task_id,
        )
    )
    typer.echo(f"已登记 {code.upper()} {year} 年检查上限例外（{reason_kind}）：{reason}")
