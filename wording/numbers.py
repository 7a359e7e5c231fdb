"""One formatter for the figures people read, per language, for the pages, the exports and the CLI: fractions as
percentages, money with its currency code, hours, counts and months; compact amounts for KPI cards (62.7K in English,
6.3万 in Chinese). Number patterns and compact forms come from Babel's CLDR data
(https://babel.pocoo.org/en/latest/api/numbers.html)."""
from __future__ import annotations

import decimal
import math
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, format_compact_decimal, format_decimal, format_percent, parse_pattern

LOCALES = {"en": "en_US", "zh": "zh_CN"}
NA = {"en": "n/a", "zh": "不适用"}
HOURS = {"en": "h", "zh": "小时"}


def fmt(value: float | None, unit: str, lang: str = "en", currency: str | None = None, *, signed: bool = False,
        compact: bool = False) -> str:
    """A figure for people in `lang`: n/a for None or NaN; a fraction as a percentage with one decimal (a sign when
    `signed`); money with two decimals after its currency code, or compact (`compact`: whole units from 1,000, from
    10,000 one decimal with K/M in English, 万/亿 in Chinese); hours with one decimal and the unit (whole hours from 1,000 when compact);
    counts whole; months with one decimal; anything else with two decimals. Halves round away from zero on the
    decimal value, as a spreadsheet shows them (metrics.cost.cents), not to even (Babel's default)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NA.get(lang, NA["en"])
    with decimal.localcontext(rounding=decimal.ROUND_HALF_UP):
        return _fmt(value, unit, lang, currency, signed, compact)


@lru_cache(maxsize=None)
def _locale(lang: str) -> Locale:
    """The language's Babel Locale, parsed once (Babel parses a locale name on every call)."""
    return Locale.parse(LOCALES.get(lang, LOCALES["en"]))


@lru_cache(maxsize=None)
def _pattern(pattern: str) -> NumberPattern:
    """A number pattern parsed once: Babel's format_* functions take a parsed pattern as they take its text, and
    parsing it was most of a call (14 -> 4 us; an export formats some hundred figures)."""
    return parse_pattern(pattern)


def _fmt(value: float, unit: str, lang: str, currency: str | None, signed: bool, compact: bool) -> str:
    locale = _locale(lang)
    if unit == "fraction":
        return format_percent(value, _pattern("+#,##0.0%;-#,##0.0%" if signed else "#,##0.0%"), locale=locale)
    if unit == "currency":
        if compact and abs(value) >= 10_000:
            number = format_compact_decimal(value, locale=locale, fraction_digits=1)
        elif compact and abs(value) >= 1_000:  # "CNY 5,506": a KPI card has no room for the cents
            number = format_decimal(value, _pattern("#,##0"), locale=locale)
        else:
            number = format_decimal(value, _pattern("#,##0.00"), locale=locale)
        return f"{currency} {number}" if currency else number
    if unit == "hours":
        pattern = "#,##0" if compact and abs(value) >= 1000 else "#,##0.0"
        return f"{format_decimal(value, _pattern(pattern), locale=locale)} {HOURS.get(lang, HOURS['en'])}"
    if unit == "count":
        return format_decimal(value, _pattern("#,##0"), locale=locale)
    if unit == "months":
        return format_decimal(value, _pattern("#,##0.0"), locale=locale)
    return format_decimal(value, _pattern("#,##0.00"), locale=locale)
