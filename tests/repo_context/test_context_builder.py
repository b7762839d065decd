"""build_context: selection, layout, binaries, ignore files, hostile names, cutting to the window."""

from __future__ import annotations

import random
import re
import string
import time

import pytest

from app.repo_context import ArchiveLimits, ArchiveTooLarge, ContextBuildTimeout, PathSelector, build_context
from app.repo_context.formatting import SEPARATOR
from app.repo_context.tokens import estimate_text_tokens

from .tarballs import Tarball

BIG = 1_000_000


def build(tarball: Tarball, selector: PathSelector | None = None, *, sort: bool = True, **kwargs: object):
    kwargs.setdefault("max_tokens", BIG)
    return build_context(tarball.build(sort=sort), selector or PathSelector(), **kwargs)  # type: ignore[arg-type]


def block(path: str, content: str) -> str:
    return f"{path}\n{SEPARATOR}\n{content}"


def test_tree_then_each_file_in_path_order() -> None:
    tarball = Tarball().file("src/b.py", "b = 2\n").file("README.md", "# Hello\n").file("src/a.py", "a = 1")
    ctx = build(tarball, sort=False)
    assert ctx.files == ["README.md", "src/a.py", "src/b.py"]
    assert ctx.text.startswith("File tree (3 files):\nREADME.md\nsrc/\n  a.py\n  b.py\n\n")
    readme, a, b = (
        ctx.text.index(block(p, c))
        for p, c in [("README.md", "# Hello\n"), ("src/a.py", "a = 1\n"), ("src/b.py", "b = 2\n")]
    )
    assert ctx.text.index("src/\n") < readme < a < b
    assert not ctx.truncated and "context cut" not in ctx.text
    assert ctx.total_bytes == len("# Hello\n") + len("a = 1") + len("b = 2\n")
    assert ctx.skipped == {}


def test_header_comes_first() -> None:
    ctx = build(Tarball().file("a.txt", "x"), header="Repository: octo/hello @ 1a2b3c4")
    assert ctx.text.startswith("Repository: octo/hello @ 1a2b3c4\n\nFile tree (1 files):\n")


def test_selection_applies_base_path_patterns_excludes_and_size() -> None:
    tarball = (
        Tarball()
        .file("README.md", "root readme")
        .file("pkg/api/README.md", "api readme")
        .file("pkg/api/src/server.ts", "serve()")
        .file("pkg/api/src/server.test.ts", "test()")
        .file("pkg/api/src/huge.ts", "x" * 5000)
        .file("pkg/web/src/app.ts", "app()")
    )
    selector = PathSelector("pkg/api", ["/README.md", "src/**"], ["**/*.test.ts"], max_file_size=1000)
    ctx = build(tarball, selector)
    assert ctx.files == ["pkg/api/README.md", "pkg/api/src/server.ts"]
    assert ctx.skipped == {"outside_base_path": 2, "excluded": 1, "too_large": 1}
    assert "root readme" not in ctx.text and "x" * 100 not in ctx.text


def test_binaries_are_skipped() -> None:
    tarball = (
        Tarball()
        .file("text.txt", "héllo wörld ✓ 🐍\n")
        .file("nul.dat", b"abc\x00def")
        .file("latin1.txt", "caf\xe9".encode("latin-1"))
        .file("late-nul.log", b"a" * 10_000 + b"\x00")  # NUL past the first 8 KB, but still valid UTF-8
    )
    ctx = build(tarball)
    assert ctx.files == ["late-nul.log", "text.txt"]
    assert ctx.skipped == {"binary": 2}
    assert "héllo wörld ✓ 🐍" in ctx.text


def test_noise_is_skipped_and_counted() -> None:
    tarball = (
        Tarball()
        .file("package.json", "{}")
        .file("package-lock.json", "{}")
        .file("node_modules/x/index.js", "x")
        .file("dist/app.js", "x")
        .file("app.min.js", "x")
        .file("logo.png", b"\x89PNG")
    )
    ctx = build(tarball)
    assert ctx.files == ["package.json"]
    assert ctx.skipped == {"noise": 5}


@pytest.mark.parametrize("sort", [True, False])
def test_root_ignore_files_are_honoured_wherever_they_come(sort: bool) -> None:
    tarball = (
        Tarball()
        .file("app.log", "log")  # unsorted: files first, ignore files last
        .file("build.sh", "make")
        .file("generated/api.py", "gen")
        .file("keep/me.log", "kept")
        .file("src/main.py", "main")
        .file("sub/.gitignore", "*.py\n")  # only the root ignore files count
        .file(".gitignore", "*.log\n!keep/me.log\n")
        .file(".genignore", "generated/\n")
    )
    ctx = build(tarball, sort=sort)
    assert ctx.files == [".genignore", ".gitignore", "build.sh", "keep/me.log", "src/main.py", "sub/.gitignore"]
    assert ctx.skipped == {"ignored": 2}


def test_literal_pattern_beats_ignore_files() -> None:
    tarball = Tarball().file(".gitignore", "*.log\n").file("debug.log", "dbg").file("other.log", "o")
    ctx = build(tarball, PathSelector(path_patterns=["debug.log"]))
    assert ctx.files == ["debug.log"]


HOSTILE = [
    "evil\nname.py",
    "tab\there.py",
    "esc\x1b[31mred.py",
    "<script>alert(1)</script>.py",
    "rtl\u202eyp.txt",
    "line\u2028sep.md",
    "bell\x07.txt",
    "=" * 64,
]


def test_hostile_names_cannot_break_the_layout() -> None:
    tarball = Tarball()
    for name in HOSTILE:
        tarball.file(f"dir/{name}", "safe content\n")
    ctx = build(tarball)
    assert len(ctx.files) == len(HOSTILE)
    lines = ctx.text.split("\n")
    # Every separator is preceded by exactly one path line that names a file of the archive.
    path_lines = [lines[i - 1] for i, line in enumerate(lines) if line == SEPARATOR]
    assert len(path_lines) == len(HOSTILE)
    assert all(p.startswith("dir/") for p in path_lines)
    assert f"dir/{'=' * 64}" in path_lines
    assert "dir/evil\\nname.py" in path_lines
    assert "dir/esc\\x1b[31mred.py" in path_lines
    assert "dir/rtl\\u202eyp.txt" in path_lines
    assert "dir/<script>alert(1)</script>.py" in path_lines  # plain text: rendering escapes HTML
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u202e]", ctx.text)
    assert ctx.files == sorted(f"dir/{n}" for n in HOSTILE)  # the raw paths stay available to callers


def many_files(count: int, size: int = 2000) -> Tarball:
    tarball = Tarball()
    for i in range(count):
        tarball.file(f"src/mod{i:03d}.py", f"def f{i}(x):\n    return x + {i}\n" * (size // 30))
    return tarball


def test_cut_to_the_window_drops_files_from_the_end_and_says_so() -> None:
    ctx = build(many_files(100), max_tokens=5000)
    assert ctx.truncated
    assert 0 < len(ctx.files) < 100
    assert ctx.files == [f"src/mod{i:03d}.py" for i in range(len(ctx.files))]
    assert ctx.estimated_tokens <= 5000
    notice = re.search(
        r"\[context cut to fit the model's context window: (\d+) of 100 files included"
        r"(, the last one partly)?, ~(\d+) tokens omitted\]",
        ctx.text,
    )
    assert notice and int(notice.group(1)) == len(ctx.files)
    assert int(notice.group(3)) > 10_000
    assert ctx.skipped["cut"] == 100 - len(ctx.files)
    assert ctx.text.count("\n" + SEPARATOR + "\n") == len(ctx.files)
    assert "File tree (100 files):" in ctx.text and "mod099.py" in ctx.text  # the tree still lists all


def test_one_file_larger_than_the_window_is_included_in_part() -> None:
    content = "".join(f"line {i}: some words of text here\n" for i in range(5000))
    ctx = build(Tarball().file("big.txt", content), max_tokens=2000)
    assert ctx.truncated and ctx.files == ["big.txt"]
    assert "line 0: some words" in ctx.text and "line 4999" not in ctx.text
    assert "[... file cut here to fit the context window ...]" in ctx.text
    assert "1 of 1 files included, the last one partly" in ctx.text
    assert ctx.estimated_tokens <= 2000
    assert 0 < ctx.total_bytes < len(content)


def test_estimated_tokens_describe_the_text() -> None:
    ctx = build(many_files(10))
    assert not ctx.truncated
    # A separator line is one real token; the byte heuristic would count its 64 symbols.
    whole = estimate_text_tokens(ctx.text.replace(SEPARATOR, "")) + ctx.text.count(SEPARATOR)
    assert abs(ctx.estimated_tokens - whole) <= 0.05 * whole
    assert len(ctx.text) / 8 < ctx.estimated_tokens < len(ctx.text) / 2


def test_cut_respects_late_ignore_file_in_unsorted_archives() -> None:
    tarball = many_files(60).file("src/ignored.py", "SECRET = 1\n" * 300).file(".gitignore", "ignored.py\n")
    ctx = build(tarball, PathSelector(path_patterns=["src/**"]), sort=False, max_tokens=4000)
    assert ctx.truncated and ctx.skipped["ignored"] == 1
    assert "SECRET" not in ctx.text and "src/ignored.py" not in ctx.files


def test_content_dropped_before_a_late_ignore_file_is_read_again() -> None:
    # Unsorted: every src file comes first, so content beyond the window is dropped before the ignore
    # file arrives and leaves out the first twenty; the dropped files that now fit are read again.
    tarball = many_files(60).file(".gitignore", "mod00*.py\nmod01*.py\n")
    late = build(tarball, sort=False, max_tokens=4000)
    early = build(tarball, sort=True, max_tokens=4000)  # git's order: the ignore file comes first
    assert late.text == early.text
    assert late.files[:2] == [".gitignore", "src/mod020.py"] and len(late.files) > 3
    assert late.skipped == early.skipped and late.skipped["ignored"] == 20


def test_a_build_over_its_time_budget_stops_with_a_clear_error() -> None:
    rng, letters, tarball = random.Random(7), string.ascii_lowercase, Tarball()
    for _ in range(2000):
        tarball.file("src/" + "".join(rng.choice(letters) for _ in range(150)) + ".txt", "x")
    # Valid patterns (26 × 4 of 22 characters) that RE2 matches slowly: its DFA cannot cache them.
    slow = PathSelector(path_patterns=[f"*{c}" + "?" * 20 for c in letters] * 4)
    started = time.perf_counter()
    with pytest.raises(ContextBuildTimeout, match=r"^building the context took longer than 0\.5 s$"):
        build(tarball, slow, time_budget=0.5)
    assert time.perf_counter() - started < 5  # without the budget: about 6 ms a file, over 10 s


def test_archive_limits_apply() -> None:
    with pytest.raises(ArchiveTooLarge):
        build(many_files(20), limits=ArchiveLimits(max_files=5))
    with pytest.raises(ArchiveTooLarge):
        build(many_files(20), limits=ArchiveLimits(max_total_bytes=20_000))


def test_file_over_the_hard_cap_is_skipped_not_fatal() -> None:
    tarball = Tarball().file("big.txt", "x" * 3000).file("ok.txt", "ok")
    ctx = build(tarball, limits=ArchiveLimits(max_file_bytes=1000))
    assert ctx.files == ["ok.txt"] and ctx.skipped == {"too_large": 1}


def test_empty_selection_still_gives_a_valid_text() -> None:
    ctx = build(Tarball().file("a.txt", "x"), PathSelector(path_patterns=["nothing/**"]))
    assert ctx.files == [] and not ctx.truncated
    assert ctx.text.startswith("File tree (0 files):")


def test_a_file_named_like_the_separator_is_not_mistaken_for_one() -> None:
    ctx = build(Tarball().file(SEPARATOR, "tricky\n"))
    assert f"./{SEPARATOR}\n{SEPARATOR}\ntricky\n" in ctx.text
    assert ctx.files == [SEPARATOR]
