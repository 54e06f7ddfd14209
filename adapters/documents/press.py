"""What a builder renders with: the document's stamp and the house's ways of making bytes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.documents import packaging
from adapters.documents.pdf import DEFAULT_FONT_DIR, compile_pdf
from adapters.documents.qr import qr_svg
from services.documents import Stamp


@dataclass(frozen=True)
class Press:
    """One document's stamp (code, check URL, date) and the settings it is made with."""

    stamp: Stamp
    title: str
    font_dir: Path = DEFAULT_FONT_DIR

    def pdf(self, template: str, data: Any, files: Mapping[str, bytes] | None = None) -> bytes:
        """A typst template (`#import "ssj.typ": *`, `#let data = json("data.json")`) as PDF;
        `files` are put beside it (chart SVGs…), by name."""
        return compile_pdf(
            template,
            data,
            code=self.stamp.code,
            url=self.stamp.url,
            dated=self.stamp.dated,
            font_dir=self.font_dir,
            files=files,
        )

    def xlsx(self, workbook: Any) -> bytes:
        """An openpyxl workbook, with fixed properties and zip entries."""
        return packaging.xlsx_bytes(workbook, self.stamp.dated, self.title)

    def docx(self, document: Any) -> bytes:
        """A python-docx document, with fixed properties and zip entries."""
        return packaging.docx_bytes(document, self.stamp.dated, self.title)

    def qr_svg(self) -> bytes:
        """The check URL's QR code (for a DOCX or XLSX that shows it)."""
        return qr_svg(self.stamp.url)
