"""PDFs with typst: the same source, data and fonts give the same bytes.

Why typst (PyPI `typst`, the compiler itself as a wheel): no browser or system libraries, tables
and CJK line breaking built in, the PDF's dates taken from the document (`#set document(date:)`
and `timestamp=`), never from the clock, and only the fonts it is given (`ignore_system_fonts`),
so two machines with the same Noto files make the same bytes. WeasyPrint needs Pango and takes
fonts from fontconfig; fpdf2 lays out CJK text line by line by hand.

A template is typst source that begins with `#import "ssj.typ": *` (the house style below: A4,
宋体-like Noto Serif CJK SC, the check code and QR code in every page's footer) and reads its facts
with `#let data = json("data.json")`: user text reaches typst as data, never as code.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typst

from adapters.documents.kinds import DEFAULT_FONT_DIR
from adapters.documents.markup import data_json, string
from adapters.documents.qr import qr_svg
from domain.values import CHINA
from services.errors import ServiceError

FONT = "Noto Serif CJK SC"
SANS = "Noto Sans CJK SC"
FONT_FILES = ("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc")


class FontMissingError(ServiceError):
    """No CJK font where the settings say: a PDF would show boxes, so none is made."""

    field = "SSJ_FONT_DIR"

    def __init__(self, font_dir: Path, missing: str) -> None:
        self.font_dir = font_dir
        super().__init__(
            f"SSJ_FONT_DIR: 在 {font_dir} 中找不到中文字体 {FONT}（缺少 {missing}）；"
            f"请安装：apt-get install fonts-noto-cjk，或将 SSJ_FONT_DIR 设为含 {FONT} 的目录"
        )


class PdfError(Exception):
    """typst refused a template: a builder's mistake, never the user's text."""


def check_fonts(font_dir: Path) -> typst.Fonts:
    """The fonts typst will use, refused unless they hold the CJK family the house style names."""
    if not font_dir.is_dir():
        raise FontMissingError(font_dir, "该目录")
    present = {p.name for p in font_dir.iterdir()}
    missing = [name for name in FONT_FILES if name not in present]
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=True, font_paths=[str(font_dir)]
    )
    if FONT not in fonts.families():
        raise FontMissingError(font_dir, "、".join(missing) or f"字体族 {FONT}")
    return fonts


PRELUDE = r"""
// The house style of ssj's documents, imported by every template.
#let stamp = json("stamp.json")
#let dated = datetime(year: stamp.year, month: stamp.month, day: stamp.day)
#let serif = ("Noto Serif CJK SC",)
#let sans = ("Noto Sans CJK SC",)
#let chinese-date = str(stamp.year) + "年" + str(stamp.month) + "月" + str(stamp.day) + "日"

#let check-footer = context [
  #set text(size: 8pt, font: sans)
  #grid(
    columns: (1.5cm, 1fr, auto),
    column-gutter: 0.3cm,
    align: (left + horizon, left + horizon, right + horizon),
    image("qr.svg", width: 1.5cm),
    [文书核验码：#stamp.code \ 核验网址：#stamp.url \ 扫码或登录核验网址，上传本文书可核对其是否与登记一致],
    [第 #counter(page).display() 页 / 共 #counter(page).final().first() 页],
  )
]

#let house(title: "", body) = {
  set document(title: title, date: dated)
  set page(
    paper: "a4",
    margin: (top: 2.2cm, bottom: 3.2cm, x: 2.2cm),
    footer: check-footer,
    footer-descent: 0.6cm,
  )
  set text(font: serif, size: 11pt, lang: "zh", region: "cn")
  set par(leading: 0.75em, justify: true)
  set table(stroke: 0.6pt + black, inset: (x: 5pt, y: 6pt))
  show table: set par(justify: false)
  body
}

// A centred title as the forms print it: 小二号 bold.
#let form-title(title, subtitle: none) = {
  align(center, text(size: 17pt, weight: "bold", title))
  if subtitle != none { align(center, text(size: 11pt, subtitle)) }
  v(0.6em)
}

// A label cell of a form table.
#let label(body) = table.cell(fill: luma(242), align: center + horizon, strong(body))
"""


def compile_pdf(
    template: str,
    data: Any,
    *,
    code: str,
    url: str,
    dated: dt.datetime,
    font_dir: Path = DEFAULT_FONT_DIR,
    files: Mapping[str, bytes] | None = None,
) -> bytes:
    """The PDF of `template` with `data` as data.json, the stamp (code, URL, the document's day)
    as stamp.json, the QR code as qr.svg and `files` (chart SVGs…) beside them."""
    fonts = check_fonts(font_dir)
    day = dated.astimezone(CHINA)
    stamp = {"code": code, "url": url, "year": day.year, "month": day.month, "day": day.day}
    with tempfile.TemporaryDirectory(prefix="ssj-doc-") as folder:
        root = Path(folder)
        (root / "ssj.typ").write_text(PRELUDE, encoding="utf-8")
        (root / "stamp.json").write_text(json.dumps(stamp, ensure_ascii=False), encoding="utf-8")
        (root / "data.json").write_text(data_json(data), encoding="utf-8")
        (root / "qr.svg").write_bytes(qr_svg(url))
        for name, content in (files or {}).items():
            if "/" in name or name.startswith(".") or name in ("ssj.typ", "main.typ"):
                raise PdfError(f"files: 文件名 {name!r} 不可用")
            (root / name).write_bytes(content)
        (root / "main.typ").write_text(template, encoding="utf-8")
        compiler = typst.Compiler(root=folder, font_paths=fonts)
        try:
            pdf, warnings = compiler.compile_with_warnings(
                str(root / "main.typ"),
                format="pdf",
                root=folder,
                timestamp=dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC),
            )
        except typst.TypstError as error:
            raise PdfError(f"typst: {error.message} {error.hints}") from error
    unknown = [w.message for w in warnings if "unknown font family" in w.message]
    if unknown:
        raise FontMissingError(font_dir, "；".join(unknown))
    if not isinstance(pdf, bytes):
        raise PdfError("typst: 未生成 PDF")
    return pdf


__all__ = [
    "DEFAULT_FONT_DIR",
    "FONT",
    "FontMissingError",
    "PdfError",
    "check_fonts",
    "compile_pdf",
    "string",
]
