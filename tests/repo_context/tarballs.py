"""In-memory tarballs shaped like GitHub's: a pax global header with the commit, one top directory."""

from __future__ import annotations

import gzip
import io
import tarfile
from dataclasses import dataclass, field

TOP = "octo-hello-1a2b3c4"


@dataclass
class Tarball:
    """Entries to pack; `build()` returns the `.tar.gz` bytes."""

    top: str = TOP
    entries: list[tuple[tarfile.TarInfo, bytes]] = field(default_factory=list)

    def file(self, path: str, content: bytes | str, *, raw_name: bool = False) -> Tarball:
        """A regular file at `path` below the top directory (or exactly `path` with raw_name)."""
        data = content.encode() if isinstance(content, str) else content
        info = tarfile.TarInfo(path if raw_name else f"{self.top}/{path}")
        info.size = len(data)
        info.mode = 0o644
        self.entries.append((info, data))
        return self

    def special(self, path: str, kind: bytes, target: str = "") -> Tarball:
        """A symlink, hardlink, fifo or device entry."""
        info = tarfile.TarInfo(f"{self.top}/{path}")
        info.type = kind
        info.linkname = target
        self.entries.append((info, b""))
        return self

    def build(self, *, sort: bool = True, compress: bool = True, pax: dict[str, str] | None = None) -> bytes:
        """The archive bytes; sorted in path order like `git archive` unless `sort=False`."""
        entries = sorted(self.entries, key=lambda e: e[0].name) if sort else list(self.entries)
        dirs = sorted({e[0].name.split("/", 1)[0] for e in entries if "/" in e[0].name})
        raw = io.BytesIO()
        headers = {"comment": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"} | (pax or {})
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT, pax_headers=headers) as tar:
            for name in dirs:
                info = tarfile.TarInfo(name + "/")
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            for info, data in entries:
                tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
        return gzip.compress(raw.getvalue()) if compress else raw.getvalue()


def chunks(data: bytes, size: int = 7) -> list[bytes]:
    """The bytes cut into small chunks, as a network stream delivers them."""
    return [data[i : i + size] for i in range(0, len(data), size)]
