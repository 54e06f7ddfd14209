"""User text in typst sources, never typst code.

The safest way is not to write user text into the source at all: builders hand their facts to
`Press.pdf` as data, which the template reads with `json("data.json")`, and typst shows a string
from data as text whatever it holds. Where a builder must write text into the source itself,
`string` makes a typst string literal and `markup` escapes every character markup would read.
"""

from __future__ import annotations

import json

_MARKUP_SPECIAL = set(".\\#$*_`<>@=-+/~[]{}'\"")


def string(text: str) -> str:
    """A typst string literal: JSON's escapes are typst's (\\", \\\\, \\n, \\u{…} aside), so
    control characters are written as \\u{…}."""
    out = []
    for char in str(text):
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def markup(text: str) -> str:
    """Text to put in markup: every character markup gives a meaning is escaped, and line
    breaks stay line breaks (a blank line would start a paragraph)."""
    out = []
    for char in str(text).replace("\r\n", "\n").replace("\r", "\n"):
        if char in _MARKUP_SPECIAL:
            out.append("\\" + char)
        elif char == "\n":
            out.append(" \\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def content(text: str) -> str:
    """Text as a typst content expression (`[…]` with the text escaped), for code mode."""
    return "[" + markup(text) + "]"


def data_json(value: object) -> str:
    """The facts as the template reads them (`json("data.json")`)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)
