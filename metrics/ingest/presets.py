"""Analytics tools' and CRMs' documented export layouts (presets/*.toml), how an export's fields are found in them
(case-insensitively: a warehouse writes EVENT_TYPE where the API writes event_type), and event filters."""
from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from metrics.store import DataError, run

PRESET_DIR = Path(__file__).resolve().parent / "presets"


@dataclass(frozen=True)
class Layout:
    """One documented layout of a tool's export (the raw API export, a warehouse table, a CSV download...): the
    fields that tell it apart, which field is which contract column, and how its files are read."""

    name: str
    documentation: str
    identify: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    # contract columns whose times without an offset the tool documents as UTC (counted in the workspace's zone)
    utc: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    header: tuple[str, ...] = ()  # a headerless file's columns, in the documented order (Snowplow's enriched TSV)
    members: tuple[str, ...] = ()  # which files of a folder or archive hold the rows (Pendo Data Sync's layout)
    # files of the same folder imported first as another kind (Pendo Data Sync's allfeatures.avro: the feature list)
    companions: dict[str, str] = field(default_factory=dict)

    def fits(self, fields: FieldSet) -> bool:
        """True when the export has every field that identifies this layout."""
        return all(fields.find(f) is not None for f in self.identify)

    def mapping(self, fields: FieldSet) -> dict[str, str]:
        """The export's field (as the file spells it) -> contract column, for the first of each column's fields that
        the export has; a field the export lacks is never mapped."""
        out = {}
        for column, names in self.columns.items():
            found = next((f for f in map(fields.find, names) if f is not None), None)
            if found is not None:
                out[found] = column
        return out


@dataclass(frozen=True)
class Preset:
    """A tool's export layouts, the first that fits an export being the one used."""

    name: str
    tool: str
    kind: str
    layouts: tuple[Layout, ...]

    @property
    def documentation(self) -> str:
        return self.layouts[0].documentation

    def layout_for(self, fields: FieldSet) -> Layout | None:
        return next((layout for layout in self.layouts if layout.fits(fields)), None)

    def closest(self, fields: FieldSet) -> tuple[Layout, list[str]]:
        """The layout the export comes nearest to, and the identifying fields it lacks."""
        missing = {layout.name: [f for f in layout.identify if fields.find(f) is None] for layout in self.layouts}
        best = min(self.layouts, key=lambda layout: len(missing[layout.name]) / max(1, len(layout.identify)))
        return best, missing[best.name]


@dataclass(frozen=True)
class FieldSet:
    """What an export offers to map: its headers, and the paths into its nested columns seen in its first rows
    (`event_params.company_id` in a key/value array, `properties.$groups.company` in JSON text). Names are found
    case-insensitively and returned as the file spells them."""

    headers: tuple[str, ...]
    paths: tuple[str, ...] = ()
    nested: dict[str, str] = field(default_factory=dict)  # header -> json | struct | kv | kv_json
    value_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a kv column's typed value fields
    crm_ids: tuple[str, ...] = ()  # headers whose first values are all Salesforce account record ids

    def find(self, name: str) -> str | None:
        """The export's own spelling of a header or nested path `name`, or None when it has no such field."""
        folded = name.casefold()
        for header in self.headers:
            if header.casefold() == folded:
                return header
        for path in self.paths:
            if path.casefold() == folded:
                return path
        split = split_field(name, self.headers)
        if split is not None and split[0] in self.nested and not self.paths_of(split[0]):
            return split[0] + "." + ".".join(split[1])  # a nested column whose first rows hold nothing to list
        return None

    def paths_of(self, header: str) -> list[str]:
        return [p for p in self.paths if p.startswith(header + ".")]


def split_field(name: str, headers: list[str] | tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """(header, path) when `name` is a dotted path into a nested column: "properties.$groups.company" is header
    "properties" (matched case-insensitively, as GROUPS for groups) and path ("$groups", "company"); None when
    `name` is a header itself or names none."""
    folded = {h.casefold(): h for h in headers}
    if name.casefold() in folded or "." not in name:
        return None
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        header = folded.get(".".join(parts[:cut]).casefold())
        if header is not None:
            return header, tuple(parts[cut:])
    return None


def _layout(data: dict, preset_doc: str) -> Layout:
    filters = data.get("filters", {})
    return Layout(data.get("name", "export"), data.get("documentation", preset_doc), tuple(data["identify"]),
                  {c: tuple(f) for c, f in data["columns"].items()}, tuple(data.get("utc", ())),
                  tuple(filters.get("exclude", ())), tuple(filters.get("include", ())),
                  tuple(data.get("header", ())), tuple(data.get("members", ())), dict(data.get("companions", {})))


def _load_presets() -> dict[str, Preset]:
    presets = {}
    for path in sorted(PRESET_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        presets[path.stem] = Preset(path.stem, data["tool"], data["kind"],
                                    tuple(_layout(layout, data.get("documentation", "")) for layout in data["layouts"]))
    return presets


PRESETS: dict[str, Preset] = _load_presets()


def suggest_preset(fields: FieldSet) -> str | None:
    """The preset one of whose layouts the export fits; where several fit, the one whose layout names the most
    identifying fields (RudderStack's tracks table over Segment's, whose fields it shares), None on a tie."""
    scored = sorted(((len(layout.identify), preset.name) for preset in PRESETS.values()
                     for layout in preset.layouts if layout.fits(fields)), reverse=True)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0] and scored[0][1] != scored[1][1]):
        return None
    return scored[0][1]


def headerless_layout(first_line: str, delimiter: str) -> tuple[str, Layout] | None:
    """(preset, layout) of a documented headerless layout whose column count the first line has, when that line is
    not a header (none of its cells is one of the layout's column names)."""
    cells = first_line.rstrip("\r\n").split(delimiter)
    for preset in PRESETS.values():
        for layout in preset.layouts:
            if layout.header and len(cells) == len(layout.header) and not set(cells) & set(layout.header):
                return preset.name, layout
    return None


def member_layout(names: list[str]) -> tuple[str, Layout] | None:
    """(preset, layout) whose documented data files a folder or archive holds (Pendo Data Sync's
    matchedEvents/Feature/*.avro beside its exportmanifest.json)."""
    for preset in PRESETS.values():
        for layout in preset.layouts:
            if layout.members and any(select_members(names, layout)):
                return preset.name, layout
    return None


def companions_of(names: list[str]) -> list[tuple[str, str]]:
    """(kind, member) of the files a documented folder layout imports before its rows: Pendo Data Sync's feature
    list, so that its feature events take their names."""
    found = member_layout(names)
    if found is None:
        return []
    return [(kind, name) for kind, pattern in found[1].companions.items() for name in names
            if fnmatch.fnmatch(name, pattern)]


def select_members(names: list[str], layout: Layout) -> list[str]:
    return [n for n in names if any(fnmatch.fnmatch(n, pattern) for pattern in layout.members)]


def check_preset(name: str | None) -> Preset | None:
    if name in (None, ""):
        return None
    if name not in PRESETS:
        raise DataError(f"unknown preset '{name}' (expected one of: {', '.join(PRESETS)})")
    return PRESETS[name]


@dataclass(frozen=True)
class EventFilter:
    """Which events of a source count as feature use: names matching `include` (all when empty), not matching
    `exclude`, and with `value_model_only` only the value model's features. Patterns are exact names where `*`
    stands for any text and `?` for one character (nothing else is special, so "[Amplitude]*" means what it says)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    value_model_only: bool = False

    @property
    def active(self) -> bool:
        return bool(self.include or self.exclude or self.value_model_only)

    def merged(self, layout: Layout | None) -> EventFilter:
        """This filter plus the layout's own exclusions and inclusions."""
        if layout is None:
            return self
        return EventFilter(tuple(dict.fromkeys(layout.include + self.include)),
                           tuple(dict.fromkeys(layout.exclude + self.exclude)), self.value_model_only)

    def keep_sql(self, column: str) -> str:
        """SQL condition on the staged column holding the event name: the row is kept. A row without a name is
        kept, so that validation rejects it with its reason."""
        conditions = []
        # an id the feature list names is matched by its name
        name = (f"coalesce((SELECT m.feature_name FROM feature_name_map AS m WHERE m.feature_id = trim({column})), "
                f"trim({column}))")
        if self.include:  # the patterns are values: the SQL reads them from variables (ingest_run.set_event_filter)
            conditions.append(f"regexp_full_match({name}, getvariable('vl_include'))")
        if self.exclude:
            conditions.append(f"NOT regexp_full_match({name}, getvariable('vl_exclude'))")
        if self.value_model_only:
            conditions.append(f"{name} IN (SELECT f.feature FROM value_drivers AS v "
                              "JOIN feature AS f USING (feature_key))")
        if not conditions:
            return "true"
        return f"({column} IS NULL OR trim({column}) = '' OR ({' AND '.join(conditions)}))"


def glob_regex(patterns: tuple[str, ...]) -> str:
    """One regular expression matching any of the patterns (`*` any text, `?` one character, the rest literal)."""
    return "(?:" + "|".join(re.escape(p).replace(r"\*", ".*").replace(r"\?", ".") for p in patterns) + ")"


def saved_settings(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str | None, EventFilter] | None:
    """The preset and event filter remembered for a source, or None."""
    rows = run(con, "ingest_run.saved_settings", {"source": source}).fetchall()
    if not rows:
        return None
    preset, include, exclude, only = rows[0]
    return preset, EventFilter(tuple(include or ()), tuple(exclude or ()), bool(only))
