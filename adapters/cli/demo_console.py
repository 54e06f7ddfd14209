"""`make demo`'s second half: after `ssj demo` has run 迁安市's joint inspection to its close, the
same store gets what a person needs to try the web console: one account per role of the demo,
and a second task of the same plan kind, registered today and still to be committed and drawn,
so that the lead has work in its inbox and the cooperating departments see the dispatch arrive.

The passwords are drawn at random on every run and printed once: the demo store is a throwaway
file and the console listens on the loopback address only.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import typer

from adapters.cli.context import cli, run
from adapters.cli.demo import DIRECTORY, EDUCATION
from adapters.cli.demo_data import ITEMS
from adapters.cli.words import dept
from domain.directories import TargetDirectory
from domain.task_definition import TaskDefinition
from domain.values import Scope, local_day
from services.accounts import AccountKind

if TYPE_CHECKING:
    from adapters.bootstrap import Service


def demo_then_serve(secret: str | None, db: Path | None) -> None:
    """`ssj demo --serve` (`make demo`): the demo, then the console on its store."""
    from adapters.cli.demo import run_demo
    from adapters.cli.serve_commands import serve

    if db is None and cli.settings.database_url is None:
        db = Path(tempfile.mkdtemp(prefix="ssj-demo-")) / "ssj.db"
    if not run(lambda: run_demo(cli.settings, secret, db), settle=False):
        raise typer.Exit(1)
    cli.close()
    cli.db = db
    accounts, _ = run(lambda: prepare_console(cli.service))
    say = typer.echo
    say("\n网页控制台演示账号（密码每次随机生成，仅本次显示）：")
    for account in accounts:
        say(f"  {account.who:<14}  用户名 {account.username:<10}  密码 {account.password}")
    say("公众页面无需登录：http://127.0.0.1:8000/public")
    say("另有一个刚登记的任务，待教育局在控制台提交种子承诺并抽取；公安、消防随后会收到派发。\n")
    serve(host="127.0.0.1", port=8000, db=None)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    who: str
    """What the account sees, in the words of the console."""


ACCOUNTS = (
    ("education", AccountKind.DEPARTMENT, "education", "教育局（发起部门）"),
    ("police", AccountKind.DEPARTMENT, "police", "公安局（配合部门）"),
    ("fire", AccountKind.DEPARTMENT, "fire", "消防救援大队（配合部门）"),
    ("office", AccountKind.OFFICE, None, "双随机办"),
    ("auditor", AccountKind.AUDITOR, None, "审计"),
)


def prepare_console(service: Service) -> tuple[list[DemoAccount], UUID]:
    """The demo accounts, and the open task the console's lead starts from."""
    now = service.clock.now()
    made = []
    for username, kind, department, who in ACCOUNTS:
        password = secrets.token_urlsafe(12)
        name = dept(department) if department else who
        service.accounts.add_user(username, password, kind, department, display_name=name, at=now)
        made.append(DemoAccount(username, password, who))
    return made, _open_task(service)


def _open_task(service: Service) -> UUID:
    today = local_day(service.clock.now())
    end = date(today.year, 12, 31)
    definition = TaskDefinition(
        name=f"{today.year}年迁安市校外培训机构跨部门联合抽查（控制台演示）",
        lead="education",
        cooperating=("police", "fire"),
        items=ITEMS,
        directory_id=TargetDirectory.id_for(DIRECTORY),
        scope=Scope(category="校外培训机构"),
        ratios=dict.fromkeys("ABCD", "0.03"),
        directed=False,
        window_start=today,
        window_end=end,
    )
    plan = service.tasks.register_plan(
        EDUCATION,
        today.year,
        f"{today.year}年度跨部门“双随机”联合抽查工作计划（控制台演示）",
        [definition],
        at=service.clock.now(),
        document="演示文件",
    )
    service.settle()
    return plan.task_ids[0]
