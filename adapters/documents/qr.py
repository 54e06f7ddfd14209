"""The QR code printed on a document: its check URL, as SVG for typst (segno, no randomness)."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str) -> bytes:
    """The same URL always gives the same SVG (error correction M, no border: the page frames it)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", xmldecl=False, svgns=True, border=0, scale=4, dark="#000"
    )
    return out.getvalue()


def qr_png(url: str) -> bytes:
    """The same QR code as PNG, for a DOCX (Word shows no SVG without a PNG beside it)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", border=2, scale=6)
    return out.getvalue()
