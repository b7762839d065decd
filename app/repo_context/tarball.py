"""Streaming reader of a repo tarball (GitHub's `.tar.gz`, one top directory), with size limits.

The archive is read once, front to back: gzip is inflated in bounded steps by `_Inflater`, and
`tarfile` runs in stream mode (`r|`) on top of it, so neither the archive nor a file that nobody reads
is ever held in memory. Only regular files are yielded; links, devices and unsafe paths are counted
as skipped. Inflating ourselves (rather than `r|gz`) lets the uncompressed total be counted and capped
as it is produced, which stops gzip bombs early.

`rereadable` gives the builder a way to read an archive a second time from its start (to fetch content
it dropped to bound memory): bytes and seekable files are simply read again, anything else is first
spooled to an anonymous temporary file.

`spool_chunks` adapts an async byte stream (an httpx streaming response): it writes the chunks to an
anonymous temporary file on disk (capped in size) and returns it for a worker thread to read. Spooling
was chosen over a queue bridge: the download finishes at network speed and releases the connection,
cancellation needs no thread coordination, and memory stays bounded by the chunk size.
"""

from __future__ import annotations

import asyncio
import contextlib
import tarfile
import tempfile
import zlib
from collections import Counter
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from app.errors import AppError, PayloadTooLarge

UNSAFE_PATH = "unsafe_path"
LINK = "link"
SPECIAL = "special"

_GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_STEP = 256 * 1024
_MAX_HEADER_BYTES = 1024 * 1024
_SPOOL_FLUSH = 1024 * 1024
_HEADER_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE) + tarfile.GNU_TYPES


class ArchiveTooLarge(PayloadTooLarge):
    """The archive breaks a size limit (total bytes, file count, a header or one file)."""

    code = "archive.too_large"


class InvalidArchive(AppError):
    """The archive is not a readable (gzipped) tar."""

    status_code = 502
    code = "archive.invalid"


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Caps applied while reading; exceeding one raises `ArchiveTooLarge`."""

    max_total_bytes: int = 1024 * 1024 * 1024  # uncompressed tar stream, headers included
    max_files: int = 100_000  # entries other than directories
    max_file_bytes: int = 10 * 1024 * 1024  # one file's content, when read
    max_archive_bytes: int = 512 * 1024 * 1024  # compressed bytes spooled from the network


@dataclass(slots=True)
class ArchiveFile:
    """One regular file; `read()` is valid until the iterator moves on."""

    path: str
    size: int
    _reader: Callable[[], bytes]

    def read(self) -> bytes:
        """The file's content (refused above `ArchiveLimits.max_file_bytes`)."""
        return self._reader()


Source = BinaryIO | IO[bytes] | Iterable[bytes] | bytes


class _ChunkFile:
    """File-like `read(n)` over an iterator of byte chunks (slices are views, so no quadratic copying)."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._buffer = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer = memoryview(chunk).cast("B")
        if size < 0 or size >= len(self._buffer):
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out.tobytes()


def _read_exact(raw: Any, size: int) -> bytes:
    """`size` bytes, fewer only at the end of the stream (sources may return short reads)."""
    data = b""
    while len(data) < size:
        more = raw.read(size - len(data))
        if not more:
            break
        data += more
    return data


class _Inflater:
    """File-like view of the uncompressed tar stream, counting bytes against the limit."""

    def __init__(self, raw: Any, max_total: int):
        self._raw = raw
        self._max_total = max_total
        self.total = 0
        first = _read_exact(raw, 2)
        self._gzip = first.startswith(_GZIP_MAGIC)
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS) if self._gzip else None
        self._pending = first

    def read(self, size: int = -1) -> bytes:
        step = _INFLATE_STEP if size < 0 else min(size, _INFLATE_STEP)
        out = self._inflate(step)
        self.total += len(out)
        if self.total > self._max_total:
            raise ArchiveTooLarge(f"archive expands to more than {self._max_total} bytes")
        return out

    def _inflate(self, step: int) -> bytes:
        """Up to `step` bytes of output; `b""` at the end of the stream."""
        while True:
            if self._z is None:
                data, self._pending = self._pending or self._raw.read(step), b""
                return data
            if self._z.unconsumed_tail:
                return self._z.decompress(self._z.unconsumed_tail, step)
            if self._z.eof:
                return b""
            data = self._pending or self._raw.read(64 * 1024)
            self._pending = b""
            if not data:
                # Input ended before gzip's end marker: a truncated download, never a short context.
                raise InvalidArchive("truncated gzip stream")
            out = self._z.decompress(data, step)
            if out:
                return out


class _GuardedTarInfo(tarfile.TarInfo):
    """TarInfo that refuses pax/GNU long-name headers big enough to exhaust memory."""

    def _proc_member(self, tar: tarfile.TarFile) -> Any:
        if self.type in _HEADER_TYPES and self.size > _MAX_HEADER_BYTES:
            raise ArchiveTooLarge(f"tar header entry of {self.size} bytes")
        return super()._proc_member(tar)  # type: ignore[misc]


def _open_source(source: Source) -> Any:
    """A file-like object for any accepted source."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _ChunkFile([bytes(source)])
    if hasattr(source, "read"):
        return source
    return _ChunkFile(source)


def split_member_name(name: str) -> tuple[str, str] | None:
    """(top directory, path below it) of a member name; None if absolute, escaping or top-level."""
    if name.startswith("/") or "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if len(parts) < 2 or ".." in parts:
        return None
    return parts[0], "/".join(parts[1:])


def iter_files(
    source: Source, limits: ArchiveLimits | None = None, skipped: Counter[str] | None = None
) -> Iterator[ArchiveFile]:
    """Yield the regular files of a (gzipped) tarball in archive order, paths relative to its top dir."""
    limits = limits or ArchiveLimits()
    skipped = skipped if skipped is not None else Counter()
    stream = _Inflater(_open_source(source), limits.max_total_bytes)
    with _open_tar(stream) as archive:
        yield from _members(archive, limits, skipped)


def _open_tar(stream: _Inflater) -> tarfile.TarFile:
    """`tarfile` in forward-only stream mode over the inflated bytes."""
    try:
        return tarfile.open(fileobj=stream, mode="r|", tarinfo=_GuardedTarInfo)  # type: ignore[call-overload]
    except (tarfile.TarError, zlib.error) as exc:
        raise InvalidArchive(f"not a tar archive: {exc}") from exc


def _members(archive: tarfile.TarFile, limits: ArchiveLimits, skipped: Counter[str]) -> Iterator[ArchiveFile]:
    """The regular files of an open stream-mode archive, with the top directory checked and stripped."""
    count = 0
    top: str | None = None
    try:
        for member in archive:
            if member.isdir():
                continue
            count += 1
            if count > limits.max_files:
                raise ArchiveTooLarge(f"archive has more than {limits.max_files} files")
            split = split_member_name(member.name)
            if split is not None and top is None:
                top = split[0]
            if split is None or split[0] != top:
                skipped[UNSAFE_PATH] += 1
            elif member.issym() or member.islnk():
                skipped[LINK] += 1
            elif not member.isfile() or member.issparse():
                skipped[SPECIAL] += 1
            else:
                yield ArchiveFile(split[1], member.size, _reader(archive, member, limits.max_file_bytes))
    except (tarfile.TarError, zlib.error, EOFError) as exc:
        raise InvalidArchive(f"corrupt archive: {exc}") from exc


def _reader(archive: tarfile.TarFile, member: tarfile.TarInfo, cap: int) -> Callable[[], bytes]:
    """A one-shot reader of a member's data, refusing files above `cap`."""

    def read() -> bytes:
        if member.size > cap:
            raise ArchiveTooLarge(f"a file of {member.size} bytes is over the {cap} byte limit")
        try:
            handle = archive.extractfile(member)
            return handle.read() if handle is not None else b""
        except (tarfile.TarError, zlib.error, EOFError) as exc:
            raise InvalidArchive(f"corrupt archive: {exc}") from exc

    return read


@contextlib.contextmanager
def rereadable(source: Source, max_bytes: int) -> Iterator[Callable[[], Source]]:
    """A callable giving the archive from its start each time; `ArchiveTooLarge` past `max_bytes` spooled."""
    if isinstance(source, bytes | bytearray | memoryview):
        yield lambda: source
        return
    if hasattr(source, "read") and getattr(source, "seekable", lambda: False)():
        handle: Any = source
        start = handle.tell()
        yield lambda: _rewound(handle, start)
        return
    with tempfile.TemporaryFile() as spool:
        raw, size = _open_source(source), 0
        while chunk := raw.read(_SPOOL_FLUSH):
            size += len(chunk)
            if size > max_bytes:
                raise ArchiveTooLarge(f"archive is larger than {max_bytes} bytes")
            spool.write(chunk)
        yield lambda: _rewound(spool, 0)


def _rewound(handle: Any, position: int) -> Any:
    handle.seek(position)
    return handle


async def spool_chunks(chunks: AsyncIterable[bytes], max_bytes: int) -> IO[bytes]:
    """Write an async byte stream to an anonymous temp file (rewound); `ArchiveTooLarge` past `max_bytes`."""
    spool = await asyncio.to_thread(tempfile.TemporaryFile)
    try:
        size, batch = 0, bytearray()
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise ArchiveTooLarge(f"archive download is larger than {max_bytes} bytes")
            batch += chunk
            if len(batch) >= _SPOOL_FLUSH:
                # Disk writes go to a thread so the event loop never blocks on I/O.
                await asyncio.to_thread(spool.write, bytes(batch))
                batch.clear()
        await asyncio.to_thread(spool.write, bytes(batch))
        await asyncio.to_thread(spool.seek, 0)
    except BaseException:
        spool.close()
        raise
    return spool
