"""Peak memory of a build is bounded by the window, whatever the archive holds before its ignore file."""

from __future__ import annotations

import gzip
import io
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from app.repo_context import PathSelector, build_context

MB = 1024 * 1024
LINE = b"The quick brown fox jumps over the lazy dog; 0123456789 and some more words.\n"
BIG_TEXT = LINE * (5 * MB // len(LINE))  # 5 MB of text
TOP = "octo-hello-1a2b3c4"


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """80 × 5 MB text files under `.a/` (before `.gitignore` in path order), written as a stream to disk."""
    path = tmp_path_factory.mktemp("hostile") / "repo.tar.gz"
    entries = [(f".a/f{i:02d}.txt", BIG_TEXT) for i in range(80)]
    entries += [(".gitignore", b".a/\n"), ("src/main.py", b"print('hello')\n")]
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as packed,
        tarfile.open(fileobj=packed, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name, data in entries:
            info = tarfile.TarInfo(f"{TOP}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_files_before_the_ignore_file_are_not_all_held(hostile_archive: Path) -> None:
    tracemalloc.start()
    try:
        with open(hostile_archive, "rb") as source:
            ctx = build_context(source, PathSelector(), max_tokens=128_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ctx.files == [".gitignore", "src/main.py"]
    assert ctx.skipped == {"ignored": 80}
    # One 5 MB file as bytes and as text, plus the window; the old builder held all 400 MB (438 MB peak).
    assert peak < 40 * MB, f"peak {peak / MB:.0f} MB"
