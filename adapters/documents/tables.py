"""The four tables a joint inspection hands in (迁双随机办〔2023〕30号's attachments 3, 5, 6, 7):
电话告知记录表, 人员分组及车辆安排情况表, 随机抽查后续处置工作台账 and 公示表, each made from one
task as of one version of its log, and nothing else: every cell is read from an event
(NoticeServed, GroupsMatched and GroupingFiled, FollowUp*, ResultsPublished).

Each maker returns a `Grid`; grid.py writes it as XLSX and as typst for the PDF. The kinds'
builders (`PHONE_NOTICE` …, registered in kinds.py) gather the grid from the task as the
source reads it, and render it in either format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.cli.words import dept, when
from adapters.documents.grid import TEMPLATE, Band, Column, Grid, workbook
from domain.errors import InvalidValueError
from domain.values import FollowUp, FollowUpStatus, NoticeMethod, local_day

if TYPE_CHECKING:
    from adapters.documents.press import Press
    from domain.task import Task
    from services.documents import Source, Subject

NUMBER = Column("序号", 7, centred=True)
NAME = Column("企业名称", 30)
CODE = Column("统一社会信用代码", 25, centred=True)


def _meta(task: Task) -> tuple[str, ...]:
    departments = "、".join(dept(d) for d in task.participating)
    return (
        f"抽查任务：{task.name}",
        f"牵头部门：{dept(task.lead)}　参与部门：{departments}　"
        f"抽查时间：{task.definition.window_start} 至 {task.definition.window_end}",
    )


def _names(task: Task) -> dict[str, str]:
    """Credit code -> name, as the 一企一表 recorded it when the groups were matched."""
    if task.matching is None:
        return {}
    return {str(s["target"]): str(s["name"]) for s in task.matching.sheets}


def _as_of(task: Task) -> str:
    return f"据本任务事件日志（截至 {when(task.last_at)}）生成"


def _items(task: Task, department: str) -> str:
    return "；".join(item.name for item in task.definition.items.get(department, ()))


# ---------------------------------------------------------------------------- 电话告知记录表
def phone_notice(task: Task) -> Grid:
    """市场主体“双随机”抽查电话告知记录表: every notice served, by phone or on paper, in the
    order served. The log records who received it, not the number dialled: 联系电话 is left for
    the clerk who rang to write in, as the note says."""
    names = _names(task)
    content = f"{_departments(task)}联合抽查的检查时间、检查事项及需准备的材料"
    served = sorted(task.notices.values(), key=lambda n: (n.at, n.target))
    rows = tuple(
        (
            str(n),
            names.get(notice.target, ""),
            notice.target,
            notice.recipient,
            "",
            when(notice.at),
            NoticeMethod(notice.method).label,
            content,
            dept(notice.department),
            "" if notice.method == NoticeMethod.PHONE else "告知书已书面送达",
        )
        for n, notice in enumerate(served, start=1)
    )
    return Grid(
        title="市场主体“双随机”抽查电话告知记录表",
        sheet="电话告知记录表",
        columns=(
            NUMBER,
            NAME,
            CODE,
            Column("联系人", 13),
            Column("联系电话", 14),
            Column("告知时间", 18, centred=True),
            Column("告知方式", 11, centred=True),
            Column("告知内容", 30),
            Column("告知人", 12, centred=True),
            Column("备注", 17),
        ),
        rows=rows,
        meta=_meta(task),
        notes=("联系电话：系统记录受告知人，不记录所拨号码，由告知人填写。",),
        footer=(f"填表人：　　　　　　填表日期：　　　　　　{_as_of(task)}",),
    )


def _departments(task: Task) -> str:
    return "、".join(dept(d) for d in task.participating)


# ---------------------------------------------------------------------------- 人员分组及车辆安排情况表
def grouping(task: Task) -> Grid:
    """人员分组及车辆安排情况表: per joint group, its targets, each department's inspectors with
    their mobile numbers as that department filed them with the office, and the vehicles. A
    department that has not filed yet shows its drawn inspectors by number, marked 未报备."""
    departments = task.participating
    names = _names(task)
    groups = task.matching.joint_groups() if task.matching else ()
    targets: dict[int, list[str]] = {}
    for target, number in task.matches.items():
        targets.setdefault(number, []).append(names.get(target) or target)
    rows = []
    for group in groups:
        row = [f"第{group.number + 1}组", "、".join(targets.get(group.number, []))]
        vehicles = []
        for department in departments:
            people, phones = _filed(task, department, group.number, group.inspectors)
            row += [people, phones]
            filing = task.filings.get(department)
            vehicle = filing.vehicles.get(str(group.number + 1), "") if filing else ""
            if vehicle:
                vehicles.append(f"{dept(department)}：{vehicle}")
        row.append("\n".join(vehicles))
        rows.append(tuple(row))
    columns = [Column("组别", 8, centred=True), Column("检查对象", 34)]
    bands = [Band("", 2)]
    for department in departments:
        columns += [Column("执法人员", 14), Column("手机号码", 15)]
        bands.append(Band(dept(department), 2))
    columns.append(Column("车辆安排", 24))
    bands.append(Band("", 1))
    filed = "、".join(dept(d) for d in departments if d in task.filings) or "无"
    return Grid(
        title="人员分组及车辆安排情况表",
        sheet="人员分组及车辆安排",
        columns=tuple(columns),
        rows=tuple(rows),
        meta=(*_meta(task), f"已报备部门：{filed}"),
        bands=tuple(bands),
        footer=(f"填报单位（盖章）：　　　　　　填报日期：　　　　　　{_as_of(task)}",),
    )


def _filed(
    task: Task, department: str, group: int, drawn: Mapping[str, tuple[str, ...]]
) -> tuple[str, str]:
    filing = task.filings.get(department)
    if filing is None:
        ids = drawn.get(department, ())
        return "\n".join(f"{i}（未报备）" for i in ids), ""
    members = [m for m in filing.members if int(m["group"]) == group]
    # One inspector a line, so that each name stands beside its number.
    people = "\n".join(str(m["name"] or m["inspector"]) for m in members)
    phones = "\n".join(str(m["phone"]) or "—" for m in members)
    return people, phones


# ---------------------------------------------------------------------------- 随机抽查后续处置工作台账
def follow_up_ledger(task: Task, department: str | None = None) -> Grid:
    """随机抽查后续处置工作台账: every problem found and what became of it, the task's whole
    ledger or one department's part of it."""
    names = _names(task)
    follow_ups = [
        f
        for _, f in sorted(task.follow_ups.items())
        if department is None or f.department == department
    ]
    rows = tuple(
        (
            str(n),
            names.get(f.target, ""),
            f.target,
            f.problem,
            dept(f.department),
            f.due.isoformat(),
            measures_cell(f),
            f.status.label,
            f.transferred_to,
            f.outcome,
        )
        for n, f in enumerate(follow_ups, start=1)
    )
    meta = _meta(task)
    if department is not None:
        meta = (*meta, f"处置部门：{dept(department)}")
    return Grid(
        title="随机抽查后续处置工作台账",
        sheet="后续处置工作台账",
        columns=(
            NUMBER,
            Column("检查对象", 28),
            CODE,
            Column("发现问题", 28),
            Column("处置部门", 12, centred=True),
            Column("整改期限", 12, centred=True),
            Column("处置措施", 24),
            Column("状态", 9, centred=True),
            Column("移送单位", 16),
            Column("整改结果", 26),
        ),
        rows=rows,
        meta=meta,
        footer=(f"填表人：　　　　　　审核人：　　　　　　{_as_of(task)}",),
    )


def measures_cell(follow_up: FollowUp) -> str:
    """处置措施 as the 台账 writes them, in the order taken: the measure ordered, how it was
    handed over (with why), a further one on closing."""
    taken = [follow_up.measure]
    if follow_up.status is FollowUpStatus.TRANSFERRED:
        # A transfer recorded before its measure was asked may have been either.
        handed = follow_up.transfer_measure or "抄告、移送"
        reason = follow_up.transfer_reason
        taken.append(f"{handed}：{reason}" if reason else handed)
    if follow_up.closing_measure:
        taken.append(follow_up.closing_measure)
    return "；".join(m for m in taken if m)


# ---------------------------------------------------------------------------- 公示表
def publicity(task: Task) -> Grid:
    """公示表: the results as published, one row per target and department (谁检查、谁公示), in
    the publication's order. 检查完成日期 is the day of the joint visit."""
    publication = task.publication
    entries = publication.entries if publication else []
    rows: list[tuple[str, ...]] = []
    for entry in entries:
        target = str(entry["target"])
        visit = task.visits.get(target)
        done = local_day(visit.at).isoformat() if visit else ""
        for department, category in dict(entry["results"]).items():
            rows.append(
                (
                    str(len(rows) + 1),
                    str(entry["name"]),
                    target,
                    _items(task, department),
                    str(category),
                    dept(department),
                    done,
                )
            )
    published = f"公示日期：{local_day(publication.at)}" if publication else "尚未公示"
    return Grid(
        title="“双随机、一公开”抽查结果公示表",
        sheet="公示表",
        columns=(
            NUMBER,
            NAME,
            CODE,
            Column("抽查事项", 40),
            Column("检查结果", 24),
            Column("检查机关", 14, centred=True),
            Column("检查完成日期", 14, centred=True),
        ),
        rows=tuple(rows),
        meta=(*_meta(task), published),
        empty="（本任务尚未公示检查结果）",
        footer=(_as_of(task),),
    )


# ---------------------------------------------------------------------------- the kinds' builders
@dataclass(frozen=True)
class TableBuilder:
    """A kind of table of one task (and, for the ledger, optionally one department)."""

    make: Callable[[Task, str | None], Grid]

    def gather(self, source: Source, subject: Subject) -> dict[str, Any]:
        if subject.task is None:
            raise InvalidValueError("task", "抽查任务编号", None)
        return self.make(source.task(subject.task), subject.department).as_record()

    def render(self, facts: dict[str, Any], fmt: str, press: Press) -> bytes:
        grid = Grid.from_record(facts)
        if fmt == "xlsx":
            return press.xlsx(workbook([grid]))
        if fmt == "pdf":
            return press.pdf(TEMPLATE, facts)
        raise InvalidValueError("format", "xlsx 或 pdf", fmt)


PHONE_NOTICE = TableBuilder(lambda task, _: phone_notice(task))
GROUPING = TableBuilder(lambda task, _: grouping(task))
FOLLOW_UP_LEDGER = TableBuilder(follow_up_ledger)
PUBLICITY = TableBuilder(lambda task, _: publicity(task))
