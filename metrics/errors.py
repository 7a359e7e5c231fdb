"""The one exception users see: a problem they can fix, with a message that says where."""
from __future__ import annotations


class DataError(Exception):
    """A problem the user can fix (bad file, missing column, unknown account); the message says where."""
