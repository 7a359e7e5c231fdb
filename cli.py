"""ValueLens from a terminal: import exports, load the demo data, list accounts, report on one, list the accounts
that need attention, export."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import unicodedata
from contextlib import nullcontext
from datetime import date
from functools import partial
from pathlib import Path

import cli_args
import wording
from metrics import adoption, catalog, demo, ingest, report
from metrics.period import resolve_period
from metrics.settings import set_workspace_timezone, workspace_timezone
from metrics.store import DataError, connect, connect_snapshot, db_path, publishing, snapshot_copy
from wording.cli import text as cli_text
from wording.numbers import fmt
from wording.refusals import refusal

REJECTS_SHOWN = 5


def _print_result(result: ingest.ImportResult, lang: str = "en") -> None:
    """One import's outcome for people: counts, warnings and the first rejected lines with their reasons."""
    say = partial(cli_text, lang)
    if result.skipped:
        print(say("already", file=result.file_name))
        return
    print(say("summary", file=result.file_name, kind=wording.term("kind", result.kind, lang),
              preset=say("preset", preset=result.preset, layout=result.layout) if result.preset else "",
              loaded=fmt(result.rows_loaded, "count", lang), rejected=fmt(result.rows_rejected, "count", lang),
              unchanged=fmt(result.rows_unchanged, "count", lang), read=fmt(result.rows_read, "count", lang),
              excluded=say("excluded", n=fmt(result.rows_excluded, "count", lang)) if result.rows_excluded else "",
              filtered=say("filtered", n=fmt(result.rows_filtered, "count", lang)) if result.rows_filtered else ""))
    if result.encoding not in (None, "utf-8", "ascii"):
        print(say("read_as", fmt=result.file_format, encoding=result.encoding))
    if result.preset:  # which of the export's fields the preset took (three could be the event id: this one is)
        print(say("fields", fields=", ".join(f"{column} <- {field}" for field, column in result.mapping.items())))
    for warning in result.warnings:
        print(say("warning", text=wording.reason(warning, lang)))
    for row in result.rejects.head(REJECTS_SHOWN).itertuples(index=False):
        column = say("column", column=row.column_name) if isinstance(row.column_name, str) else ""
        value = f" ({row.value!r})" if isinstance(row.value, str) else ""
        print(say("reject", line=row.line, column=column, reason=wording.reason(row.reason, lang), value=value))
    if result.rows_rejected > REJECTS_SHOWN:
        print(say("more", n=fmt(result.rows_rejected, "count", lang)))


def cmd_settings(args: argparse.Namespace) -> int:
    """Print the workspace settings, changing the time zone first when asked."""
    con = connect(args.db)
    if args.timezone:
        set_workspace_timezone(con, args.timezone)
    print(f"timezone: {workspace_timezone(con)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import files; exit 1 when any file could not be read at all, or loaded nothing and rejected rows."""
    con = connect(args.db)
    paths = [Path(p) for p in args.paths]
    folders = [p for p in paths if ingest.is_rollup_dir(p)]  # rollups built by metrics/spark_rollup.py
    paths = [p for p in paths if p not in folders]
    # a folder of export files, or a glob of them (quoted, so that the shell leaves it), reads as one
    missing = [p for p in paths if not p.is_file() and not p.is_dir() and not ingest.glob_members(str(p))]
    failed = 0
    for path in missing:
        print(f"error: {path}: no such file", file=sys.stderr)
        failed += 1
    mapping = dict(m.split("=", 1) for m in args.map or [])
    preset = "" if args.preset == "none" else args.preset
    event_filter = ingest.EventFilter(tuple(args.include or ()), tuple(args.exclude or ()), args.value_model_only) \
        if args.include or args.exclude or args.value_model_only else None
    present = [p for p in paths if p not in missing]
    # files of one folder and layout given one by one (a shell-expanded glob) are one import, as their folder is
    for group in ingest.layout_groups(con, present) if not args.kind else [[p] for p in present]:
        path = group[0] if len(group) == 1 else group[0].parent
        try:
            results = ingest.import_group(con, group, kind=args.kind, mapping=mapping or None, source=args.source,
                                          force=args.force, sheet=args.sheet, preset=preset,
                                          event_filter=event_filter)
        except DataError as exc:
            print(_error(str(exc), args.lang), file=sys.stderr)
            failed += 1
            continue
        except Exception:  # noqa: BLE001 - one broken file never stops the rest of the batch
            if os.environ.get("VALUELENS_DEBUG"):
                raise
            print(_error(f"{path.name}: the import failed on a fault of ours, not of the file; nothing of it was "
                         "stored (VALUELENS_DEBUG=1 shows the fault)", args.lang), file=sys.stderr)
            failed += 1
            continue
        for result in results:  # a folder's companion files (Pendo's feature list) first, then its rows
            _print_result(result, args.lang)
            if not result.skipped and result.rows_loaded + result.rows_unchanged == 0 and result.rows_rejected:
                print(cli_text(args.lang, "nothing_loaded", file=result.file_name, n=result.rows_rejected),
                      file=sys.stderr)
                failed += 1
    for folder in folders:
        try:
            _print_result(ingest.import_rollups(con, folder, force=args.force), args.lang)
        except DataError as exc:
            print(_error(str(exc), args.lang), file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the embedded demo dataset."""
    for result in demo.load_demo(connect(args.db)):
        _print_result(result, args.lang)
    return 0


def cmd_accounts(args: argparse.Namespace) -> int:
    """List accounts as a table or JSON."""
    frame = catalog.list_accounts(connect(args.db))
    if args.json:
        for column in ("go_live_date", "renewal_date"):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
        print(frame.to_json(orient="records", force_ascii=False, indent=2))
    elif frame.empty:
        print(f"no accounts in {db_path(args.db)}; run `python cli.py demo` or import an accounts file")
    else:
        print(frame.to_string(index=False))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """One account's value report as JSON (or a short text summary)."""
    con = connect(args.db)
    try:
        period = resolve_period(con, args.start, args.end)
        data = report.account_report(con, account_id=args.account, period=period)
    except DataError as exc:
        return _refused(exc)
    if args.json:
        print(json.dumps(data.to_json(), ensure_ascii=False, indent=2))
        return 0
    from exports import strings  # the exports' catalog and formatter: the CLI says what the deck says

    print(f"{data.account_name} ({data.account_id}), {period.label()}")
    for item in report.headline_kpis(data):
        shown = strings.fmt(item.value, item.unit, args.lang, currency=data.cost.currency,
                            signed=item.name.endswith("_delta"))
        why = f"  ({strings.reason(args.lang, item.reason)})" if item.value is None and item.reason else ""
        print(f"  {_pad(strings.text(args.lang, 'kpi_' + item.name), 34)} {_pad(shown, 16, right=True)}{why}")
    return 0


def cmd_attention(args: argparse.Namespace) -> int:
    """The accounts that need attention at the end of the period, each with its reasons in words."""
    from metrics.attention import attention

    con = connect(args.db)
    try:
        today = date.fromisoformat(args.today) if args.today else date.today()
    except ValueError:
        print(f"error: '{args.today}' is not a date (use YYYY-MM-DD)", file=sys.stderr)
        return 2
    try:
        period = resolve_period(con, args.start, args.end)
    except DataError as exc:
        return _refused(exc)
    rows = [{"account_id": account_id, "account_name": name,
             "reasons": [{"rule": f.rule, "text": wording.attention_reason(f.rule, f.values, args.lang),
                          **{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in f.values.items()}}
                         for f in flags]}
            for account_id, name, flags in attention(con, period=period, today=today)]
    if args.json:
        print(json.dumps({"period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
                          "today": today.isoformat(), "accounts": rows}, ensure_ascii=False, indent=2))
        return 0
    print(cli_text(args.lang, "attention_head", period=period.label(), n=fmt(len(rows), "count", args.lang),
                   today=today.isoformat()))
    for row in rows:
        joined = ("；" if args.lang == "zh" else "; ").join(r["text"] for r in row["reasons"])
        print(f"  {row['account_name']} ({row['account_id']}): {joined}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """How well the health score, taken before each imported renewal, told good renewals from bad (metrics.backtest)."""
    from metrics.backtest import backtest
    from wording import health_component

    result = backtest(connect(args.db))
    if args.json:
        print(json.dumps({
            "renewals": len(result.samples), "scored": result.scored, "bad": result.bad, "auc": result.auc,
            "auc_interval": [result.auc_low, result.auc_high], "judged": result.judged,
            "lowest_decile": result.lowest_decile, "lowest_decile_bad_share": result.lowest_decile_bad_share,
            "bad_share": result.bad_share, "lowest_decile_lift": result.lowest_decile_lift,
            "component_auc": result.component_auc, "weights": result.weights,
            "samples": [{"account_id": s.account_id, "renewal_date": s.renewal_date.isoformat(),
                         "outcome": s.outcome, "scored_from": s.period.start.isoformat(),
                         "scored_to": s.period.end.isoformat(), "score": s.score, "components": s.components}
                        for s in result.samples]}, ensure_ascii=False, indent=2))
        return 0
    if not result.samples:
        print(cli_text(args.lang, "backtest_none"))
        return 0
    print(cli_text(args.lang, "backtest_head", n=fmt(len(result.samples), "count", args.lang),
                   bad=fmt(result.bad, "count", args.lang),
                   withheld=fmt(len(result.samples) - result.scored, "count", args.lang)))
    print(cli_text(args.lang, "backtest_auc", auc=fmt(result.auc, "number", args.lang),
                   low=fmt(result.lowest_decile, "count", args.lang),
                   low_share=fmt(result.lowest_decile_bad_share, "fraction", args.lang),
                   share=fmt(result.bad_share, "fraction", args.lang),
                   lift=fmt(result.lowest_decile_lift, "number", args.lang)))
    from metrics.backtest import BOOTSTRAP_SAMPLES, MIN_EACH

    print(cli_text(args.lang, "backtest_interval", low=fmt(result.auc_low, "number", args.lang),
                   high=fmt(result.auc_high, "number", args.lang), samples=fmt(BOOTSTRAP_SAMPLES, "count", args.lang)))
    if not result.judged:
        print(cli_text(args.lang, "backtest_too_few", good=fmt(result.good, "count", args.lang),
                       bad=fmt(result.bad, "count", args.lang), min=MIN_EACH))
    for name, value in result.component_auc.items():
        print(cli_text(args.lang, "backtest_part", name=health_component(name, args.lang),
                       auc=fmt(value, "number", args.lang)))
    return 0


def cmd_requests(args: argparse.Namespace) -> int:
    """The requirement board: requirements ranked (A first, then the suggestion's score), each with its letter, the
    suggestion and why, who asks, and the requests in the customers' own words; the requests not yet grouped."""
    from datetime import date

    from metrics import requirements
    from metrics.case_study import case_study_candidates

    con = connect(args.db)
    if args.group or args.into or args.group_file:
        return _group_requests(con, args)
    today = date.fromisoformat(args.today) if args.today else date.today()
    try:
        period = resolve_period(con, None, None)
        benchmark = list(case_study_candidates(con, start=period.start, end=period.end)["account_id"])
    except DataError:  # no usage imported yet: no benchmark customers
        benchmark = []

    def asked(r: requirements.Request) -> dict:
        return {"request_id": r.request_id, "account_id": r.account_id, "date": r.request_date.isoformat(),
                "words": r.words, "requester": r.requester, "channel": r.channel, "area": r.area, "type": r.type,
                "urgency": r.urgency, "competitor": r.competitor}

    board = requirements.board(con, today=today, benchmark=benchmark)
    grouped = {r.request_id for item in board for r in item.requests}
    rows = [{"requirement_id": item.requirement_id, "title": item.title, "area": item.area, "status": item.status,
             "priority": item.priority, "suggested_priority": item.suggestion.letter,
             "priority_reason": item.fields["priority_reason"], "score": item.suggestion.score,
             "reasons": [{"dimension": x.dimension, "effect": x.effect, "rule": x.code,
                          "text": wording.requirement_reason(x.code, x.values, args.lang)}
                         for x in item.suggestion.reasons],
             "coverage": {"accounts": list(item.coverage.accounts), "acv": item.coverage.acv,
                          "acv_renewing": item.coverage.acv_renewing, "industries": list(item.coverage.industries),
                          "regions": list(item.coverage.regions), "benchmark": list(item.coverage.benchmark)},
             "requests": [asked(r) for r in item.requests]} for item in board]
    ungrouped = [asked(r) for r in requirements.requests_of(con) if r.request_id not in grouped]
    if args.xlsx:
        from exports.requirements import board_xlsx

        Path(args.xlsx).write_bytes(board_xlsx(board, args.lang))
    letters = requirements.distribution(board)
    if args.json:
        print(json.dumps({"today": today.isoformat(), "letters": letters, "requirements": rows,
                          "ungrouped": ungrouped}, ensure_ascii=False, indent=2))
        return 0
    print(cli_text(args.lang, "requests_head", n=fmt(len(rows), "count", args.lang),
                   open=fmt(len(ungrouped), "count", args.lang)))
    print(cli_text(args.lang, "requests_letters", letters=" · ".join(f"{k} {v}" for k, v in letters.items())))
    for row in rows:
        status = wording.REQUIREMENT_WORDS["zh" if args.lang == "zh" else "en"][f"req_status_{row['status']}"]
        print(f"  [{row['priority']}] {wording.title_in(row['title'], args.lang)} "
              + cli_text(args.lang, "requests_line", status=status, n=len(row["requests"]),
                         accounts=len(row["coverage"]["accounts"]), suggested=row["suggested_priority"]))
        for reason in row["reasons"]:
            print(f"      - {reason['text']}")
    return 0


def _group_requests(con, args: argparse.Namespace) -> int:
    """`requests --group ID ... --into TITLE` or `--group-file FILE`: requests grouped into requirements by title."""
    from metrics import requirements

    try:
        if args.group_file:
            pairs = requirements.grouping_file(Path(args.group_file))
        elif args.group and args.into:
            pairs = [(request_id, args.into) for request_id in args.group]
        else:
            raise DataError("--group: the requests to group and --into: the requirement, both")
        created, extended = requirements.group_into(con, pairs, user="cli")
    except DataError as exc:
        return _refused(exc)
    print(json.dumps({"grouped": len(pairs), "created": created, "extended": extended}) if args.json else
          f"{len(pairs)} requests grouped: {created} requirements created, {extended} extended")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """One account's people in the period: each user's segment, activity and hours saved, the training list of each
    underused value feature, and how much of the value hangs on one person."""
    import pandas as pd

    from metrics import people
    from metrics.accounts import get_account

    con = connect(args.db)
    try:
        period = resolve_period(con, args.start, args.end)
        account = get_account(con, args.account)
    except DataError as exc:
        return _refused(exc)
    frame = people.people(con, account, period)
    features = [f.strip() for f in args.training.split(",") if f.strip()] if args.training else [
        u.feature for u in report.account_report(con, account_id=account.account_id, period=period)
        .adoption.underused_features]
    known = {feature for _, feature, _ in adoption.feature_catalog(con)}
    if unknown := [f for f in features if f not in known]:
        print(f"error: --training: no such feature: {', '.join(unknown)} (the features are: "
              f"{', '.join(sorted(known)[:30])})", file=sys.stderr)
        return 2
    lists = people.training(con, account, period, features, frame)
    share = people.concentration(frame)
    if args.xlsx:
        from exports.people import training_xlsx

        Path(args.xlsx).write_bytes(training_xlsx(lists, args.lang))
    rows = [{"user_id": r.user_id, "name": r.name, "email": r.email, "role": r.role, "department": r.department,
             "segment": r.segment, "active_days": int(r.active_days), "events": int(r.events),
             "hours_saved": float(r.hours_saved), "value_features": list(r.value_features),
             "first_activity": None if pd.isna(r.first_activity) else str(r.first_activity),
             "last_active": None if pd.isna(r.last_active) else str(r.last_active)}
            for r in frame.itertuples(index=False)]
    result = {"account_id": account.account_id, "period": {"start": period.start.isoformat(),
                                                            "end": period.end.isoformat()},
              "segments": people.segment_counts(frame), "users": rows,
              "training": {f: list(users["user_id"]) for f, users in lists.items()},
              "concentration": {"top1_share": share.top1_share, "top3_share": share.top3_share,
                                "single_champion": share.single_champion}}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(cli_text(args.lang, "users_head", name=account.name, id=account.account_id, period=period.label(),
                   **{s: result["segments"][s] for s in people.SEGMENTS},
                   top1=fmt(share.top1_share, "fraction", args.lang)))
    for feature, users in lists.items():
        print("  " + cli_text(args.lang, "users_training", feature=feature, n=len(users)))
    return 0


def _pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two), aligned left or right."""
    space = " " * max(0, width - sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))
    return space + text if right else text + space


def cmd_export(args: argparse.Namespace) -> int:
    """One account's Excel report or QBR deck, or every account's into a folder, with a progress line."""
    from exports import batch  # openpyxl and python-pptx load only for exports
    from metrics import sharing

    if args.list_placeholders:
        from exports.deck.tokens import catalog

        print(json.dumps(catalog(), ensure_ascii=False, indent=2))
        return 0
    if not args.format or not args.out:
        print("error: export needs --format and --out", file=sys.stderr)
        return 2
    con = connect(args.db)
    audience = {"internal": args.internal, "customer": args.customer, "csm": args.csm}
    try:
        template = _template(con, args.template, args.internal)
        period = resolve_period(con, args.start, args.end)
        if args.format == "html":  # the customer's value page as one file
            from exports.share_page import html_export

            if args.all or not args.account:
                raise DataError("--format html: one account's page a file (--account ID)")
            data = html_export(con, args.account, period, args.lang)
        elif args.all:
            def progress(done: int, total: int, account_id: str) -> None:
                print(f"\r[{done}/{total}] {account_id}", end="\n" if done == total else "", file=sys.stderr,
                      flush=True)
            if args.workers > 1:
                with tempfile.TemporaryDirectory() as tmp:  # the workers read a copy: this process holds the file
                    copy = snapshot_copy(con, db_path(args.db), Path(tmp))
                    sharing.copy_store(db_path(args.db), copy)  # the customers' confirmations, for the files
                    paths = batch.write_all_parallel(con, connect_snapshot, str(copy), period, args.format, args.out,
                                                     workers=args.workers, lang=args.lang, template=template,
                                                     progress=progress, **audience)
            else:
                paths = batch.write_all(con, period, args.format, args.out, lang=args.lang, template=template,
                                        progress=progress, **audience)
            print(f"{len(paths)} {args.format} files in {args.out}")
            return 0
        else:
            data = batch.export_one(con, args.account, period, args.format, args.lang, template,
                                    people_as=args.people, **audience)
    except DataError as exc:
        return _refused(exc)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_bytes(data)
    print(f"{args.out}: {args.format} for {args.account}, {period.label()}")
    return 0


def _template(con, given: str | None, internal: bool) -> bytes | None:
    """The deck template named on the command line: a file, or 'stored' (the newest kept on the Deck template
    page); checked as an upload, and every token before any file is built (DataError naming each with its slide)."""
    from exports.deck.fill import require_fillable
    from metrics import deck_templates

    if not given:
        return None
    if given == "stored":
        kept = deck_templates.latest(con)
        if kept is None:
            raise DataError("--template stored: no template is kept yet (upload one on the Deck template page)")
        content, name = kept.content, kept.name
    else:
        try:
            content, name = Path(given).read_bytes(), Path(given).name
        except OSError as exc:
            raise DataError(f"--template: cannot read {given}") from exc
    require_fillable(content, name, internal=internal)
    return content


def cmd_share(args: argparse.Namespace) -> int:
    """Make a signed link to one account's value page, list the links, or revoke one (metrics.sharing)."""
    import getpass

    from exports.share_page import payload
    from metrics import sharing

    database = db_path(args.db)
    try:
        if args.revoke:
            if not sharing.revoke(args.revoke, database):
                raise DataError(f"--revoke: no link '{args.revoke}'")
            print(json.dumps({"link_id": args.revoke, "revoked": True}) if args.json else f"revoked {args.revoke}")
            return 0
        if args.list:
            found = [link.to_json() for link in sharing.links(database, account_id=args.account)]
            if args.json:
                print(json.dumps(found, ensure_ascii=False, indent=2))
            for link in found if not args.json else ():
                print(f"{link['link_id']}  {link['account_id']}  {link['lang']}  expires {link['expires']}  "
                      f"views {link['views']}{'  revoked' if link['revoked'] else ''}")
            return 0
        if not args.account:
            raise DataError("--account: the account the link shows is needed")
        con = connect(args.db)
        period = resolve_period(con, args.start, args.end)
        page = payload(con, args.account, period, args.lang)
        con.close()
        link, token = sharing.create(page, account_id=args.account, period=(page["period"]["start"],
                                                                             page["period"]["end"]),
                                     lang=args.lang, created_by=getpass.getuser(), days=args.days,
                                     passcode=args.passcode, database=database)
    except DataError as exc:
        return _refused(exc)
    result = {**link.to_json(), "path": f"/?token={token}"}
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else
          f"{result['path']}  (link {link.link_id}, {args.account}, {period.label()}, expires {link.expires})")
    return 0


def _error(message: str, lang: str) -> str:
    """A refusal as the CLI prints it, in `lang`."""
    return ("错误：" if lang == "zh" else "error: ") + refusal(message, lang)


def _refused(exc: DataError) -> int:
    """A user error, one line on stderr: an unknown account names the flag that gave it."""
    text = str(exc)
    print(f"error: {'--account: ' if text.startswith('unknown account') else ''}{text}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    """The CLI's arguments (cli_args), each subcommand calling its cmd_* function here."""
    commands = {name[4:]: func for name, func in globals().items() if name.startswith("cmd_")}
    return cli_args.build_parser(commands, __doc__)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # under serve.py the app processes read snapshots: a write here publishes one when it is done
        with publishing(db_path(args.db)) if args.func in (cmd_import, cmd_settings, cmd_demo) else nullcontext():
            code = args.func(args)
        sys.stdout.flush()
        return code
    except DataError as exc:  # e.g. the database is held by another process: one message, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (`report --json | head`): say nothing more. As the Python docs advise
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe), stdout is pointed at devnull so that the
        # flush at exit does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
