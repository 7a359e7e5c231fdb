"""The embedded demo dataset: its files imported (metrics.ingest), then its requests grouped into the requirements a
CS team made of them (metrics.requirements). It lives here, above both, so that the import machinery knows nothing
of the requirement pool (the pool uses the import for a request typed on the page; .importlinter keeps it one way)."""
from __future__ import annotations

import json
from pathlib import Path

from metrics import ingest, requirements
from metrics.ingest import ImportResult
from metrics.store import is_empty

DEMO_DIR = ingest.DEMO_DIR
DEMO_FILES = ingest.DEMO_FILES


def load_demo(con) -> list[ImportResult]:
    """Import the embedded demo dataset in data/demo, then group its requests into the requirements a CS team made
    of them (data/demo/requirements.json, applied as a person would on the Requirements page)."""
    results = [ingest.import_file(con, DEMO_DIR / name, source="demo " + Path(name).stem) for name in DEMO_FILES]
    requirements.apply(con, json.loads((DEMO_DIR / "requirements.json").read_text(encoding="utf-8")), user="demo")
    return results


def ensure_demo(con) -> bool:
    """Load the demo data when the database holds no account yet; True if it did."""
    if not is_empty(con):
        return False
    load_demo(con)
    return True
