"""Fonts and fills of the workbooks written with openpyxl (training lists, requirement board) and the font rule
every workbook follows, the Excel value report's too: the CJK font for Chinese text, else the language's font."""
from __future__ import annotations

import re
from functools import lru_cache

from openpyxl.styles import Font, PatternFill

FONTS = {"en": "Calibri", "zh": "Microsoft YaHei"}
CJK_FONT = "Microsoft YaHei"  # Excel falls back to another CJK font where it is missing; so does LibreOffice
CJK_CHARSET = 134  # GB2312: the charset a font for Simplified Chinese declares
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
HEADER_COLOR = "1F4E79"
HEADER_FILL = PatternFill("solid", fgColor=HEADER_COLOR)


def font_name(value: object, lang: str) -> str:
    """The font of a cell holding `value`: the CJK font for Chinese text, else the language's font."""
    return CJK_FONT if isinstance(value, str) and _CJK.search(value) else FONTS.get(lang, FONTS["en"])


def cell_font(value: object, lang: str, **style: object) -> Font:
    """The openpyxl Font of a cell holding `value` (font_name), with `style` (bold, size, color, ...)."""
    return _font(font_name(value, lang), tuple(sorted(style.items())))


@lru_cache(maxsize=512)
def _font(name: str, style: tuple[tuple[str, object], ...]) -> Font:
    """One Font object per name and style, shared by every cell and workbook (openpyxl keeps a workbook's fonts
    by value and never changes one)."""
    return Font(name=name, charset=CJK_CHARSET if name == CJK_FONT else None, **dict(style))
