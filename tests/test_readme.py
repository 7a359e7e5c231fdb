"""The README's promises: its test command is what CI runs, and its contract table covers the contract."""
from __future__ import annotations

import re

from conftest import ROOT

from metrics.ingest import CONTRACT


def _commands() -> list[str]:
    return re.findall(r"```bash\n(python3 -m venv[^\n]+)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_has_one_app_command_and_one_test_command():
    app, tests = _commands()
    assert app.endswith("streamlit run app.py") and tests.endswith("pytest -q")


def test_ci_runs_the_readme_test_command_as_written():
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_every_contract_column_is_in_the_readme_table():
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    for kind, columns in CONTRACT.items():
        for column in columns:
            assert any(row.startswith(f"| {kind} |") and column.name in row for row in rows), (kind, column.name)
