"""一企一表 / “双随机、一公开”实地核查记录表: one sheet per target, every department's items with
what was found, the group that inspects it, and the signatures (附件4).

As seed 004 says: the inspectors fill in the sheet on site and the target's legal representative
signs it; a target that refuses to sign has that recorded on the sheet (如实记录), which is what
`InspectionVisited(signed=False, note=…)` holds and what the sheet prints.

`sheet_facts(source, pairs)` takes several (task, target) pairs of one target, so that a merged
joint visit (进一次门、查多项事) prints one sheet listing every item of every task.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from adapters.documents.common import (
    chinese_date,
    chinese_moment,
    department_name,
    inspectors_of,
    matched_target,
)
from adapters.documents.press import Press
from domain.errors import InvalidValueError
from services.documents import Source, Subject

TITLE = "“双随机、一公开”实地核查记录表"


def sheet_facts(source: Source, pairs: Sequence[tuple[UUID, str]]) -> dict[str, Any]:
    """The facts of one target's 一企一表 across the given tasks (each read through `source`):
    per task and department, its inspectors, items and recorded findings; the visit and its
    signature as recorded."""
    if not pairs:
        raise InvalidValueError("pairs", "至少一个（抽查任务，检查对象）", pairs)
    codes = {target for _, target in pairs}
    if len(codes) != 1:
        raise InvalidValueError("pairs", "同一检查对象的抽查任务", sorted(codes))
    target = pairs[0][1]
    name = ""
    sections: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    for task_id, _ in pairs:
        task = source.task(task_id)
        sheet = matched_target(task, target)
        name = name or str(sheet.get("name", ""))
        inspectors = {str(d): list(ids) for d, ids in dict(sheet["inspectors"]).items()}
        tasks.append(
            {
                "name": task.name,
                "lead": department_name(task.lead),
                "group": int(sheet["group"]) + 1,
                "window": f"{chinese_date(task.definition.window_start)}至"
                f"{chinese_date(task.definition.window_end)}",
            }
        )
        for department in task.participating:
            result = task.results.get((department, target))
            findings = dict(result.findings) if result is not None else {}
            sections.append(
                {
                    "task": task.name,
                    "department": department_name(department),
                    "inspectors": [
                        {k: p[k] for k in ("name", "certificate")}
                        for p in inspectors_of(
                            source, task, department, inspectors.get(department, [])
                        )
                    ],
                    "items": [
                        {
                            "code": item.code,
                            "name": item.name,
                            "method": item.method,
                            "finding": findings.get(item.code, ""),
                        }
                        for item in task.definition.items.get(department, ())
                    ],
                    "category": result.category if result is not None else "",
                    "corrected": bool(getattr(result, "reason", "")),
                }
            )
        visit = task.visits.get(target)
        if visit is not None:
            visits.append(
                {
                    "task": task.name,
                    "at": chinese_moment(visit.at),
                    "signed": visit.signed,
                    "note": visit.note,
                    "on_site_reason": str(getattr(visit, "on_site_reason", "") or ""),
                }
            )
    refused = [v for v in visits if not v["signed"]]
    return {
        "title": TITLE,
        "target": {"name": name, "code": target},
        "tasks": tasks,
        "sections": sections,
        "visits": visits,
        "visited": bool(visits),
        "refused": bool(refused),
        "refusal": "；".join(v["note"] for v in refused),
        "joint": len(tasks) > 1,
    }


def render_sheet(facts: dict[str, Any], press: Press) -> bytes:
    """The sheet as PDF (for a merged visit as for one task)."""
    return press.pdf(TEMPLATE, {**facts, "date": chinese_date(press.stamp.dated)})


class RecordSheetBuilder:
    def gather(self, source: Source, subject: Subject) -> dict[str, Any]:
        if subject.task is None or subject.target is None:  # kinds.py refuses it first
            raise InvalidValueError("target", "抽查任务及其检查对象", subject.as_record())
        return sheet_facts(source, [(subject.task, subject.target)])

    def render(self, facts: dict[str, Any], fmt: str, press: Press) -> bytes:
        return render_sheet(facts, press)


TEMPLATE = r"""
#import "ssj.typ": *
#let data = json("data.json")
#show: house.with(title: data.title)

#form-title(data.title, subtitle: if data.joint { "（一企一表 · 合并检查）" } else { "（一企一表）" })

#table(
  columns: (3.9cm, 1fr, 2.6cm, 1fr),
  label[被检查对象], table.cell(colspan: 3, data.target.name),
  label[统一社会信用代码], table.cell(colspan: 3, data.target.code),
  ..data.tasks.map(t => (
    label[抽查任务], table.cell(colspan: 3, t.name),
    label[牵头部门], t.lead,
    label[检查组], "第 " + str(t.group) + " 组",
    label[抽查时间], table.cell(colspan: 3, t.window),
  )).flatten(),
  label[实地核查时间], table.cell(colspan: 3,
    if data.visited { data.visits.map(v => v.at).join("；") } else { "" }),
)

#for s in data.sections [
  #v(0.4em)
  #block(breakable: false)[
  #table(
    columns: (2.2cm, 1fr, 2.6cm, 1.2fr),
    table.cell(colspan: 4, fill: luma(230), align: left)[
      *#s.department*#if data.joint [（#s.task）]
      #h(1fr) 执法检查人员：#s.inspectors.map(p => p.name + "（证号 " + p.certificate + "）").join("、")
    ],
    label[事项编号], label[抽查事项], label[检查方式], label[检查情况],
    ..s.items.map(i => (i.code, i.name, i.method, i.finding)).flatten(),
    label[检查结果], table.cell(colspan: 3)[#s.category#if s.corrected [（已更正）]],
    label[检查人员签字], table.cell(colspan: 3)[#v(1.4em)],
  )
  ]
]

#v(0.6em)
#block(breakable: false)[
#table(
  columns: (3.9cm, 1fr),
  ..data.visits.filter(v => v.on_site_reason != "").map(v => (label[实地核查理由], v.on_site_reason)).flatten(),
  label[被检查对象意见], [#v(1.6em)],
  label[法定代表人（负责人）签字（盖章）],
  if data.refused [
    *拒绝签字*。检查组如实记录：#data.refusal
  ] else [
    #v(1.6em) #h(1fr) 年　　月　　日
  ],
)
]

#v(0.8em)
#align(right)[制表日期：#data.date]
"""

BUILDER = RecordSheetBuilder()
