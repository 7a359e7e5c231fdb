"""What the CSM reads and the customer does not: risks, peers below the quartile, health, attention."""
from __future__ import annotations

from pptx.enum.dml import MSO_THEME_COLOR
from pptx.util import Inches

from exports.data import peer_rows
from exports.deck.builder import Deck
from wording import risk_text


def _risks(deck: Deck) -> None:
    """Risks to watch (metrics.story) and what the account is asked for."""
    story = deck.data.story
    slide = deck.slide(deck.t("deck_risks"))
    lines = [risk_text(r.code, r.value, r.detail, deck.lang, deck.t) for r in story.risks]
    half = (deck.content_width - Inches(0.4)) // 2
    deck.textbox(slide, deck.left, deck.top, half, deck.content_height, lines or [deck.t("risk_none")], 16,
                 bullets=True)
    asks = ["ask_go_live"] if story.case == "onboarding" else ["ask_owner", "ask_data"]
    if story.case == "positive":
        asks.append("ask_reference")
    side = deck.left + half + Inches(0.4)
    deck.textbox(slide, side, deck.top, half, Inches(0.5), [deck.t("asks_title")], 18, bold=True,
                 color=MSO_THEME_COLOR.TEXT_2)
    deck.textbox(slide, side, deck.top + Inches(0.6), half, deck.content_height - Inches(0.6),
                 [deck.t(k) for k in asks], 16, bullets=True)




def _peers(deck: Deck) -> None:
    """Where the account stands among anonymous peers (metrics.benchmarks, the Benchmarks page's function)."""
    rows = peer_rows(deck.data, deck.lang)
    if not rows:
        return
    slide = deck.slide(deck.t("peers_title"))
    columns = ("figure", "own", "percentile", "median", "p25", "p75", "peers", "cohort")
    table = [[deck.t(f"peer_col_{c}") for c in columns]]
    for row in rows:
        shown = {k: deck.f(row[k], row["unit"], signed=row["metric"] == "efficiency_delta")
                 for k in ("own", "p25", "median", "p75")}
        table.append([row["figure"], shown["own"], deck.f(row["percentile"], "count"), shown["median"], shown["p25"],
                      shown["p75"], deck.f(row["peers"], "count"), row["cohort"]])
    deck.table(slide, table, (deck.left, deck.top, deck.content_width, 0),
               [0.22, 0.11, 0.09, 0.11, 0.11, 0.11, 0.07, 0.18])
    deck.textbox(slide, deck.left, deck.top + Inches(0.4) * len(table) + Inches(0.3), deck.content_width,
                 Inches(0.8), [deck.t("peers_note")], 12)


