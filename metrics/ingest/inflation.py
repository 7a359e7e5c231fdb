"""Bounded unpacking: every byte a reader inflates (a zip member, a gzip file, a gzip inside a zip) is counted as it
streams, against what the upload itself could honestly hold.

A zip's declared sizes and a gzip's trailer are written by whoever made the file, so they bound nothing: the limits
here count the bytes actually produced. Two of them, for each pass over an upload's content (its members share
one budget):
- at most MAX_UNPACKED bytes in all (Amplitude's Export API caps an export at 4 GB unpacked);
- at most MAX_RATIO times the upload's size on disk, plus GRACE_BYTES (Apache POI's ZipSecureFile refuses an entry
  that inflates more than 100 times, its default minimum inflate ratio 0.01; real exports measured here inflate
  9.5x (JSON lines) to 12.8x (daily JSON lines), bench/ at 10M events). The ratio is taken against the outermost
  file, so a gzip inside a zip inside a gzip cannot multiply it, and the time any upload costs is proportional to
  its size on disk: a 1 MB file of 1 GB of newlines is refused after about 116 MB, in a fraction of a second.
The upload's size is set once per import or preview (`origin`); a reader that inflates asks for a `Budget`."""
from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Protocol

from metrics.errors import DataError

MAX_UNPACKED = 4 << 30
MAX_RATIO = 100
GRACE_BYTES = 16 << 20
_CHUNK = 1 << 22


class _Origin:
    """The upload being read, and the budgets its reading asked for."""

    def __init__(self, file_name: str, size: int) -> None:
        self.file_name, self.size = file_name, size
        self.budgets: list[Budget] = []


_ORIGIN: contextvars.ContextVar[_Origin | None] = contextvars.ContextVar("vl_inflation_origin", default=None)


@contextmanager
def origin(file_name: str, size: int) -> Iterator[None]:
    """The upload whose content is being read (its name and size on disk); an inner file (a gzip unpacked from a
    zip) keeps the outermost one."""
    if _ORIGIN.get() is not None:
        yield
        return
    token = _ORIGIN.set(_Origin(file_name, size))
    try:
        yield
    finally:
        _ORIGIN.reset(token)


def tripped() -> DataError | None:
    """The refusal of a budget of the upload being read that passed its limit (DuckDB, interrupted by it, says only
    that it was interrupted)."""
    found = _ORIGIN.get()
    return next((b.tripped for b in found.budgets if b.tripped is not None), None) if found else None


class _Stream(Protocol):
    """What a budget counts: a stream of inflated bytes (a zip member, an IGzipFile, another counted stream)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readline(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class Budget:
    """What one pass over an upload may inflate; `charge` raises DataError naming the member and the limit it
    passed. `on_trip` (e.g. a DuckDB connection's interrupt) runs once when it does, from whichever thread
    counted: a reader that inflates on its own (DuckDB reading a .gz) is stopped by the count beside it."""

    def __init__(self, file_name: str, size: int) -> None:
        """`file_name` and `size`: the file being unpacked, when no upload is set (`origin`)."""
        found = _ORIGIN.get()
        self.file_name, self.size = (found.file_name, found.size) if found else (file_name, size)
        if found is not None:
            found.budgets.append(self)
        self.limit = min(MAX_UNPACKED, MAX_RATIO * self.size + GRACE_BYTES)
        self.used = 0
        self.tripped: DataError | None = None
        self.on_trip: Callable[[], None] | None = None

    def charge(self, n: int, member: str | None) -> None:
        self.used += n
        if self.tripped is not None:
            raise self.tripped
        if self.used <= self.limit:
            return
        self.tripped = DataError(self.message(member))
        if self.on_trip is not None:
            self.on_trip()
        raise self.tripped

    def message(self, member: str | None) -> str:
        where = f"{self.file_name}: {member}" if member and member != self.file_name else str(self.file_name)
        if self.limit >= MAX_UNPACKED:
            return (f"{where}: unpacks to more than {MAX_UNPACKED >> 30} GB, the most one import reads; split the "
                    "export into smaller files")
        return (f"{where}: unpacks to more than {MAX_RATIO} times the size of the file ({_mb(self.size)} on disk, "
                f"past {_mb(self.limit)} unpacked): no export compresses that well, so it is refused as padding or a "
                "compression bomb; unpack it yourself and import what it holds")

    def reader(self, stream: _Stream, member: str | None = None) -> _Counted:
        return _Counted(stream, self, member)

    def copy(self, src: _Stream, dst: IO[bytes], member: str | None = None) -> int:
        """Copy an inflating stream to a file in chunks, counted; the bytes written."""
        written = 0
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            self.charge(len(chunk), member)
            dst.write(chunk)
            written += len(chunk)
        return written


class _Counted:
    """A read-only stream whose reads are charged to a budget; read() without a size reads in chunks (the caller
    still holds what it asked for, so callers stream with a size)."""

    def __init__(self, stream: _Stream, budget: Budget, member: str | None) -> None:
        self._stream, self._budget, self._member = stream, budget, member

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._budget.charge(len(data), self._member)
        return data

    def close(self) -> None:
        self._stream.close()

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self._budget.charge(len(data), self._member)
        return data

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()


def _mb(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB"
