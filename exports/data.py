"""Everything an export shows for one account and period, read from the metric functions and nothing else."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import cached_property

import duckdb
import pandas as pd

from metrics import adoption, catalog, efficiency, people, report, requirements
from metrics.accounts import Account, RowsByAccount, get_account
from metrics.attention import Flag, flags_for
from metrics.benchmarks import benchmark
from metrics.catalog import DataVersion
from metrics.cost import HOURS_PER_YEAR
from metrics.period import Period, data_months
from metrics.plan import Action, actions_of
from metrics.registry import Kpi
from metrics.report import AccountReport, EfficiencyFigures
from metrics.sharing import Confirmation, changed_since, database_of, latest_for
from metrics.story import Storyline, history, storyline

# what may be shown of other customers is decided in metrics.privacy, for every surface alike


@dataclass(frozen=True)
class ExportData:
    """One account's report plus the series and tables the Excel report and the deck draw."""

    account: Account
    period: Period
    report: AccountReport
    kpis: list[Kpi]
    mau: pd.DataFrame            # month, active_users: from the first month of data to the period's end
    output: pd.DataFrame         # month, output_units, headcount, output_per_person, units_per_active_user, window
    features: pd.DataFrame       # feature_adoption + peer_median + first use, value-model features first
    peers: int                   # how many peer accounts the medians pool (0 when withheld or none)
    peer_group: str | None       # "industry" or "all"
    peers_shown: bool
    drivers: pd.DataFrame        # the value model: feature, minutes_saved, basis, category, description
    imports: pd.DataFrame        # recent imports, without file names or sources
    hours_per_year: float = HOURS_PER_YEAR
    bench: dict | None = None    # metrics.benchmarks.benchmark(...).to_dict(): own figures and anonymous aggregates
    story: Storyline | None = None  # metrics.story: the case the QBR tells and the risks it names
    requests: pd.DataFrame | None = None  # metrics.requirements.of_account: what the customer asked for, where it is
    trainees: dict[str, list[tuple[str, int]]] | None = None  # per underused feature: (person as shown, active days);
    # only when the export was asked to show people (names, initials or pseudonyms), never by default
    flags: tuple[Flag, ...] = ()  # metrics.attention: why the account needs attention now (the CSM's only)
    version: DataVersion | None = None  # what the file was built from: last import, value-model version
    stakeholders: list[tuple[str, str, str, int]] = field(default_factory=list)  # (person as shown, role, segment,
    # active days): the champions and the users with a role, most active first; only when people are shown
    today: date | None = None  # what renewals and go-live are counted from
    actions: tuple[Action, ...] = ()  # metrics.plan: the action plan agreed for next quarter
    confirmation: Confirmation | None = None  # metrics.sharing: what the customer said of this period's figures

    @property
    def currency(self) -> str | None:
        return self.report.cost.currency

    def name(self, feature: str, lang: str) -> str:
        """A feature as a reader of `lang` sees it: the value model's display name in that language (name_en,
        name_zh), else the feature as the events name it."""
        shown = self._names.get(feature, (None, None))[1 if lang == "zh" else 0]
        return shown if isinstance(shown, str) and shown.strip() else feature

    @cached_property
    def _names(self) -> dict[str, tuple[object, object]]:
        """feature -> (English, Chinese) name, read once per file (a file names features a thousand times)."""
        if "name_en" not in self.drivers.columns:
            return {}
        return dict(zip(self.drivers["feature"], zip(self.drivers["name_en"], self.drivers["name_zh"])))

    @property
    def months(self) -> int:
        return len(self.period.months)


@dataclass(frozen=True)
class StoreFacts:
    """What every account's file shows about the store as a whole: the value model, the latest imports and the
    first month of data. A portfolio export reads them once (exports.batch.period_figures); one file reads its own."""

    value_drivers: pd.DataFrame  # catalog.list_value_drivers
    imports: pd.DataFrame  # catalog.recent_imports, the columns a file shows
    first_month: date | None  # period.data_months' first
    first_uses: RowsByAccount | None = None  # adoption.first_uses: every account's, once for a portfolio's files
    requests: RowsByAccount | None = None  # requirements.of_every_account: likewise
    version: DataVersion | None = None  # catalog.built_from
    flags: dict[str, tuple[Flag, ...]] | None = None  # attention's flags of every account, for a portfolio's files


def store_facts(con: duckdb.DuckDBPyConnection, every_account: bool = False) -> StoreFacts:
    """The StoreFacts of the store as it is now; `every_account`: with every account's first uses and requests, for
    the files of many accounts (one statement each instead of one per file)."""
    imports = catalog.recent_imports(con)[["kind", "file_format", "imported_at", "rows_read", "rows_loaded",
                                          "rows_unchanged", "rows_rejected"]]
    return StoreFacts(catalog.list_value_drivers(con), imports, data_months(con)[0],
                      adoption.first_uses(con) if every_account else None,
                      requirements.of_every_account(con) if every_account else None, catalog.built_from(con))


def _windows(output: pd.DataFrame, eff: EfficiencyFigures) -> pd.Series:
    baseline, current = set(eff.baseline_months), set(eff.current_months)
    return output["month"].map(lambda m: "baseline" if m in baseline else "current" if m in current else "")


def _feature_table(rep: AccountReport) -> pd.DataFrame:
    """The report's feature adoption as adoption.feature_adoption's frame (feature, adopters, adoption_rate, depth,
    has_value_driver; no rate or depth as NaN), built as metrics.adoption.usage builds it: the figures the report
    computed from its read of the rollups, not a second read of the same rows."""
    nan = float("nan")
    rows = [(f.feature, f.adopters, nan if f.adoption_rate is None else f.adoption_rate,
             nan if f.depth is None else f.depth, f.has_value_driver) for f in rep.adoption.features]
    return pd.DataFrame(rows, columns=[f.name for f in fields(report.FeatureAdoption)])


def gather(con: duckdb.DuckDBPyConnection, account_id: str, period: Period,
           peer_figures: pd.DataFrame | None = None, people_as: str | None = None,
           inputs: report.PeriodInputs | None = None, facts: StoreFacts | None = None) -> ExportData:
    """Read one account's figures for an export; DataError for an unknown account. `peer_figures`: the period's
    metrics.benchmarks.metric_table, when a portfolio export computes it once for every account; `people_as`:
    names, initials or pseudonyms to list the trainees of each underused feature (None: no person in the file);
    `inputs`: the period's metrics.report.period_inputs, built once for a portfolio export or the app's period;
    `facts`: store_facts, read once for a portfolio export."""
    facts = facts or store_facts(con)
    account = inputs.series.account(account_id) if inputs else get_account(con, account_id)
    rep = report.account_report(con, account_id=account_id, period=period, inputs=inputs)
    eff = rep.efficiency
    first = min(facts.first_month or period.start, period.start)
    mau = inputs.lifecycle.active_users(account.key, first, period.end) if inputs and inputs.lifecycle else None
    if mau is None:  # months before the period's inputs hold
        mau = adoption.mau(con, account_id=account_id, start=first, end=period.end, account=account)

    output = efficiency.output_per_person(con, account_id=account_id, account=account,
                                          series=inputs.series if inputs else None)
    shown_from = eff.baseline_months[0] if eff.baseline_months else period.start
    output = output[(output["month"] >= min(shown_from, period.start)) & (output["month"] < period.end)].copy()
    output["window"] = _windows(output, eff)
    output = output.reset_index(drop=True)

    features = _feature_table(rep)
    vs_peers = adoption.adoption_vs_peers(con, account_id=account_id, start=period.start, end=period.end,
                                          grid=inputs.grid if inputs else None,
                                          peers=inputs.peers if inputs else None, account=account)
    peers = int(vs_peers["peers"].max()) if len(vs_peers) and vs_peers["peers"].notna().any() else 0
    group = vs_peers["peer_group"].dropna().iloc[0] if peers else None
    shown = bool(vs_peers["peer_median"].notna().any())  # metrics.privacy withholds medians over too few peers
    medians = vs_peers[["feature", "peer_median"]] if shown else pd.DataFrame(columns=["feature", "peer_median"])
    first_use = adoption.time_to_first_use(con, account_id=account_id, account=account, every=facts.first_uses)[
        ["feature", "first_used_at", "days_from_go_live"]]
    features = features.merge(medians, on="feature", how="left").merge(first_use, on="feature", how="left")
    features = features.sort_values("has_value_driver", ascending=False, kind="stable").reset_index(drop=True)

    if not shown:
        rep = replace(rep, adoption=replace(rep.adoption, underused_features=()))
    bench = benchmark(con, account_id=account_id, start=period.start, end=period.end, cohort="industry",
                      table=peer_figures, account=account).to_dict()
    monthly = [(pd.Timestamp(m).date(), int(n)) for m, n in zip(mau["month"], mau["active_users"])]
    past = history(con, account, period, inputs.catalog, inputs.usage) if inputs else history(con, account, period)
    story = storyline(rep, account, monthly, [(f["metric"], f["percentile"]) for f in bench.get("figures", [])], past)
    trainees, stakeholders = None, []
    if people_as is not None:  # the people are read only for a file that shows them
        crowd = people.people(con, account, period)
        salt = secrets.token_bytes(32)  # one key per export, never stored: pseudonyms stable within this file only
        stakeholders = _stakeholders(crowd, people_as, salt)
        lists = people.training(con, account, period, [u.feature for u in rep.adoption.underused_features], crowd)
        trainees = {f: list(zip(people.labels(users, people_as, salt),
                                users["active_days"].astype(int)))
                    for f, users in lists.items()}
    asked = requirements.of_account(con, account_id, every=facts.requests, account_key=account.key)
    today = date.today()
    return ExportData(account, period, rep, report.headline_kpis(rep), mau, output, features,
                      peers if shown else 0, group, shown, facts.value_drivers, facts.imports,
                      bench=bench, story=story, requests=asked, trainees=trainees,
                      flags=facts.flags.get(account_id, ()) if facts.flags is not None else
                      flags_for(con, account, period, today, rep), version=facts.version,
                      stakeholders=stakeholders, today=today,
                      actions=actions_of(con, account),
                      confirmation=_confirmation(con, account_id, period))


def _confirmation(con: duckdb.DuckDBPyConnection, account_id: str, period: Period) -> Confirmation | None:
    """What the customer said of the period's figures, from the share store beside the connection's database file
    (an in-memory database has none)."""
    database = database_of(con)
    return latest_for(account_id, period.start.isoformat(), database) if database is not None else None


MAX_STAKEHOLDERS = 8


def _stakeholders(crowd: pd.DataFrame, people_as: str, salt: bytes) -> list[tuple[str, str, str, int]]:
    """The account's champions and the users with a role in its directory (sponsors, admins), most active first, at
    most MAX_STAKEHOLDERS: (person as `people_as` shows them; role; segment; active days in the period)."""
    chosen = crowd[(crowd["segment"] == "champion") | crowd["role"].notna()].copy()
    if chosen.empty:
        return []
    chosen["has_role"] = chosen["role"].notna()
    chosen = chosen.sort_values(["has_role", "active_days"], ascending=[False, False], kind="stable")
    chosen = chosen.head(MAX_STAKEHOLDERS)
    shown = people.labels(chosen, people_as, salt)
    return [(who, role if isinstance(role, str) else "", segment, int(days))
            for who, role, segment, days in zip(shown, chosen["role"], chosen["segment"], chosen["active_days"])]


PEER_UNITS = {"key_feature_adoption": "fraction", "breadth": "number", "efficiency_delta": "fraction",
              "hours_saved_per_seat": "hours", "value_per_seat": "currency"}
PEER_COLUMNS = ("figure", "own", "percentile", "p25", "median", "p75", "peers", "cohort")


def peer_rows(data: ExportData, lang: str) -> list[dict[str, object]]:
    """The peer benchmark as rows for a sheet or a slide: raw numbers, their unit, and the cohort in words."""
    from exports.strings import text
    from wording import term

    rows = []
    for f in (data.bench or {}).get("figures", []):
        cohort = text(lang, f"cohort_{f['cohort']}") if f["cohort"] else text(lang, "cohort_none")
        rows.append({"metric": f["metric"], "figure": text(lang, f"fig_{f['metric']}"), "unit": PEER_UNITS[f["metric"]],
                     "own": f["value"], "percentile": f["percentile"], "p25": f["p25"], "median": f["median"],
                     "p75": f["p75"], "peers": f["peers"] or 0,
                     "cohort": cohort + (f" ({term('industry', f['cohort_label'], lang)})"
                                         if f["cohort_label"] else "")})
    return rows


def version_line(data: ExportData, lang: str) -> str:
    """What the file was built from, in words: the last import (id and time) and the value-model version."""
    from exports.strings import text

    version = data.version
    if version is None or version.import_id is None:
        return text(lang, "version_line_none", model=version.value_model_version if version else 0)
    at = f"{version.imported_at:%Y-%m-%d %H:%M}" if version.imported_at else ""
    return text(lang, "version_line", id=version.import_id, at=at, model=version.value_model_version)


FIGURES = ("value", "hours_saved", "fte_equivalent", "roi", "payback_months")  # what the customer confirms


def figures_of(rep: AccountReport) -> dict[str, object]:
    """The figures a customer confirms on its value page, as numbers (metrics.sharing.changed_since compares
    them)."""
    figures: dict[str, object] = {key: getattr(rep.cost, key) for key in FIGURES}
    figures["value_delivered"] = rep.value_delivered
    return figures


def confirmation_lines(data: ExportData, lang: str) -> list[str]:
    """What the customer said of the period's figures, in the file's language (said_lines)."""
    from exports.strings import text

    return said_lines(data.confirmation, data.report, lambda key, **values: text(lang, key, **values),
                      "、" if lang == "zh" else ", ")


def said_lines(found: Confirmation | None, rep: AccountReport, t, separator: str) -> list[str]:
    """What the customer said of the period's figures ("confirmed by NAME, ROLE on DATE", or its open comment),
    and which figures were recalculated since (more than metrics.sharing.CHANGE_TOLERANCE), in the words of `t`
    (an export's catalog or a page's); none before it said anything."""
    if found is None:
        return []
    key = "confirmed_line" if found.kind == "confirmed" else "commented_line"
    lines = [t(key, name=found.name, role=found.role, date=found.at[:10], text=found.text or "")]
    moved = changed_since(found, figures_of(rep))
    if moved:
        lines.append(t("confirmed_changed", figures=separator.join(t(f"kpi_{m}") for m in moved)))
    return lines
