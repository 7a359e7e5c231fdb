"""One export file (or a folder, glob or archive of them) previewed or imported: staged by the readers, its fields
found (presets, nested paths), validated in SQL and merged, in one transaction."""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb

from metrics.ingest import inflation
from metrics.ingest.archives import Member, _FileOpener, _is_workbook, _zip_members
from metrics.ingest.checks import (
    _check_identifiers,
    _store_rejects,
)
from metrics.ingest.contract import (
    CONTRACT,
    KINDS,
    MAX_REJECTS_SHOWN,
    OBJECTIVE_METRICS,
    ImportResult,
    Preview,
    _empty_rejects,
    _resolve_mapping,
    default_source,
    detect_kind,
    missing_by_kind,
)
from metrics.ingest.merge import _ids_may_repeat, _merge, _save_mapping, _save_settings, group_requests
from metrics.ingest.nested import as_utc, field_set, field_sql
from metrics.ingest.presets import (
    EventFilter,
    FieldSet,
    Layout,
    Preset,
    check_preset,
    companions_of,
    glob_regex,
    saved_settings,
    suggest_preset,
)
from metrics.ingest.readers import _drop_staging, _Raw, _sha256, _stage, _stage_members, folder_members, glob_members
from metrics.ingest.staging import _sha256_of
from metrics.settings import workspace_timezone
from metrics.store import DataError, run, sql, write_transaction

# ---------------------------------------------------------------- preview

def preview_file(con, path: str | Path, *, file_name: str | None = None, kind: str | None = None,
                 mapping: dict[str, str] | None = None, source: str | None = None, rows: int = 20,
                 sheet: str | None = None, preset: str | None = None) -> Preview:
    """Read a file's header and first rows and say how it would be imported; nothing is stored. `preset` None:
    the source's remembered preset, else the one the export's fields suggest; "" for none. A chosen preset none of
    whose layouts the export fits is named in `closest`, with what it lacks."""
    path = Path(path)
    file_name = file_name or path.name
    cur = con.cursor()
    with tempfile.TemporaryDirectory() as tmp:
        raw = _stage_path(cur, path, file_name, Path(tmp), head_only=True, sheet=sheet)
        fields, _ = field_set(cur, raw.headers)
        sample = run(cur, "ingest_run.sample", {"n": rows}).df()
        _drop_staging(cur)
    sample.columns = raw.headers
    source = source or default_source(file_name)
    closest = None
    try:
        chosen, layout, _ = _settings(con, source, preset, None, fields)
    except DataError as exc:  # the chosen preset fits no layout: the preview says why, the import refuses
        chosen, layout, closest = check_preset(preset), None, str(exc)
    kind = _check_kind(kind) or _kind_of(fields, chosen, layout)
    # two fields on one column are shown, not refused: the person unmaps one (the import refuses them)
    resolved = _resolve_mapping(con, fields, kind, mapping, source, layout if chosen and chosen.kind == kind else None,
                                strict=False) if kind else {}
    missing = [c.name for c in CONTRACT[kind] if c.required and c.name not in resolved.values()] if kind else []
    return Preview(file_name, raw.file_format, raw.encoding, kind, raw.headers, resolved,
                   [h for h in raw.headers if h not in resolved], missing, sample, chosen.name if chosen else None,
                   layout.name if layout else None, list(fields.paths), closest)


def _field_sql(name: str, fields: FieldSet, paths: list[str], types: dict[str, str], utc: bool) -> str:
    """The staged SQL of a field (a header, or a path into a nested column: ingest.nested); with `utc`, a time
    without an offset read as UTC."""
    expression = field_sql(name, fields, paths)
    if not utc:
        return expression
    return as_utc(expression, types.get(name, "VARCHAR"))


def _kind_of(fields: FieldSet, preset: Preset | None, layout: Layout | None) -> str | None:
    """The preset's kind when the export fits one of its layouts, else the kind the headers cover."""
    if preset is not None and layout is not None:
        return preset.kind
    return detect_kind(list(fields.headers)) or (preset.kind if preset else None)


def _settings(con, source: str, preset: str | None, event_filter: EventFilter | None,
              fields: FieldSet) -> tuple[Preset | None, Layout | None, EventFilter]:
    """The preset, its layout the export fits, and the event filter an import uses: those given; with neither, the
    ones remembered for the source; with none remembered (or a remembered preset the export does not fit), the
    preset the export's fields identify. A preset of "" means none. Raises DataError when a preset given fits none
    of the export's layouts, naming the nearest and the fields it lacks."""
    explicit = preset is not None
    if preset is None and event_filter is None:
        saved = saved_settings(con, source)
        if saved is not None:
            preset, event_filter = saved
            preset = preset or ""
    chosen = check_preset(preset if preset is not None else suggest_preset(fields))
    layout = chosen.layout_for(fields) if chosen else None
    if chosen is not None and layout is None:
        if explicit:
            nearest, lacking = chosen.closest(fields)
            raise DataError(f"this export fits none of the {chosen.tool} preset's layouts; the nearest, "
                            f"{nearest.name} ({nearest.documentation}), expects the fields "
                            f"{', '.join(nearest.identify)} and this file lacks {', '.join(lacking)}. "
                            f"Found headers: {', '.join(fields.headers[:20])}. Choose another preset or none.")
        chosen = check_preset(suggest_preset(fields))
        layout = chosen.layout_for(fields) if chosen else None
    return chosen, layout, event_filter or EventFilter()


def preview_bytes(con, data: bytes, file_name: str, **kwargs) -> Preview:
    """preview_file for uploaded content."""
    with _spooled(data, file_name) as path:
        return preview_file(con, path, file_name=file_name, **kwargs)


def _stage_path(cur, path: Path, file_name: str, workdir: Path, head_only: bool = False,
                sheet: str | None = None, lazy: bool = False) -> _Raw:
    """A file; a folder or a glob of export files read as one (JSON lines, CSV, Parquet or Avro, gzipped or not).
    What any layer of it inflates is bounded by its size on disk (metrics.ingest.inflation)."""
    members = _members_of(path)
    with inflation.origin(file_name, _size_on_disk(path, members)):
        if members is not None:
            return _stage_members(cur, members, file_name, workdir, head_only, lazy)
        return _stage(cur, path, file_name, workdir, head_only=head_only, sheet=sheet, lazy=lazy)


def _size_on_disk(path: Path, members: list[Member] | None) -> int:
    """A file's size, or a folder's or glob's files' sizes together."""
    if members is None:
        return path.stat().st_size if path.is_file() else 0
    return sum(opener.path.stat().st_size for _, opener in members if isinstance(opener, _FileOpener))


def _members_of(path: Path) -> list[Member] | None:
    """The files a folder or a glob names (read as one export), or None for a file (or nothing at all)."""
    if path.is_dir():
        return folder_members(path)
    if not path.exists() and any(ch in str(path) for ch in "*?["):
        return glob_members(str(path))
    return None


class _Restage(Exception):
    """A file read lazily (readers._stage_json_lines_typed, readers._stage_csv) must be staged first: it is not
    clean, or the import reads its rows more than once."""


def _members_sha256(members: list[Member]) -> str:
    """A folder's or glob's content digest: its files' names and digests."""
    digest = hashlib.sha256()
    for name, opener in members:
        with opener() as fh:
            digest.update(f"{name}:{_sha256_of(fh)}\n".encode())
    return digest.hexdigest()


def _name_members(cur, import_id: int, members: tuple[tuple[int, int, str, int], ...]) -> None:
    """Rejects of an archive or folder name their member and the line within it, not the combined line."""
    cur.executemany(sql("ingest_run.member_row"), list(members))
    run(cur, "ingest_run.name_members", {"id": import_id})


def _name_features(cur) -> None:
    """Events whose feature is an id of the feature list (the `features` kind) take its name, in vl_checked and in
    the batch's keys."""
    if run(cur, "ingest_run.has_feature_names").fetchall()[0][0]:
        run(cur, "ingest_run.name_features")


def _value_model_warnings(cur) -> tuple[str, ...]:
    """Accounts of the batch none of whose events is a value-model feature: their hours saved will be 0."""
    if not run(cur, "ingest_run.has_value_model").fetchall()[0][0]:
        return ("no value model is imported yet: hours saved and value will be 0 until value drivers are imported",)
    accounts = [a for (a,) in run(cur, "ingest_run.unpriced_accounts").fetchall()]
    if not accounts:
        return ()
    shown = ", ".join(accounts[:10]) + (f" and {len(accounts) - 10} more" if len(accounts) > 10 else "")
    return (f"no feature of the value model appears in these events for {shown}: their hours saved will be 0 "
            "(check the event names, the preset, or a feature list for opaque ids)",)


def _check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in KINDS:
        raise DataError(f"unknown kind '{kind}' (expected one of: {', '.join(KINDS)})")
    return kind


class _spooled:
    """Uploaded bytes as a temporary file, removed afterwards."""

    def __init__(self, data: bytes, file_name: str) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.path = Path(self._dir.name) / (Path(file_name).name or "upload")
        self.path.write_bytes(data)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()


# ---------------------------------------------------------------- import

def import_bytes(con, data: bytes, file_name: str, **kwargs) -> ImportResult:
    """import_file for uploaded content."""
    with _spooled(data, file_name) as path:
        return import_file(con, path, file_name=file_name, **kwargs)


def import_file(con, path: str | Path, *, file_name: str | None = None, kind: str | None = None,
                mapping: dict[str, str] | None = None, source: str | None = None,
                force: bool = False, sheet: str | None = None, preset: str | None = None,
                event_filter: EventFilter | None = None) -> ImportResult:
    """Validate and load one export in a single transaction; bad rows go to `rejects`, the rest upsert.

    `preset` (an analytics tool's documented fields, presets/*.toml) and `event_filter` are remembered per source;
    with neither given the source's remembered ones apply, else the preset the export's fields identify.

    Raises DataError, with the database unchanged, when the file cannot be read or lacks a required column.
    Re-importing the same content (SHA-256) for the same kind is a no-op unless `force`.
    """
    path = Path(path)
    file_name = file_name or path.name
    members = _members_of(path)
    if not path.is_file() and not members:
        raise DataError(f"{file_name}: no such file")
    _check_kind(kind)
    digest = _sha256(path) if members is None else _members_sha256(members)
    source = source or default_source(file_name)
    cur = con.cursor()
    cur.execute(sql("macros"))
    # this cursor's session counts times in the workspace zone (offsets and epochs converted to it)
    run(cur, "ingest_run.set_time_zone", {"zone": workspace_timezone(con)})
    try:
        with inflation.origin(file_name, _size_on_disk(path, members)):
            return _import_staged(cur, path, file_name, digest, kind, mapping, source, force, sheet, preset,
                                  event_filter)
    except duckdb.InterruptException as exc:  # a read DuckDB inflates itself, stopped by the count beside it
        raise inflation.tripped() or DataError(f"{file_name}: the import was interrupted; nothing is stored") \
            from exc
    finally:
        _drop_staging(cur)


def _import_staged(cur, path: Path, file_name: str, digest: str, kind: str | None, mapping: dict[str, str] | None,
                   source: str, force: bool, sheet: str | None, preset: str | None,
                   event_filter: EventFilter | None) -> ImportResult:
    """import_file's staging and import, in one transaction (again, staged, when a lazy read must be staged)."""
    with tempfile.TemporaryDirectory() as tmp:
        # staging is connection-local and outside the transaction, so row ids are file positions; a CSV or
        # JSON-lines file of events is first tried unstaged, read once by validation
        raw = _stage_path(cur, path, file_name, Path(tmp), sheet=sheet, lazy=kind in (None, "events"))
        try:
            fields = field_set(cur, raw.headers)  # the first rows' nested fields, before the transaction
        except duckdb.Error:  # a file read lazily fails on a malformed line: it is staged
            raw = _stage_path(cur, path, file_name, Path(tmp), sheet=sheet)
            fields = field_set(cur, raw.headers)
        try:
            with write_transaction(cur):  # new keys are max + 1: one writer at a time (store.WRITER)
                result = _import(cur, raw, fields, file_name, digest, kind, mapping, source, force, preset,
                                 event_filter)
        except _Restage:  # rolled back: the file is staged (replacing the view vl_raw), then imported
            raw = _stage_path(cur, path, file_name, Path(tmp), sheet=sheet)
            fields = field_set(cur, raw.headers)
            with write_transaction(cur):
                result = _import(cur, raw, fields, file_name, digest, kind, mapping, source, force, preset,
                                 event_filter)
    return result


def _import(cur, raw: _Raw, staged_fields: tuple[FieldSet, dict[str, str]], file_name: str, digest: str,
            kind: str | None, mapping: dict[str, str] | None,
            source: str, force: bool, preset_name: str | None = None,
            event_filter: EventFilter | None = None) -> ImportResult:
    fields, types = staged_fields
    preset, layout, event_filter = _settings(cur, source, preset_name, event_filter, fields)
    kind = kind or _kind_of(fields, preset, layout)
    if kind is None:
        partial = "; ".join(f"required column(s) missing for {k}: {', '.join(cols)}"
                            for k, cols in missing_by_kind(raw.headers).items())
        raise DataError(f"{file_name}: cannot tell what this file is; its headers ({', '.join(raw.headers[:12])}) "
                        f"cover no kind's required columns{' (' + partial + ')' if partial else ''}. "
                        "Choose the kind and map the columns.")
    if preset is not None and preset.kind != kind:
        layout = None  # a tool's layout maps its own kind (an accounts preset says nothing of events)
    if not force:
        done = run(cur, "ingest_run.done_before", {"digest": digest, "kind": kind}).fetchall()
        if done:
            return ImportResult(file_name, kind, done[0][0], raw.records(), 0, 0, 0, True, _empty_rejects())
    resolved = _resolve_mapping(cur, fields, kind, mapping, source, layout)
    missing = [c.name for c in CONTRACT[kind] if c.required and c.name not in resolved.values()]
    directory = kind == "events" and run(cur, "ingest_run.has_user_directory").fetchall()[0][0]
    if directory and missing == ["account_id"]:
        missing = []  # events that carry only the user: the user directory gives the account
    if missing:
        raise DataError(f"{file_name}: required column(s) missing for {kind}: {', '.join(missing)}. "
                        f"Found headers: {', '.join(raw.headers[:20])}. Rename them or map them to contract columns.")
    lazy = raw.lines is not None  # read as it is validated, nothing staged (readers._stage_json_lines_typed)
    if not lazy and raw.rows == 0:  # a file read lazily is counted as it is validated (_validate_lazily)
        raise DataError(f"{file_name}: the file has a header but no data rows")
    paths: list[str] = []
    utc = set(layout.utc) if layout else set()
    by_column = {column: _field_sql(header, fields, paths, types, column in utc) for header, column in resolved.items()}
    run(cur, "ingest_run.set_field_paths", {"paths": paths})
    if directory:  # an event without an account takes its user's account from the directory
        by_column["account_id"] = (f"coalesce(nullif(trim(CAST({by_column['account_id']} AS VARCHAR)), ''), "
                                   "d.account_id)" if "account_id" in by_column else "d.account_id")
        user = by_column["user_id"]
        stage_from = f"vl_raw LEFT JOIN user_directory AS d ON d.user_id = trim(CAST({user} AS VARCHAR))"
    else:
        stage_from = "vl_raw"
    select = ", ".join(f"{by_column.get(c.name, 'NULL')} AS {c.name}" for c in CONTRACT[kind])
    effective = event_filter.merged(layout)
    if lazy and (kind != "events" or directory or effective.active):
        raise _Restage  # a filter is counted apart and drops rows, a directory joins them: the rows are staged
    keep = "true"
    if kind == "events" and effective.active:
        keep = effective.keep_sql(by_column["feature"])
        run(cur, "ingest_run.set_event_filter",
            {"include": glob_regex(effective.include), "exclude": glob_regex(effective.exclude)})
    run(cur, "ingest_run.stage", select=select, source=stage_from, keep=keep)
    if raw.delimiter == ";":  # ',' is the decimal mark there
        cur.execute(sql("macros_decimal_comma"))
    by_kind: dict[str, dict[str, object]] = {"events": {"now": datetime.now(), "lazy": lazy},
                                              "outcomes": {"now": datetime.now()},
                                              "renewals": {"now": datetime.now()},
                                              "objectives": objective_rules()}
    params = by_kind.get(kind)
    if raw.lines is not None:  # lazy, spelled so that the type checker knows the lines are there
        raw = replace(raw, rows=_validate_lazily(cur, raw.lines, params), lines=None)
    else:
        # the validated rows carry their line: the order they are written in does not matter, and DuckDB writes them
        # in parallel without keeping it (staging's own tables keep it: their row ids are the file's lines)
        run(cur, "ingest_run.any_order")
        cur.execute(sql(f"validate_{kind}"), params)
        run(cur, "ingest_run.file_order")
    run(cur, "ingest_run.drop_raw")
    _check_identifiers(cur, kind)
    warnings: tuple[str, ...] = raw.notes
    if kind == "events":
        _name_features(cur)
        warnings += _value_model_warnings(cur)
    bad, good = run(cur, "ingest_run.row_counts").fetchall()[0]
    # the rows the filter left out: the staged rows less those validated (a pass of their own cost a 10M-event import
    # 6.2 s, bench/RESULTS.md, issue 42)
    filtered = 0 if keep == "true" else raw.rows - len(raw.structural_rejects) - bad - good
    if lazy and _needs_lines(cur, bad):  # read again, staged: the file's clean imports are the ones read once
        raise _Restage
    import_id = run(cur, "ingest_run.next_import_id").fetchall()[0][0]
    rejected = _store_rejects(cur, import_id, file_name, raw.structural_rejects, bad)
    if raw.members:
        _name_members(cur, import_id, raw.members)
    loaded = _merge(cur, kind, [c.name for c in CONTRACT[kind] if c.name in by_column], bad) if good else 0
    unchanged = good - loaded
    if kind == "requests" and good and "requirement" in by_column:  # requests CS already grouped
        created, extended = group_requests(cur, f"import of {file_name}")
        warnings += (f"requirements: {created} created, {extended} extended",)
    run(cur, "ingest_run.record_import",
        {"id": import_id, "file": file_name, "sha": digest, "kind": kind, "source": source, "fmt": raw.file_format,
         "enc": raw.encoding, "read": raw.rows, "loaded": loaded, "unchanged": unchanged, "rejected": rejected,
         "excluded": raw.excluded, "filtered": filtered, "preset": preset.name if layout and preset else None,
         "layout": layout.name if layout else None},
    )
    _save_mapping(cur, source, resolved)
    _save_settings(cur, source, preset.name if preset else None, event_filter)
    rejects = run(cur, "ingest_run.rejects_of", {"id": import_id, "n": MAX_REJECTS_SHOWN}).df()
    return ImportResult(file_name, kind, import_id, raw.rows, loaded, unchanged, rejected, False, rejects,
                        raw.excluded, filtered, preset.name if preset and layout else None, warnings,
                        layout.name if layout else None, resolved, raw.file_format, raw.encoding)


def objective_rules() -> dict[str, object]:
    """What validate_objectives.sql checks figures against, from metrics.objectives and the metric registry."""
    from metrics import objectives

    return {"metrics": list(OBJECTIVE_METRICS), "shares": list(objectives.SHARES),
            "changes": list(objectives.CHANGES),
            "lower": [m for m in OBJECTIVE_METRICS if not objectives.higher_is_better(m)]}


def _validate_lazily(cur, lines: Future[tuple[int, bool]], params: dict | None) -> int:
    """Validate the events of a file read lazily (vl_raw reads the file; `lines`: its records and whether they are
    its data lines, being counted) and return how many; raise _Restage when the reader fails on a line or the rows
    are not the file's lines (a blank line, a quoted line break, mixed line endings: the careful readers count
    them), or at its first row to reject (validate_events.sql with $lazy stops there, the rest of the file unread).
    The validated rows carry no line number: DuckDB writes a join's output in no set order, so a row's position is
    not its line; the import stages the file when a line must be named (_needs_lines)."""
    try:
        cur.execute(sql("validate_events"), params)
    except duckdb.Error as exc:  # the transaction is aborted: import_file rolls it back
        raise _Restage from exc
    checked = run(cur, "ingest_run.checked_count").fetchall()[0][0]
    records, one_a_line = lines.result()
    if checked != records or not one_a_line or checked == 0:  # no row: staged, the import says the file is empty
        raise _Restage
    return checked


def _needs_lines(cur, bad_rows: int) -> bool:
    """Whether an import needs its rows' line numbers: to name rejected rows, or to keep the file's last row of an
    event id that may repeat for a feature."""
    return bool(bad_rows) or _ids_may_repeat(cur, "vl_checked")


def import_export(con, path: str | Path, *, file_name: str | None = None, **kwargs) -> list[ImportResult]:
    """import_file for what a person hands over: a folder or zip whose documented layout has companion files (Pendo
    Data Sync's feature list) imports them first, each as its kind, then its rows; anything else is one import. One
    result per import, in order."""
    path = Path(path)
    file_name = file_name or path.name
    members = folder_members(path) if path.is_dir() else \
        _zip_members(path, file_name) if path.is_file() and zipfile.is_zipfile(path) and not _is_workbook(path) else []
    openers = dict(members)
    source = kwargs.get("source") or default_source(file_name)
    results = []
    for kind, name in companions_of(list(openers)):
        options = {"kind": kind, "force": kwargs.get("force", False), "source": f"{source} {kind}"}
        if path.is_dir():  # a folder's file is read where it lies
            results.append(import_file(con, path / name, **options))
            continue
        with tempfile.TemporaryDirectory() as tmp, openers[name]() as src:  # an archive's is unpacked first
            target = Path(tmp) / Path(name).name
            with target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)  # counted as it inflates (archives._zip_members)
            results.append(import_file(con, target, **options))
    results.append(import_file(con, path, file_name=file_name, **kwargs))
    return results


def import_export_bytes(con, data: bytes, file_name: str, **kwargs) -> list[ImportResult]:
    """import_export for uploaded content (a zip of a Data Sync folder included)."""
    with _spooled(data, file_name) as path:
        return import_export(con, path, file_name=file_name, **kwargs)


