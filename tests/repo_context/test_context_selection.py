"""Pattern semantics of PathSelector and IgnoreRules."""

from __future__ import annotations

import pytest

from app.repo_context.globs import IgnoreRules
from app.repo_context.selection import PathSelector


def wants(patterns: list[str], path: str, **kwargs: object) -> bool:
    return PathSelector(path_patterns=patterns, **kwargs).wants(path, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("README.md", "README.md", True),
        ("README.md", "docs/README.md", True),  # no slash: any depth, as in .gitignore
        ("/README.md", "docs/README.md", False),
        ("/README.md", "README.md", True),
        ("README.md", "README.mdx", False),
        ("src/**", "src/main.py", True),
        ("src/**", "src/a/b/c.py", True),
        ("src/**", "srcx/main.py", False),
        ("src/**", "lib/src/main.py", False),
        ("**/*.lock", "a.lock", True),
        ("**/*.lock", "x/y/b.lock", True),
        ("**/*.lock", "x/y/b.locks", False),
        ("*.py", "a/b/c.py", True),
        ("src/*.py", "src/a.py", True),
        ("src/*.py", "src/sub/a.py", False),
        ("a/**/b.txt", "a/b.txt", True),
        ("a/**/b.txt", "a/x/y/b.txt", True),
        ("docs", "docs/guide/intro.md", True),  # a directory selects what is below it
        ("docs/", "docs/intro.md", True),
        ("docs/", "docs", False),  # trailing slash: directories only
        ("{src,lib}/*.ts", "lib/x.ts", True),
        ("{src,lib}/*.ts", "app/x.ts", False),
        ("*.{js,ts}", "web/app.ts", True),
        ("?.txt", "a.txt", True),
        ("?.txt", "ab.txt", False),
        ("[!a]*.txt", "b.txt", True),
        ("[!a]*.txt", "a.txt", False),
        ("[ab].md", "b.md", True),
        ("file[.md", "file[.md", True),  # an unclosed class is literal
        ("\\*.md", "*.md", True),
        ("\\*.md", "x.md", False),
        ("a.b", "axb", False),  # dots are literal
        ("a[!x]b", "ayb", True),
        ("a[!x]b", "a/b", False),  # a class never matches `/`, negated or not
        ("[[:digit:]]x", "5x", True),
        ("[[:digit:]]x", "ax", False),
        ("[[:upper:][:digit:]]", "Q", True),
        ("[]a]x", "]x", True),  # `]` first is a member
        ("[!]a]x", "bx", True),
        ("[!]a]x", "]x", False),
        ("[a-]x", "-x", True),
        ("[\\]]x", "]x", True),
        ("[z-a]x", "zx", False),  # a reversed range matches nothing
        ("[z-ab]x", "bx", True),
        ("x[", "x[", True),  # an unclosed class is literal in context.json patterns
        ("caf?", "caf\u00e9", True),  # characters, not bytes
        ("*.md", "evil\nname.md", True),  # names may hold newlines
        ("**/x.md", "dir\nname/x.md", True),
        ("*.py", "caf\udce9/mod.py", True),  # an undecodable byte in a tar name
    ],
)
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    assert wants([pattern], path, skip_noise=False) is expected


def test_no_patterns_selects_everything() -> None:
    selector = PathSelector()
    assert selector.wants("src/deep/file.rs", 100)
    assert selector.wants("Makefile", 100)


def test_base_path_restricts_and_patterns_are_relative_to_it() -> None:
    selector = PathSelector(base_path="/packages/api/", path_patterns=["src/**", "/README.md"])
    assert selector.wants("packages/api/src/server.ts", 1)
    assert selector.wants("packages/api/README.md", 1)
    assert not selector.wants("src/server.ts", 1)
    assert not selector.wants("packages/web/src/app.ts", 1)
    assert not selector.wants("packages/apiary/src/x.ts", 1)
    assert selector.reason("README.md", 1) == "outside_base_path"


def test_excludes_win_over_includes() -> None:
    selector = PathSelector(path_patterns=["src/**"], exclude_path_patterns=["**/*.test.ts", "src/gen/"])
    assert selector.wants("src/app.ts", 1)
    assert selector.reason("src/app.test.ts", 1) == "excluded"
    assert selector.reason("src/gen/types.ts", 1) == "excluded"
    assert selector.reason("lib/app.ts", 1) == "not_matched"


def test_max_file_size_is_inclusive() -> None:
    selector = PathSelector(max_file_size=100)
    assert selector.wants("a.txt", 100)
    assert selector.reason("a.txt", 101) == "too_large"


@pytest.mark.parametrize(
    "path",
    [
        "package-lock.json",
        "web/yarn.lock",
        "poetry.lock",
        "Cargo.lock",
        "node_modules/left-pad/index.js",
        ".git/config",
        "dist/bundle.js",
        "app/build/out.txt",
        "pkg/__pycache__/mod.cpython-311.pyc",
        "static/app.min.js",
        "static/app.js.map",
        "img/logo.PNG",
        "fonts/inter.woff2",
        "release.tar.gz",
        "docs/manual.pdf",
        "locale/fr/LC_MESSAGES/django.mo",
        "mypkg.egg-info/PKG-INFO",
    ],
)
def test_builtin_noise_is_left_out(path: str) -> None:
    assert PathSelector().reason(path, 10) == "noise"


def test_literal_pattern_brings_noise_back() -> None:
    selector = PathSelector(path_patterns=["package-lock.json", "dist", "src/**"])
    assert selector.wants("package-lock.json", 10)
    assert selector.wants("dist/bundle.js", 10)
    assert selector.reason("src/node_modules/x.js", 10) == "noise"  # a wildcard is no explicit request


def test_noise_can_be_switched_off() -> None:
    assert PathSelector(skip_noise=False).wants("yarn.lock", 10)


def test_regular_source_files_are_not_noise() -> None:
    selector = PathSelector()
    for path in ["src/builder.py", "Makefile", "docs/index.md", "lib/dist.py", "build.gradle", ".gitignore"]:
        assert selector.wants(path, 10), path


def test_ignore_rules_follow_gitignore() -> None:
    rules = IgnoreRules.parse("# comment\n\n*.log\n/secret.txt\nbuild/\n!important.log\ncache/**\n\\#hash\nfoo\\ \n")
    assert rules.matches("app.log")
    assert rules.matches("deep/dir/app.log")
    assert not rules.matches("important.log")
    assert rules.matches("secret.txt")
    assert not rules.matches("sub/secret.txt")
    assert rules.matches("build/x.o")
    assert rules.matches("sub/build/x.o")
    assert not rules.matches("build")  # a file named build is not a directory
    assert rules.matches("cache/a/b")
    assert rules.matches("#hash")
    assert rules.matches("foo ")
    assert not rules.matches("comment")
    assert not rules.matches("src/main.py")


def test_ignored_directory_cannot_be_re_included() -> None:
    rules = IgnoreRules.parse("logs/\n!logs/keep.txt\n*.tmp\n!keep.tmp\n")
    assert rules.matches("logs/keep.txt")  # git: nothing under an excluded directory comes back
    assert rules.matches("a.tmp")
    assert not rules.matches("keep.tmp")


def test_empty_ignore_file_ignores_nothing() -> None:
    rules = IgnoreRules.parse("# nothing\n\n")
    assert not rules
    assert not rules.matches("anything.txt")
