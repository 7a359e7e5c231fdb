"""Row checks done in Python once per distinct value (identifiers, total labels) and the rejects table."""
from __future__ import annotations

import unicodedata

from metrics.store import run, sql

# identifier columns of vl_checked per kind (events keep account_key only: an unknown account id is rejected anyway)
_IDENTIFIERS = {"events": ("user_id", "feature"), "accounts": ("account_id",), "outcomes": ("account_id",),
                "value_drivers": ("feature",), "features": ("feature_id", "feature_name"),
                "users": ("user_id", "account_id"), "objectives": ("account_id",),
                "renewals": ("account_id",), "requests": ("account_id",)}
# columns whose total rows (合计, Total, ...) only this pass catches; the validate_*.sql files check the others
_TOTALS_HERE = {"events": ("user_id", "feature")}
_TOTAL_WORDS = frozenset({"合计", "总计", "小计", "共计", "总合计", "total", "totals", "subtotal", "grandtotal"})
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}  # control, format (zero-width, bidi), private, separators
BAD_IDENTIFIER = "invisible or look-alike characters in an identifier"
TOTAL_ROW = "a total or subtotal row, not data"  # also in the validate_*.sql files


def identifier_problem(value: str) -> str | None:
    """The identifier `value` (already trimmed) as it should have been written, when it differs from it by
    invisible characters, or by look-alike letters, digits or spaces that NFKC folds (full-width Ａ００２, ligatures,
    no-break spaces); None when it is clean. Full-width punctuation in Chinese text (（）：) is left alone."""
    cleaned = "".join(ch for ch in value if unicodedata.category(ch) not in _INVISIBLE)
    folded = "".join(n if n != ch and any((c.isascii() and c.isalnum()) or c.isspace() for c in n) else ch
                     for ch in cleaned for n in [unicodedata.normalize("NFKC", ch)])
    return folded if folded != value else None


def is_total(value: str) -> bool:
    """True for the label of a spreadsheet's total line (macros.sql vl_is_total says the same in SQL)."""
    return len(value) <= 16 and value.replace(" ", "").lower().rstrip(":：") in _TOTAL_WORDS


def _check_identifiers(cur, kind: str) -> None:
    """Reject the rows of vl_checked whose identifiers carry invisible or look-alike characters, or (where the SQL
    does not) read as a total row. Checked once per distinct value, not per row; plain printable ASCII can only be
    a total label, so the Unicode work is done for the few other values."""
    bad: list[tuple[str, str, str]] = []
    columns = _IDENTIFIERS[kind]
    totals = [column in _TOTALS_HERE.get(kind, ()) for column in columns]
    if kind == "events":  # the batch's keys, read once for these checks and the rest of the import
        run(cur, "ingest_run.batch_keys")
        rows = run(cur, "ingest_run.batch_identifiers").fetchall()
    else:
        rows = run(cur, "ingest_run.distinct_values", columns=", ".join(columns),
                   sets=", ".join(f"({column})" for column in columns)).fetchall()
    for row in rows:
        for column, total, value in zip(columns, totals, row):
            if value is None:
                continue
            if total and is_total(value):
                bad.append((column, value, TOTAL_ROW))
            elif not (value.isascii() and value.isprintable()) and identifier_problem(value):
                bad.append((column, value, BAD_IDENTIFIER))
    run(cur, "ingest_run.clear_bad_ids")
    if not bad:
        return
    cur.executemany(sql("ingest_run.bad_id_row"), bad)
    for column in {c for c, _, _ in bad}:
        run(cur, "ingest_run.reject_bad_ids", {"column": column}, column=column)
    if kind == "events":  # the keys of the rows just rejected are no longer a good row's
        run(cur, "ingest_run.batch_keys")


def _store_rejects(cur, import_id: int, file_name: str, structural: list[tuple[int, str, str]],
                   bad_rows: int) -> int:
    """Write one reject per failed check of the `bad_rows` rows of vl_checked that failed one, and the structural
    rejects of the file's reader; return the number of rejected rows."""
    if bad_rows:
        run(cur, "ingest_run.store_rejects", {"id": import_id, "file": file_name})
    if structural:
        cur.executemany(sql("ingest_run.structural_reject"),
                        [(import_id, file_name, line, value, reason) for line, value, reason in structural])
    return bad_rows + len(structural)
