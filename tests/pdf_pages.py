"""Reading a PDF back as its reader would: its text by pdftotext, its first page as PNG by
pdftoppm (Debian's poppler-utils, which `make test` installs).

Each first page is kept twice: beside the test (tmp_path) and among the run's artefacts
(`SSJ_TEST_ARTEFACTS`, by default build/test-artefacts/), where a reviewer or a CI job looks at
what the documents look like after a run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = Path(os.environ.get("SSJ_TEST_ARTEFACTS") or ROOT / "build" / "test-artefacts")


def pdf_text(
    content: bytes, tmp_path: Path, name: str = "document", *, layout: bool = False
) -> str:
    """The PDF's text, its first page kept as PNG. By default its spaces and line breaks are
    taken out (CJK text is laid out with spaces between glyphs); `layout` keeps the columns."""
    first_page_png(content, tmp_path, name)
    path = tmp_path / f"{name}.pdf"
    options = ["-layout"] if layout else []
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *options, str(path), "-"], check=True, capture_output=True
    ).stdout.decode()
    return text if layout else re.sub(r"\s+", "", text)


def first_page_png(content: bytes, tmp_path: Path, name: str = "document") -> Path:
    """The first page as PNG in tmp_path, copied to the run's artefacts."""
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(content)
    page = tmp_path / name
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(page)],
        check=True,
    )
    png = page.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{name}: pdftoppm gave no PNG"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, ARTEFACTS / png.name)
    return png
