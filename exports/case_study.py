"""Benchmark case study (标杆案例) drafts in English or Chinese, from a metrics.case_study.CaseStudy record: Markdown
now. Every number printed is a field of the record, formatted; nothing is computed here."""
from __future__ import annotations

import math
import re

import pandas as pd

import wording
from exports.strings import reason
from metrics.case_study import SIGNIFICANT_DIGITS, CaseStudy
from metrics.efficiency import BASELINE_MONTHS, CONFIDENCE, USAGE_BASIS
from metrics.period import Period
from wording.case_study import TEXT  # the catalog: wording/case_study.py

MILESTONES = (1, 3, 6, 12, 24, 36)

INDUSTRY_ZH, REGION_ZH = wording.TERMS_ZH["industry"], wording.TERMS_ZH["region"]

# what can start markup inside a line (emphasis, code, links and images, HTML, table cells, strikethrough); customer
# text never starts a line here, so "-", "+", "#", "." and "!" stay plain (a "200\-seat" in the draft read badly)
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~])")


def _t(lang: str, key: str, **values: object) -> str:
    template = TEXT.get(lang, TEXT["en"])[key]
    return template.format(**values) if values else template


def _md(text: object) -> str:
    """Customer text made inert in Markdown: its punctuation escaped, newlines flattened."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def _sig(value: float) -> str:
    """A value already rounded to significant digits, without spurious decimals (27000.0 -> '27,000')."""
    if value == 0:
        return "0"
    decimals = max(0, 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


class _Format:
    """Numbers as the study is told: exact at fixed decimals, or (anonymized) as rounded by metrics.anonymize."""

    def __init__(self, study: CaseStudy, lang: str) -> None:
        self.anon, self.lang, self.currency = study.anonymized, lang, study.currency

    def pct(self, value: float | None, signed: bool = False) -> str:
        if value is None:
            return _t(self.lang, "na")
        return f"{value:{'+' if signed else ''}.{0 if self.anon else 1}%}"

    def num(self, value: float | None, decimals: int) -> str:
        if value is None:
            return _t(self.lang, "na")
        return _sig(value) if self.anon else f"{value:,.{decimals}f}"

    def money(self, value: float) -> str:
        return f"{self.currency or ''} {self.num(value, 2)}".strip()


def describe(study: CaseStudy, lang: str = "en") -> str:
    """The customer as a description, e.g. 'a 300-seat logistics company in East China' / '华东地区一家300席位的
    物流企业'."""
    industry, region = study.industry or "", study.region or ""
    if lang == "zh":
        values = {"industry": INDUSTRY_ZH.get(industry.lower(), industry), "seats": study.seats,
                  "region": REGION_ZH.get(region.lower(), region)}
    else:
        lead = str(study.seats) if study.seats else industry.lower()
        values = {"industry": industry.lower(), "seats": study.seats,
                  "article": "an" if lead.startswith(("8", "a", "e", "i", "o", "u")) or
                  re.fullmatch(r"1[18](000)*", lead) else "a",
                  "region": _t(lang, "in_region", region=region) if region else ""}
    return " ".join(_t(lang, "describe" if study.seats else "describe_no_seats", **values).split())


def _label(lang: str, mapping: dict[str, str], value: str | None) -> str:
    if value is None:
        return _t(lang, "na")
    return mapping.get(value.lower(), value) if lang == "zh" else value


def _profile(study: CaseStudy, lang: str, who: str) -> list[str]:
    rows = [] if study.anonymized else [(_t(lang, "customer"), who)]
    rows += [(_t(lang, "industry"), _md(_label(lang, INDUSTRY_ZH, study.industry))),
             (_t(lang, "region"), _md(_label(lang, REGION_ZH, study.region))),
             (_t(lang, "segment"), _md(_label(lang, wording.TERMS_ZH["segment"], study.segment))),
             (_t(lang, "seats"), str(study.seats) if study.seats else _t(lang, "na"))]
    if not study.anonymized:
        rows += [(_t(lang, "go_live"), study.go_live_date.isoformat() if study.go_live_date else _t(lang, "na")),
                 (_t(lang, "period"), Period(study.start, study.end).label())]
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _challenge(study: CaseStudy, lang: str, f: _Format) -> str:
    eff = study.efficiency
    if eff.baseline is None:
        return _t(lang, "baseline_na", reason=reason(lang, eff.reason))
    if study.anonymized:
        window = _t(lang, "baseline_window_anon", n=BASELINE_MONTHS)
    else:
        window = _t(lang, "baseline_window", n=BASELINE_MONTHS,
                    months=f"{eff.baseline_months[0]:%Y-%m} – {eff.baseline_months[-1]:%Y-%m}")
    key = "baseline_usage" if eff.basis == USAGE_BASIS else "baseline_outcomes"
    return _t(lang, key, baseline=f.num(eff.baseline, 2), window=window)


def _steps(study: CaseStudy, lang: str, f: _Format) -> list[str]:
    columns = ["col_n", "col_feature", *([] if study.anonymized else ["col_first_used"]), "col_days", "col_rate",
               "col_hours"]
    lines = ["| " + " | ".join(_t(lang, c) for c in columns) + " |", "|" + "---|" * len(columns)]
    for n, step in enumerate(study.steps, start=1):
        cells = [str(n), _md(step.feature)]
        if not study.anonymized:
            cells.append(step.first_used.isoformat())
        cells += [f.num(step.days_from_go_live, 0), f.pct(step.adoption_rate), f.num(step.hours_saved, 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _curves(study: CaseStudy, lang: str) -> list[str]:
    curves = study.curves.dropna(subset=["months_since_go_live"])
    if curves.empty:
        return []
    offsets = sorted(set(curves["months_since_go_live"].astype(int)))
    shown = [m for m in offsets if m in MILESTONES or m == offsets[-1]]
    table = curves.pivot_table(index="feature", columns="months_since_go_live", values="adoption_rate")
    lines = [_t(lang, "curves"), "",
             "| " + _t(lang, "col_feature") + " | " + " | ".join(_t(lang, "month_n", n=m) for m in shown) + " |",
             "|---|" + "---|" * len(shown)]
    for step in study.steps:
        if step.feature in table.index:
            row = table.loc[step.feature]
            cells = [f"{row[m]:.0%}" if m in row.index and not pd.isna(row[m]) else "–" for m in shown]
            lines.append(f"| {_md(step.feature)} | " + " | ".join(cells) + " |")
    return lines


def _results(study: CaseStudy, lang: str, f: _Format) -> list[str]:
    eff, conf = study.efficiency, f"{CONFIDENCE:.0%}"
    if eff.delta is None:
        lines = [_t(lang, "eff_na", reason=reason(lang, eff.reason))]
    else:
        lines = [_t(lang, "eff_usage" if eff.basis == USAGE_BASIS else "eff", delta=f.pct(eff.delta, True),
                    conf=conf, low=f.pct(eff.ci_low, True), high=f.pct(eff.ci_high, True),
                    current=f.num(eff.current, 2), baseline=f.num(eff.baseline, 2))]
    if eff.adjusted_delta is not None:
        lines.append(_t(lang, "adjusted", delta=f.pct(eff.adjusted_delta, True), conf=conf,
                        low=f.pct(eff.adjusted_ci_low, True), high=f.pct(eff.adjusted_ci_high, True),
                        n=eff.comparison_accounts))
    lines.append(_t(lang, "hours", hours=f.num(study.hours_saved, 1), fte=f.num(study.fte_equivalent, 2)))
    lines.append(_t(lang, "value", value=f.money(study.value)) if study.value is not None else
                 _t(lang, "value_na", reason=reason(lang, study.cost_reason)))
    if study.roi is None:
        lines.append(_t(lang, "roi_na", reason=reason(lang, study.cost_reason)))
    elif study.payback_months is None:
        lines.append(_t(lang, "roi_no_payback", roi=f.pct(study.roi, True)))
    else:
        lines.append(_t(lang, "roi", roi=f.pct(study.roi, True), payback=f.num(study.payback_months, 1)))
    lines.append(_t(lang, "adoption", kfa=f.pct(study.key_feature_adoption), breadth=f.num(study.breadth, 2)))
    return ["- " + line for line in lines]


def draft(study: CaseStudy, lang: str = "en") -> str:
    """The case study as Markdown text in `lang` ('en' or 'zh'): profile, challenge, solution, results, quote."""
    f = _Format(study, lang)
    described = describe(study, lang)
    who = described if study.anonymized else _md(study.name)
    title = described[:1].upper() + described[1:] if study.anonymized else who
    ttv = study.time_to_value_days
    out = [f"# {_t(lang, 'title', name=_md(title) if study.anonymized else title)}", "",
           *([] if study.anonymized else [f"*{_md(described)}*", ""]),
           f"## {_t(lang, 'profile')}", "", *_profile(study, lang, who), "",
           f"## {_t(lang, 'challenge')}", "", _challenge(study, lang, f), "", f"## {_t(lang, 'solution')}", ""]
    if study.steps:
        out += [_t(lang, "steps_intro", who=_t(lang, "the_customer") if study.anonymized else who,
                   n=len(study.steps)), "", *_steps(study, lang, f), ""]
        if ttv is not None:
            out += [_t(lang, "ttv_before" if ttv < 0 else "ttv_after", days=f.num(abs(ttv), 0)), ""]
        curves = _curves(study, lang)
        out += [*curves, ""] if curves else []
    else:
        out += [_t(lang, "no_steps"), ""]
    window = study.months_after_go_live
    heading = _t(lang, "results_window", first=window[0], last=window[1]) if window else _t(lang, "results")
    out += [f"## {heading}", "", *_results(study, lang, f), "", f"## {_t(lang, 'quote')}", "",
            _t(lang, "quote_text", who=_t(lang, "the_customer") if study.anonymized else who), "", "---", ""]
    period = "" if study.anonymized else _t(lang, "footer_period", period=Period(study.start, study.end).label())
    footer = _t(lang, "footer", period=period, n=BASELINE_MONTHS, conf=f"{CONFIDENCE:.0%}")
    if study.anonymized:
        footer += ("" if lang == "zh" else " ") + _t(lang, "footer_anon", digits=SIGNIFICANT_DIGITS)
    return "\n".join([*out, f"*{footer}*", ""])


def markdown(study: CaseStudy, lang: str = "en") -> bytes:
    """The Markdown draft as UTF-8 bytes, for a download."""
    return draft(study, lang).encode("utf-8")


def _plain(markdown_text: str) -> str:
    """A line of the Markdown draft as plain slide text: escapes and emphasis removed."""
    return re.sub(r"\\(.)", r"\1", markdown_text.removeprefix("- ")).replace("**", "")


def case_study_pptx(study: CaseStudy, lang: str = "en", template: bytes | None = None) -> bytes:
    """The case study as an editable deck, built with the QBR deck's builder: title, profile and challenge,
    solution (features in order, adoption curves), results, quote."""
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    from exports.deck import Deck
    from exports.deck.builder import _style

    f, deck = _Format(study, lang), Deck(lang, template, currency=study.currency)
    described = describe(study, lang)
    title = described[:1].upper() + described[1:] if study.anonymized else str(study.name)
    period = "" if study.anonymized else Period(study.start, study.end).label()
    deck.title_slide(_t(lang, "title", name=title), [described if not study.anonymized else "", period])
    left, top, width, height = deck.left, deck.top, deck.content_width, deck.content_height

    slide = deck.slide(_t(lang, "profile"))
    rows = [[k, _plain(v)] for k, v in (line.strip("|").split(" | ", 1) for line in _profile(study, lang, title)[2:])]
    deck.table(slide, [[_t(lang, "profile"), ""], *rows], (left, top, width // 2, height), [0.4, 0.6])
    deck.textbox(slide, left + width // 2 + Inches(0.3), top, width // 2 - Inches(0.3), height,
                 [_t(lang, "challenge"), _plain(_challenge(study, lang, f))], 16)

    slide = deck.slide(_t(lang, "solution"))
    if study.steps:
        shown = study.steps[:10]
        rows = [[_t(lang, "col_n"), _t(lang, "col_feature"), _t(lang, "col_days"), _t(lang, "col_rate")]]
        rows += [[str(n), step.feature, f.num(step.days_from_go_live, 0), f.pct(step.adoption_rate)]
                 for n, step in enumerate(shown, start=1)]
        deck.table(slide, rows, (left, top, width * 9 // 20, height), [0.1, 0.5, 0.2, 0.2], size=11)
        curves = study.curves.dropna(subset=["months_since_go_live"])
        top_features = [s.feature for s in sorted(study.steps, key=lambda s: -s.hours_saved)[:5]]
        table = curves[curves["feature"].isin(top_features)].pivot_table(
            index="months_since_go_live", columns="feature", values="adoption_rate")
        if not table.empty:
            chart = deck.chart(slide, XL_CHART_TYPE.LINE_MARKERS,
                               [_t(lang, "month_n", n=int(m)) for m in table.index],
                               [(name, [None if pd.isna(v) else float(v) for v in table[name]])
                                for name in top_features if name in table.columns],
                               (left + width // 2, top, width // 2, height), "0%", legend=True)
            # the table's rate is the period's; the chart's are months since go-live: each says which it is
            chart.has_title = True
            chart.chart_title.text_frame.text = _t(lang, "chart_curves")
            chart.value_axis.has_title = True
            chart.value_axis.axis_title.text_frame.text = _t(lang, "axis_adoption")
            _style(chart.chart_title.text_frame, lang, 13, bold=True)
            _style(chart.value_axis.axis_title.text_frame, lang, 11)
    else:
        deck.textbox(slide, left, top, width, height, [_t(lang, "no_steps")])

    window = study.months_after_go_live
    slide = deck.slide(_t(lang, "results_window", first=window[0], last=window[1]) if window else _t(lang, "results"))
    deck.textbox(slide, left, top, width, height, [_plain(line) for line in _results(study, lang, f)], 16,
                 bullets=True)

    slide = deck.slide(_t(lang, "quote"))
    quote = _t(lang, "quote_text", who=_t(lang, "the_customer") if study.anonymized else title)
    deck.textbox(slide, left, top, width, height,
                 [_plain(line.lstrip("> ")) for line in quote.split("\n") if line.strip("> ")], 24)
    return deck.save(_t(lang, "title", name=title))
