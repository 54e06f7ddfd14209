"""一企一表 of a merged visit (进一次门、查多项事): one sheet for the target, listing every item of
every task the office merged, with each task's group, findings and visit as recorded.

The document is about one of the joint visit's tasks and its target (About.TASK_TARGET): whoever
may issue that task's documents prints the joint sheet, and the joint visit is found from the
pair through its index (domain/joint_visit.py `VisitMerged`). Both are read through the
document's `Source`, so that they are among its recorded inputs like the tasks themselves.
"""

from __future__ import annotations

from typing import Any

from adapters.documents.common import chinese_date
from adapters.documents.press import Press
from adapters.documents.record_sheet import render_sheet, sheet_facts
from domain.errors import InvalidValueError
from domain.joint_visit import JointVisit, VisitMerged
from services.documents import Source, Subject
from services.errors import NotFoundError


def joint_visit_of(source: Source, subject: Subject) -> JointVisit:
    assert subject.task is not None and subject.target is not None  # kinds.py checked
    # Source reads any aggregate of the one log and records it as an input; it names no
    # reader for joint visits of its own, so its generic one is used.
    tasks = source._tasks
    try:
        index = source._get(
            tasks, VisitMerged, VisitMerged.id_for(subject.task, subject.target), "联合检查"
        )
    except NotFoundError:
        raise InvalidValueError(
            "target", "本任务已由双随机办合并为联合检查的检查对象", subject.target
        ) from None
    return source._get(tasks, JointVisit, index.joint_visit_id, "联合检查")


class JointRecordSheetBuilder:
    def gather(self, source: Source, subject: Subject) -> dict[str, Any]:
        visit = joint_visit_of(source, subject)
        for task_id in visit.task_ids:
            task = source.task(task_id)
            if visit.target not in task.matches:
                raise InvalidValueError(
                    "target",
                    f"合并检查的各任务均已匹配检查组的对象（{task.name} 尚未为其匹配检查组）",
                    visit.target,
                )
        facts = sheet_facts(source, [(task_id, visit.target) for task_id in visit.task_ids])
        facts["joint_visit"] = {
            "id": str(visit.id),
            "window": f"{chinese_date(visit.window_start)}至{chinese_date(visit.window_end)}",
            "reason": visit.reason,
        }
        return facts

    def render(self, facts: dict[str, Any], fmt: str, press: Press) -> bytes:
        return render_sheet(facts, press)


BUILDER = JointRecordSheetBuilder()
