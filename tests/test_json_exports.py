"""JSON exports as analytics tools write them load without code: JSON lines (Mixpanel's raw export,
https://docs.mixpanel.com/reference/raw-event-export: one object a line, {"event", "properties": {"time" in epoch
seconds or milliseconds, "distinct_id", "$insert_id", ...}}), an API response wrapping its rows in one array field
(PostHog's list endpoints: {"results": [...], "next": ...}, ISO timestamps with offsets), a plain array, and any of them
gzipped. Nested fields are dotted headers a mapping names; each shape gives the same rollups as the contract's CSV."""
from __future__ import annotations

import pytest
from conftest import FIXTURES, run_page, table

from metrics import ingest
from metrics.store import DataError, connect

EXPORTS = FIXTURES / "exports"
MIXPANEL = {"event": "feature", "properties.distinct_id": "user_id", "properties.time": "event_time",
            "properties.company_id": "account_id", "properties.duration": "duration_seconds",
            "properties.items": "units"}
POSTHOG = {"event": "feature", "distinct_id": "user_id", "timestamp": "event_time",
           "properties.$groups.company": "account_id", "properties.duration": "duration_seconds",
           "properties.units": "units"}
ROLLUPS = ("account_user_month", "account_feature_month", "account_month")


def _database():
    con = connect(":memory:")
    for name in ("accounts.csv", "value_drivers.csv"):
        ingest.import_file(con, FIXTURES / name)
    return con


def _rollups(con) -> dict[str, list[tuple]]:
    return {name: sorted(map(repr, con.execute(f"SELECT * EXCLUDE (account_key) FROM {name}").fetchall()))
            for name in ROLLUPS}


@pytest.fixture(scope="module")
def reference() -> dict[str, list[tuple]]:
    con = _database()
    assert ingest.import_file(con, EXPORTS / "usage_contract.csv").rows_loaded == 4
    return _rollups(con)


@pytest.mark.parametrize("name, mapping, loaded, rejected, excluded, filtered", [
    ("mixpanel.ndjson", MIXPANEL, 4, 1, 1, 2),
    ("mixpanel.ndjson.gz", MIXPANEL, 4, 0, 0, 0),
    ("posthog_results.json", POSTHOG, 4, 0, 0, 3),
    ("contract_array.json", None, 4, 0, 0, 0),
])
def test_each_json_shape_gives_the_same_rollups_as_the_contract_csv(reference, name, mapping, loaded, rejected,
                                                                   excluded, filtered):
    con = _database()
    result = ingest.import_file(con, EXPORTS / name, kind="events" if mapping else None, mapping=mapping)
    assert (result.kind, result.rows_loaded, result.rows_rejected, result.rows_excluded, result.rows_filtered) == (
        "events", loaded, rejected, excluded, filtered)
    assert _rollups(con) == reference
    assert table(con, "SELECT DISTINCT file_format FROM imports WHERE kind = 'events'") == [("json",)]


def test_a_malformed_json_line_is_one_reject_by_its_line_and_a_blank_line_is_excluded():
    con = _database()
    result = ingest.import_file(con, EXPORTS / "mixpanel.ndjson", kind="events", mapping=MIXPANEL)
    assert [(r.line, r.reason) for r in result.rejects.itertuples()] == [
        (4, "malformed JSON record: not valid JSON")]
    # lines 1, 2, 5, 6 loaded; 3 blank; 4 rejected; 7, 8 Mixpanel's own events: every line accounted for
    assert result.rows_loaded + result.rows_rejected + result.rows_excluded + result.rows_filtered == 8


def test_nested_fields_are_dotted_headers_and_a_one_element_list_is_unwrapped():
    con = _database()
    preview = ingest.preview_file(con, EXPORTS / "posthog_results.json")
    assert preview.file_format == "json"
    assert preview.headers == ["id", "event", "distinct_id", "timestamp", "properties.$groups.company",
                               "properties.duration", "properties.units"]
    assert preview.sample["properties.units"].tolist()[:4] == ["2", "1", "0", "5"]
    assert preview.sample["properties.$groups.company"].tolist()[:4] == ["A1", "A1", "A1", "A2"]
    assert ingest.preview_file(con, EXPORTS / "contract_array.json").kind == "events"


@pytest.mark.parametrize("content, message", [
    (b'{"a": [{"x": 1}], "b": [{"y": 2}]}', "a JSON object with 2 arrays of rows"),
    (b'[{"a": 1}, {"a": ', "cannot be read as JSON"),
    (b"\x1f\x8b\x08\x00garbage", "the gzip file is damaged or truncated"),
])
def test_a_json_or_gzip_file_that_cannot_be_read_is_one_message(tmp_path, content, message):
    con = _database()
    path = tmp_path / "export.json"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"export.json: {message}"):
        ingest.import_file(con, path, kind="events")


def _amplitude_zip(path, hours: list[list[str]]) -> None:
    """Amplitude's Export API answer (https://amplitude.com/docs/apis/analytics/export): a zip holding one gzipped
    JSON-lines file an hour, named <project>/<project>_<date>_<hour>#0.json.gz."""
    import gzip
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for hour, lines in enumerate(hours):
            zf.writestr(f"123/123_2025-03-05_{hour}#0.json.gz", gzip.compress(("\n".join(lines) + "\n").encode()))


def _amplitude_line(account: str, user: str, time: str, feature: str, duration: int, units: int) -> str:
    import json

    return json.dumps({"event_type": feature, "user_id": user, "amplitude_id": 1000 + len(user),
                       "event_time": time + ".000000",
                       "groups": {"company": [account]}, "event_properties": {"duration": duration, "units": units}},
                      ensure_ascii=False)


AMPLITUDE = {"event_type": "feature", "user_id": "user_id", "event_time": "event_time", "groups.company": "account_id",
             "event_properties.duration": "duration_seconds", "event_properties.units": "units"}


def test_an_amplitude_zip_of_gzipped_hourly_files_is_one_import_with_the_contract_csvs_rollups(reference, tmp_path):
    rows = [("A1", "u1", "2025-03-05 01:00:00", "Dispatch", 60, 2),
            ("A1", "u2", "2025-03-05 02:30:00", "Reports", 30, 1),
            ("A1", "u1", "2025-04-01 08:00:00", "智能排班", 600, 0),
            ("A2", "张伟", "2025-04-02 09:00:00", "Dispatch", 10, 5)]
    lines = [_amplitude_line(*r) for r in rows]
    _amplitude_zip(tmp_path / "export.zip", [lines[:2], [lines[2], "{broken"], [lines[3]]])
    con = _database()
    result = ingest.import_file(con, tmp_path / "export.zip", kind="events", mapping=AMPLITUDE)
    assert (result.rows_loaded, result.rows_rejected) == (4, 1)
    assert _rollups(con) == reference
    # the reject names the member and the line within it
    assert [(r.line, r.value[:30]) for r in result.rejects.itertuples()] == [(2, "123/123_2025-03-05_1#0.json.gz")]


def test_a_folder_of_csv_exports_is_one_import_and_rejects_name_the_file(reference, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    lines = (EXPORTS / "usage_contract.csv").read_text(encoding="utf-8").splitlines()
    (folder / "part-1.csv").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (folder / "part-2.csv").write_text("\n".join([lines[0], "A1,u9,not a time,Dispatch,1,1", *lines[3:]]) + "\n",
                                       encoding="utf-8")
    con = _database()
    result = ingest.import_file(con, folder)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("events", 4, 1)
    assert _rollups(con) == reference
    assert [(r.line, r.column_name, r.value) for r in result.rejects.itertuples()] == [
        (2, "event_time", "part-2.csv: not a time")]


def test_an_archive_of_the_wrong_content_is_one_message(tmp_path):
    import zipfile

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("report.pdf", b"%PDF-1.4 ...")
    with pytest.raises(DataError, match="export.zip: report.pdf: this is a PDF"):
        ingest.import_file(_database(), path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.json", b'{"a": 1}\n')
        zf.writestr("b.csv", b"a,b\n1,2\n")
    with pytest.raises(DataError, match="export.zip: its files are of several formats \\(csv, json\\); a folder or "
                                        "archive must hold files of one format and layout"):
        ingest.import_file(_database(), path)


def _usage(con) -> list[tuple]:
    return con.execute("""SELECT a.account_id, f.feature, r.month, r.users, r.events, r.first_used_at
                          FROM account_feature_month AS r JOIN account AS a USING (account_key)
                          JOIN feature AS f USING (feature_key) ORDER BY ALL""").fetchall()


def test_with_a_preset_each_tools_export_loads_without_any_mapping_and_its_noise_is_left_out(tmp_path):
    reference_con = _database()
    ingest.import_file(reference_con, EXPORTS / "usage_contract.csv")
    rows = [("A1", "u1", "2025-03-05 01:00:00", "Dispatch", 60, 2),
            ("A1", "u2", "2025-03-05 02:30:00", "Reports", 30, 1),
            ("A1", "u1", "2025-04-01 08:00:00", "智能排班", 600, 0),
            ("A2", "张伟", "2025-04-02 09:00:00", "Dispatch", 10, 5)]
    lines = [_amplitude_line(*r) for r in rows]
    noise = [_amplitude_line("A1", "u1", "2025-03-05 01:00:01", name, 0, 0)
             for name in ("session_start", "[Amplitude] Page Viewed")]
    _amplitude_zip(tmp_path / "amplitude.zip", [lines[:2] + noise, lines[2:]])
    segment = tmp_path / "tracks.csv"  # a Segment warehouse tracks table
    segment.write_text("id,anonymous_id,user_id,event,event_text,timestamp,context_group_id\n" + "".join(
        f"m{i},anon{i},{u},{f.lower()},{f},{t}Z,{a}\n" for i, (a, u, t, f, _, _) in enumerate(rows)), encoding="utf-8")
    cases = {"mixpanel.ndjson": ("mixpanel", 2), "posthog_results.json": ("posthog", 3),
             str(tmp_path / "amplitude.zip"): ("amplitude", 2), str(segment): ("segment", 0)}
    for name, (preset, noise_rows) in cases.items():
        con = _database()
        result = ingest.import_file(con, EXPORTS / name)  # the preset is recognised from the fields
        assert (result.preset, result.kind, result.rows_loaded, result.rows_filtered) == (
            preset, "events", 4, noise_rows), name
        # the same users, events and first uses per feature and month (durations and units are custom properties
        # no preset can know, so they are left to a mapping)
        assert _usage(con) == _usage(reference_con), name


def test_a_preset_and_event_filters_are_remembered_per_source_and_leave_events_out_by_pattern(tmp_path):
    con = _database()
    first = ingest.import_file(con, EXPORTS / "usage_contract.csv", source="crm usage",
                               event_filter=ingest.EventFilter(exclude=("Rep*",)))
    assert (first.rows_loaded, first.rows_filtered) == (3, 1)
    again = tmp_path / "usage_contract_2.csv"
    again.write_text((EXPORTS / "usage_contract.csv").read_text(encoding="utf-8").replace("Reports", "Reports v2"),
                     encoding="utf-8")
    second = ingest.import_file(con, again, source="crm usage")  # the source's filter applies again
    assert (second.rows_filtered, second.rows_unchanged) == (1, 3)
    only = ingest.import_file(con, again, source="another", force=True,
                              event_filter=ingest.EventFilter(value_model_only=True, include=("*",)))
    # 智能排班, Dispatch and Reports are priced in the fixture's value model; "Reports v2" is not
    assert only.rows_filtered == 1
    assert table(con, "SELECT rows_filtered FROM imports ORDER BY import_id DESC LIMIT 1") == [(1,)]


def test_the_import_page_suggests_the_preset_and_shows_what_the_filter_left_out(tmp_path, monkeypatch):
    from i18n import STRINGS

    en = STRINGS["en"]
    at = run_page(tmp_path / "page.duckdb", monkeypatch, "views/data_import.py")
    at.file_uploader[0].set_value(("mixpanel.ndjson", (EXPORTS / "mixpanel.ndjson").read_bytes(), "application/json"))
    at.run()
    assert not at.exception
    preset = next(box for box in at.selectbox if box.label == en["preset"])
    assert preset.value == "mixpanel"
    assert next(box for box in at.selectbox if box.label == en["kind"]).value == "events"
    next(b for b in at.button if b.label.startswith(en["import"].split("{")[0])).click().run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown, [e.value for e in at.error]
    # the demo's accounts are not the fixture's: A1 and A2 are unknown there, so rows are rejected, but the
    # filter still leaves out Mixpanel's own two events
    assert shown[en["filtered"]] == "2"
    assert shown[en["excluded"]] == "1"


def test_pendo_daily_rows_with_a_feature_list_count_like_the_raw_events_they_summarize(tmp_path):
    """Pendo's featureEvents rows (one per visitor, account, feature and day; numEvents, numMinutes; opaque feature
    ids named by the feature list) give the same adoption, events and hours saved as the raw events."""
    import json
    from datetime import date, datetime, timezone

    from metrics import report
    from metrics.period import Period

    raw = ["account_id,user_id,event_time,feature,duration_seconds"]
    pendo, expected_events = [], 0
    ids = {"Dispatch": "fX1", "Reports": "fY2", "Triage": "fZ3"}  # Triage is not in the value model
    for day in (3, 4, 10):
        for user, feature, n in (("u1", "Dispatch", 3), ("u2", "Dispatch", 1), ("u2", "Reports", 2),
                                 ("u1", "Triage", 4)):
            for i in range(n):
                raw.append(f"A1,{user},2025-03-{day:02d} 09:{i:02d}:00,{feature},60")
            midnight = datetime(2025, 3, day, tzinfo=timezone.utc)  # Pendo's day: epoch milliseconds
            pendo.append({"accountId": "A1", "visitorId": user, "featureId": ids[feature],
                          "day": int(midnight.timestamp() * 1000), "numEvents": n, "numMinutes": n})
            expected_events += n
    (tmp_path / "raw.csv").write_text("\n".join(raw) + "\n", encoding="utf-8")
    (tmp_path / "feature_events.json").write_text(json.dumps(pendo), encoding="utf-8")
    (tmp_path / "features.json").write_text(json.dumps([{"id": v, "name": k, "kind": "Feature"}
                                                         for k, v in ids.items()]), encoding="utf-8")
    period = Period(date(2025, 3, 1), date(2025, 4, 1))
    reports = []
    for files in (["raw.csv"], ["features.json", "feature_events.json"]):
        con = _database()
        results = [ingest.import_file(con, tmp_path / name) for name in files]
        assert [r.kind for r in results] == (["events"] if len(files) == 1 else ["features", "events"])
        assert results[-1].preset == (None if len(files) == 1 else "pendo")
        rep = report.account_report(con, account_id="A1", period=period)
        reports.append((rep.adoption.features, rep.cost.hours_saved, rep.cost.value,
                        table(con, "SELECT sum(events), sum(duration_seconds) FROM account_month")))
    assert reports[0] == reports[1]
    assert reports[0][3] == [(expected_events, 60.0 * expected_events)]


def test_a_feature_list_imported_after_the_events_names_the_stored_ids_and_merges_them_into_the_value_model(
        tmp_path):
    con = _database()
    (tmp_path / "ev.csv").write_text("account_id,user_id,event_time,feature\nA1,u1,2025-03-03 09:00,fX1\n"
                                     "A1,u2,2025-03-04 09:00,fX1\nA1,u1,2025-03-05 09:00,fQ9\n", encoding="utf-8")
    result = ingest.import_file(con, tmp_path / "ev.csv")
    assert result.warnings == ("no feature of the value model appears in these events for A1: their hours saved "
                               "will be 0 (check the event names, the preset, or a feature list for opaque ids)",)
    (tmp_path / "features.csv").write_text("id,name\nfX1,Dispatch\nfQ9,Quick search\n", encoding="utf-8")
    assert ingest.import_file(con, tmp_path / "features.csv").kind == "features"
    # fX1's events now count for the value model's Dispatch; fQ9, unpriced, is renamed in place
    assert table(con, """SELECT f.feature, r.users, r.events FROM account_feature_month AS r
                         JOIN feature AS f USING (feature_key) ORDER BY 1""") == [
        ("Dispatch", 2, 2), ("Quick search", 1, 1)]
    assert table(con, "SELECT count(*) FROM feature WHERE feature IN ('fX1', 'fQ9')") == [(0,)]


def test_a_user_directory_gives_events_that_carry_only_the_user_their_account(tmp_path):
    con = _database()
    (tmp_path / "events.csv").write_text("user_id,event_time,feature\nu1,2025-03-03 09:00,Dispatch\n"
                                         "u2,2025-03-03 09:05,Dispatch\nu9,2025-03-03 09:10,Dispatch\n",
                                         encoding="utf-8")
    with pytest.raises(DataError, match="required column\\(s\\) missing for events: account_id"):
        ingest.import_file(con, tmp_path / "events.csv", kind="events")
    (tmp_path / "directory.csv").write_text("user_id,account_id\nu1,A1\nu2,A2\nu3,NOPE\n", encoding="utf-8")
    directory = ingest.import_file(con, tmp_path / "directory.csv")
    assert (directory.kind, directory.rows_loaded, directory.rows_rejected) == ("users", 2, 1)
    result = ingest.import_file(con, tmp_path / "events.csv", kind="events")
    # u9 is in no directory: its event has no account and is rejected with the reason
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert [(r.line, r.column_name, r.reason) for r in result.rejects.itertuples()] == [
        (4, "account_id", "missing value")]
    assert table(con, """SELECT a.account_id, u.user_id FROM events e JOIN users u USING (user_key)
                         JOIN account a ON a.account_key = e.account_key ORDER BY 1""") == [("A1", "u1"), ("A2", "u2")]


def test_a_posthog_csv_export_maps_into_its_json_text_properties_column(tmp_path):
    import csv
    import json
    from datetime import datetime

    path = tmp_path / "posthog_events.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["uuid", "event", "distinct_id", "timestamp", "properties"])
        writer.writerow(["u-1", "Dispatch", "u1", "2025-03-05T09:00:00+08:00",
                         json.dumps({"$groups": {"company": "A1"}, "duration": 60})])
        writer.writerow(["u-2", "$pageview", "u1", "2025-03-05T09:01:00+08:00",
                         json.dumps({"$groups": {"company": "A1"}})])
        writer.writerow(["u-3", "Reports", "u2", "2025-03-05T10:30:00+08:00", "not json"])
    con = _database()
    result = ingest.import_file(con, path, mapping={"properties.duration": "duration_seconds"})
    assert (result.preset, result.rows_loaded, result.rows_filtered, result.rows_rejected) == ("posthog", 1, 1, 1)
    # the row whose properties are not JSON has no account: rejected with the reason, not a crash
    assert [(r.line, r.column_name, r.reason) for r in result.rejects.itertuples()] == [
        (4, "account_id", "missing value")]
    assert table(con, "SELECT e.event_id, e.event_time, e.duration_seconds FROM events e") == [
        ("u-1", datetime(2025, 3, 5, 1, 0), 60.0)]


def test_a_gzipped_csv_is_unpacked_previewed_from_its_head_and_imported_whole(tmp_path):
    import gzip

    # 4,000 events, about 190 KB unpacked: more than the 64 KB head a preview unpacks
    rows = "".join(f"A1,u{i % 50},2025-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00,Dispatch,{i},1\n"
                   for i in range(4000))
    path = tmp_path / "usage.csv.gz"
    path.write_bytes(gzip.compress(("account_id,user_id,event_time,feature,duration_seconds,units\n"
                                    + rows).encode()))
    con = _database()
    preview = ingest.preview_file(con, path)
    assert (preview.file_format, preview.kind, len(preview.sample)) == ("csv", "events", 20)
    assert ingest.import_file(con, path).rows_loaded == 4000
    assert table(con, "SELECT sum(events), sum(duration_seconds) FROM account_month") == [(4000, 3999 * 4000 / 2)]


def test_the_import_page_fills_in_the_event_filter_the_source_remembers(tmp_path, monkeypatch):
    from i18n import STRINGS
    from metrics.store import connect

    en = STRINGS["en"]
    db = tmp_path / "page.duckdb"
    con = connect(db)
    for name in ("accounts.csv", "value_drivers.csv"):
        ingest.import_file(con, FIXTURES / name)
    ingest.import_file(con, EXPORTS / "usage_contract.csv", source="usage contract",
                       event_filter=ingest.EventFilter(exclude=("Rep*", "Debug"), value_model_only=True))
    con.close()
    at = run_page(db, monkeypatch, "views/data_import.py")
    at.file_uploader[0].set_value(("usage_contract_2.csv", (EXPORTS / "usage_contract.csv").read_bytes(), "text/csv"))
    at.run()
    assert not at.exception
    assert next(box for box in at.text_input if box.label == en["exclude_events"]).value == "Rep*, Debug"
    assert next(box for box in at.checkbox if box.label == en["value_model_only"]).value is True


def _typed_reader_file(path, blank_line: bool) -> None:
    """20,600 JSON lines, more than DuckDB's type sample (20,480 records), so that the types come from the first
    lines and the last ones must still be read right: the whole-number duration column ends with 1.5, and the times,
    all `Z` in the sample, end naive and `+08:00` (06:30 on 1 April in Shanghai is 22:30 on 31 March in UTC). The
    blank line, when there is one, comes after the sample, before line 20,551, which has an unknown account."""
    lines = []
    for n in range(20_600):
        account = "NOPE" if n == 20_550 else ("A1", "A2")[n % 2]
        duration = "1.5" if n == 20_599 else str(30 + n % 7)
        day = 1 + n % 28
        time = (f"2025-03-{day:02d}T10:00:00Z" if n < 20_480 else
                f"2025-03-{day:02d} 10:00:00" if n % 2 else f"2025-04-{day:02d}T06:30:00+08:00")
        lines.append(f'{{"account_id": "{account}", "user_id": "u{n % 40}", "event_time": "{time}", '
                     f'"feature": "Dispatch", "duration_seconds": {duration}, "units": {n % 3}}}')
    if blank_line:
        lines.insert(20_500, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai"])
def test_the_typed_json_reader_stores_what_the_careful_line_reader_stores(tmp_path, monkeypatch, zone):
    """A clean JSON-lines file is read by DuckDB's typed reader; one with a blank line by the careful reader, which
    numbers every line. Both must store the same events (no rounded number, no dropped offset, naive times in the
    workspace zone) and name the same record's line, the blank one counted."""
    from metrics.ingest import jsonfiles as readers
    from metrics.settings import set_workspace_timezone

    typed_used = []  # (read lazily, the typed reader took it) per call
    real = readers._stage_json_lines_typed
    monkeypatch.setattr(readers, "_stage_json_lines_typed",
                        lambda *a: typed_used.append((a[3], real(*a))) or typed_used[-1][1])
    stored = {}
    for blank in (False, True):
        con = _database()
        set_workspace_timezone(con, zone)
        _typed_reader_file(tmp_path / "usage.ndjson", blank)
        result = ingest.import_file(con, tmp_path / "usage.ndjson", kind="events", force=True)
        assert (result.rows_loaded, result.rows_rejected, result.rows_excluded) == (20_599, 1, int(blank))
        assert table(con, "SELECT line, value FROM rejects") == [(20_551 + blank, "NOPE")]
        stored[blank] = (table(con, """SELECT a.account_id, u.user_id, e.event_time, e.duration_seconds, e.units
                                       FROM events AS e JOIN account AS a USING (account_key)
                                       JOIN users AS u USING (user_key) ORDER BY ALL"""), _rollups(con))
    # each file is first validated as it is read; the clean one, whose rejected record must name its line, is then
    # staged by the typed reader, the one with a blank line read carefully
    assert [(lazy, used is not None) for lazy, used in typed_used] == [(True, True), (False, True), (True, True),
                                                                      (False, False)]
    assert stored[False] == stored[True]
    events = stored[False][0]
    assert max(e[3] for e in events) == 36 and 1.5 in {e[3] for e in events}
    times = {e[2].isoformat() for e in events}
    shanghai, utc = "2025-04-01T06:30:00", "2025-03-31T22:30:00"
    assert (shanghai in times, utc in times) == ((True, False) if zone == "Asia/Shanghai" else (False, True))
    assert "2025-03-02T10:00:00" in times  # naive: as written, in either zone
    assert ("2025-03-01T18:00:00" in times) == (zone == "Asia/Shanghai")  # 10:00Z


@pytest.mark.parametrize("broken, reason", [('{"account_id": "A1", "user_id": ', "malformed JSON record"),
                                            (None, "not a date/time")])
def test_a_json_lines_file_the_typed_reader_fails_on_is_read_line_by_line(tmp_path, monkeypatch, broken, reason):
    """A line DuckDB's typed reader cannot take (broken JSON, or a time in a column it reads as times), after the
    20,480 records it takes the columns' types from, fails the validation that reads the file: the import is
    rolled back and the file read by the careful reader, which rejects that line alone and loads the others."""
    from metrics.ingest import jsonfiles as readers

    calls = []
    real = readers._stage_json_lines_typed

    def recorded(*args):
        staged = real(*args)
        calls.append((args[3], staged is not None))
        return staged

    monkeypatch.setattr(readers, "_stage_json_lines_typed", recorded)
    lines = [f'{{"account_id": "A1", "user_id": "u{n % 9}", "feature": "Dispatch", '
             f'"event_time": "{"yesterday" if n == 20_900 else "2025-03-04T10:00:00Z"}", "duration_seconds": 5}}'
             for n in range(1, 21_001)]
    if broken:
        lines[20_899] = broken
    (tmp_path / "usage.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = _database()
    result = ingest.import_file(con, tmp_path / "usage.ndjson", kind="events")
    assert calls == [(True, True), (False, False)]
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (21_000, 20_999, 1)
    assert [(line, why.startswith(reason)) for line, why in table(con, "SELECT line, reason FROM rejects")] == [
        (20_900, True)]
