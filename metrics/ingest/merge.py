"""Upserts of validated rows into the stored tables, and the rollups of the account-months an import touched."""
from __future__ import annotations

from metrics.ingest.contract import _BATCH_KEYS, _KEYS, _TARGET, CONTRACT
from metrics.store import sql

ROLLUP_PART_ROWS = 2_000_000  # changed events rolled up at a time (see _merge_events)


def _merge(cur, kind: str, present: list[str]) -> int:
    """Upsert the good rows of vl_checked into the kind's table; return how many rows were new or changed."""
    if kind == "events":
        return _merge_events(cur)
    names = [c.name for c in CONTRACT[kind]]
    partition = ", ".join(_BATCH_KEYS[kind])
    # the last row of the file wins when a key repeats within the batch
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE vl_good AS
                    SELECT * EXCLUDE (errors) FROM vl_checked WHERE len(errors) = 0
                    QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY line DESC) = 1""")
    if kind == "accounts":
        cur.execute(sql("key_accounts"))
    if kind == "value_drivers":
        cur.execute(sql("key_features"))
    table, keys = _TARGET[kind], _KEYS[kind]
    attrs = [n for n in names if n not in keys and n not in ("account_id", "feature")] + (
        ["account_id"] if kind in ("accounts", "users") else [])
    _merge_table(cur, table, keys, attrs, present)
    changed = cur.execute("SELECT count(*) FROM vl_changed").fetchall()[0][0]
    if kind == "features" and changed:
        _name_stored_features(cur)
    return changed


def _name_stored_features(cur) -> None:
    """Features stored under an id that the feature list now names take that name: renamed in place, or, when a
    feature of that name exists (the value model's), merged into it, its events re-keyed and the rollups of
    their account-months rebuilt."""
    renames = cur.execute("""SELECT f.feature_key, m.feature_name FROM feature AS f
                             JOIN feature_name_map AS m ON m.feature_id = f.feature
                             WHERE m.feature_name <> f.feature ORDER BY f.feature_key""").fetchall()
    merged: list[tuple[int, int]] = []
    for old_key, name in renames:
        target = cur.execute("SELECT feature_key FROM feature WHERE feature = $n", {"n": name}).fetchall()
        if target:
            merged.append((old_key, target[0][0]))
        else:
            cur.execute("UPDATE feature SET feature = $n WHERE feature_key = $k", {"n": name, "k": old_key})
    if not merged:
        return
    cur.execute("CREATE OR REPLACE TEMP TABLE vl_rekey (old_key INTEGER, new_key INTEGER)")
    cur.executemany("INSERT INTO vl_rekey VALUES (?, ?)", merged)
    cur.execute("""CREATE OR REPLACE TEMP TABLE vl_touched AS
                   SELECT DISTINCT e.account_key, e.month FROM events AS e SEMI JOIN vl_rekey AS r
                   ON r.old_key = e.feature_key""")
    cur.execute("UPDATE events SET feature_key = r.new_key FROM vl_rekey AS r WHERE events.feature_key = r.old_key")
    cur.execute("DELETE FROM value_drivers USING vl_rekey AS r WHERE value_drivers.feature_key = r.old_key")
    cur.execute("DELETE FROM feature USING vl_rekey AS r WHERE feature.feature_key = r.old_key")
    cur.execute("""CREATE OR REPLACE TEMP VIEW vl_rollup_events AS
                   SELECT e.* FROM events AS e SEMI JOIN vl_touched AS t
                   ON t.account_key = e.account_key AND t.month = e.month""")
    cur.execute(f"CREATE OR REPLACE TEMP TABLE vl_user_feature_month AS {sql('user_feature_month')}")
    cur.execute(sql("rollup"))
    cur.execute("DROP VIEW vl_rollup_events")


def _merge_events(cur) -> int:
    """Code, deduplicate and upsert the good events of vl_checked, then rebuild the touched rollups."""
    cur.execute(sql("code_events"))
    cur.execute("CREATE OR REPLACE TEMP TABLE vl_touched AS SELECT DISTINCT account_key, month FROM vl_coded")
    overlap = cur.execute("""SELECT count(*) FROM (SELECT 1 FROM events AS e
                             SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month
                             LIMIT 1)""").fetchall()[0][0]
    if overlap:
        # the batch is compared with the stored events of its account-months (merge_events.sql), which leaves
        # vl_touched = the account-months it changed; their rollups are rebuilt from the stored events
        _drop_repeated_ids(cur)
        cur.execute(sql("merge_events"))
        changed = cur.execute("SELECT count(*) FROM vl_changed").fetchall()[0][0]
        source, changes = "events", "vl_changed"
        within = "SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month"
    else:
        # no stored event shares the batch's account-months (a first load, or the next months' export): every row
        # is new (identical rows too: a repeated event), so its rollups are built from the batch itself, which is
        # inserted as is after them; only a repeated event id keeps its last row
        _drop_repeated_ids(cur)
        source, changes, within = "vl_coded", "vl_coded", ""
    # a rollup's aggregates hold state per user-month in memory, so a big batch is rolled up in parts: ranges of
    # accounts with about ROLLUP_PART_ROWS changed events each. Under a memory limit (VALUELENS_MEMORY_LIMIT) a
    # part fits in memory, and a part reads only its blocks of the batch, which is stored in account order.
    parts = cur.execute(f"""SELECT min(account_key), max(account_key) FROM (
                                SELECT account_key, (sum(n) OVER (ORDER BY account_key) - n) // $rows AS part
                                FROM (SELECT account_key, count(*) AS n FROM {changes} GROUP BY account_key))
                            GROUP BY part ORDER BY part""", {"rows": ROLLUP_PART_ROWS}).fetchall()
    if overlap:
        cur.execute("DROP TABLE vl_changed")
    cur.execute("ALTER TABLE vl_touched RENAME TO vl_touched_all")
    for span in parts if len(parts) > 1 else [None]:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE vl_touched AS SELECT * FROM vl_touched_all AS t "
                    f"WHERE {_accounts('t', span)}")
        cur.execute(f"CREATE OR REPLACE TEMP VIEW vl_rollup_events AS SELECT e.* FROM {source} AS e {within} "
                    f"WHERE {_accounts('e', span)}")
        cur.execute(f"CREATE OR REPLACE TEMP TABLE vl_user_feature_month AS {sql('user_feature_month')}")
        cur.execute(sql("rollup"))
    cur.execute("DROP VIEW vl_rollup_events")
    if not overlap:
        changed = cur.execute("SELECT count(*) FROM vl_coded").fetchall()[0][0]
        cur.execute("INSERT INTO events BY NAME SELECT * EXCLUDE (line) FROM vl_coded")
        cur.execute("DROP TABLE vl_coded")
    return changed


def _accounts(alias: str, span: tuple[int, int] | None) -> str:
    """SQL condition: the account key of `alias` lies in span (all when None). Keys are ints from the database,
    written into the text because a view takes no parameters."""
    return "true" if span is None else f"{alias}.account_key BETWEEN {int(span[0])} AND {int(span[1])}"


def _drop_repeated_ids(cur) -> int:
    """Keep the file's last row of an event id that repeats within the batch (a re-sent, corrected event); return
    how many rows were dropped. Rows without an id are never dropped here: identical rows are repeated events."""
    has_ids = cur.execute("SELECT count(*) FROM (SELECT 1 FROM vl_coded WHERE event_id IS NOT NULL LIMIT 1)")
    if not has_ids.fetchall()[0][0]:
        return 0
    return cur.execute("""DELETE FROM vl_coded AS c USING (
                              SELECT account_key, event_id, max(line) AS last_line FROM vl_coded
                              WHERE event_id IS NOT NULL GROUP BY account_key, event_id HAVING count(*) > 1) AS r
                          WHERE c.account_key = r.account_key AND c.event_id = r.event_id
                            AND c.line <> r.last_line""").fetchall()[0][0]


def _merge_table(cur, table: str, keys: tuple[str, ...], attrs: list[str], present: list[str]) -> None:
    """Generic keyed upsert of vl_good into `table`. Identifiers come from CONTRACT, never from files.

    A contract column absent from the file keeps its stored value; a present but empty cell clears it.
    """
    on = " AND ".join(f"cur.{k} = g.{k}" for k in keys)
    merged = ", ".join(
        f"CASE WHEN cur.{keys[0]} IS NULL OR list_contains($present, '{a}') THEN g.{a} ELSE cur.{a} END AS {a}"
        for a in attrs)
    same = " AND ".join([f"cur.{k} = m.{k}" for k in keys] + [f"cur.{a} IS NOT DISTINCT FROM m.{a}" for a in attrs])
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE vl_merged AS
                    SELECT {', '.join(f'g.{k}' for k in keys)}, {merged}
                    FROM vl_good AS g LEFT JOIN {table} AS cur ON {on}""", {"present": present})
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE vl_changed AS
                    SELECT m.* FROM vl_merged AS m ANTI JOIN {table} AS cur ON {same}""")
    cur.execute(f"DELETE FROM {table} AS cur USING vl_changed AS g WHERE {on}")
    cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM vl_changed")


def _save_settings(cur, source: str, preset: str | None, event_filter) -> None:
    """Remember a source's preset and event filter (contract.EventFilter) for its next file."""
    cur.execute("DELETE FROM source_settings WHERE source = $s", {"s": source})
    cur.execute("INSERT INTO source_settings VALUES ($s, $p, $i, $e, $v)",
                {"s": source, "p": preset, "i": list(event_filter.include), "e": list(event_filter.exclude),
                 "v": event_filter.value_model_only})


def _save_mapping(cur, source: str, resolved: dict[str, str]) -> None:
    """Remember the header mapping of a source for its next file."""
    cur.execute("DELETE FROM column_mapping WHERE source = $s", {"s": source})
    if resolved:
        cur.executemany("INSERT INTO column_mapping VALUES (?, ?, ?)",
                        [(source, header, column) for header, column in resolved.items()])
