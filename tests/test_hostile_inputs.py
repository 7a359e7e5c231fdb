"""The third reliability round (issue 44): bounded work on any upload, time zones by each tool's documented rules,
objectives, renewals and users validated by meaning, JSON lines read by line, archives named in the summary, every
refusal in the product's words and in Chinese, CLI flags refused naming the flag. The inputs are tests/hostile.py's."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime

import hostile
import pandas as pd
import pytest
from conftest import FIXTURES, ROOT, snapshot, table

import wording
from metrics import ingest
from metrics.store import DataError, connect
from wording.refusals import translated

BAD = FIXTURES / "bad"


def _database():
    con = connect(":memory:")
    for name in ("accounts.csv", "value_drivers.csv"):
        ingest.import_file(con, FIXTURES / name)
    return con


# ---------------------------------------------------------------- 1. bounded work on bytes actually inflated

@pytest.mark.parametrize("build, where", [
    (hostile.newline_csv_gz, "padded.csv.gz: unpacks to more than 100 times the size of the file"),
    (hostile.jsonl_gz_bomb, "events.jsonl.gz: unpacks to more than 100 times the size of the file"),
    (hostile.zip_of_gzip_bomb, "amplitude_export.zip: 123/123_2025-03-02_10#0.json.gz: unpacks to more than 100 "
                               "times the size of the file"),
    (hostile.zip_of_whitespace, "padded.zip: events.csv: unpacks to more than 100 times the size of the file"),
    (hostile.blank_lines_csv, "blank_padded.csv: 1,500,000 of its 1,500,002 lines are blank"),
], ids=["csv.gz of newlines", "jsonl.gz DuckDB inflates", "gzip inside a zip", "zip member of spaces",
        "csv of blank lines"])
def test_a_bomb_at_any_layer_is_refused_naming_the_member_and_nothing_is_stored(loaded, tmp_path, build, where):
    path = build(tmp_path)
    before = snapshot(loaded)
    with pytest.raises(DataError, match=re.escape(where)) as refused:
        ingest.import_export(loaded, path)
    assert snapshot(loaded) == before
    assert translated(str(refused.value)) is not None


def test_the_inflation_limit_is_the_bytes_unpacked_not_what_the_archive_declares(tmp_path):
    """A zip may declare any size: the limit counts what comes out. A member declared 1 KB that inflates to 256 MB
    is refused all the same, and an honest export 10 times its size (bench/'s JSON lines inflate 9.5x) loads."""
    from metrics.ingest.inflation import GRACE_BYTES, MAX_RATIO, Budget

    budget = Budget("x.zip", 1 << 20)
    assert budget.limit == MAX_RATIO * (1 << 20) + GRACE_BYTES
    budget.charge(10 << 20, "ok.csv")
    with pytest.raises(DataError, match=r"x.zip: big.csv: unpacks to more than 100 times"):
        budget.charge(budget.limit, "big.csv")
    with pytest.raises(DataError):  # once passed, every further read is refused
        budget.charge(1, "ok.csv")


def test_a_bomb_import_keeps_the_process_under_1_gb(tmp_path):
    """The issue's 10 KB zip inflating to 6 GB took 5 GB of memory; the import's peak (ru_maxrss of a process doing
    only that) now stays under 1 GB for each layer."""
    for build in (hostile.zip_of_gzip_bomb, hostile.zip_of_whitespace, hostile.jsonl_gz_bomb):
        path = build(tmp_path)
        script = ("import resource, sys; from metrics import ingest; from metrics.store import connect, DataError\n"
                  "con = connect(':memory:')\n"
                  f"ingest.import_file(con, {str(FIXTURES / 'accounts.csv')!r})\n"
                  f"try:\n    ingest.import_file(con, {str(path)!r})\nexcept DataError as exc:\n    print(exc)\n"
                  "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
        lines = out.stdout.strip().splitlines()
        assert "unpacks to more than" in lines[0], out.stderr
        assert int(lines[-1]) < 1024 * 1024, f"{path.name}: peak {int(lines[-1]) >> 10} MB"


# ---------------------------------------------------------------- 2. time zones by each tool's documented rules

def _amplitude_export(tmp_path, times):
    import zipfile

    from isal import igzip

    lines = [json.dumps({"event_type": "Dispatch", "event_time": t, "amplitude_id": 100 + i, "user_id": f"z{i}",
                         "groups": {"company": ["A1"]}, "$insert_id": f"ins{i}", "event_properties": {}})
             for i, t in enumerate(times)]
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("123/123_2025-10-31_20#0.json.gz", igzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def _warehouse_csv(tmp_path, tool, times):
    header, row = {
        "amplitude": ("EVENT_TYPE,EVENT_TIME,AMPLITUDE_ID,USER_ID,GROUPS,$INSERT_ID",
                      'Dispatch,{t},{i},z{i},"{{""company"": [""A1""]}}",w{i}'),
        "segment": ("id,anonymous_id,user_id,event,event_text,timestamp,context_group_id",
                    "m{i},anon{i},z{i},dispatch,Dispatch,{t},A1"),
        "rudderstack": ("id,anonymous_id,user_id,event,event_text,timestamp,context_source_id,context_destination_id,"
                        "context_traits_company_id", "m{i},anon{i},z{i},dispatch,Dispatch,{t},src,dst,A1"),
    }[tool]
    path = tmp_path / f"{tool}.csv"
    path.write_text("\n".join([header, *(row.format(t=t, i=i) for i, t in enumerate(times))]) + "\n", "utf-8")
    return path


# late on 31 October and early on 1 November in UTC, as the tools write them: without an offset
UTC_TIMES = ["2025-10-31 20:00:00.000000", "2025-10-31 23:30:00.000000", "2025-11-01 02:00:00.000000"]
# the month each falls in, in the workspace's zone
MONTHS = {"UTC": ["2025-10", "2025-10", "2025-11"], "Asia/Shanghai": ["2025-11", "2025-11", "2025-11"],
          "America/New_York": ["2025-10", "2025-10", "2025-10"]}


@pytest.mark.parametrize("zone", list(MONTHS))
@pytest.mark.parametrize("tool", ["amplitude export API", "amplitude", "segment", "rudderstack"])
def test_a_tools_naive_utc_times_fall_in_the_workspace_zones_month(tmp_path, zone, tool):
    from metrics.settings import set_workspace_timezone

    con = _database()
    set_workspace_timezone(con, zone)
    path = _amplitude_export(tmp_path, UTC_TIMES) if tool == "amplitude export API" else \
        _warehouse_csv(tmp_path, tool, UTC_TIMES)
    results = ingest.import_export(con, path)
    assert [(r.preset, r.rows_loaded) for r in results] == [(tool.split()[0], 3)]
    months = table(con, """SELECT strftime(e.event_time, '%Y-%m') FROM events AS e JOIN users AS u USING (user_key)
                           ORDER BY u.user_id""")
    assert [m for (m,) in months] == MONTHS[zone]
    rollup = table(con, "SELECT strftime(month, '%Y-%m'), sum(events) FROM account_user_month GROUP BY 1 ORDER BY 1")
    assert [(m, int(n)) for m, n in rollup] == sorted(
        (m, MONTHS[zone].count(m)) for m in set(MONTHS[zone]))


@pytest.mark.parametrize("zone", list(MONTHS))
def test_a_file_without_a_preset_keeps_naive_times_in_the_workspace_zone(tmp_path, zone):
    """Times of the contract's own layout carry no tool's rule: as written, in the workspace's zone."""
    from metrics.settings import set_workspace_timezone

    con = _database()
    set_workspace_timezone(con, zone)
    path = tmp_path / "usage.csv"
    path.write_text("account_id,user_id,event_time,feature\nA1,z0,2025-10-31 23:30:00,Dispatch\n", "utf-8")
    assert ingest.import_file(con, path).rows_loaded == 1
    assert table(con, "SELECT event_time FROM events") == [(datetime(2025, 10, 31, 23, 30),)]


# ---------------------------------------------------------------- 3. objectives by their metric's unit and direction

OBJECTIVE_ROWS = [  # metric, baseline, target -> the reject (column, reason) or the stored (baseline, target)
    ("key_feature_adoption", "", "15", ("target", "a share or change written as a whole number: write it as 15% "
                                                  "or 0.15")),
    ("seat_utilization", "40", "80", ("baseline", "a share or change written as a whole number: write it as 15% "
                                                  "or 0.15")),
    ("key_feature_adoption", "", "150%", ("target", "a share is between 0 and 100%")),
    ("seat_utilization", "", "-20%", ("target", "a share is between 0 and 100%")),
    ("key_feature_adoption", "0.6", "0.3", ("target", "on the wrong side of the baseline: higher is better for this "
                                                      "metric, so the target must be above it")),
    ("hours_saved", "100", "50", ("target", "on the wrong side of the baseline: higher is better for this metric, "
                                            "so the target must be above it")),
    ("value", "", "-5", ("target", "must be >= 0")),
    ("efficiency_delta", "", "-150%", ("target", "a change cannot fall below -100%")),
    ("efficiency_delta", "", "15 %", (None, 0.15)),
    ("seat_utilization", "0.1", "15％", (None, 0.15)),
    ("key_feature_adoption", "", "0.15", (None, 0.15)),
    ("hours_saved", "", "500", (None, 500.0)),
]


@pytest.mark.parametrize("metric, baseline, target, expected", OBJECTIVE_ROWS)
def test_an_objective_is_read_by_its_metrics_unit_and_direction(loaded, tmp_path, metric, baseline, target,
                                                                 expected):
    path = tmp_path / "objectives.csv"
    path.write_text(f"account_id,metric,baseline,target,target_date\nA1,{metric},{baseline},{target},2026-06-30\n",
                    encoding="utf-8")
    result = ingest.import_file(loaded, path)
    column, outcome = expected
    if column is None:
        assert result.rows_loaded == 1
        assert table(loaded, "SELECT target FROM objectives")[0][0] == pytest.approx(outcome)
    else:
        assert result.rows_loaded == 0
        assert (column, outcome) in [(r.column_name, r.reason) for r in result.rejects.itertuples()]
        assert wording.reason(outcome, "zh") != outcome


@pytest.mark.parametrize("metric, baseline, target, expected", OBJECTIVE_ROWS)
def test_the_objectives_editor_applies_the_imports_rules(metric, baseline, target, expected):
    from metrics import objectives

    frame = pd.DataFrame([{"metric": metric, "baseline": baseline or None, "target": target,
                           "target_date": date(2026, 6, 30), "owner": None, "note": None}])
    problems = objectives.validate(frame)
    column, outcome = expected
    if column is None:
        assert problems == []
    else:
        assert f"objectives row 1, {column}: {outcome}" in problems


@pytest.mark.parametrize("base, now, progress", [(0.7, 0.65, 1.0), (0.7, 0.5, 0.0), (0.2, 0.4, 0.5)])
def test_progress_never_reads_a_fall_as_progress_when_the_measured_baseline_is_past_the_target(base, now, progress):
    """A baseline measured before go-live (0.7) already past the target (0.6): falling to 0.5 is no progress."""
    from metrics.objectives import progress_of

    assert progress_of("key_feature_adoption", now, base, 0.6) == pytest.approx(progress)


# ---------------------------------------------------------------- 4. conflicts rejected, both lines named

def test_renewals_that_contradict_each_other_are_rejected_naming_both_lines(loaded, tmp_path):
    path = tmp_path / "renewals.csv"
    path.write_text("account_id,renewal_date,outcome,new_acv\n"
                    "A1,2025-06-30,renewed,10000\n"
                    "A1,2025-06-30,churned,0\n"
                    "A2,2025-06-30,churned,90000\n"
                    "A2,2030-01-01,churned,\n"
                    "A3,2025-01-31,renewed,5000\n"
                    "A3,2025-01-31,renewed,5000\n", encoding="utf-8")
    result = ingest.import_file(loaded, path)
    assert (result.rows_loaded, result.rows_unchanged, result.rows_rejected) == (1, 1, 4)
    assert [(r.line, r.column_name, r.reason) for r in result.rejects.itertuples()] == [
        (2, "outcome", "contradicts line 3 (same account and renewal date, another outcome or value)"),
        (3, "outcome", "contradicts line 2 (same account and renewal date, another outcome or value)"),
        (4, "new_acv", "a churned customer has no new contract value (leave it empty or 0)"),
        (5, "renewal_date", "more than a year ahead: an outcome is recorded when the contract comes up")]
    assert table(loaded, "SELECT count(*) FROM renewals") == [(1,)]
    assert {wording.reason(r, "zh") for r in result.rejects["reason"]}.isdisjoint(set(result.rejects["reason"]))


def test_a_user_id_with_two_emails_is_rejected_naming_both_lines(loaded, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("user_id,account_id,email\nx1,A1,a@example.com\nx1,A1,b@example.com\nx2,A1,c@example.com\n"
                    "x2,A1,c@example.com\nx3,A1,d@example.com\nx3,A1,d@example.com\nx3,A1,e@example.com\n",
                    encoding="utf-8")
    result = ingest.import_file(loaded, path)
    assert (result.rows_loaded, result.rows_unchanged, result.rows_rejected) == (1, 1, 5)
    assert [(r.line, r.reason) for r in result.rejects.itertuples()] == [
        (2, "contradicts line 3 (same user id, other details)"),
        (3, "contradicts line 2 (same user id, other details)"),
        (6, "contradicts lines 7, 8 (same user id, other details)"),
        (7, "contradicts lines 6, 8 (same user id, other details)"),
        (8, "contradicts lines 6, 7 (same user id, other details)")]
    assert table(loaded, "SELECT user_id, email FROM user_directory") == [("x2", "c@example.com")]


# ---------------------------------------------------------------- 5. JSON lines by line

@pytest.mark.parametrize("case, loaded_users, rejects, excluded", [
    ("long_first_line", ["j0", "j1"], [], 0),
    ("blank_then_long_line", ["j0", "j1", "j2", "j3"], [], 1),
    ("deep_line", ["j0", "j2"], [(2, "malformed JSON record: nested deeper than 64 levels")], 0),
    ("duplicate_key", ["j0"], [(2, 'malformed JSON record: the key "user_id" appears twice')], 0),
])
def test_json_lines_are_read_line_by_line_and_a_bad_line_costs_only_itself(tmp_path, case, loaded_users, rejects,
                                                                           excluded):
    con = _database()
    result = ingest.import_file(con, hostile.json_lines_cases(tmp_path)[case])
    assert [(r.line, r.reason) for r in result.rejects.itertuples()] == rejects
    assert result.rows_excluded == excluded
    assert result.rows_loaded + result.rows_rejected + result.rows_excluded == len(loaded_users) + len(rejects) + \
        excluded
    assert [u for (u,) in table(con, "SELECT user_id FROM users ORDER BY 1")] == loaded_users
    assert all(wording.reason(reason, "zh") != reason for _, reason in rejects)


# ---------------------------------------------------------------- 6. archives

def test_archive_members_compare_headers_without_bom_case_or_line_endings(loaded, tmp_path):
    result = ingest.import_file(loaded, hostile.bom_zip(tmp_path))
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert table(loaded, "SELECT user_id FROM users WHERE user_id IN ('b1', 'b2') ORDER BY 1") == [("b1",), ("b2",)]


def test_nested_archives_and_skipped_members_are_named_in_the_summary(loaded, tmp_path):
    [result] = ingest.import_export(loaded, hostile.nested_zip(tmp_path))
    assert result.rows_loaded == 1
    assert table(loaded, "SELECT user_id FROM users WHERE starts_with(user_id, 'n')") == [("n1",)]
    notes = [w for w in result.warnings if "not read" in w]
    assert notes == ["../../escape.csv: not read (outside the archive's folder)",
                     "__MACOSX/._events.csv: not read (system or hidden file)",
                     "inner.zip: not read (an archive or workbook inside the archive: unpack it and import it on its "
                     "own)"]
    assert all(wording.reason(n, "zh") != n for n in notes)


def test_the_cli_prints_the_summarys_notes_in_chinese(tmp_path, capsys):
    from cli import main

    db = str(tmp_path / "notes.duckdb")
    assert main(["import", str(FIXTURES / "accounts.csv"), str(FIXTURES / "value_drivers.csv"), "--db", db]) == 0
    assert main(["import", str(hostile.nested_zip(tmp_path)), "--lang", "zh", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "inner.zip：未读取（压缩包中的压缩包或工作簿：请解压后单独导入）" in out


# ---------------------------------------------------------------- 7. every refusal in the product's words

# what a library's own message looks like (Python's exceptions, DuckDB's, the json, csv and zip modules')
LIBRARY_TEXT = re.compile(r"Error:|Exception|Traceback|errno|duckdb|Binder|Catalog|Invalid Input|CSV Error|"
                          r"Expecting (value|property)|Extra data|line \d+ column \d+ \(char|recursion|"
                          r"invalid start byte|can't decode|BadZipFile|unexpected end of data|File is not")


def _corpus(folder) -> list:
    """Every bad input the project keeps: the fixtures' corpus and this round's hostile files."""
    files = sorted(p for p in BAD.iterdir() if p.is_file())
    builders = [hostile.newline_csv_gz, hostile.jsonl_gz_bomb, hostile.zip_of_gzip_bomb, hostile.zip_of_whitespace,
                hostile.blank_lines_csv, hostile.bom_zip, hostile.nested_zip]
    files += [build(folder) for build in builders]
    files += list(hostile.json_lines_cases(folder).values())
    extra = {"not_json.json": b'{"a": 1,,}', "two_arrays.json": b'{"a": [{"x": 1}], "b": [{"y": 2}]}',
             "broken.gz": b"\x1f\x8b\x08\x00garbage", "broken.zip": b"PK\x03\x04garbage",
             "deep.json": b"[" * 5000 + b"]" * 5000, "xls.csv": b"\xd0\xcf\x11\xe0" + b"\x00" * 64,
             "binary.csv": b"\x00\x01\x02" * 100, "headers_only.jsonl": b"\n\n\n"}
    for name, data in extra.items():
        (folder / name).write_bytes(data)
        files.append(folder / name)
    return files


def test_every_refusal_of_the_bad_input_corpus_is_in_the_products_words_and_in_chinese(tmp_path):
    refusals, reasons = {}, set()
    for path in _corpus(tmp_path):
        con = _database()
        try:
            for result in ingest.import_export(con, path):
                reasons |= set(result.rejects["reason"]) | set(result.warnings)
        except DataError as exc:
            refusals[path.name] = str(exc)
    assert len(refusals) >= 15
    leaking = {name: text for name, text in refusals.items() if LIBRARY_TEXT.search(text)}
    assert leaking == {}
    untranslated = {name: text for name, text in refusals.items() if translated(text) is None}
    assert untranslated == {}
    assert not [r for r in reasons if LIBRARY_TEXT.search(r)]
    assert sorted(r for r in reasons if wording.reason(r, "zh") == r) == []


def test_the_cli_says_a_refusal_in_chinese(tmp_path, capsys):
    from cli import main

    db = str(tmp_path / "zh.duckdb")
    assert main(["import", str(hostile.blank_lines_csv(tmp_path)), "--lang", "zh", "--db", db]) == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：blank_padded.csv：1,500,002 行中有 1,500,000 行是空行")


def test_the_import_page_says_a_refusal_in_chinese_and_stores_nothing(tmp_path, monkeypatch):
    """A Chinese Import page: the bomb's refusal in Chinese, inert (the file name is the customer's text)."""
    from conftest import run_page

    from i18n import STRINGS

    path = hostile.newline_csv_gz(tmp_path)
    db = tmp_path / "page.duckdb"
    at = run_page(db, monkeypatch, "views/data_import.py", "zh")
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/gzip"))
    at.run()
    assert not at.exception
    label = STRINGS["zh"]["import"].split("{")[0]
    next(b for b in at.button if b.label.startswith(label)).click().run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]  # shown as inert text: Markdown escaped
    assert len(errors) == 1 and errors[0].startswith("padded.csv.gz：解压后超过文件本身大小的 100 倍（磁盘上 ")
    con = connect(db)
    assert table(con, "SELECT count(*) FROM imports WHERE file_name = 'padded.csv.gz'") == [(0,)]


# ---------------------------------------------------------------- 8. CLI flags

@pytest.mark.parametrize("argv, message", [
    (["users", "--account", "A001", "--training", "Nope"], "error: --training: no such feature: Nope"),
    (["requests", "--today", "2026-13-45"], "error: cli.py requests: argument --today: '2026-13-45' is not a date"),
    (["report", "--account", "A001", "--start", "2026-13"], "error: cli.py report: argument --start: '2026-13' is "
                                                            "not a month"),
    (["attention", "--today", "2026-02-30"], "argument --today: '2026-02-30' is not a date (use YYYY-MM-DD)"),
    (["report", "--account", "NOPE"], "error: --account: unknown account 'NOPE'"),
    (["export", "--format", "xlsx", "--out", "x.xlsx", "--account", "NOPE"], "error: --account: unknown account"),
])
def test_a_users_mistake_on_the_command_line_is_one_line_naming_the_flag(demo_db, argv, message):
    out = subprocess.run([sys.executable, "cli.py", *argv, "--db", demo_db], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr
    assert "Traceback" not in out.stderr
