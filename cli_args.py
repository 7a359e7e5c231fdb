"""The command line's arguments: its subcommands and flags, each checked as it is read, so that a mistyped month,
date or choice is refused in one line naming the flag (exit code 2), never a traceback."""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import date
from typing import NoReturn

from metrics import ingest
from metrics.period import parse_month
from metrics.store import DataError

Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse, its refusal one line naming the flag (the usage stays with --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def month_arg(text: str) -> str:
    """--start / --end: a month, checked here so that a mistyped one is refused naming the flag."""
    try:
        parse_month(text)
    except DataError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a month (use YYYY-MM)") from exc
    return text


def day_arg(text: str) -> str:
    """--today: a day."""
    try:
        date.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (use YYYY-MM-DD)") from exc
    return text.strip()


def days_arg(text: str) -> int:
    """--days: how long a link lasts, 1 to 180 days."""
    from metrics.sharing import MAX_DAYS

    try:
        days = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of days") from exc
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"a link lasts 1 to {MAX_DAYS} days, not {days}")
    return days


def build_parser(commands: dict[str, Command], description: str | None = None) -> argparse.ArgumentParser:
    """The CLI's arguments; `commands`: each subcommand's function (cli.py's cmd_*)."""
    parser = _Parser(prog="cli.py", description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    db_help = "database file (default: $VALUELENS_DB or data/valuelens.duckdb)"

    imp = sub.add_parser("import", help="import exports (CSV, XLSX, Parquet, JSON or JSON lines; gzipped, zipped or "
                                        "a folder of them) and rollup folders built by Spark")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--kind", choices=ingest.KINDS, help="what the files hold (default: detected from headers)")
    imp.add_argument("--map", action="append", metavar="HEADER=COLUMN",
                     help="map a file header to a contract column (repeatable)")
    imp.add_argument("--source", help="name of where the files come from; header mappings are remembered per source")
    imp.add_argument("--force", action="store_true", help="import again even if the same content was imported")
    imp.add_argument("--sheet", help="the workbook sheet to read (default: the first visible sheet)")
    imp.add_argument("--preset", choices=["none", *ingest.PRESETS],
                     help="the analytics tool the export comes from: its documented fields and tracking noise "
                          "(default: remembered for the source, else detected from the fields)")
    imp.add_argument("--include", action="append", metavar="EVENT",
                     help="count only these events (exact names; * any text, ? one character); repeatable")
    imp.add_argument("--exclude", action="append", metavar="EVENT", help="leave these events out; repeatable")
    imp.add_argument("--value-model-only", action="store_true", help="count only the value model's features")
    imp.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the import summary")
    imp.add_argument("--db", help=db_help)
    imp.set_defaults(func=commands["import"])

    settings = sub.add_parser("settings", help="show or change workspace settings")
    settings.add_argument("--timezone", metavar="ZONE",
                          help="the zone months are counted in (IANA name, e.g. Asia/Shanghai; default UTC): "
                               "offset times and epochs are converted to it at import, from now on")
    settings.add_argument("--db", help=db_help)
    settings.set_defaults(func=commands["settings"])

    demo = sub.add_parser("demo", help="load the embedded demo data")
    demo.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the import summary")
    demo.add_argument("--db", help=db_help)
    demo.set_defaults(func=commands["demo"])

    acc = sub.add_parser("accounts", help="list accounts")
    acc.add_argument("--json", action="store_true")
    acc.add_argument("--db", help=db_help)
    acc.set_defaults(func=commands["accounts"])

    rep = sub.add_parser("report", help="one account's value report")
    rep.add_argument("--account", required=True, metavar="ID")
    rep.add_argument("--start", metavar="YYYY-MM", type=month_arg,
                     help="first month (default: 3 months before --end)")
    rep.add_argument("--end", metavar="YYYY-MM", type=month_arg,
                     help="month after the last (exclusive; default: the last full month of data + 1)")
    rep.add_argument("--json", action="store_true", help="print the whole report as JSON")
    rep.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the text report")
    rep.add_argument("--db", help=db_help)
    rep.set_defaults(func=commands["report"])

    att = sub.add_parser("attention", help="accounts that need attention now, with the reasons")
    att.add_argument("--start", metavar="YYYY-MM", type=month_arg)
    att.add_argument("--end", metavar="YYYY-MM", type=month_arg)
    att.add_argument("--json", action="store_true", help="print the list as JSON")
    att.add_argument("--today", metavar="YYYY-MM-DD", type=day_arg,
                     help="count renewals and go-live from this day (default: today)")
    att.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the reasons")
    att.add_argument("--db", help=db_help)
    att.set_defaults(func=commands["attention"])

    bt = sub.add_parser("backtest", help="the health score against the imported renewal outcomes (ROC AUC, lift)")
    bt.add_argument("--json", action="store_true", help="print the figures and every scored renewal as JSON")
    bt.add_argument("--lang", choices=("en", "zh"), default="en")
    bt.add_argument("--db", help=db_help)
    bt.set_defaults(func=commands["backtest"])

    rq = sub.add_parser("requests", help="the requirement board: requirements ranked A to D, with why and who asks")
    rq.add_argument("--json", action="store_true", help="print the board and the ungrouped requests as JSON")
    rq.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the reasons")
    rq.add_argument("--xlsx", metavar="FILE.xlsx", help="also write the ranked board as an Excel workbook for product")
    rq.add_argument("--today", metavar="YYYY-MM-DD", type=day_arg,
                    help="the day ages and renewals are counted from (default today)")
    rq.add_argument("--group", nargs="+", metavar="REQUEST_ID", help="group these requests (with --into)")
    rq.add_argument("--into", metavar="TITLE", help="the requirement to group them into: one of that title (any case "
                                                    "or width) is extended, or created")
    rq.add_argument("--group-file", metavar="FILE", help="a CSV or XLSX of two columns, request id and requirement: "
                                                         "each request grouped into its requirement")
    rq.add_argument("--db", help=db_help)
    rq.set_defaults(func=commands["requests"])

    us = sub.add_parser("users", help="one account's people: segments, hours saved per user, training lists")
    us.add_argument("--account", required=True, metavar="ID")
    us.add_argument("--start", metavar="YYYY-MM", type=month_arg)
    us.add_argument("--end", metavar="YYYY-MM", type=month_arg)
    us.add_argument("--training", metavar="F1,F2", help="the features to list trainees for (default: the report's "
                                                        "underused value features)")
    us.add_argument("--json", action="store_true", help="print the users, training lists and concentration as JSON")
    us.add_argument("--xlsx", metavar="FILE.xlsx", help="also write the training lists as a workbook, a sheet a "
                                                        "feature")
    us.add_argument("--lang", choices=("en", "zh"), default="en")
    us.add_argument("--db", help=db_help)
    us.set_defaults(func=commands["users"])

    exp = sub.add_parser("export", help="Excel value report or QBR deck for one account, or --all into a folder")
    who = exp.add_mutually_exclusive_group(required=True)
    who.add_argument("--account", metavar="ID")
    who.add_argument("--all", action="store_true", help="every account; --out is then a folder")
    who.add_argument("--list-placeholders", action="store_true",
                     help="print every token, repeated collection, chart and table a deck template may name (JSON)")
    exp.add_argument("--format", choices=("xlsx", "pptx", "html"),
                     help="html: the customer's value page as one self-contained file (one account)")
    exp.add_argument("--out", metavar="PATH")
    exp.add_argument("--lang", choices=("en", "zh"), default="en")
    exp.add_argument("--start", metavar="YYYY-MM", type=month_arg)
    exp.add_argument("--end", metavar="YYYY-MM", type=month_arg)
    exp.add_argument("--template", metavar="FILE.pptx",
                     help="your team's deck template: its slides with {{tokens}} filled (docs/deck_template.md), or "
                          "without slides its layouts and theme for the built-in deck; 'stored': the newest kept on "
                          "the Deck template page")
    exp.add_argument("--csm", default="", metavar="NAME", help="who a template's {{csm}} names")
    exp.add_argument("--internal", action="store_true",
                     help="deck: add the CSM's internal appendix (health, attention reasons, risks, bottom-quarter "
                          "peers); the speaker notes carry them always")
    exp.add_argument("--customer", action="store_true",
                     help="workbook: the file a customer gets, without the Internal sheet")
    exp.add_argument("--people", choices=("names", "initials", "pseudonyms"),
                     help="one account's deck: list who to invite to training in the appendix, shown so (default: "
                          "nobody is named)")
    exp.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                     help="with --all: processes building files at once (default: one per core)")
    exp.add_argument("--db", help=db_help)
    exp.set_defaults(func=commands["export"])

    shr = sub.add_parser("share", help="make, list or revoke a signed link to one account's value page (share.py)")
    shr.add_argument("--account", metavar="ID", help="the account the link shows (needed to make one)")
    shr.add_argument("--start", metavar="YYYY-MM", type=month_arg)
    shr.add_argument("--end", metavar="YYYY-MM", type=month_arg)
    shr.add_argument("--lang", choices=("en", "zh"), default="en", help="the page's language")
    shr.add_argument("--days", type=days_arg, default=30, metavar="N", help="how long the link lasts (1-180, "
                                                                            "default 30)")
    shr.add_argument("--passcode", help="a passcode the page asks for (tell it to the customer another way)")
    shr.add_argument("--list", action="store_true", help="list the links made (of --account, if given)")
    shr.add_argument("--revoke", metavar="LINK_ID", help="revoke a link: its page shows nothing from now on")
    shr.add_argument("--json", action="store_true", help="print the link or the list as JSON")
    shr.add_argument("--db", help=db_help)
    shr.set_defaults(func=commands["share"])
    return parser
