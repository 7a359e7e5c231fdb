"""The second ring of real exports, each written here in the layout its tool documents (the preset cites the page):
GA4's BigQuery export (Parquet and gzipped JSON lines), Heap Connect's all_events, Mixpanel's pipeline (a folder of
daily Parquet files), Amplitude's warehouse export, PostHog's explorer CSV, Snowplow's enriched TSV, RudderStack's
tracks table, Pendo Data Sync (Avro), and Salesforce and HubSpot account lists. Each loads with its preset alone (and
a mapping only where the account sits in a field the customer chose), and its figures (users and events per
feature and month, months in the workspace's zone) match a recomputation from the rows written."""
from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES, snapshot, table

from metrics import ingest
from metrics.settings import set_workspace_timezone
from metrics.store import DataError

ZONE = "Asia/Shanghai"  # 8 hours ahead of UTC: an event late on 31 March UTC is an April event here
UTC = timezone.utc
# (account, user, feature, when in UTC, event id): the events every sample below writes in its own layout
EVENTS = [
    ("A1", "u1", "Dispatch", datetime(2025, 3, 3, 9, 0, tzinfo=UTC), "e1"),
    ("A1", "u1", "Reports", datetime(2025, 3, 10, 9, 30, tzinfo=UTC), "e2"),
    ("A1", "u2", "Dispatch", datetime(2025, 3, 31, 20, 0, tzinfo=UTC), "e3"),  # 1 April, 04:00 in Shanghai
    ("A1", "u2", "Dispatch", datetime(2025, 4, 30, 15, 59, tzinfo=UTC), "e6"),  # 30 April, 23:59 in Shanghai
    ("A2", "u3", "Dispatch", datetime(2025, 4, 2, 9, 0, tzinfo=UTC), "e4"),
    ("A2", "u3", "智能排班", datetime(2025, 4, 2, 9, 5, tzinfo=UTC), "e5"),
]


def expected_usage(events=EVENTS, zone: str = ZONE) -> list[tuple]:
    """(account, feature, month, users, events) worked out from the rows, months in `zone`."""
    users, counts = defaultdict(set), defaultdict(int)
    for account, user, feature, when, _ in events:
        local = when.astimezone(ZoneInfo(zone))
        key = (account, feature, local.date().replace(day=1))
        users[key].add(user)
        counts[key] += 1
    return sorted((*key, len(users[key]), counts[key]) for key in counts)


def expected_mau(events=EVENTS, zone: str = ZONE) -> list[tuple]:
    users = defaultdict(set)
    for account, user, _, when, _ in events:
        users[(account, when.astimezone(ZoneInfo(zone)).date().replace(day=1))].add(user)
    return sorted((*key, len(found)) for key, found in users.items())


def usage(con) -> list[tuple]:
    return table(con, """SELECT a.account_id, f.feature, r.month, r.users, r.events
                         FROM account_feature_month AS r JOIN account AS a USING (account_key)
                         JOIN feature AS f USING (feature_key) ORDER BY ALL""")


def mau(con) -> list[tuple]:
    return table(con, """SELECT a.account_id, r.month, r.active_users FROM account_month AS r
                         JOIN account AS a USING (account_key) ORDER BY ALL""")


@pytest.fixture
def shanghai(con):
    """A database whose workspace counts months in Shanghai, with the fixture accounts A1 to A3."""
    set_workspace_timezone(con, ZONE)
    ingest.import_file(con, FIXTURES / "accounts.csv")
    return con


def loads_like_the_rows(con, result, preset: str, layout: str, events=EVENTS) -> None:
    assert (result.preset, result.layout, result.rows_rejected) == (preset, layout, 0), result.rejects
    assert usage(con) == expected_usage(events)
    assert mau(con) == expected_mau(events)


def _kv(pairs: dict) -> list[dict]:
    """GA4's key/value records: the value in the typed field that fits it, the others null."""
    out = []
    for key, value in pairs.items():
        typed = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
        typed["int_value" if isinstance(value, int) else "string_value"] = value
        out.append({"key": key, "value": typed})
    return out


def ga4_rows() -> list[dict]:
    rows = []
    for i, (account, user, feature, when, _) in enumerate(EVENTS + [("A1", "u1", "session_start",
                                                                     datetime(2025, 3, 3, 8, tzinfo=UTC), "n")]):
        micros = int(when.timestamp()) * 1_000_000 + i  # INT64 epoch microseconds
        rows.append({"event_date": when.strftime("%Y%m%d"), "event_timestamp": micros, "event_name": feature,
                     "event_params": _kv({"ga_session_id": 1700000000 + i, "page_title": "Dispatch board"}),
                     "user_id": user, "user_pseudo_id": f"p.{user}",
                     "user_properties": [{"key": "company_id", "value": {
                         "string_value": account, "int_value": None, "float_value": None, "double_value": None,
                         "set_timestamp_micros": micros}}]})
    return rows


def test_a_ga4_bigquery_export_as_parquet_loads_with_the_preset_alone(shanghai, tmp_path):
    path = tmp_path / "events_20250303.parquet"
    pq.write_table(pa.Table.from_pylist(ga4_rows()), path)
    result = ingest.import_file(shanghai, path, preset="ga4")
    loads_like_the_rows(shanghai, result, "ga4", "bigquery-export")
    assert (result.rows_loaded, result.rows_filtered) == (6, 1)  # session_start is GA4's own
    assert result.mapping["user_properties.company_id"] == "account_id"


def test_a_ga4_export_as_gzipped_json_lines_is_suggested_its_preset_and_loads(shanghai, tmp_path):
    path = tmp_path / "events_20250303.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in ga4_rows())
    assert ingest.preview_file(shanghai, path).preset == "ga4"
    preview = ingest.preview_file(shanghai, path)
    assert {"user_properties.company_id", "event_params.ga_session_id", "event_params.page_title"} <= set(
        preview.paths)
    result = ingest.import_file(shanghai, path)
    loads_like_the_rows(shanghai, result, "ga4", "bigquery-export")


def test_heap_counts_one_raw_event_matched_by_two_definitions_once_for_each(shanghai, tmp_path):
    path = tmp_path / "all_events.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["EVENT_ID", "TIME", "USER_ID", "SESSION_ID", "EVENT_TABLE_NAME", "COMPANY"])
        for account, user, feature, when, event_id in EVENTS:
            out.writerow([event_id, when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], user, "s1", feature, account])
        # the first event matched by a second definition, and its page view (Heap's own)
        out.writerow(["e1", "2025-03-03 09:00:00.000", "u1", "s1", "Dispatch board opened", "A1"])
        out.writerow(["e1", "2025-03-03 09:00:00.000", "u1", "s1", "pageviews", "A1"])
    result = ingest.import_file(shanghai, path, preset="heap", mapping={"COMPANY": "account_id"})
    both = EVENTS + [("A1", "u1", "Dispatch board opened", datetime(2025, 3, 3, 9, tzinfo=UTC), "e1")]
    loads_like_the_rows(shanghai, result, "heap", "connect-all-events", both)
    assert (result.rows_loaded, result.rows_filtered) == (7, 1)
    again = ingest.import_file(shanghai, path, preset="heap", mapping={"COMPANY": "account_id"}, force=True)
    assert (again.rows_loaded, again.rows_unchanged) == (0, 7)  # a re-import changes nothing
    assert usage(shanghai) == expected_usage(both)


def mixpanel_pipeline_folder(folder: Path, events=EVENTS) -> Path:
    """One Parquet file a day, as the pipeline writes them: time a naive TIMESTAMP in UTC, properties JSON text."""
    by_day = defaultdict(list)
    for account, user, feature, when, event_id in events + [("A1", "u1", "$mp_web_page_view",
                                                             datetime(2025, 3, 3, 8, tzinfo=UTC), "n1")]:
        by_day[when.date()].append({"event_name": feature, "time": when.replace(tzinfo=None), "distinct_id": user,
                                    "insert_id": event_id,
                                    "properties": json.dumps({"company_id": account, "$browser": "Chrome"})})
    folder.mkdir()
    for day, rows in by_day.items():
        pq.write_table(pa.Table.from_pylist(rows), folder / f"mixpanel-{day:%Y-%m-%d}.parquet")
    return folder


def test_a_folder_of_mixpanel_pipeline_parquet_files_is_one_import_with_utc_times_in_the_workspace_zone(shanghai,
                                                                                                      tmp_path):
    folder = mixpanel_pipeline_folder(tmp_path / "mixpanel")
    result = ingest.import_file(shanghai, folder, preset="mixpanel")
    loads_like_the_rows(shanghai, result, "mixpanel", "pipeline")
    assert (result.file_format, result.rows_read, result.rows_filtered) == ("parquet", 7, 1)
    assert table(shanghai, "SELECT count(*) FROM imports") == [(2,)]  # the accounts, then the folder: one import
    glob = ingest.import_file(shanghai, tmp_path / "mixpanel" / "*.parquet", preset="mixpanel", force=True)
    assert (glob.rows_loaded, glob.rows_unchanged) == (0, 6)


def test_amplitudes_warehouse_export_takes_its_documented_event_id_among_three_candidates(shanghai, tmp_path):
    path = tmp_path / "EVENTS_123.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["EVENT_TYPE", "EVENT_TIME", "USER_ID", "AMPLITUDE_ID", "$INSERT_ID", "UUID", "EVENT_ID",
                      "GROUPS"])
        for i, (account, user, feature, when, event_id) in enumerate(EVENTS):
            out.writerow([feature, when.strftime("%Y-%m-%d %H:%M:%S.%f"), user, 1000 + i, event_id,
                          f"uuid-{i}", i % 2, json.dumps({"company": [account]})])
        out.writerow(["session_start", "2025-03-03 08:00:00.000000", "u1", 1000, "n", "uuid-n", 9, "{}"])
    result = ingest.import_file(shanghai, path, preset="amplitude")
    loads_like_the_rows(shanghai, result, "amplitude", "warehouse")
    assert {f for f, c in result.mapping.items() if c == "event_id"} == {"$INSERT_ID"}


def test_posthogs_explorer_csv_loads_with_its_star_columns(shanghai, tmp_path):
    path = tmp_path / "events_explorer.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["*.uuid", "*.event", "*.distinct_id", "*.properties.$groups.company", "*.timestamp"])
        for account, user, feature, when, event_id in EVENTS:
            out.writerow([event_id, feature, user, account, when.isoformat(timespec="microseconds")])
        out.writerow(["n", "$pageview", "u1", "A1", "2025-03-03T08:00:00.000000+00:00"])
    result = ingest.import_file(shanghai, path)
    loads_like_the_rows(shanghai, result, "posthog", "explorer-csv")


def snowplow_line(account: str, user: str, feature: str, when: datetime, event_id: str) -> str:
    fields = dict.fromkeys(ingest.PRESETS["snowplow"].layouts[0].header, "")
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]  # UTC, no zone, as the enriched stream writes it
    fields.update(app_id="valuelens-demo", platform="web", collector_tstamp=stamp, derived_tstamp=stamp,
                  event="unstruct", event_id=event_id, user_id=user, domain_userid=f"d-{user}", event_name=feature,
                  se_label=account, page_title='"Quoted" dispatch board')  # a title starting with a quote
    return "\t".join(fields.values()) + "\n"


def test_snowplows_headerless_gzipped_tsv_takes_the_documented_columns_and_never_reads_quotes(shanghai, tmp_path):
    path = tmp_path / "part-00000.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for event in EVENTS:
            fh.write(snowplow_line(*event))
        fh.write(snowplow_line("A1", "u1", "page_ping", datetime(2025, 3, 3, 8, tzinfo=UTC), "n"))
    result = ingest.import_file(shanghai, path, preset="snowplow", mapping={"se_label": "account_id"})
    loads_like_the_rows(shanghai, result, "snowplow", "enriched-tsv")
    assert (result.rows_read, result.rows_loaded, result.rows_filtered) == (7, 6, 1)


def test_rudderstacks_tracks_table_is_told_from_segments_and_a_retried_delivery_counts_once(shanghai, tmp_path):
    path = tmp_path / "tracks.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "anonymous_id", "user_id", "event", "event_text", "original_timestamp", "sent_at",
                      "received_at", "timestamp", "context_traits_company_id", "context_source_id",
                      "context_destination_id", "context_library_name"])
        for account, user, feature, when, event_id in [*EVENTS, EVENTS[0]]:  # the first delivered twice
            stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "+00"
            out.writerow([event_id, f"anon-{user}", user, feature.lower(), feature, stamp, stamp, stamp, stamp,
                          account, "src1", "dst1", "rudder-analytics.js"])
    assert ingest.preview_file(shanghai, path).preset == "rudderstack"
    result = ingest.import_file(shanghai, path)
    loads_like_the_rows(shanghai, result, "rudderstack", "warehouse-tracks")


def _avro(path: Path, fields: list[tuple[str, str]], rows: list[dict]) -> None:
    import fastavro

    schema = {"type": "record", "name": "row", "fields": [{"name": n, "type": ["null", t]} for n, t in fields]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fastavro.writer(fh, fastavro.parse_schema(schema), rows)


def pendo_data_sync(folder: Path) -> Path:
    """An export folder as Data Sync writes it: manifest, all events, feature definitions, one file per feature."""
    ids = {"Dispatch": "fA1xDispatch", "Reports": "fB2yReports", "智能排班": "fC3zShift"}
    event_fields = [("matchableId", "string"), ("periodId", "long"), ("browserTimestamp", "long"),
                    ("visitorId", "string"), ("accountId", "string"), ("eventType", "string"), ("url", "string")]
    by_feature = defaultdict(list)
    for account, user, feature, when, _ in EVENTS:
        millis = int(when.timestamp() * 1000)
        by_feature[feature].append({"matchableId": ids[feature], "periodId": millis // 86400000 * 86400000,
                                    "browserTimestamp": millis, "visitorId": user, "accountId": account,
                                    "eventType": "click", "url": "https://app.example.com/dispatch"})
    for feature, rows in by_feature.items():
        _avro(folder / "matchedEvents" / "Feature" / f"{ids[feature]}.avro", event_fields, rows)
    _avro(folder / "allevents.avro", event_fields[1:], [
        {k: v for k, v in row.items() if k != "matchableId"} for rows in by_feature.values() for row in rows])
    _avro(folder / "allfeatures.avro", [("id", "string"), ("name", "string")],
          [{"id": fid, "name": name} for name, fid in ids.items()])
    (folder / "exportmanifest.json").write_text(json.dumps({"exports": [{"files": ["allevents.avro"]}]}))
    return folder


def test_a_pendo_data_sync_folder_reads_the_feature_avro_files_and_names_them_from_the_feature_list(tmp_path,
                                                                                                    capsys):
    from cli import main

    folder = pendo_data_sync(tmp_path / "datasync")
    db = str(tmp_path / "pendo.duckdb")
    assert main(["settings", "--timezone", ZONE, "--db", db]) == 0
    assert main(["import", str(FIXTURES / "accounts.csv"), "--db", db]) == 0
    capsys.readouterr()
    assert main(["import", str(folder), "--preset", "pendo", "--db", db]) == 0  # the folder alone
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("allfeatures.avro [Feature list]: 3 loaded")  # the feature list first, then the events
    assert out[1].startswith("datasync [Usage events] [preset pendo, layout data-sync]: 6 loaded, 0 rejected")
    from metrics.store import connect

    con = connect(db)
    assert usage(con) == expected_usage()  # by the features' names, not their ids
    assert mau(con) == expected_mau()
    assert table(con, "SELECT file_format, rows_read FROM imports WHERE preset = 'pendo'") == [("avro", 6)]


def salesforce_report(path: Path) -> Path:
    rows = [["Account Owner", "Account Name", "Account Number", "Account ID", "Industry", "Billing Country"],
            ["Jane Roe", "Société Générale Logistique", "A1", "0015g00000XyZabAAB", "Logistics", "France"],
            ["Jane Roe", "Müller Transporte GmbH", "A2", "0015g00000XyZacAAB", "Logistics", "Deutschland"]]
    lines = [",".join(f'"{cell}"' for cell in row) for row in rows]
    footer = ['""', '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."',
              '"Confidential Information - Do Not Distribute"', '"Generated By:  Jane Roe  5/3/2025 10:15 AM"',
              '"ValueLens Inc."']
    path.write_bytes(("\r\n".join(lines + [""] + footer) + "\r\n").encode("iso-8859-1"))
    return path


def test_a_salesforce_report_in_iso_8859_1_loads_its_footer_excluded_and_keeps_the_account_id_as_crm_id(con,
                                                                                                        tmp_path):
    path = salesforce_report(tmp_path / "report1709312345678.csv")
    result = ingest.import_file(con, path, preset="salesforce")
    assert (result.kind, result.preset, result.layout, result.rows_loaded, result.rows_rejected,
            result.rows_excluded, result.encoding) == ("accounts", "salesforce", "report-export", 2, 0, 6, "cp1252")
    assert table(con, "SELECT account_id, account_name, region, crm_id FROM account ORDER BY 1") == [
        ("A1", "Société Générale Logistique", "France", "0015g00000XyZabAAB"),
        ("A2", "Müller Transporte GmbH", "Deutschland", "0015g00000XyZacAAB")]


def test_a_hubspot_companies_export_loads_with_the_preset_and_the_customers_own_id_column(con, tmp_path):
    path = tmp_path / "hubspot-crm-exports-all-companies-2025-03-05.csv"
    path.write_text("Record ID,Company name,Country/Region,Industry,Customer ID\n"
                    "9876543210,Acme Logistics,United States,Logistics,A1\n"
                    "9876543211,华东物流集团,China,Logistics,A2\n", encoding="utf-8")
    assert ingest.preview_file(con, path).kind == "accounts"
    result = ingest.import_file(con, path, preset="hubspot", mapping={"Customer ID": "account_id"})
    assert (result.preset, result.rows_loaded) == ("hubspot", 2)
    assert table(con, "SELECT account_id, account_name, region, crm_id FROM account ORDER BY 1") == [
        ("A1", "Acme Logistics", "United States", "9876543210"), ("A2", "华东物流集团", "China", "9876543211")]


def test_a_crm_id_is_never_taken_for_the_account_id_by_default(con, tmp_path):
    path = salesforce_report(tmp_path / "accounts.csv")
    preview = ingest.preview_file(con, path)
    assert (preview.preset, preview.mapping["Account ID"], preview.mapping["Account Number"]) == (
        "salesforce", "crm_id", "account_id")


def test_a_file_that_fits_none_of_the_chosen_presets_layouts_is_refused_naming_the_nearest(shanghai, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("event_name,distinct_id,when\nDispatch,u1,2025-03-03 09:00\n", encoding="utf-8")
    before = snapshot(shanghai)
    with pytest.raises(DataError, match="fits none of the Mixpanel preset's layouts; the nearest, pipeline "
                                        r"\(https://docs.mixpanel.com/.*\), expects the fields event_name, time, "
                                        "distinct_id, insert_id, properties and this file lacks time, insert_id, "
                                        "properties"):
        ingest.import_file(shanghai, path, preset="mixpanel")
    assert snapshot(shanghai) == before


@pytest.mark.parametrize("value, expected", [
    ("1741165200", datetime(2025, 3, 5, 17)),               # epoch seconds
    ("1741165200000", datetime(2025, 3, 5, 17)),            # milliseconds
    ("1741165200000000", datetime(2025, 3, 5, 17)),         # microseconds (GA4)
    ("1741165200000000000", datetime(2025, 3, 5, 17)),      # nanoseconds
    ("2025-03-05 17:00:00+0800", datetime(2025, 3, 5, 17)),  # a basic offset
    ("2025-03-05 09:00:00.000+00", datetime(2025, 3, 5, 17)),  # RudderStack's
])
def test_epochs_by_magnitude_and_basic_offsets_are_counted_in_the_workspace_zone(shanghai, tmp_path, value,
                                                                                expected):
    path = tmp_path / "events.csv"
    path.write_text(f"account_id,user_id,event_time,feature\nA1,u1,{value},Dispatch\n", encoding="utf-8")
    ingest.import_file(shanghai, path)
    assert table(shanghai, "SELECT event_time FROM events") == [(expected,)]


def test_a_zip_of_a_folder_uploaded_is_one_import_like_the_folder(shanghai, tmp_path):
    import zipfile

    folder = mixpanel_pipeline_folder(tmp_path / "mixpanel")
    archive = tmp_path / "mixpanel.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"mixpanel/{path.name}")
    result = ingest.import_bytes(shanghai, archive.read_bytes(), "mixpanel.zip", preset="mixpanel")
    loads_like_the_rows(shanghai, result, "mixpanel", "pipeline")


def test_the_pipelines_json_text_properties_are_offered_as_paths_and_a_utf16_file_with_its_bom_reads(con, tmp_path):
    folder = mixpanel_pipeline_folder(tmp_path / "mixpanel")
    preview = ingest.preview_file(con, folder)
    assert (preview.preset, preview.layout, preview.mapping["properties.company_id"]) == (
        "mixpanel", "pipeline", "account_id")
    assert {"properties.company_id", "properties.$browser"} <= set(preview.paths)
    path = tmp_path / "accounts_utf16.csv"
    path.write_bytes("account_id,account_name\nA1,华东物流集团\n".encode("utf-16"))  # with its BOM
    result = ingest.import_file(con, path)
    assert (result.rows_loaded, result.encoding) == (1, "utf-16 with BOM")
    assert table(con, "SELECT account_name FROM account") == [("华东物流集团",)]


def test_the_cli_imports_a_folder_and_a_quoted_glob_with_a_preset_and_says_which_layout_and_fields(tmp_path,
                                                                                                   capsys):
    from cli import main

    db = str(tmp_path / "cli.duckdb")
    assert main(["settings", "--timezone", ZONE, "--db", db]) == 0
    assert main(["import", str(FIXTURES / "accounts.csv"), "--db", db]) == 0
    folder = mixpanel_pipeline_folder(tmp_path / "mixpanel")
    capsys.readouterr()
    assert main(["import", str(folder), "--preset", "mixpanel", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("mixpanel [Usage events] [preset mixpanel, layout pipeline]: 6 loaded, 0 rejected, 0 unchanged "
                      "(already loaded), 1 left out by the event filter (of 7 rows read)")
    assert "event_id <- insert_id" in out[1] and "account_id <- properties.company_id" in out[1]
    assert main(["import", str(folder / "*.parquet"), "--preset", "mixpanel", "--force", "--db", db]) == 0
    assert "0 loaded, 0 rejected, 6 unchanged" in capsys.readouterr().out
    # the files one by one, as a shell expands an unquoted glob: one import too
    files = sorted(str(p) for p in folder.glob("*.parquet"))
    assert len(files) == 5 and main(["import", *files, "--preset", "mixpanel", "--force", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("mixpanel [Usage events] [preset mixpanel, layout pipeline]: 0 loaded, 0 rejected, 6 "
                             "unchanged") and len([line for line in out if "[Usage events]" in line]) == 1
    report = tmp_path / "salesforce.csv"
    salesforce_report(report)
    assert main(["import", str(report), "--preset", "salesforce", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["salesforce.csv [Accounts] [preset salesforce, layout report-export]: 2 loaded, 0 rejected, "
                       "0 unchanged (already loaded), 6 lines excluded (blank lines, a report's footer) (of 2 rows "
                       "read)", "  read as csv, cp1252"]


def test_on_the_import_page_two_headers_on_one_column_are_a_warning_one_unmapped_and_the_file_imports(tmp_path,
                                                                                                      monkeypatch):
    from conftest import run_page

    from i18n import STRINGS

    en = STRINGS["en"]
    body = ("account_id,user_id,event_time,feature,$insert_id,uuid\n"
            "A002,u1,2026-03-03 09:00:00,Smart dispatch,i1,x1\n").encode()
    at = run_page(tmp_path / "page.duckdb", monkeypatch, "views/data_import.py")
    at.file_uploader[0].set_value(("ids.csv", body, "text/csv"))
    at.run()
    assert not at.exception
    assert any(w.value.startswith("“event_id” is mapped from more than one field") for w in at.warning)
    button = next(b for b in at.button if b.label.startswith(en["import"].split("{")[0]))
    assert button.disabled
    next(box for box in at.selectbox if box.label == en["map_header"].format(header="uuid")).set_value("").run()
    assert not any(w.value.startswith("“event_id”") for w in at.warning)
    next(b for b in at.button if b.label.startswith(en["import"].split("{")[0])).click().run()
    shown = {m.label: m.value for m in at.metric}
    assert shown, [e.value for e in at.error]
    assert shown[en["loaded"]] == "1"


def test_the_value_model_warnings_an_import_gives_read_in_chinese_on_the_chinese_page(con, tmp_path):
    import re

    import wording

    ingest.import_file(con, FIXTURES / "accounts.csv")
    path = tmp_path / "events.csv"
    path.write_text("account_id,user_id,event_time,feature\nA1,u1,2025-03-03 09:00,Dispatch\n", encoding="utf-8")
    result = ingest.import_file(con, path)
    assert result.warnings and all(not re.search(r"[a-z]{3,}", wording.reason(w, "zh")) for w in result.warnings)


def test_a_zip_of_a_pendo_data_sync_folder_uploaded_imports_the_feature_list_then_the_events(shanghai, tmp_path):
    import zipfile

    folder = pendo_data_sync(tmp_path / "datasync")
    archive = tmp_path / "datasync.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, path.relative_to(folder).as_posix())
    results = ingest.import_export_bytes(shanghai, archive.read_bytes(), "datasync.zip", preset="pendo")
    assert [(r.kind, r.rows_loaded) for r in results] == [("features", 3), ("events", 6)]
    assert usage(shanghai) == expected_usage()


def test_a_preset_never_maps_a_field_the_file_does_not_have(con, tmp_path):
    path = tmp_path / "EVENTS_9.csv"
    path.write_text('EVENT_TYPE,EVENT_TIME,USER_ID,AMPLITUDE_ID,$INSERT_ID,GROUPS\n'
                    'Dispatch,2025-03-03 09:00:00.000000,u1,1,i1,"{""team"": [""ops""]}"\n', encoding="utf-8")
    preview = ingest.preview_file(con, path)
    assert (preview.preset, preview.layout, preview.missing) == ("amplitude", "warehouse", ["account_id"])
    assert "account_id" not in preview.mapping.values() and "GROUPS.team" in preview.paths
    with pytest.raises(DataError, match="required column\\(s\\) missing for events: account_id"):
        ingest.import_file(con, path)


def test_an_account_id_column_of_salesforce_record_ids_is_kept_as_the_crm_id_without_any_preset(con, tmp_path):
    path = tmp_path / "accounts_from_crm.csv"
    path.write_text("Account ID,Account Name,Customer No\n0015g00000XyZabAAB,Acme Logistics,A1\n"
                    "0015g00000XyZac,华东物流集团,A2\n", encoding="utf-8")
    preview = ingest.preview_file(con, path)
    assert (preview.preset, preview.mapping["Account ID"], preview.missing) == (None, "crm_id", ["account_id"])
    result = ingest.import_file(con, path, mapping={"Customer No": "account_id"})
    assert result.rows_loaded == 2
    assert table(con, "SELECT account_id, crm_id FROM account ORDER BY 1") == [
        ("A1", "0015g00000XyZabAAB"), ("A2", "0015g00000XyZac")]
    other = tmp_path / "accounts.csv"  # a customer's own ids under the same header stay the account id
    other.write_text("Account ID,Account Name\nA9,Acme\n", encoding="utf-8")
    assert ingest.preview_file(con, other).mapping["Account ID"] == "account_id"
