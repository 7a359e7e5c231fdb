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
        ["account_id"] if kind == "accounts" else [])
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
        _drop_repeated(cur)
        cur.execute(sql("merge_events"))
        changed = cur.execute("SELECT count(*) FROM vl_changed").fetchall()[0][0]
        source, changes = "events", "vl_changed"
        within = "SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month"
    else:
        # no stored event shares the batch's account-months (a first load, or the next months' export): every row
        # is new, so its rollups are built from the batch itself, which is inserted as is after them
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
        if not overlap:
            _drop_repeated_in_groups(cur, span)
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


def _drop_repeated_in_groups(cur, span: tuple[int, int] | None) -> None:
    """_drop_repeated for the rows of a new batch with account keys in span, whose vl_user_feature_month is built;
    the groups that held a repeated key are rebuilt.

    A key can repeat only within a user-feature-month group of two or more events, and two events at different
    times cannot repeat one, so only the other groups' rows (a few percent of a batch) are looked at.
    """
    within = f"""SEMI JOIN vl_user_feature_month AS g
        ON g.account_key = c.account_key AND g.user_key = c.user_key AND g.feature_key = c.feature_key
        AND g.month = c.month AND (g.event_rows > 2 OR (g.event_rows = 2 AND g.first_used_at = g.last_used_at))
        WHERE {_accounts('c', span)}"""
    if not _drop_repeated(cur, within, keep=True):
        cur.execute("DROP TABLE vl_repeated")
        return
    groups = "SELECT DISTINCT account_key, user_key, feature_key, month FROM vl_repeated"
    on = ("g.account_key = r.account_key AND g.user_key = r.user_key AND g.feature_key = r.feature_key "
          "AND g.month = r.month")
    cur.execute(f"DELETE FROM vl_user_feature_month AS g USING ({groups}) AS r WHERE {on}")
    cur.execute(f"""CREATE OR REPLACE TEMP VIEW vl_rollup_events AS
                    SELECT g.* FROM vl_coded AS g SEMI JOIN ({groups}) AS r ON {on}""")
    cur.execute(f"INSERT INTO vl_user_feature_month {sql('user_feature_month')}")
    cur.execute("DROP TABLE vl_repeated")


def _drop_repeated(cur, within: str = "", keep: bool = False) -> int:
    """Keep the file's last row where an event key repeats in vl_coded (coded keys are the batch keys one to one),
    looking only at the rows `within` selects; return how many rows were dropped. With `keep`, the repeated keys
    stay in vl_repeated.

    Only the repeated keys are kept (an aggregate, which spills to disk), never a window over the whole batch.
    """
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE vl_repeated AS
                    SELECT c.account_key, c.user_key, c.feature_key, c.month, c.event_time, max(c.line) AS last_line
                    FROM vl_coded AS c {within}
                    GROUP BY c.account_key, c.user_key, c.feature_key, c.month, c.event_time HAVING count(*) > 1""")
    dropped = cur.execute("""DELETE FROM vl_coded AS c USING vl_repeated AS r
                             WHERE c.account_key = r.account_key AND c.user_key = r.user_key
                               AND c.feature_key = r.feature_key AND c.event_time = r.event_time
                               AND c.line <> r.last_line""").fetchall()[0][0]
    if not keep:
        cur.execute("DROP TABLE vl_repeated")
    return dropped


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
    cur.execute(f"CREATE OR REPLACE TEMP TABLE vl_changed AS SELECT m.* FROM vl_merged AS m ANTI JOIN {table} AS cur ON {same}")
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
