"""Upserts of validated rows into the stored tables, and the rollups of the account-months an import touched.
The statements are in metrics/sql/ingest_merge.sql."""
from __future__ import annotations

import unicodedata

from metrics.ingest.contract import _BATCH_KEYS, _KEYS, _TARGET, CONTRACT
from metrics.store import run, sql, sql_with

ROLLUP_PART_ROWS = 2_000_000  # changed events rolled up at a time (see _rollup_parts)
_ALL_ACCOUNTS = (-(2**31), 2**31 - 1)  # the span of a batch rolled up in one part


def _merge(cur, kind: str, present: list[str], bad_rows: int) -> int:
    """Upsert the good rows of vl_checked (`bad_rows` of its rows are rejected ones) into the kind's table; return
    how many rows were new or changed."""
    if kind == "events":
        return _merge_events(cur, bad_rows)
    names = [c.name for c in CONTRACT[kind]]
    run(cur, "ingest_merge.good_rows", partition=", ".join(_BATCH_KEYS[kind]))
    if kind == "accounts":
        cur.execute(sql("key_accounts"))
    if kind == "value_drivers":
        cur.execute(sql("key_features"))
    table, keys = _TARGET[kind], _KEYS[kind]
    attrs = [n for n in names if n not in keys and n not in ("account_id", "feature", "requirement")] + (
        ["account_id"] if kind in ("accounts", "users") else ["account_key"] if kind == "requests" else [])
    _merge_table(cur, table, keys, attrs, present + ["account_key"])
    changed = run(cur, "ingest_merge.changed_count").fetchall()[0][0]
    if kind == "features" and changed:
        _name_stored_features(cur)
    return changed


def _name_stored_features(cur) -> None:
    """Features stored under an id that the feature list now names take that name: renamed in place, or, when a
    feature of that name exists (the value model's), merged into it, its events re-keyed and the rollups of
    their account-months rebuilt."""
    merged: list[tuple[int, int]] = []
    for old_key, name in run(cur, "ingest_merge.feature_renames").fetchall():
        target = run(cur, "ingest_merge.feature_key_of", {"name": name}).fetchall()
        if target:
            merged.append((old_key, target[0][0]))
        else:
            run(cur, "ingest_merge.rename_feature", {"name": name, "key": old_key})
    if not merged:
        return
    run(cur, "ingest_merge.rekey_table")
    cur.executemany(sql("ingest_merge.rekey_row"), merged)
    run(cur, "ingest_merge.rekey_features")
    run(cur, "ingest_merge.set_span", {"first": _ALL_ACCOUNTS[0], "last": _ALL_ACCOUNTS[1]})
    _rollup(cur)
    run(cur, "ingest_merge.drop_rollup_events")


def _rollup(cur) -> None:
    """Rebuild the rollups of the account-months in vl_touched, of the accounts set_span names, from the events of the
    view vl_rollup_events."""
    cur.execute(sql_with("rollup", rollup_query=sql("user_feature_month")))


def _merge_events(cur, bad_rows: int) -> int:
    """Code, deduplicate and upsert the good events of vl_checked, then rebuild the touched rollups."""
    if bad_rows:
        run(cur, "ingest_merge.drop_rejected_events")
    cur.execute(sql("code_events"))
    run(cur, "ingest_merge.touched_months")
    run(cur, "ingest_merge.coding")
    overlap = run(cur, "ingest_merge.overlap").fetchall()[0][0]
    if overlap:
        # the batch is compared with the stored events of its account-months (merge_events.sql), which leaves
        # vl_touched = the account-months it changed; their rollups are rebuilt from the stored events
        run(cur, "ingest_merge.coded_batch")
        _drop_repeated_ids(cur, "vl_coded")
        cur.execute(sql("merge_events"))
        changed = run(cur, "ingest_merge.changed_count").fetchall()[0][0]
        parts = _rollup_parts(cur, "vl_changed")
        run(cur, "ingest_merge.drop_changed")
    else:
        # no stored event shares the batch's account-months (a first load, or the next months' export): every row
        # is new (identical rows too: a repeated event), so the batch goes into `events` as it is, and the
        # rollups of its account-months are built from what was written; only a repeated event id keeps its last row
        _drop_repeated_ids(cur, "vl_checked")
        parts = _rollup_parts(cur, "vl_checked")
        changed = run(cur, "ingest_merge.insert_checked").fetchall()[0][0]
        run(cur, "ingest_merge.drop_checked")
    run(cur, "ingest_merge.keep_all_touched")
    for first, last in parts if len(parts) > 1 else [_ALL_ACCOUNTS]:
        run(cur, "ingest_merge.set_span", {"first": first, "last": last})
        run(cur, "ingest_merge.part_of_stored_events")
        _rollup(cur)
    run(cur, "ingest_merge.drop_rollup_events")
    return changed


def _rollup_parts(cur, changes: str) -> list[tuple[int, int]]:
    """Ranges of accounts with about ROLLUP_PART_ROWS of the changed events (`changes`) each. A rollup's aggregates
    hold state per user-month in memory, so a big batch is rolled up in parts: under the memory limit
    (store.default_memory_limit) a part fits in memory, and its hash tables stay small."""
    return run(cur, "ingest_merge.rollup_parts", {"rows": ROLLUP_PART_ROWS}, changes=changes).fetchall()


def _drop_repeated_ids(cur, batch: str) -> int:
    """Keep the file's last row of an event id that repeats within the batch (a re-sent, corrected event); return
    how many rows were dropped. Rows without an id are never dropped here: identical rows are repeated events."""
    if not run(cur, "ingest_merge.has_event_ids", batch=batch).fetchall()[0][0] or not _ids_may_repeat(cur, batch):
        return 0
    feature = "feature" if batch == "vl_checked" else "feature_key"
    return run(cur, "ingest_merge.drop_repeated_ids", batch=batch, feature=feature).fetchall()[0][0]


def _ids_may_repeat(cur, batch: str) -> bool:
    """Whether an event id may repeat for one feature in the batch (vl_checked or vl_coded): a 64-bit hash of the id
    and feature, grouped as fixed-width keys (5.4 s -> 2.3 s at 10M events against grouping the texts, issue 42's
    profile); a collision costs only the exact work that follows."""
    feature = "feature" if batch == "vl_checked" else "feature_key"
    return bool(run(cur, "ingest_merge.may_repeat_ids", batch=batch, feature=feature).fetchall()[0][0])


def _merge_table(cur, table: str, keys: tuple[str, ...], attrs: list[str], present: list[str]) -> None:
    """Generic keyed upsert of vl_good into `table`. Identifiers come from CONTRACT, never from files.

    A contract column absent from the file keeps its stored value; a present but empty cell clears it.
    """
    merged = ", ".join(
        f"CASE WHEN cur.{keys[0]} IS NULL OR list_contains($present, '{a}') THEN g.{a} ELSE cur.{a} END AS {a}"
        for a in attrs)
    run(cur, "ingest_merge.merge_table", {"present": present}, table=table,
        keys=", ".join(f"g.{k}" for k in keys), merged=merged,
        on=" AND ".join(f"cur.{k} = g.{k}" for k in keys),
        same=" AND ".join([f"cur.{k} = m.{k}" for k in keys] + [f"cur.{a} IS NOT DISTINCT FROM m.{a}" for a in attrs]))


def _save_settings(cur, source: str, preset: str | None, event_filter) -> None:
    """Remember a source's preset and event filter (contract.EventFilter) for its next file."""
    run(cur, "ingest_merge.save_settings",
        {"source": source, "preset": preset, "include": list(event_filter.include),
         "exclude": list(event_filter.exclude), "value_model_only": event_filter.value_model_only})


def _save_mapping(cur, source: str, resolved: dict[str, str]) -> None:
    """Remember the header mapping of a source for its next file."""
    run(cur, "ingest_merge.forget_mapping", {"source": source})
    if resolved:
        cur.executemany(sql("ingest_merge.mapping_row"),
                        [(source, header, column) for header, column in resolved.items()])


def _normal_title(title: str) -> str:
    """A requirement title as titles are matched: any case, any width (NFKC), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


def group_requests(cur, user: str) -> tuple[int, int]:
    """Requests imported with a `requirement` (as CS grouped them) put in the requirement of that title, matched
    with any case or width against a stored title or either of its languages ("中文 / English"), created when
    none matches; the statements are the requirement pool's own (requirements.sql). Returns how many requirements
    were created and how many stored ones gained requests."""
    rows = [(r, t) for r, t in run(cur, "ingest_merge.grouped_requests").fetchall() if t and t.strip()]
    return group_pairs(cur, rows, user) if rows else (0, 0)


def group_pairs(cur, rows: list[tuple[str, str]], user: str) -> tuple[int, int]:
    """(request id, requirement title) pairs grouped on `cur`, inside the caller's transaction (group_requests;
    metrics.requirements.group_into): created and extended requirements."""
    from datetime import datetime

    known: dict[str, int] = {}
    for requirement_id, title in run(cur, "ingest_merge.requirement_titles").fetchall():
        for part in [title, *title.split(" / ")]:
            known.setdefault(_normal_title(part), int(requirement_id))
    member = dict(run(cur, "ingest_merge.request_requirements").fetchall())
    created: set[int] = set()
    extended: set[int] = set()
    now = datetime.now()
    for request_id, title in rows:
        key = _normal_title(title)
        if key not in known:
            new_id = run(cur, "requirements.next_id").fetchall()[0][0]
            run(cur, "requirements.insert", {"id": new_id, "title": " ".join(title.split()), "area": None,
                                             "at": now, "by": user})
            run(cur, "requirements.snapshot", {"id": new_id, "suggested": None})
            for part in [title, *title.split(" / ")]:  # a later row may name it in either language
                known.setdefault(_normal_title(part), int(new_id))
            created.add(int(new_id))
        target = known[key]
        if member.get(request_id) != target:
            cur.execute(sql("requirements.ungroup"), (request_id,))
            cur.execute(sql("requirements.group"), (target, request_id))
            member[request_id] = target
            if target not in created:
                extended.add(target)
    return len(created), len(extended)
