"""Streaming tarball reader: what it yields, what it refuses, and its limits."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections import Counter

import pytest

from app.errors import PayloadTooLarge
from app.repo_context.tarball import ArchiveLimits, ArchiveTooLarge, InvalidArchive, iter_files

from .tarballs import Tarball, chunks


def read_all(source: object, limits: ArchiveLimits | None = None) -> tuple[dict[str, bytes], Counter[str]]:
    skipped: Counter[str] = Counter()
    files = {f.path: f.read() for f in iter_files(source, limits, skipped)}  # type: ignore[arg-type]
    return files, skipped


def test_yields_regular_files_with_top_directory_stripped() -> None:
    data = Tarball().file("README.md", "# hi\n").file("src/app.py", "print(1)\n").build()
    files, skipped = read_all(io.BytesIO(data))
    assert files == {"README.md": b"# hi\n", "src/app.py": b"print(1)\n"}
    assert not skipped


@pytest.mark.parametrize(
    "make_source", [bytes, bytearray, io.BytesIO, chunks, lambda d: iter(chunks(d, 1)), lambda d: iter(chunks(d, 1000))]
)
def test_accepts_bytes_file_objects_and_chunk_iterators(make_source: object) -> None:
    data = Tarball().file("a.txt", "A" * 5000).file("b/c.txt", "C").build()
    files, _ = read_all(make_source(data))  # type: ignore[operator]
    assert files == {"a.txt": b"A" * 5000, "b/c.txt": b"C"}


def test_plain_uncompressed_tar_is_accepted() -> None:
    data = Tarball().file("a.txt", "plain").build(compress=False)
    assert read_all(data)[0] == {"a.txt": b"plain"}


def test_links_and_devices_are_skipped() -> None:
    data = (
        Tarball()
        .file("real.txt", "x")
        .special("link-to-passwd", tarfile.SYMTYPE, "/etc/passwd")
        .special("hard", tarfile.LNKTYPE, "octo-hello-1a2b3c4/real.txt")
        .special("pipe", tarfile.FIFOTYPE)
        .special("dev", tarfile.CHRTYPE)
        .build()
    )
    files, skipped = read_all(data)
    assert list(files) == ["real.txt"]
    assert skipped == {"link": 2, "special": 2}


def test_path_traversal_and_foreign_roots_are_rejected() -> None:
    data = (
        Tarball()
        .file("ok.txt", "fine")
        .file("octo-hello-1a2b3c4/../../etc/cron.d/evil", "x", raw_name=True)
        .file("/etc/passwd", "x", raw_name=True)
        .file("other-top/file.txt", "x", raw_name=True)
        .file("toplevel.txt", "x", raw_name=True)
        .build(sort=False)
    )
    files, skipped = read_all(data)
    assert list(files) == ["ok.txt"]
    assert skipped == {"unsafe_path": 4}


def test_too_many_files_raises() -> None:
    tarball = Tarball()
    for i in range(11):
        tarball.file(f"f{i}.txt", "x")
    with pytest.raises(ArchiveTooLarge):
        read_all(tarball.build(), ArchiveLimits(max_files=10))
    assert len(read_all(tarball.build(), ArchiveLimits(max_files=11))[0]) == 11


def test_too_many_uncompressed_bytes_raises_even_for_unread_files() -> None:
    bomb = Tarball().file("zeros.bin", bytes(5_000_000)).build()
    assert len(bomb) < 50_000  # a small download that inflates 100-fold
    skipped: Counter[str] = Counter()
    with pytest.raises(ArchiveTooLarge) as caught:
        for _ in iter_files(bomb, ArchiveLimits(max_total_bytes=1_000_000), skipped):
            pass  # never read: skipping the data still counts
    assert isinstance(caught.value, PayloadTooLarge)
    assert caught.value.code == "archive.too_large"


def test_a_file_over_the_read_cap_can_be_skipped_but_not_read() -> None:
    data = Tarball().file("big.txt", "x" * 2000).file("small.txt", "y").build()
    limits = ArchiveLimits(max_file_bytes=1000)
    seen = []
    for file in iter_files(data, limits):
        seen.append((file.path, file.size))
        if file.size > 1000:
            with pytest.raises(ArchiveTooLarge):
                file.read()
        else:
            assert file.read() == b"y"
    assert seen == [("big.txt", 2000), ("small.txt", 1)]


def test_huge_pax_header_is_refused() -> None:
    data = Tarball().file("a.txt", "x").build(pax={"comment": "c" * 2_000_000})
    with pytest.raises(ArchiveTooLarge):
        read_all(data)


@pytest.mark.parametrize("data", [b"", b"not a tarball at all" * 100, gzip.compress(b"\x01" * 2048)])
def test_garbage_is_an_invalid_archive(data: bytes) -> None:
    with pytest.raises(InvalidArchive):
        read_all(data)


def test_truncated_download_is_an_invalid_archive_not_a_short_one() -> None:
    data = Tarball().file("a.txt", "a" * 100_000).file("z.txt", "z" * 100_000).build()
    with pytest.raises(InvalidArchive):
        read_all(data[: len(data) // 2])
