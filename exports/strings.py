"""Export text (the catalog is wording/exports.py) and number formatting for people (no Streamlit here)."""
from __future__ import annotations

import wording
from wording import numbers
from wording.exports import STRINGS  # the catalog: wording/exports.py

LANGS = ("en", "zh")

# The domain's words (formulas, reasons, units, enum values) are shared with the pages and the CLI: wording.py.


def text(lang: str, key: str, **values: object) -> str:
    """The export string `key` in `lang` (English when the language is unknown), filled with `values`."""
    table = STRINGS.get(lang, STRINGS["en"])
    template = table.get(key, STRINGS["en"][key])
    return template.format(**values) if values else template


def reason(lang: str, value: str | None) -> str:
    """A metric's reason for a missing figure, in `lang` (wording.reason)."""
    return wording.reason(value, lang)


def fmt(value: float | None, unit: str, lang: str, currency: str | None = None, signed: bool = False,
        compact: bool = False) -> str:
    """A figure for a slide or a sentence in `lang`: wording.numbers.fmt, the formatter the pages and the CLI use
    (`compact`: money without cents from 1,000, K/M in English and 万/亿 in Chinese from 10,000)."""
    return numbers.fmt(value, unit, lang, currency, signed=signed, compact=compact)
