"""Streamlit pages, run by app.py's navigation (a package only so that import-linter can check their imports)."""
