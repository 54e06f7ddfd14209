"""`ssj`: run 双随机、一公开 inspections from the command line, on the event store (embedded
SQLite, or PostgreSQL), and over the NATS bus (`ssj bus`, `ssj office`, `ssj worker`: cli/bus.py;
`ssj dept`: cli/dept_commands.py).

Each command module imports what its work needs when it runs, so that `ssj --help` loads
nothing but the commands' names."""

from __future__ import annotations

import atexit

import typer

from adapters.cli.account_commands import key_app, user_app
from adapters.cli.audit_commands import audit_app, db_app
from adapters.cli.bus import bus_app, office_app, worker
from adapters.cli.calendar_commands import calendar_app
from adapters.cli.context import DbOption, cli, run
from adapters.cli.dept_commands import dept_app
from adapters.cli.directory_commands import directory_app
from adapters.cli.doc_commands import doc_app
from adapters.cli.inspection_commands import enterprise_app
from adapters.cli.item_commands import item_app
from adapters.cli.results_commands import results_app
from adapters.cli.serve_commands import serve
from adapters.cli.task_commands import plan_app, task_app
from adapters.cli.view_commands import register_views
from adapters.cli.visit_commands import visit_app

app = typer.Typer(
    rich_markup_mode=None,
    help="双随机、一公开 跨部门联合抽查（事件溯源）",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(directory_app, name="directory")
app.add_typer(plan_app, name="plan")
app.add_typer(task_app, name="task")
app.add_typer(calendar_app, name="calendar")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(bus_app, name="bus")
app.add_typer(dept_app, name="dept")
app.add_typer(office_app, name="office")
app.command("worker")(worker)
app.command("serve")(serve)
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")
app.add_typer(doc_app, name="doc")
app.add_typer(item_app, name="items")
app.add_typer(results_app, name="results")
app.add_typer(enterprise_app, name="enterprise")
app.add_typer(visit_app, name="visit")
register_views(app, task_app)
atexit.register(cli.close)


@app.callback()
def main_options(db: DbOption = None) -> None:
    cli.close()  # each invocation opens its own --db, never the one of an earlier call
    cli.db = db


@app.command()
def demo(
    db: DbOption = None,
    secret: str | None = typer.Option(None, help="演示用密钥（64 位十六进制）；默认随机生成"),
    then_serve: bool = typer.Option(
        False,
        "--serve",
        help="演示结束后在同一事件库上启动网页控制台（http://127.0.0.1:8000），并列出演示账号",
    ),
) -> None:
    """演示：迁安市 2023 年校外培训机构跨部门联合抽查，全程无需服务器。"""
    from adapters.cli.demo import run_demo

    if then_serve:
        from adapters.cli.demo_console import demo_then_serve

        demo_then_serve(secret, db or cli.db)
        return
    ok = run(lambda: run_demo(cli.settings, secret, db or cli.db), settle=False)
    raise typer.Exit(0 if ok else 1)


def main() -> None:
    app()
