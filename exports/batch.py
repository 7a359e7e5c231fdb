"""Exports for a whole portfolio at quarter end: one file per account, with progress reported as it goes."""
from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd

from exports.data import StoreFacts, store_facts
from exports.deck import qbr_deck_pptx
from exports.excel import value_report_xlsx
from metrics import catalog
from metrics.period import Period, add_months
from metrics.report import PeriodInputs, peer_figures, period_inputs

FORMATS = {"xlsx": value_report_xlsx, "pptx": qbr_deck_pptx}
Progress = Callable[[int, int, str], None]
# from this many accounts the app's "export every account" spreads the files over worker processes: each one
# starts Python, loads the exporters and builds the period's inputs (a few seconds), which fewer files do not repay
PARALLEL_FROM = 100


def file_name(account_id: str, account_name: str, fmt: str, period: Period | None = None) -> str:
    """A safe file name: the id and the name (Chinese kept), path and shell characters replaced, then the period's
    first and last month (A001_Acme_2026-08_2026-10.xlsx)."""
    stem = re.sub(r"[^\w-]+", "_", f"{account_id}_{account_name}", flags=re.UNICODE).strip("_")[:80]
    months = f"_{period.start:%Y-%m}_{add_months(period.end, -1):%Y-%m}" if period is not None else ""
    return f"{stem}{months}.{fmt}"


def export_one(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, fmt: str, lang: str = "en",
               template: bytes | None = None, peers: pd.DataFrame | None = None,
               people_as: str | None = None, inputs: PeriodInputs | None = None,
               facts: StoreFacts | None = None, internal: bool = False, customer: bool = False,
               csm: str = "") -> bytes:
    """One account's Excel report or QBR deck as bytes (`peers`: the period's metric_table, `inputs`: its
    report.period_inputs, `facts`: exports.data.store_facts, if already built; `people_as`: the deck's training
    lists as names, initials or pseudonyms, none by default; `internal`: the deck with the CSM's internal appendix;
    `customer`: the workbook without its Internal sheet; `csm`: who a team's template names as {{csm}})."""
    if fmt == "pptx":
        return qbr_deck_pptx(con, account_id, period, lang, template, peers, people_as, inputs, facts, internal,
                             csm)
    return value_report_xlsx(con, account_id, period, lang, peers, inputs, facts, customer)


def period_figures(con: duckdb.DuckDBPyConnection,
                   period: Period) -> tuple[PeriodInputs, pd.DataFrame, StoreFacts]:
    """The period's report inputs (with every account's usage), its peer figures built from them and the store's
    facts: what every account's file of a portfolio export reads about all accounts and the store, built once (in
    each worker process of write_all_parallel)."""
    from dataclasses import replace
    from datetime import date

    from metrics.attention import attention

    inputs = period_inputs(con, period, every_account=True)
    flags = {a: f for a, _, f in attention(con, period=period, today=date.today(), inputs=inputs)}  # all, once
    return inputs, peer_figures(con, period, inputs), replace(store_facts(con, every_account=True), flags=flags)


def export_all(con: duckdb.DuckDBPyConnection, period: Period, fmt: str, lang: str = "en",
               account_ids: list[str] | None = None, template: bytes | None = None,
               progress: Progress | None = None, internal: bool = False,
               customer: bool = False, csm: str = "") -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) for every account (or those given), calling progress(done, total, account_id)."""
    accounts = catalog.list_accounts(con)
    if account_ids is not None:
        accounts = accounts[accounts["account_id"].isin(account_ids)]
    total = len(accounts)
    inputs, peers, facts = period_figures(con, period)  # once for the portfolio, not once per account
    for done, (account_id, name) in enumerate(zip(accounts["account_id"], accounts["account_name"]), start=1):
        yield file_name(account_id, name, fmt, period), export_one(con, account_id, period, fmt, lang, template,
                                                                   peers, inputs=inputs, facts=facts,
                                                                   internal=internal, customer=customer, csm=csm)
        if progress:
            progress(done, total, account_id)


def write_all(con: duckdb.DuckDBPyConnection, period: Period, fmt: str, out_dir: str | Path, **kwargs) -> list[Path]:
    """Write every account's file into out_dir; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in export_all(con, period, fmt, **kwargs):
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths


_WORKER: dict = {}  # in a worker process of write_all_parallel: its connection, the period's inputs, what to write


def _worker_start(opener: Callable[[str], duckdb.DuckDBPyConnection], database: str, period: Period, fmt: str,
                  lang: str, template: bytes | None, out_dir: str,
                  audience: tuple[bool, bool, str] = (False, False, "")) -> None:
    con = opener(database)
    inputs, peers, facts = period_figures(con, period)
    _WORKER.update(con=con, period=period, fmt=fmt, lang=lang, template=template, out=Path(out_dir), inputs=inputs,
                   peers=peers, facts=facts, audience=audience)


def _worker_export(account: tuple[str, str]) -> tuple[str, Path]:
    account_id, name = account
    w = _WORKER
    path = w["out"] / file_name(account_id, name, w["fmt"], w["period"])
    internal, customer, csm = w["audience"]
    path.write_bytes(export_one(w["con"], account_id, w["period"], w["fmt"], w["lang"], w["template"], w["peers"],
                                inputs=w["inputs"], facts=w["facts"], internal=internal, customer=customer, csm=csm))
    return account_id, path


def write_all_parallel(con: duckdb.DuckDBPyConnection, opener: Callable[[str], duckdb.DuckDBPyConnection],
                       database: str, period: Period, fmt: str, out_dir: str | Path, *, workers: int,
                       lang: str = "en", template: bytes | None = None, account_ids: list[str] | None = None,
                       progress: Progress | None = None, internal: bool = False,
                       customer: bool = False, csm: str = "") -> list[Path]:
    """write_all spread over `workers` processes: each opens `database` with `opener` (a read-only copy of the
    store: DuckDB lets many processes read a file that none writes), builds the period's peer figures and report
    inputs once, and writes its share of the files; `con` lists the accounts. Progress as files are done."""
    import multiprocessing

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    accounts = catalog.list_accounts(con)
    if account_ids is not None:
        accounts = accounts[accounts["account_id"].isin(account_ids)]
    todo = list(zip(accounts["account_id"], accounts["account_name"]))
    paths = []
    # spawn, not fork: a forked child would inherit DuckDB's threads and locks mid-flight
    start = (opener, database, period, fmt, lang, template, str(out), (internal, customer, csm))
    with multiprocessing.get_context("spawn").Pool(workers, _worker_start, start) as pool:
        for done, (account_id, path) in enumerate(pool.imap_unordered(_worker_export, todo), start=1):
            paths.append(path)
            if progress:
                progress(done, len(todo), account_id)
    return sorted(paths)


def zip_all(con: duckdb.DuckDBPyConnection, period: Period, fmt: str, **kwargs) -> bytes:
    """Every account's file in one zip, for a download button."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in export_all(con, period, fmt, **kwargs):
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_all_parallel(con: duckdb.DuckDBPyConnection, opener: Callable[[str], duckdb.DuckDBPyConnection],
                     database: str, period: Period, fmt: str, *, workers: int, **kwargs) -> bytes:
    """zip_all with the files built by write_all_parallel's worker processes (`database`: a file they may open
    read-only), for the app's portfolio export; the same files under the same names."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_all_parallel(con, opener, database, period, fmt, tmp, workers=workers, **kwargs)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.name)
    return buffer.getvalue()
