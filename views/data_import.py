"""Data > Import data: upload exports, check kind and column mapping, import, see rejects."""
import logging

import streamlit as st

from i18n import t
from metrics import catalog, ingest
from metrics.errors import DataError
from metrics.settings import set_workspace_timezone, workspace_timezone
from ui.session import get_connection, long_work, writing
from ui.signin import guard
from ui.text import plain, reason_text, refusal_text, term_text
from ui.widgets import choice, file_uploader, table

guard("data")
st.title(t("page_import"))
con = get_connection()


def import_one(upload) -> None:
    """Preview one uploaded file (or a zip of a folder of them), let the user choose the preset and kind, map, unmap
    or pick any field (nested ones too), and import it on request: what `cli.py import` does."""
    source = st.text_input(t("source"), ingest.default_source(upload.name), key=f"src-{upload.file_id}")
    try:
        ingest.check_size(upload.name, upload.size)
        data = upload.getvalue()
        detected = ingest.preview_bytes(con, data, upload.name, source=source)
        tools = {"": t("no_preset"), **{p: spec.tool for p, spec in ingest.PRESETS.items()}}
        # detected first, the user's choice then (kept when the language changes)
        preset = choice(st.selectbox, t("preset"), tools, key=f"preset-{upload.file_id}",
                        default=detected.preset or "", help=t("preset_help"))
        kind = choice(st.selectbox, t("kind"), {k: term_text("kind", k) for k in ingest.KINDS},
                      key=f"kind-{upload.file_id}", default=detected.kind, none=True, placeholder=t("choose_one"))
        if kind is None:
            st.warning(t("kind_unknown"))
            return
        event_filter = event_filter_inputs(upload.file_id, source) if kind == "events" else None
        preview = ingest.preview_bytes(con, data, upload.name, kind=kind, source=source, preset=preset)
        st.caption(t("detected", fmt=preview.file_format, enc=term_text("encoding", preview.encoding) or "-",
                     kind=term_text("kind", detected.kind) or "?"))
        if preview.preset and preview.layout:
            spec = ingest.PRESETS[preview.preset]
            layout = next(x for x in spec.layouts if x.name == preview.layout)
            st.caption(t("layout_detected", tool=spec.tool, layout=layout.name, doc=layout.documentation))
        if preview.closest:  # the chosen preset fits no layout, or two fields map to one column: say so, go on
            st.warning(plain(preview.closest))
        mapping = mapping_inputs(upload.file_id, kind, preview)
        table({t("header"): list(mapping), t("column"): list(mapping.values())}, hide_index=True)
        chosen = [c for c in mapping.values() if c]
        conflicts = sorted({c for c in chosen if chosen.count(c) > 1})
        for column in conflicts:
            st.warning(t("map_conflict", column=column,
                         fields=", ".join(plain(f) for f, c in mapping.items() if c == column)))
        missing = [c.name for c in ingest.CONTRACT[kind] if c.required and c.name not in chosen]
        if missing:
            st.warning(t("missing", cols=", ".join(missing)))
        st.caption(t("preview"))
        # the file's own headers; an absent value is blank (the grid would write None, in English)
        table(preview.sample.astype(object).where(preview.sample.notna(), ""), hide_index=True, labels=False)
        if st.button(t("import", file=plain(upload.name)), key=f"go-{upload.file_id}",
                     disabled=bool(missing or conflicts), type="primary"):
            unmapped = {f: "" for f in [*preview.headers, *preview.paths] if f not in mapping}
            with long_work(), writing() as writable:  # the other sessions' runs go on meanwhile
                results = ingest.import_export_bytes(writable, data, upload.name, kind=kind,
                                                     mapping={**unmapped, **mapping}, source=source, preset=preset,
                                                     event_filter=event_filter)
            for result in results:  # a Data Sync zip's feature list first, then its events
                show_result(result)
    except DataError as exc:  # file names and headers in the message are the customer's text: inert
        st.error(refusal_text(exc))
    except Exception:  # one broken file never takes the page, or the other files, with it
        logging.getLogger(__name__).exception("import of %s failed", upload.name)
        st.error(t("import_failed", file=plain(upload.name)))


MAX_PATHS_SHOWN = 60  # nested fields offered to map (GA4's event_params alone may hold dozens)


def mapping_inputs(file_id: str, kind: str, preview: ingest.Preview) -> dict[str, str]:
    """A picker per header, and per field inside a nested column, starting from the detected mapping: any of them
    can be mapped, changed or unmapped ("(ignore)"). Returns field -> contract column for the mapped ones."""
    choices = {"": t("ignore"), **{c.name: c.name for c in ingest.CONTRACT[kind]}}
    mapping = {}

    def pick(field: str) -> None:
        column = choice(st.selectbox, t("map_header", header=plain(field)), choices,
                        key=f"map-{file_id}-{kind}-{field}", default=preview.mapping.get(field, ""))
        if column:
            mapping[field] = column

    for header in preview.headers:
        pick(header)
    paths = [p for p in preview.paths if p in preview.mapping] + [p for p in preview.paths if p not in preview.mapping]
    if paths:
        with st.expander(t("nested_fields", n=len(paths)), expanded=any(p in preview.mapping for p in paths)):
            for path in paths[:MAX_PATHS_SHOWN]:
                pick(path)
    return mapping


def event_filter_inputs(file_id: str, source: str) -> ingest.EventFilter:
    """Include / exclude patterns and the value-model switch for an events file, filled in with what the source
    remembers (an import saves what is here)."""
    saved = (ingest.saved_settings(con, source) or (None, ingest.EventFilter()))[1]
    left, right = st.columns(2)
    include = left.text_input(t("include_events"), ", ".join(saved.include), key=f"inc-{file_id}",
                              help=t("patterns_help"))
    exclude = right.text_input(t("exclude_events"), ", ".join(saved.exclude), key=f"exc-{file_id}",
                               help=t("patterns_help"))
    only = st.checkbox(t("value_model_only"), saved.value_model_only, key=f"only-{file_id}")
    split = lambda text: tuple(p.strip() for p in text.split(",") if p.strip())  # noqa: E731
    return ingest.EventFilter(split(include), split(exclude), only)


def show_result(result: ingest.ImportResult) -> None:
    """Counts and rejects of one import."""
    if result.skipped:
        st.info(t("already", file=plain(result.file_name)))
        return
    st.caption(t("imported_with", fmt=result.file_format or "-", enc=term_text("encoding", result.encoding) or "-",
                 preset=result.preset or "-", layout=result.layout or "-",
                 fields=plain(", ".join(f"{column} ← {field}" for field, column in result.mapping.items()))))
    loaded, unchanged, rejected, excluded, filtered = st.columns(5)
    loaded.metric(t("loaded"), result.rows_loaded)
    unchanged.metric(t("unchanged"), result.rows_unchanged)
    rejected.metric(t("rejected"), result.rows_rejected)
    excluded.metric(t("excluded"), result.rows_excluded)
    filtered.metric(t("filtered"), result.rows_filtered)
    for warning in result.warnings:
        st.warning(plain(reason_text(warning)))
    if result.rows_rejected:
        st.caption(t("rejects"))
        # an empty cell is shown empty, not as "None"
        table(result.rejects.assign(value=result.rejects["value"].map(lambda v: "" if v is None or v != v else v)),
              hide_index=True, column_config={"value": t("cell_value")})


UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "avro", "json", "jsonl", "ndjson", "gz", "zip"]
for upload in file_uploader(t("upload"), UPLOAD_TYPES, key="import_files"):
    with st.expander(plain(upload.name), expanded=True):
        import_one(upload)

with st.expander(t("workspace_timezone")):
    zone = st.text_input(t("timezone"), workspace_timezone(con), help=t("timezone_help"))
    if st.button(t("save_timezone")):
        try:
            with writing() as writable:
                saved_zone = set_workspace_timezone(writable, zone)
            st.success(t("timezone_saved", zone=plain(saved_zone)))
        except DataError as exc:
            st.error(refusal_text(exc))

st.subheader(t("recent"))
table(catalog.recent_imports(con), hide_index=True)
with st.expander(t("contract")):
    table([{"kind": kind, "column": c.name, "required": c.required, "type": c.type,
                   "aliases": ", ".join(c.aliases)} for kind, cols in ingest.CONTRACT.items() for c in cols],
                 hide_index=True)
