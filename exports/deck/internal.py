"""What the CSM reads and the customer does not: health and its components, the lifecycle stage, why the account
needs attention, the risks, and the figures in the bottom quarter among peers. They go to the speaker notes of the
summary (always) and to an internal appendix the CSM adds on purpose (build_pptx's `internal`, `--internal`)."""
from __future__ import annotations

from pptx.enum.dml import MSO_THEME_COLOR
from pptx.util import Inches

from exports.audience import bottom_peers, customer_peers, health_line, risk_lines
from exports.deck.builder import Deck
from exports.deck.parts import peer_table
from wording import attention_reason


def _health_table(deck: Deck) -> list[list[str]]:
    health = deck.data.report.health
    rows = [[deck.t(k) for k in ("health_component", "health_figure", "health_weight", "health_points")]]
    for c in health.components if health else ():
        if not c.weight:
            continue
        rows.append([deck.t(f"health_{c.name}"), deck.f(c.value, "fraction"), deck.f(c.weight, "number"),
                     deck.f(c.contribution, "number")])
    return rows


def internal_appendix(deck: Deck) -> None:
    """The internal appendix: a divider, then health with its components, the attention reasons and the risks,
    then the bottom-quarter peer figures when there are any."""
    data = deck.data
    slide = deck.slide(deck.t("deck_internal"))
    deck.textbox(slide, deck.left, deck.top, deck.content_width, Inches(0.8), [deck.t("internal_intro")], 16,
                 color=MSO_THEME_COLOR.ACCENT_2)
    half = (deck.content_width - Inches(0.4)) // 2
    top = deck.top + Inches(1)
    deck.textbox(slide, deck.left, top, half, Inches(0.5), [health_line(data, deck.lang)], 16, bold=True)
    rows = _health_table(deck)
    if len(rows) > 1:
        deck.table(slide, rows, (deck.left, top + Inches(0.7), half, 0), [0.4, 0.2, 0.2, 0.2], size=12)
    side = deck.left + half + Inches(0.4)
    today = data.today.isoformat() if data.today else ""
    attention = [attention_reason(f.rule, f.values, deck.lang) for f in data.flags] or \
        [deck.t("internal_attention_none", today=today)]
    risks = risk_lines(data, deck.lang) or \
        [deck.t("risk_none")]
    deck.textbox(slide, side, top, half, Inches(0.5), [deck.t("internal_attention", today=today)], 16, bold=True,
                 color=MSO_THEME_COLOR.TEXT_2)
    height = (deck.top + deck.content_height - top - Inches(0.6)) // 2
    deck.textbox(slide, side, top + Inches(0.5), half, height - Inches(0.5), attention, 14, bullets=True)
    deck.textbox(slide, side, top + height, half, Inches(0.5), [deck.t("internal_risks")], 16, bold=True,
                 color=MSO_THEME_COLOR.TEXT_2)
    deck.textbox(slide, side, top + height + Inches(0.5), half, height, risks, 14, bullets=True)
    low = bottom_peers(data, deck.lang)
    if low:
        peers_table(deck, deck.t("deck_internal") + " · " + deck.t("internal_bottom_peers"), low)


def peers_table(deck: Deck, title: str, rows: list[dict[str, object]]) -> None:
    """A slide of peer figures (exports.data.peer_rows' rows)."""
    slide = deck.slide(title)
    table = peer_table(deck, rows)
    deck.table(slide, table, (deck.left, deck.top, deck.content_width, 0),
               [0.22, 0.11, 0.09, 0.11, 0.11, 0.11, 0.07, 0.18])
    deck.textbox(slide, deck.left, deck.top + Inches(0.4) * len(table) + Inches(0.3), deck.content_width,
                 Inches(0.8), [deck.t("peers_note")], 12)


def customer_peers_slide(deck: Deck) -> None:
    """Where the account stands among anonymous peers, on the figures not in the bottom quarter; no slide when none
    is left."""
    rows = customer_peers(deck.data, deck.lang)
    if rows:
        peers_table(deck, deck.t("peers_title"), rows)
