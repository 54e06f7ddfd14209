"""User text reaches typst as text, never as code: whatever a directory, a note or a name holds
is printed as typed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from adapters.documents.markup import markup, string
from adapters.documents.pdf import PdfError, compile_pdf
from domain.values import CHINA
from tests.pdf_pages import pdf_text

DATED = datetime(2023, 11, 8, 9, 0, tzinfo=CHINA)
HOSTILE = [
    '#set page(fill: red) #panic("注入")',
    "]] #{1+1} [x] *粗* _斜_ `code` $x^2$ <lbl> @ref",
    "= 标题\n- 列表\n+ 编号\n/ 术语: 定义",
    '" + str(1) + " \\ // 注释 /* 块 */',
    '#read("/etc/passwd")',
]


def _print(tmp_path: Path, template: str, data: object) -> str:
    pdf = compile_pdf(
        template, data, code="AAAAAAAAAA", url="https://ssj.example/check/AAAAAAAAAA", dated=DATED
    )
    return pdf_text(pdf, tmp_path)


def test_data_is_printed_as_typed(tmp_path: Path) -> None:
    template = '#import "ssj.typ": *\n#let data = json("data.json")\n#show: house.with(title: "t")\n#for s in data.lines [#s \\ ]\n'
    text = _print(tmp_path, template, {"lines": HOSTILE})
    for line in HOSTILE:
        assert "".join(line.split()) in text
    assert "root:" not in text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escaped_text_in_markup_and_in_strings_stays_text(tmp_path: Path, hostile: str) -> None:
    template = (
        '#import "ssj.typ": *\n#show: house.with(title: "t")\n'
        f"{markup(hostile)}\n\n#let s = {string(hostile)}\n#s\n"
    )
    text = _print(tmp_path, template, {})
    assert text.count("".join(hostile.split())) == 2


def test_a_broken_template_is_the_builder_s_error(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match="typst"):
        _print(tmp_path, "#let x = (", {})


def test_the_same_source_compiles_to_the_same_bytes(tmp_path: Path) -> None:
    template = '#import "ssj.typ": *\n#let data = json("data.json")\n#show: house.with(title: "t")\n#data.name\n'
    first = compile_pdf(
        template, {"name": "迁安市启明文化艺术培训学校"}, code="AAAAAAAAAA", url="u", dated=DATED
    )
    again = compile_pdf(
        template, {"name": "迁安市启明文化艺术培训学校"}, code="AAAAAAAAAA", url="u", dated=DATED
    )
    assert first == again
    assert b"2023" in first  # the PDF's own dates are the document's, not the clock's
