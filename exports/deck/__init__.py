"""The QBR deck: one account's value story as an editable PowerPoint with native charts, on a template.

Customer slides (exports.deck.story, exports.deck.slides) say what the customer reads; what only the CSM reads
(risks, peers below the quartile, health, attention) is in the speaker notes and in the internal appendix
(exports.deck.internal), added on purpose."""
from __future__ import annotations

import duckdb
import pandas as pd

from exports.data import ExportData, StoreFacts, gather, version_line
from exports.deck.builder import _CELL_PROPERTIES, CELL_MARGIN, Deck, _style_runs
from exports.deck.fill import fill, has_slides
from exports.deck.internal import customer_peers_slide, internal_appendix
from exports.deck.sections import _coming, _delivered, _expansion, _goals, _team
from exports.deck.slides import (
    _adoption,
    _appendix,
    _asked,
    _efficiency,
    _results,
    _trainees,
    _underused,
    _value,
)
from exports.deck.story import _summary, _title, story_lines
from exports.strings import text
from metrics.period import Period
from metrics.report import PeriodInputs

__all__ = ["CELL_MARGIN", "Deck", "_CELL_PROPERTIES", "_style_runs", "build_pptx", "qbr_deck_pptx", "story_lines"]


def build_pptx(data: ExportData, lang: str = "en", template: bytes | None = None, internal: bool = False,
               csm: str = "") -> bytes:
    """The deck for already gathered figures. A `template` (.pptx bytes) with slides of its own is the team's deck,
    filled (exports.deck.fill; `csm` fills {{csm}}); without slides it lends its layouts and theme to the built-in
    deck: the customer's slides (a slide with nothing to say is left out), then with `internal` the CSM's appendix.
    Every slide's notes end with the data the deck was built from."""
    if template is not None and has_slides(template):
        return fill(data, lang, template, internal=internal, csm=csm)
    deck = Deck(lang, template, data=data)
    for make in (_title, _summary, _results, _delivered, _adoption, _efficiency, _value, customer_peers_slide,
                 _asked, _coming, _underused, _expansion, _team, _goals, _appendix, _trainees):
        make(deck)
    deck.agenda()  # the customer's slides: the internal appendix is not on the agenda
    if internal:
        internal_appendix(deck)
    deck.number_slides()
    stamp = version_line(data, lang)
    deck.ensure_notes()
    for slide in deck.prs.slides:
        frame = slide.notes_slide.notes_text_frame
        deck.notes(slide, [p.text for p in frame.paragraphs if p.text] + [stamp])
    return deck.save(f"{text(lang, 'deck_title')}: {data.account.name}")


def qbr_deck_pptx(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, lang: str = "en",
                  template: bytes | None = None, peers: pd.DataFrame | None = None,
                  people_as: str | None = None, inputs: PeriodInputs | None = None,
                  facts: StoreFacts | None = None, internal: bool = False, csm: str = "") -> bytes:
    """One account's QBR deck for `period` as .pptx bytes; DataError for an unknown account. `people_as` (names,
    initials or pseudonyms) adds the training lists to the appendix; by default the deck names nobody. `peers`,
    `inputs` and `facts`: the period's peer figures and report inputs and the store's facts, when built once for many
    files (exports.data.gather); `internal`: with the CSM's internal appendix."""
    return build_pptx(gather(con, account_id, period, peers, people_as, inputs, facts), lang, template, internal,
                      csm)

