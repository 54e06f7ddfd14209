"""`ssj audit verify` and `ssj audit checkpoint`: what the auditor runs, and what the office
publishes.

`verify` reads the raw log row by row (services/integrity.py), re-runs every draw of the tasks it
found there (services/verification.py) and, on PostgreSQL, recomputes the audit chain against
every checkpoint: those the database keeps and those published outside it (`--checkpoint`,
adapters/postgres/chain.py).
Every damage found is printed, each with its position; the exit status is 1 if there is any.
A damaged log is what the auditor is for: it never stops at the first damage, and never ends in a
traceback.

The auditor uses the applications alone, never the processes and read models: it writes nothing
(they would dispatch pending tasks), and they stop at the first event that does not decode or
does not follow its aggregate's last version.

A checkpoint is published as `POSITION:HEAD` (the position and the hex of the chain's link there),
which `ssj audit checkpoint` prints alone on its standard output, or as the small JSON file it
writes with `--out`; `ssj audit verify --checkpoint` takes either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import typer

from adapters.bootstrap import bootstrap
from adapters.cli import render
from adapters.cli.words import when
from adapters.postgres.chain import Checkpoint, checkpoint, verify_chain
from adapters.settings import Settings
from domain.values import CHINA
from services.actors import Actor

FORMAT = "ssj-checkpoint-v1"
"""The `format` of a checkpoint file."""
OPTION = "--checkpoint"
_PUBLISHED = re.compile(r"(\d{1,18}):([0-9a-fA-F]{64})")
EXPECTED = "应为 位置:链头（链头为 64 位十六进制，即 ssj audit checkpoint 输出的一行），或 ssj audit checkpoint --out 写出的检查点文件"


# ---------------------------------------------------------------------------- checkpoints
def parse_checkpoint(value: str, option: str = OPTION) -> Checkpoint:
    """`POSITION:HEAD`, or a file holding that line or the JSON `ssj audit checkpoint --out`
    writes; anything else is refused with a message naming the option."""
    published = _published(value.strip(), "库外检查点")
    if published is not None:
        return published
    path = Path(value)
    if not path.is_file():
        shown = value if len(value) <= 80 else value[:80] + "…"
        raise ValueError(f"{option}: {EXPECTED}（收到 {shown}，也不是一个文件）")
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{option}: 无法读取检查点文件 {path}（{error}）") from None
    published = _published(text, f"库外检查点（{path.name}）")
    return published if published is not None else _from_json(text, path, option)


def _published(text: str, source: str) -> Checkpoint | None:
    match = _PUBLISHED.fullmatch(text)
    if match is None or int(match[1]) < 1:
        return None
    return Checkpoint(int(match[1]), match[2].lower(), None, source)


def _from_json(text: str, path: Path, option: str) -> Checkpoint:
    def refuse(why: str) -> ValueError:
        return ValueError(f"{option}: 文件 {path} 不是检查点：{why}（{EXPECTED}）")

    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise refuse("既不是 位置:链头 的一行，也不是 JSON") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise refuse(f"format 应为 {FORMAT}")
    position, head = document.get("position"), document.get("head")
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise refuse("position 应为正整数")
    if not isinstance(head, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", head):
        raise refuse("head 应为 64 位十六进制")
    recorded_at = None
    if document.get("recorded_at") is not None:
        try:
            recorded_at = datetime.fromisoformat(str(document["recorded_at"]))
        except ValueError:
            raise refuse("recorded_at 应为 ISO 时间") from None
    return Checkpoint(position, head.lower(), recorded_at, f"库外检查点（{path.name}）")


def checkpoint_document(mark: Checkpoint) -> dict[str, object]:
    """What `--out` writes: the published form and its parts, the time in Beijing time."""
    return {
        "format": FORMAT,
        "checkpoint": mark.published,
        "position": mark.position,
        "head": mark.head,
        "recorded_at": mark.recorded_at.astimezone(CHINA).isoformat() if mark.recorded_at else None,
    }


# ---------------------------------------------------------------------------- the commands
def verify(settings: Settings, checkpoints: Sequence[str]) -> int:
    """Print every finding; the exit status: 0 when the log holds, 1 on any damage. Only the
    applications are built: the processes and read models, which write, are not started."""
    published = [parse_checkpoint(value) for value in checkpoints]
    if published and not settings.database_url:
        raise ValueError(f"{OPTION}: 检查点只用于 PostgreSQL 事件库（SSJ_DATABASE_URL 未设置）")
    service = bootstrap(settings)
    auditor, who = service.auditor, Actor.auditor()
    try:
        log = auditor.check_log(who)
        typer.echo(log.describe())
        draws = auditor.verify(who, log)
        typer.echo(render.verification(draws))
    finally:
        service.close()
    ok = log.ok and draws.ok
    if settings.database_url:
        chain = verify_chain(settings.database_url, settings.database_schema, published)
        typer.echo(chain.describe())
        ok = ok and chain.ok
    return 0 if ok else 1


def record_checkpoint(settings: Settings, out: Path | None) -> None:
    """Print `POSITION:HEAD` alone on standard output, what to do with it on standard error."""
    if not settings.database_url:
        raise ValueError("SSJ_DATABASE_URL: 检查点只用于 PostgreSQL 事件库")
    mark = checkpoint(settings.database_url, settings.database_schema)
    if out is not None:
        try:
            out.write_text(
                json.dumps(checkpoint_document(mark), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
        except OSError as error:
            raise ValueError(f"--out: 无法写入 {out}（{error}）") from None
    typer.echo(mark.published)
    recorded = f"，{when(mark.recorded_at)}（北京时间）" if mark.recorded_at else ""
    saved = f"；已写入 {out}" if out is not None else ""
    typer.echo(
        f"检查点：位置 {mark.position}，链头 {mark.head}{recorded}{saved}。"
        f"请在库外公布上面一行；核验时用 ssj audit verify --checkpoint {mark.published}",
        err=True,
    )
