"""What every `ssj` command shares: the settings and the service of this invocation (built on
first use, so that `ssj --help` and a read need not load what a write does), who is acting, and
one way to refuse: a clear line naming the field, exit status 2, nothing written.

The CLI acts as an actor, like every front: `--dept` names the department, and `--role` the role
where the command does not imply it (a department is the lead of a task it leads and a
cooperating department of the others; `--role inspector --inspector ID` records as one inspector).
A read without `--dept` is the coordinating office's (双随机办), or the auditor's for `ssj audit`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar
from uuid import UUID

import typer

if TYPE_CHECKING:
    from adapters.bootstrap import Service
    from adapters.settings import Settings
    from services.actors import Actor

T = TypeVar("T")

DbOption = Annotated[
    Path | None, typer.Option("--db", help="SQLite 事件库文件（默认在用户数据目录）")
]
AtOption = Annotated[
    str | None, typer.Option("--at", help="发生时间，ISO 格式，无时区按北京时间；默认现在")
]
DeptOption = Annotated[str, typer.Option("--dept", help="部门代码或名称，如 fire / 消防救援大队")]
ReaderDeptOption = Annotated[
    str | None, typer.Option("--dept", help="以该部门身份查看（默认以双随机办身份）")
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role",
        help="角色：lead 发起部门、cooperating 配合部门、inspector 执法检查人员、office 双随机办、"
        "auditor 审计、public 公众；默认由任务推断",
    ),
]
InspectorOption = Annotated[
    str | None, typer.Option("--inspector", help="以该执法检查人员身份（--role inspector）")
]
TaskArg = Annotated[str, typer.Argument(help="任务编号（完整 UUID 或其唯一前缀）")]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=1000, help="每页条数")]
AfterOption = Annotated[
    str | None, typer.Option("--after", help="续页标记：上一页末尾给出的 --after 值")
]


class Refused(Exception):
    """A refusal of the CLI's own, before any service is asked."""


class Cli:
    """Holds the settings and the service of this invocation."""

    def __init__(self) -> None:
        self.db: Path | None = None
        self._settings: Settings | None = None
        self._service: Service | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from adapters.bootstrap import load_settings

            self._settings = load_settings(db=self.db)
        return self._settings

    @property
    def service(self) -> Service:
        if self._service is None:
            from adapters.bootstrap import bootstrap

            self._service = bootstrap(self.settings)
        return self._service

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None
        self._settings = None

    # ------------------------------------------------------------------ who acts
    def reader(
        self,
        department: str | None,
        role: str | None,
        task_id: UUID | None = None,
        inspector: str | None = None,
    ) -> Actor:
        """Who reads: the office unless a department (or another role) is named."""
        from services.actors import Actor, Role

        if department is None:  # Actor names what is missing (a department for an inspector)
            return Actor(Role.parse(role) if role else Role.OFFICE, inspector=inspector)
        return self._of_department(department, role, inspector, task_id, read=True)

    def actor(
        self,
        department: str,
        role: str | None = None,
        task_id: UUID | None = None,
        inspector: str | None = None,
    ) -> Actor:
        """Who acts on a task: the department, as the task makes it unless `--role` says."""
        return self._of_department(department, role, inspector, task_id, read=False)

    def _of_department(
        self,
        department: str,
        role: str | None,
        inspector: str | None,
        task_id: UUID | None,
        read: bool,
    ) -> Actor:
        """The department's actor: an inspector when one is named, the role `--role` gives, or
        the role the task gives it (asked of the read models for a read, of the store for a
        write, which must not act on a view that lags)."""
        from adapters.cli.words import department_code
        from services.actors import Actor, Role

        code = department_code(department)
        named = Role.parse(role) if role is not None else None
        if inspector is not None or named is Role.INSPECTOR:
            return Actor(Role.INSPECTOR, code, inspector)  # without --inspector: named refusal
        if named is not None:
            return Actor(named, code)
        if task_id is not None:
            service = self.service
            of = service.queries.role_in if read else service.tasks.role_in
            return Actor(of(code, task_id), code)
        return Actor(Role.LEAD, code)

    def task_id(self, reference: str) -> UUID:
        return self.service.queries.resolve(reference)


cli = Cli()


def refusals() -> tuple[type[Exception], ...]:
    from adapters.importing import ImportFileError
    from adapters.plan_file import PlanFileError
    from adapters.postgres.urls import DatabaseSettingError
    from domain.errors import DomainError
    from services.errors import ServiceError

    return (
        DomainError,
        ServiceError,
        ImportFileError,
        PlanFileError,
        DatabaseSettingError,
        Refused,
        ValueError,
    )


def run(command: Callable[[], T], settle: bool = True) -> T:
    """Every command: one clear line on a refusal, exit status 2, and nothing written; after a
    write, the processes and read models take in what it did (the embedded default has no
    workers)."""
    try:
        result = command()
        if settle and cli._service is not None:
            cli._service.settle()
    except refusals() as error:
        typer.echo(f"错误：{error}", err=True)
        raise typer.Exit(2) from None
    return result


def echo_page_end(next_cursor: str | None) -> None:
    if next_cursor is not None:
        typer.echo(f"（还有更多，下一页：--after {next_cursor}）")
