"""The QBR sections a CS leader expects beyond the figures: value delivered against the business case, what is
coming for the customer, room to grow, the customer's team, and what we ask of them. Each slide is left out when
it has nothing to say."""
from __future__ import annotations

from pptx.enum.dml import MSO_THEME_COLOR
from pptx.slide import Slide
from pptx.util import Inches

from exports.deck.builder import ROW_HEIGHT, Deck
from exports.deck.parts import business_case_chart, objective_figure
from exports.deck.slides import requests_table

COMING = ("accepted", "scheduled", "in_progress")  # requirement statuses a customer is told are on their way


def _delivered(deck: Deck) -> None:
    """Value delivered against what was promised: the business case month by month (metrics.objectives.projection)
    and the objectives' share delivered; no slide without either."""
    rep = deck.data.report
    case = rep.projection
    if case is None and rep.value_delivered is None:
        return
    slide = deck.slide(deck.t("deck_delivered"))
    lines = []
    if case is not None and case.realized_to_date is not None:
        lines.append(deck.t("delivered_line", realized=deck.f(case.realized_to_date, "currency"),
                            projected=deck.f(case.projected_to_date, "currency"),
                            share=deck.f(case.realized_share, "fraction")))
    if rep.value_delivered is not None:
        lines.append(deck.t("delivered_objectives", share=deck.f(rep.value_delivered, "fraction"),
                            n=len(rep.objectives)))
    chart_width = int(deck.content_width * 0.64) if case is not None else 0
    if case is not None:
        business_case_chart(deck, slide, (deck.left, deck.top, chart_width, deck.content_height))
    side = deck.left + chart_width + (Inches(0.3) if chart_width else 0)
    deck.textbox(slide, side, deck.top + Inches(0.3), deck.width - side - deck.left, deck.content_height, lines, 16,
                 bullets=True)


def _coming(deck: Deck) -> None:
    """What the customer asked for that is accepted, scheduled or being built, with its target version; no slide
    when nothing is (the asked slide lists every request)."""
    requests_table(deck, deck.t("deck_coming"), COMING)


def _expansion(deck: Deck) -> None:
    """Room to grow in the customer's words: seats with no active user, and the valuable features used less than
    by peers, in money (or hours) at the peer median; no slide when there is neither."""
    data = deck.data
    use, seats = data.report.adoption, data.account.seats
    lines = []
    active = int(data.mau["active_users"].iloc[-1]) if len(data.mau) else 0
    if seats and active < seats:
        lines.append(deck.t("expansion_seats", free=deck.f(seats - active, "count"), seats=deck.f(seats, "count")))
    gaps = use.underused_features
    if gaps:
        priced = [g.value_left for g in gaps if g.value_left is not None]
        if len(priced) == len(gaps):
            lines.append(deck.t("expansion_features", n=len(gaps), value=deck.f(sum(priced), "currency")))
        else:
            lines.append(deck.t("expansion_features_hours", n=len(gaps),
                                hours=deck.f(sum(g.hours_left or 0 for g in gaps), "hours")))
    if not lines:
        return
    slide = deck.slide(deck.t("deck_expansion"))
    deck.textbox(slide, deck.left, deck.top, deck.content_width, deck.content_height, lines, 20, bullets=True,
                 color=MSO_THEME_COLOR.TEXT_1)


def _team(deck: Deck) -> None:
    """The customer's stakeholders: champions and the users with a role, as the export shows people; no slide when
    it names nobody (by default) or there is nobody to name."""
    team = [row for row in deck.data.stakeholders if row[0]]
    if not team:
        return
    rows = [[deck.t(k) for k in ("team_person", "team_role", "team_segment", "team_days")]]
    rows += [[who, role, deck.t(f"segment_{segment}"), deck.f(days, "count")] for who, role, segment, days in team]
    deck.paged_table(deck.t("deck_team"), rows, [0.34, 0.3, 0.2, 0.16])


def asks(deck: Deck) -> list[str]:
    """What we ask of the customer, by the account's case."""
    case = deck.data.story.case
    keys = ["ask_go_live"] if case == "onboarding" else ["ask_owner", "ask_data"]
    if case == "positive":
        keys.append("ask_reference")
    return [deck.t(k) for k in keys]


def _goals(deck: Deck) -> None:
    """Next quarter: the objectives still open, then the action plan agreed with the customer (metrics.plan: each
    action with its owner and date), or, without a plan, goals to agree with placeholders; then what we ask."""
    rep, actions = deck.data.report, deck.data.actions
    slide = deck.slide(deck.t("deck_goals"))
    target, owner = deck.t("placeholder_target"), deck.t("placeholder_owner")
    rows = [[deck.t("goal"), deck.t("goal_metric"), deck.t("target"), deck.t("owner")]]
    for o in rep.objectives:  # the objectives still open come first, with their own target and owner
        if o.status in ("achieved", "missed"):
            continue
        rows.append([deck.t("goal_objective", metric=deck.t(f"metric_{o.metric}"),
                            target=objective_figure(deck, o.metric, o.target), date=o.target_date.isoformat()),
                     f"{deck.t('now')}: {objective_figure(deck, o.metric, o.current)}",
                     objective_figure(deck, o.metric, o.target), o.owner or owner])
    for a in actions:
        rows.append([a.action, deck.t("plan_done" if a.done else "plan_open"),
                     deck.t("plan_due", date=a.due_date.isoformat()), a.owner])
    for item in ([] if actions else rep.adoption.underused_features[:2]):
        rows.append([deck.t("goal_adoption", feature=deck.data.name(item.feature, deck.lang)),
                     f"{deck.t('adoption_rate')}: {deck.f(item.adoption_rate, 'fraction')}", target, owner])
    money = rep.cost
    if actions:  # the plan agreed with the customer stands in for the goals still to agree
        _goals_table(deck, slide, rows)
        return
    rows.append([deck.t("goal_value"), f"{deck.t('kpi_value')}: " + (deck.f(money.value, "currency")
                 if money.value is not None else deck.f(money.hours_saved, "hours")), target, owner])
    if rep.efficiency.delta is not None and deck.data.story.efficiency_held is None:
        rows.append([deck.t("goal_efficiency"),
                     f"{deck.t('delta')}: {deck.f(rep.efficiency.delta, 'fraction', signed=True)}", target,
                     owner])
    rows.append([deck.t("goal_seats"),
                 f"{deck.t('kpi_seat_utilization')}: {deck.f(rep.adoption.seat_utilization, 'fraction')}",
                 target, owner])
    rows.append([deck.t("placeholder_goal"), "", target, owner])
    _goals_table(deck, slide, rows)


def _goals_table(deck: Deck, slide: Slide, rows: list[list[str]]) -> None:
    """The goals as a table, and what we ask of the customer under it when there is room."""
    deck.table(slide, rows, (deck.left, deck.top, deck.content_width, 0), [0.36, 0.3, 0.17, 0.17], size=14)
    below = deck.top + ROW_HEIGHT * len(rows) + Inches(0.3)
    room = deck.top + deck.content_height - below
    if room >= Inches(1.2):  # what we ask of the customer, under the plan
        deck.textbox(slide, deck.left, below, deck.content_width, Inches(0.45), [deck.t("asks_title")], 16,
                     bold=True, color=MSO_THEME_COLOR.TEXT_2)
        deck.textbox(slide, deck.left, below + Inches(0.45), deck.content_width, room - Inches(0.45), asks(deck),
                     14, bullets=True)
