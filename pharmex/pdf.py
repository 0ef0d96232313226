"""The one PDF writer: a titled document of labelled facts and a table, with Chinese text (SPEC §5 delivery note).

reportlab lays it out; the vendored Droid Sans Fallback font (pharmex/fonts, Apache-2.0) is embedded as the
subset the document uses, so the text renders — and can be extracted — on any reader.

Droid Sans Fallback has CJK glyphs only: no digits, no Latin letters, no `<` or `&`. A lot number, a licence
number, a date or an amount set in it would print as blanks. So every character is set in a font that has it:
the CJK font for Chinese, Helvetica (one of the 14 fonts every PDF reader has, nothing to embed) for what
WinAnsi encodes, Symbol for Greek (α-干扰素). A character none of them has is spelled compatibly where Unicode
allows (℃ → °C, Ⅱ → II).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.rl_codecs import RL_Codecs
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "PharmExCJK"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "DroidSansFallback.ttf"
LATIN_FONT = "Helvetica"  # WinAnsi: ASCII, Latin-1, – — … ‰ € and the like
GREEK_FONT = "Symbol"


@cache
def _font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    RL_Codecs.register()  # the "winansi" and "symbol" codecs _face() asks
    return FONT


@cache
def _cjk_glyphs() -> frozenset[int]:
    return frozenset(pdfmetrics.getFont(_font()).face.charToGlyph)


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeError:
        return False
    return True


@cache
def _face(char: str) -> str | None:
    """The font to set `char` in; None when no font has it."""
    if ord(char) in _cjk_glyphs() and not char.isascii():
        return FONT
    if _encodes(char, "winansi"):
        return LATIN_FONT
    if _encodes(char, "symbol"):
        return GREEK_FONT
    return None


def _spell(char: str) -> str:
    """`char`, or its compatibility spelling (NFKC) when no font has `char` but the fonts have all of that."""
    if _face(char) is not None:
        return char
    compatible = unicodedata.normalize("NFKC", char)
    return compatible if all(_face(c) is not None for c in compatible) else char


def markup(text: str) -> str:
    """`text` as Paragraph markup: escaped, each run of characters in a font that has their glyphs."""
    runs: list[tuple[str, list[str]]] = []
    for char in "".join(_spell(c) for c in text):
        # a space goes with the run it is in (no font switch for it); a glyph no font has: the CJK font's blank
        face = runs[-1][0] if char.isspace() and runs else (_face(char) or FONT)
        if runs and runs[-1][0] == face:
            runs[-1][1].append(char)
        else:
            runs.append((face, [char]))
    return "".join(
        escape("".join(chars)) if face == FONT else f'<font face="{face}">{escape("".join(chars))}</font>'
        for face, chars in runs
    )


def table_document(
    *,
    title: str,
    facts: Sequence[tuple[str, str]],
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    footer: Sequence[tuple[str, str]] = (),
    author: str = "PharmEx",
) -> bytes:
    """A landscape A4 PDF: the title, `facts` as label–value pairs, the table, then `footer` pairs."""
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    heading = ParagraphStyle("title", fontName=font, fontSize=16, leading=20, alignment=1, spaceAfter=6)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)

    def pairs(items: Sequence[tuple[str, str]]) -> Table:
        cells = [
            [Paragraph(markup(f"{label}：{value}"), body) for label, value in items[i : i + 3]]
            for i in range(0, len(items), 3)
        ]
        for row in cells:
            row += [""] * (3 - len(row))
        return Table(cells, colWidths=[90 * mm] * 3, hAlign="LEFT")

    table = Table(
        [
            [Paragraph(markup(text), cell) for text in header],
            *[[Paragraph(markup(str(v)), cell) for v in row] for row in rows],
        ],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=title,
        author=author,
    )
    story = [Paragraph(markup(title), heading), pairs(facts), Spacer(1, 4 * mm), table]
    if footer:
        story += [Spacer(1, 4 * mm), pairs(footer)]
    document.build(story)
    return buffer.getvalue()
