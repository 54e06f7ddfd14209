"""告知书: the notice the lead serves on a drawn target before the joint visit
(迁双随机办〔2023〕30号, 附件2 《迁安市“双随机、一公开”跨部门联合抽查告知书》样本).

Every fact comes from the task's log: the target as the matching named it, the departments that
take part and their items, the window, the group and its inspectors (from each department's
directory as of its draw), and the serving, once recorded. PDF for serving, DOCX for offices that
edit the wording.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from adapters.documents.common import (
    LEGAL_BASIS,
    chinese_date,
    chinese_moment,
    department_name,
    inspectors_of,
    matched_target,
)
from adapters.documents.pdf import FONT
from adapters.documents.press import Press
from adapters.documents.qr import qr_png
from domain.errors import InvalidValueError
from domain.values import NoticeMethod
from services.documents import Source, Subject


def _title(lead: str) -> str:
    return f"{department_name(lead)}跨部门“双随机、一公开”联合抽查告知书"


class NoticeBuilder:
    def gather(self, source: Source, subject: Subject) -> dict[str, Any]:
        if subject.task is None or subject.target is None:  # kinds.py refuses it first
            raise InvalidValueError("target", "抽查任务及其检查对象", subject.as_record())
        task = source.task(subject.task)
        sheet = matched_target(task, subject.target)
        departments = list(task.participating)
        items = [
            {
                "department": department_name(d),
                "code": item.code,
                "name": item.name,
                "basis": item.legal_basis,
                "method": item.method,
            }
            for d in departments
            for item in task.definition.items.get(d, ())
        ]
        inspectors = {str(d): list(ids) for d, ids in dict(sheet["inspectors"]).items()}
        group = [
            {"department": department_name(d), **person}
            for d in departments
            for person in inspectors_of(source, task, d, inspectors.get(d, []))
        ]
        contacts = [p for p in group if p["department"] == department_name(task.lead)]
        notice = task.notices.get(subject.target)
        served = None
        if notice is not None:
            served = {
                "at": chinese_moment(notice.at),
                "method": NoticeMethod(notice.method).label,
                "recipient": notice.recipient,
                "by": department_name(notice.department),
            }
        definition = task.definition
        return {
            "title": _title(task.lead),
            "task": task.name,
            "lead": department_name(task.lead),
            "cooperating": [department_name(d) for d in departments[1:]],
            "departments": [department_name(d) for d in departments],
            "target": {"name": str(sheet.get("name", "")), "code": subject.target},
            "window": f"{chinese_date(definition.window_start)}至{chinese_date(definition.window_end)}",
            "items": items,
            "group": int(sheet["group"]) + 1,
            "inspectors": [{k: p[k] for k in ("department", "name", "certificate")} for p in group],
            "contacts": [{"name": p["name"], "phone": p["phone"]} for p in contacts],
            "basis": LEGAL_BASIS,
            "served": served,
        }

    def render(self, facts: dict[str, Any], fmt: str, press: Press) -> bytes:
        facts = {**facts, "date": chinese_date(press.stamp.dated)}
        facts["words"] = _paragraphs(facts)
        if fmt == "docx":
            return press.docx(_docx(facts, press))
        return press.pdf(TEMPLATE, facts)


def _paragraphs(facts: dict[str, Any]) -> dict[str, str]:
    """The wording, shared by the PDF and the DOCX."""
    cooperating = "、".join(facts["cooperating"])
    joint = f"会同{cooperating}" if cooperating else ""
    return {
        "opening": (
            f"根据{facts['basis']}及《{facts['task']}》工作安排，{facts['lead']}{joint}"
            f"定于{facts['window']}期间，对你单位开展跨部门“双随机、一公开”联合抽查。"
            "你单位系通过随机抽取方式确定的被检查对象，现将有关事项告知如下："
        ),
        "cooperate": (
            "检查人员将出示执法证件。请你单位法定代表人（负责人）或指定人员在场，如实提供有关资料，"
            "配合开展检查，并在《“双随机、一公开”实地核查记录表》（一企一表）上签字确认。"
            "检查人员与你单位有利害关系的，你单位有权申请其回避。"
        ),
        "result": (
            "检查结果将于检查完成后20个工作日内通过国家企业信用信息公示系统向社会公示。"
            "拒绝、阻碍检查的，将依法依规处理并如实记录。"
        ),
    }


TEMPLATE = r"""
#import "ssj.typ": *
#let data = json("data.json")
#let words = data.words
#show: house.with(title: data.title)

#form-title(data.title)

#text(weight: "bold")[#data.target.name：]

#par(first-line-indent: 2em)[#words.opening]

#v(0.3em)
*一、被检查对象*
#table(
  columns: (3.9cm, 1fr),
  label[单位名称], data.target.name,
  label[统一社会信用代码], data.target.code,
  label[检查时间], data.window,
  label[检查部门], data.departments.join("、"),
)

*二、抽查事项*
#table(
  columns: (3.2cm, 1fr, 1fr, 2.6cm),
  label[部门], label[抽查事项], label[检查依据], label[检查方式],
  ..data.items.map(i => (i.department, i.name, i.basis, i.method)).flatten(),
)

*三、检查组*（第 #str(data.group) 组）
#table(
  columns: (1fr, 1fr, 1.4fr),
  label[部门], label[执法检查人员], label[执法证号],
  ..data.inspectors.map(p => (p.department, p.name, p.certificate)).flatten(),
)

*四、配合检查*
#par(first-line-indent: 2em)[#words.cooperate]

*五、结果公示*
#par(first-line-indent: 2em)[#words.result]

*六、联系人*：#data.contacts.map(c => c.name + "（" + c.phone + "）").join("；")

#v(1.5em)
#align(right)[
  #data.lead（盖章）\
  #data.date
]

#v(1em)
#line(length: 100%, stroke: (dash: "dashed", thickness: 0.5pt))
#align(center, text(weight: "bold")[送达回证])
#table(
  columns: (3.2cm, 1fr, 3.2cm, 1fr),
  label[受送达人], if data.served != none { data.served.recipient } else { "" },
  label[送达方式], if data.served != none { data.served.method } else { "" },
  label[送达时间], if data.served != none { data.served.at } else { "" },
  label[送达部门], if data.served != none { data.served.by } else { "" },
  label[受送达人签字], table.cell(colspan: 3)[#v(1.2em)],
)
"""


def _docx(facts: dict[str, Any], press: Press) -> Any:
    words = _paragraphs(facts)
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(facts["title"])
    run.bold = True
    run.font.size = Pt(18)
    document.add_paragraph(f"{facts['target']['name']}：")
    document.add_paragraph(words["opening"])

    def table(rows: list[list[str]], header: bool) -> None:
        made = document.add_table(rows=0, cols=len(rows[0]))
        made.style = "Table Grid"
        made.alignment = WD_TABLE_ALIGNMENT.CENTER
        for n, row in enumerate(rows):
            cells = made.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = value
                if header and n == 0:
                    for r in cell.paragraphs[0].runs:
                        r.bold = True

    document.add_paragraph("一、被检查对象")
    table(
        [
            ["单位名称", facts["target"]["name"]],
            ["统一社会信用代码", facts["target"]["code"]],
            ["检查时间", facts["window"]],
            ["检查部门", "、".join(facts["departments"])],
        ],
        header=False,
    )
    document.add_paragraph("二、抽查事项")
    table(
        [["部门", "抽查事项", "检查依据", "检查方式"]]
        + [[i["department"], i["name"], i["basis"], i["method"]] for i in facts["items"]],
        header=True,
    )
    document.add_paragraph(f"三、检查组（第 {facts['group']} 组）")
    table(
        [["部门", "执法检查人员", "执法证号"]]
        + [[p["department"], p["name"], p["certificate"]] for p in facts["inspectors"]],
        header=True,
    )
    document.add_paragraph("四、配合检查")
    document.add_paragraph(words["cooperate"])
    document.add_paragraph("五、结果公示")
    document.add_paragraph(words["result"])
    contacts = "；".join(f"{c['name']}（{c['phone']}）" for c in facts["contacts"])
    document.add_paragraph(f"六、联系人：{contacts}")
    for line in (f"{facts['lead']}（盖章）", facts["date"]):
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph(f"文书核验码：{press.stamp.code}　核验网址：{press.stamp.url}")
    document.add_picture(io.BytesIO(qr_png(press.stamp.url)), width=Cm(2.5))
    return document


BUILDER = NoticeBuilder()
