"""文书: the documents clerks print, made from the log alone, reproducible byte for byte.

The contract for whoever adds a kind of document (keep to it; it does not change):

- Register the kind in `kinds.py`, one `Kind(code, title, formats, About.X, "module:BUILDER")`
  line. `About` says what `Subject` fields it needs (TASK_TARGET, TASK, PLAN, YEAR; a Subject
  may carry `department` too). The registry checks kind, format and subject before anything
  is read.
- The builder (any object with these two methods, e.g. a module-level instance):
  `gather(source, subject) -> facts`: read the log ONLY through `source`
  (services.documents.Source: `.task(id)`, `.plan(id)`, `.inspectors(dept)`, `.targets(dir_id)`,
  `.planned_tasks()`); every aggregate read becomes an input recorded with its version, and the
  document's date (`press.stamp.dated`) is the business time of the latest event read. Return
  plain facts (dicts, lists, str, int): sort whatever has no fixed order.
  `render(facts, fmt, press) -> bytes`: no clock, no randomness. `press` (press.Press) has
  `.stamp` (code, url, dated), `.title`, `.pdf(template, data, files=None)` (typst, see pdf.py),
  `.xlsx(openpyxl_workbook)`, `.docx(python_docx_document)`, `.qr_svg()`.
- A PDF template starts with `#import "ssj.typ": *`, reads `#let data = json("data.json")`,
  and wraps its body in `#show: house.with(title: "…")`: A4, Noto Serif CJK SC, and on every page
  the footer with the QR code, the check code and the check URL. Helpers: `form-title(title,
  subtitle: …)`, `label(body)` (a shaded header cell), `chinese-date` (the document's date as
  2023年11月8日), `stamp.code`, `stamp.url`. Put user text in `data`, never in the template
  source; if you must, escape it with `markup.markup()` / `markup.string()`.
- Shared pieces: `common.py` (department names, a target's sheet, dates as clerks write them),
  `record_sheet.sheet_facts(source, pairs)` (the 一企一表 of one target across several
  (task, target) pairs: a merged joint visit reuses it), `record_sheet.render_sheet(...)`.
- Services side (services/documents.py `Documents`): `issue(actor, kind, fmt, Subject(...), at=)
  -> IssuedCopy(record, content, appended)`, `check(actor, code, content=|sha256=)`,
  `record(actor, code)`, `issued(actor)`, `rebuild(actor, code) -> Rebuilt(matches, …)`.
  The service is `Service.documents` (adapters/bootstrap.py).
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "KINDS": "adapters.documents.kinds",
    "About": "adapters.documents.kinds",
    "Kind": "adapters.documents.kinds",
    "KindsMaker": "adapters.documents.kinds",
    "kind_of": "adapters.documents.kinds",
    "FontMissingError": "adapters.documents.pdf",
    "PdfError": "adapters.documents.pdf",
    "Press": "adapters.documents.press",
}


def __getattr__(name: str) -> Any:
    """Imported when first asked for: `ssj --help` reads the registry without typst."""
    if name not in _EXPORTS:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = sorted(_EXPORTS)
