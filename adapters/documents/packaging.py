"""XLSX and DOCX made reproducible: the same facts give the same bytes.

Both are zip files. openpyxl and python-docx stamp the clock into them (the core properties'
created/modified, each zip entry's time) and python-docx keeps what its template says; here the
core properties take the document's date, and the zip is written again with its entries in name
order, each with that date and the same compression, so nothing of the moment it was made stays.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

from domain.values import CHINA

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can hold."""


def _naive_utc(dated: dt.datetime) -> dt.datetime:
    return dated.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def reproducible_zip(content: bytes, dated: dt.datetime) -> bytes:
    """The zip again: entries sorted by name ([Content_Types].xml first, as Office expects),
    each dated at the document's local time, deflated, with no extra fields or comments."""
    local = dated.astimezone(CHINA)
    when = max(
        (local.year, local.month, local.day, local.hour, local.minute, local.second), ZIP_EPOCH
    )
    source = zipfile.ZipFile(io.BytesIO(content))
    names = sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            data = source.read(name)
            if name == "docProps/core.xml":
                data = _dated_core(data, dated)
            target.writestr(info, data, compresslevel=9)
    return out.getvalue()


_DCTERMS = re.compile(rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def _dated_core(core: bytes, dated: dt.datetime) -> bytes:
    """openpyxl stamps `modified` with the clock as it saves: the document's date instead."""
    when = _naive_utc(dated).isoformat().encode() + b"Z"
    return _DCTERMS.sub(lambda m: m.group(1) + when + m.group(3), core)


def set_core_properties(properties: Any, dated: dt.datetime, title: str) -> None:
    """openpyxl's and python-docx's core properties alike: dated the document's date, by ssj."""
    when = _naive_utc(dated)
    properties.created = when
    properties.modified = when
    properties.title = title
    for name in ("creator", "author"):
        if hasattr(properties, name):
            setattr(properties, name, "ssj")
    if hasattr(properties, "last_modified_by"):
        properties.last_modified_by = "ssj"
    if hasattr(properties, "lastModifiedBy"):
        properties.lastModifiedBy = "ssj"
    if hasattr(properties, "revision"):
        properties.revision = 1


def xlsx_bytes(workbook: Any, dated: dt.datetime, title: str) -> bytes:
    """An openpyxl workbook as reproducible XLSX bytes."""
    set_core_properties(workbook.properties, dated, title)
    out = io.BytesIO()
    workbook.save(out)
    return reproducible_zip(out.getvalue(), dated)


def docx_bytes(document: Any, dated: dt.datetime, title: str) -> bytes:
    """A python-docx document as reproducible DOCX bytes."""
    set_core_properties(document.core_properties, dated, title)
    out = io.BytesIO()
    document.save(out)
    return reproducible_zip(out.getvalue(), dated)
