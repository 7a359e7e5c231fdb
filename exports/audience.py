"""The one policy for what each audience of an export reads: the customer (value, progress against promises, next
steps) or the CSM alone (health, stage, attention reasons, risks, figures in the bottom quarter among peers). The
deck's speaker notes and internal appendix and the workbook's Internal sheet read the CSM's side from here."""
from __future__ import annotations

import pandas as pd

from exports.data import ExportData, peer_rows
from exports.strings import fmt, reason, text
from wording import STAGES, attention_reason, risk_text, title_in, why_not

BOTTOM_QUARTER = 25  # a percentile under this among peers is the CSM's to know, not a slide for the customer


def customer_peers(data: ExportData, lang: str) -> list[dict[str, object]]:
    """The peer figures a customer reads: those not in the bottom quarter (a percentile withheld stays)."""
    return [r for r in peer_rows(data, lang)
            if r["own"] is not None and (r["percentile"] is None or r["percentile"] >= BOTTOM_QUARTER)]


def asked_version(r, lang: str) -> str:
    """A requirement's version as the customer reads it: shipped (and when), else targeted; not supported for now:
    the reason CS gave, in `lang` when it is kept in both ("中文 / English", as titles are)."""
    if r.status == "not_supported":
        return why_not(r.status, r.status_note, lang)
    if isinstance(r.shipped_version, str):
        return f"{r.shipped_version} ({pd.Timestamp(r.shipped_date).date().isoformat()})"
    return r.target_version if isinstance(r.target_version, str) else ""


def asked_rows(data: ExportData, lang: str, statuses: tuple[str, ...] | None = None) -> list[list[str]]:
    """What the customer asked for, as the deck and the customer's page show it: a header, then one row per
    requirement (a request not grouped yet is its own row, in the customer's words), newest first, with its status
    and version (asked_version); `statuses`: only the requirements in these."""
    rows = [[text(lang, k) for k in ("asked_what", "asked_on", "asked_status", "asked_version")]]
    asked = data.requests
    seen: set[str] = set()
    for r in (asked.itertuples(index=False) if asked is not None else ()):
        if statuses is not None and (r.status not in statuses or not isinstance(r.title, str)):
            continue
        what = title_in(r.title, lang) if isinstance(r.title, str) else r.words
        if what in seen:
            continue
        seen.add(what)
        status = text(lang, f"req_status_{r.status}") if isinstance(r.status, str) else text(lang, "asked_heard")
        rows.append([what, pd.Timestamp(r.request_date).date().isoformat(), status, asked_version(r, lang)])
    return rows


def bottom_peers(data: ExportData, lang: str) -> list[dict[str, object]]:
    """The peer figures in the bottom quarter: internal."""
    return [r for r in peer_rows(data, lang) if r["percentile"] is not None and r["percentile"] < BOTTOM_QUARTER]


def risk_lines(data: ExportData, lang: str) -> list[str]:
    """The story's risks in words, a feature named in `lang` (metrics.story names it by its id)."""
    return [risk_text(r.code, r.value, data.name(r.detail, lang) if r.code == "feature_down" and r.detail else
                      r.detail, lang, lambda k, **v: text(lang, k, **v)) for r in data.story.risks]


def health_line(data: ExportData, lang: str) -> str:
    """Health score and lifecycle stage in one line."""
    health, stage = data.report.health, data.report.lifecycle
    if stage is None:
        return text(lang, "internal_no_stage", score=fmt(health.score if health else None, "count", lang))
    words = {"stage": STAGES.get(lang, STAGES["en"]).get(stage.stage, stage.stage), "since": f"{stage.since:%Y-%m}"}
    if health is None or health.score is None:
        return text(lang, "internal_health_na", reason=reason(lang, health.reason if health else None), **words)
    return text(lang, "internal_health", score=fmt(health.score, "count", lang), **words)


def internal_lines(data: ExportData, lang: str) -> list[str]:
    """Every internal signal as a line: health and stage, attention reasons (from today), the risks (the
    bottom-quarter figures among them). The summary's speaker notes carry them, so the CSM has them without the
    appendix."""
    today = data.today.isoformat() if data.today else ""
    lines = [health_line(data, lang)]
    if data.flags:
        colon, separator = ("：", "；") if lang == "zh" else (": ", "; ")
        lines.append(text(lang, "internal_attention", today=today) + colon + separator.join(
            attention_reason(f.rule, f.values, lang) for f in data.flags))
    lines += risk_lines(data, lang)
    return lines


