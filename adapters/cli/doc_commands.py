"""`ssj doc …`: the documents clerks print, made from the log and recorded with their SHA-256.

One command per kind of document (adapters/documents/kinds.py), each taking what its kind is
about (`--task` and `--target`, `--task`, `--plan`, `--year`), and `verify`, `check`, `list`.
Issuing the same document again from an unchanged log writes the same bytes and records nothing
new.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.context import (
    AtOption,
    InspectorOption,
    ReaderDeptOption,
    RoleOption,
    cli,
    run,
)
from adapters.cli.words import dept, parse_at, when
from adapters.documents.kinds import KINDS, Kind

if TYPE_CHECKING:
    from services.actors import Actor
    from services.documents import DocumentRecord

doc_app = typer.Typer(
    rich_markup_mode=None,
    help="文书：告知书、一企一表、各类台账与报表（由事件日志生成，可核验）",
    no_args_is_help=True,
)

SUBJECT_OPTIONS = {
    "task": ("--task", "任务编号（UUID 或其唯一前缀）"),
    "target": ("--target", "检查对象的统一社会信用代码"),
    "plan": ("--plan", "抽查工作计划编号（UUID）"),
    "year": ("--year", "年度，如 2023"),
}
OfDeptOption = Annotated[
    str | None, typer.Option("--of-dept", help="只含该部门的（部门代码或名称），如 education")
]
FormatOption = Annotated[str | None, typer.Option("--format", "-f", help="格式：pdf、docx、xlsx")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="写入的文件（默认 文书种类-核验码.格式）")
]


def _actor(department: str | None, role: str | None, inspector: str | None, task: object) -> Actor:
    from uuid import UUID

    task_id = task if isinstance(task, UUID) else None
    if department is None:
        return cli.reader(None, role, inspector=inspector)
    return cli.actor(department, role, task_id, inspector)


def _issue(
    kind: Kind,
    task: str | None,
    target: str | None,
    plan: str | None,
    year: int | None,
    of_dept: str | None,
    fmt: str | None,
    output: Path | None,
    department: str | None,
    role: str | None,
    inspector: str | None,
    at: str | None,
) -> None:
    from adapters.cli.words import department_code
    from services.documents import Subject

    def issue() -> tuple[DocumentRecord, bytes, bool, Path]:
        task_id = cli.task_id(task) if task is not None else None
        subject = Subject.from_record(
            {
                k: v
                for k, v in {
                    "task": str(task_id) if task_id else None,
                    "target": target.strip().upper() if target else None,
                    "plan": plan,
                    "year": str(year) if year is not None else None,
                    "department": department_code(of_dept) if of_dept else None,
                }.items()
                if v is not None
            }
        )
        actor = _actor(department, role, inspector, task_id)
        copy = cli.service.documents.issue(
            actor, kind.code, fmt or kind.formats[0], subject, at=parse_at(at)
        )
        path = output or Path(f"{kind.code}-{copy.record.code}.{copy.record.format}")
        path.write_bytes(copy.content)
        return copy.record, copy.content, copy.appended, path

    record, _, appended, path = run(issue)
    typer.echo(f"已出具《{record.title}》（{record.format.upper()}）：{path}")
    typer.echo(f"  核验码 {record.code}  SHA-256 {record.sha256}")
    typer.echo(f"  核验网址 {record.url}")
    if not appended:
        typer.echo("  （与此前登记的同一文书字节一致，未重复登记）")


def _register(kind: Kind) -> None:
    about = "、".join(
        {"task": "--task", "target": "--target", "plan": "--plan", "year": "--year"}[f]
        for f in kind.about.fields
    )

    def command(
        task: str | None = None,  # the four subject options: SUBJECT_OPTIONS, below
        target: str | None = None,
        plan: str | None = None,
        year: int | None = None,
        of_dept: OfDeptOption = None,
        fmt: FormatOption = None,
        output: OutputOption = None,
        department: ReaderDeptOption = None,
        role: RoleOption = None,
        inspector: InspectorOption = None,
        at: AtOption = None,
    ) -> None:
        _issue(
            kind, task, target, plan, year, of_dept, fmt, output, department, role, inspector, at
        )

    # Each kind's --help shows only what it is about; the other subject options stay accepted
    # (and refused by the service, naming the field) but hidden.
    for name, (flag, words) in SUBJECT_OPTIONS.items():
        shown = typer.Option(flag, help=words, hidden=name not in kind.about.fields)
        kind_of_value = int | None if name == "year" else str | None
        command.__annotations__[name] = Annotated[kind_of_value, shown]
    command.__doc__ = f"出具《{kind.title}》（{'、'.join(kind.formats)}；需 {about}）。"
    doc_app.command(kind.code.replace("_", "-"), help=command.__doc__)(command)


for _kind in KINDS.values():
    _register(_kind)


# ---------------------------------------------------------------------------- check and rebuild
@doc_app.command("check")
def check(
    code: Annotated[str, typer.Argument(help="文书上的核验码")],
    file: Annotated[Path | None, typer.Argument(help="要核对的文书文件")] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", help="或只给出其 SHA-256")] = None,
) -> None:
    """核对一份文书（或其 SHA-256）是否与登记的一致（任何人可核验）。"""
    from services.actors import Actor

    content = file.read_bytes() if file is not None else None
    answer = run(
        lambda: cli.service.documents.check(Actor.public(), code, content=content, sha256=sha256),
        settle=False,
    )
    if not answer.found:
        typer.echo(f"未登记核验码为 {answer.code} 的文书")
        raise typer.Exit(1)
    dated = answer.dated.date().isoformat() if answer.dated else ""
    typer.echo(
        f"《{answer.title}》 {dated} {dept(answer.department) if answer.department else '双随机办'}"
    )
    typer.echo(f"  登记的 SHA-256 {answer.sha256}")
    if answer.matches is None:
        return
    typer.echo(f"  所给文书 SHA-256 {answer.given}")
    if answer.matches:
        typer.echo("一致：与登记的文书逐字节相同")
    else:
        typer.echo("不一致：所给文书与登记的不同（可能被改动）")
        raise typer.Exit(1)


@doc_app.command("verify")
def verify(
    code: Annotated[str, typer.Argument(help="文书上的核验码")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="把重新生成的文书写入此文件")
    ] = None,
) -> None:
    """审计：按登记的记录版本从事件日志重新生成该文书，并与登记的 SHA-256 比对。"""
    from services.actors import Actor

    rebuilt = run(lambda: cli.service.documents.rebuild(Actor.auditor(), code), settle=False)
    record = rebuilt.record
    typer.echo(f"《{record.title}》（{record.format.upper()}） 核验码 {record.code}")
    for item in record.inputs:
        typer.echo(f"  据以生成：{item.what} {item.aggregate} 第 {item.version} 版")
    typer.echo(f"  登记 SHA-256  {record.sha256}")
    typer.echo(f"  重新生成      {rebuilt.sha256}")
    if output is not None:
        output.write_bytes(rebuilt.content)
    if rebuilt.matches:
        typer.echo("一致：由事件日志重新生成的文书与登记的逐字节相同")
        return
    for difference in rebuilt.differences:
        typer.echo(f"  {difference}")
    typer.echo("不一致")
    raise typer.Exit(1)


@doc_app.command("list")
def list_documents(department: ReaderDeptOption = None, role: RoleOption = None) -> None:
    """已登记的文书（双随机办、审计看全部；部门看本部门出具的）。"""
    records = run(lambda: cli.service.documents.issued(cli.reader(department, role)), settle=False)
    if not records:
        typer.echo("尚未出具文书")
    for record in records:
        who = dept(record.department) if record.department else record.by
        typer.echo(
            f"{record.code}  {record.format:<4}  {record.dated.date()}  {record.title}  "
            f"{who}  出具于 {when(record.issued_at)}"
        )
