"""A team's deck template: untrusted input, checked like an upload before python-pptx parses it, and kept with
versions like the value model (the newest in use).

An Office Open XML file is a zip: its members are inflated through the upload's bounded budget (metrics.ingest.
inflation: at most 100 times the file's size plus 16 MB, counted on the bytes actually inflated, not on what the
zip declares), every XML part is parsed once with defusedxml (a DTD or an entity declaration, the billion-laughs
and external-entity attacks, is refused), and a file bearing macros or ActiveX controls (a .pptm saved as .pptx, a
vbaProject part) is refused. The first problem found is the one message; nothing is kept."""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import duckdb
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from metrics.errors import DataError
from metrics.ingest.inflation import Budget
from metrics.store import run, sql, write_transaction

MAX_TEMPLATE_BYTES = 200 << 20  # the app's upload limit (.streamlit/config.toml maxUploadSize = 200)
MAX_PARTS = 5_000
MACRO_TYPES = ("macroEnabled", "vbaProject", "activeX")
READ = 1 << 20


def check(data: bytes, name: str = "template.pptx") -> None:
    """DataError with one clear message when `data` is not a PowerPoint file ValueLens may read (see the module);
    checked once per distinct file (a batch of 2,000 decks checks its template once)."""
    _check(hashlib.sha256(data).hexdigest(), data, name)


@lru_cache(maxsize=16)
def _check(digest: str, data: bytes, name: str) -> None:
    if len(data) > MAX_TEMPLATE_BYTES:
        raise DataError(f"{name}: larger than {MAX_TEMPLATE_BYTES >> 20} MB, the most an upload may be")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError(f"{name}: not a PowerPoint file (.pptx): it cannot be opened as one") from exc
    names = {i.filename for i in infos}
    if len(infos) > MAX_PARTS:
        raise DataError(f"{name}: holds {len(infos):,} parts, more than a deck template has ({MAX_PARTS:,})")
    if "[Content_Types].xml" not in names or "ppt/presentation.xml" not in names:
        raise DataError(f"{name}: not a PowerPoint file (.pptx): no presentation inside")
    budget = Budget(name, len(data))
    for info in infos:
        lowered = info.filename.lower()
        if lowered.endswith("vbaproject.bin") or "/activex/" in lowered:
            raise DataError(f"{name}: holds macros or ActiveX controls ({info.filename}); save it as a .pptx "
                            "without macros")
        try:
            with budget.reader(zf.open(info), info.filename) as stream:
                body = b"".join(iter(lambda: stream.read(READ), b""))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise DataError(f"{name}: {info.filename} is damaged or truncated") from exc
        if lowered.endswith((".xml", ".rels")):
            try:
                root = fromstring(body)
            except DefusedXmlException as exc:
                raise DataError(f"{name}: {info.filename} declares a DTD or entities, which a deck never needs; "
                                "refused") from exc
            except Exception as exc:  # ParseError and what expat raises on malformed XML
                raise DataError(f"{name}: {info.filename} is not well-formed XML") from exc
            if info.filename == "[Content_Types].xml" and any(
                    marker.lower() in str(node.get("ContentType", "")).lower()
                    for node in root.iter() for marker in MACRO_TYPES):
                raise DataError(f"{name}: holds macros or ActiveX controls; save it as a .pptx without macros")


# ---------------------------------------------------------------- kept with versions, like the value model

@dataclass(frozen=True)
class Template:
    """One stored version of the team's deck template."""

    version: int
    name: str
    content: bytes


def save(con: duckdb.DuckDBPyConnection, content: bytes, *, name: str, user: str) -> int:
    """Keep an uploaded template (checked first: DataError, nothing kept) as the next version; the version."""
    check(content, name)
    with write_transaction(con.cursor()) as cur:
        version = int(run(cur, "deck_templates.next_version").fetchall()[0][0])
        run(cur, "deck_templates.insert", {"version": version, "at": datetime.now(), "by": user, "name": name,
                                           "sha256": hashlib.sha256(content).hexdigest(), "content": content})
    return version


def latest(con: duckdb.DuckDBPyConnection, version: int | None = None) -> Template | None:
    """The newest stored template (or `version` of it); None when there is none."""
    rows = (con.execute(sql("deck_templates.latest")) if version is None else
            con.execute(sql("deck_templates.of_version"), {"version": version})).fetchall()
    return Template(int(rows[0][0]), str(rows[0][1]), bytes(rows[0][2])) if rows else None


def versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored version, newest first: version, saved_at, saved_by, name, size (bytes)."""
    return con.execute(sql("deck_templates.versions")).df()
