"""`ssj user …` and `ssj key …`: who may sign in to the web console and the HTTP API.

Run by whoever runs the service (on its store: the SQLite file, or PostgreSQL). A password is
never an argument, where the shell's history and `ps` would keep it: it is typed twice at a hidden
prompt, or read from standard input with `--password-stdin` (scripts). An API key's token is shown
once, when it is made; only a digest of it is kept.
"""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.cli.context import Refused, cli, run

user_app = typer.Typer(
    rich_markup_mode=None, help="用户账号：网页与接口的登录账号", no_args_is_help=True
)
key_app = typer.Typer(
    rich_markup_mode=None, help="API 密钥：部门业务系统调用接口的凭据", no_args_is_help=True
)

KindOption = Annotated[
    str,
    typer.Option(
        "--kind",
        help="账号类型：department 部门工作人员、inspector 执法检查人员、office 双随机办、"
        "auditor 审计",
    ),
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = typer.get_text_stream("stdin").readline()
        return line.rstrip("\r\n")
    password: str = typer.prompt("密码", hide_input=True)
    again: str = typer.prompt("再次输入密码", hide_input=True)
    if password != again:
        raise Refused("password: 两次输入的密码不一致")
    return password


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名：3–32 个小写字母、数字或 _ . -")],
    kind: KindOption,
    department: Annotated[
        str | None, typer.Option("--dept", help="所属部门代码或名称（部门工作人员、执法检查人员）")
    ] = None,
    inspector: Annotated[
        str | None, typer.Option("--inspector", help="执法检查人员编号（执法检查人员账号）")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="显示名，如 张三")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读取密码（一行），供脚本使用")
    ] = False,
) -> None:
    """新建用户账号；密码至少 10 个字符，在隐藏的提示下输入两次（或 --password-stdin）。"""
    from adapters.cli.words import department_code

    password = run(lambda: _read_password(password_stdin), settle=False)
    service = cli.service
    user = run(
        lambda: service.accounts.add_user(
            username,
            password,
            kind,
            department_code(department) if department else None,
            inspector,
            name,
            at=service.clock.now(),
        ),
        settle=False,
    )
    typer.echo(f"已新建用户 {user.username}（{_who(user.kind, user.department, user.inspector)}）")


@user_app.command("list")
def user_list() -> None:
    """列出用户账号（不显示密码）。"""
    from adapters.cli.words import when

    users = run(lambda: cli.service.accounts.users(), settle=False)
    if not users:
        typer.echo("尚无用户账号（ssj user add 新建）")
        return
    for user in users:
        state = f"已停用（{when(user.disabled_at)}）" if user.disabled_at else "启用"
        typer.echo(
            f"{user.username}\t{user.display_name}\t"
            f"{_who(user.kind, user.department, user.inspector)}\t"
            f"创建于 {when(user.created_at)}\t{state}"
        )


@user_app.command("disable")
def user_disable(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """停用用户账号：立即退出登录，不能再登录（账号保留，以便追溯）。"""
    service = cli.service
    run(lambda: service.accounts.disable_user(username, at=service.clock.now()), settle=False)
    typer.echo(f"已停用用户 {username}")


@key_app.command("create")
def key_create(
    department: Annotated[str, typer.Option("--dept", help="密钥代表的部门代码或名称")],
    role: Annotated[
        str, typer.Option("--role", help="角色：lead 发起部门 或 cooperating 配合部门")
    ],
    label: Annotated[str, typer.Option("--label", help="用途说明，如 消防 OA 系统")] = "",
) -> None:
    """新建 API 密钥（限一个部门、一个角色）；密钥只显示这一次。"""
    from adapters.cli.words import department_code

    service = cli.service
    info, token = run(
        lambda: service.accounts.create_key(
            department_code(department), role, label, at=service.clock.now()
        ),
        settle=False,
    )
    # The token alone on standard output, so that a script can take it: TOKEN=$(ssj key create …)
    typer.echo(
        f"已新建 API 密钥 {info.key_id}（{_key_scope(info.department, info.role.label)}）", err=True
    )
    typer.echo(token)
    typer.echo("请立即妥善保存：该密钥不会再次显示；遗失请吊销后重新创建。", err=True)


@key_app.command("list")
def key_list() -> None:
    """列出 API 密钥（不显示密钥本身）。"""
    from adapters.cli.words import when

    keys = run(lambda: cli.service.accounts.keys(), settle=False)
    if not keys:
        typer.echo("尚无 API 密钥（ssj key create 新建）")
        return
    for key in keys:
        state = f"已吊销（{when(key.revoked_at)}）" if key.revoked_at else "有效"
        used = f"最近使用 {when(key.last_used_at)}" if key.last_used_at else "从未使用"
        typer.echo(
            f"{key.key_id}\t{_key_scope(key.department, key.role.label)}\t{key.label or '-'}\t"
            f"创建于 {when(key.created_at)}\t{used}\t{state}"
        )


@key_app.command("revoke")
def key_revoke(key_id: Annotated[str, typer.Argument(help="密钥编号（8 位）")]) -> None:
    """吊销 API 密钥：立即失效。"""
    service = cli.service
    run(lambda: service.accounts.revoke_key(key_id, at=service.clock.now()), settle=False)
    typer.echo(f"已吊销 API 密钥 {key_id}")


def _who(kind: str, department: str | None, inspector: str | None) -> str:
    from adapters.cli.words import dept
    from services.accounts import AccountKind

    label = AccountKind(kind).label
    if department is None:
        return label
    return f"{dept(department)} {label}" + (f" {inspector}" if inspector else "")


def _key_scope(department: str, role: str) -> str:
    from adapters.cli.words import dept

    return f"{dept(department)}，{role}"
