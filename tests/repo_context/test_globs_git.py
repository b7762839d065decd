"""IgnoreRules against git itself: the same files in a real work tree, `git ls-files --ignored` decides."""

from __future__ import annotations

import itertools
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from app.repo_context.globs import IgnoreRules

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PATHS = [
    "a.log", "deep/dir/app.log", "important.log", "secret.txt", "sub/secret.txt", "build/x.o", "sub/build/x.o",
    "cache/a/b", "#hash", "foo ", "comment", "src/main.py", "logs/keep.txt", "logs/other.txt", "a/logs/keep.txt",
    "keep.tmp", "x.tmp", "{a,b}.txt", "a.txt", "file[.md", "5x", "ax", "a/b/c/d.txt", "a/d.txt", "a/x/y/d.txt",
    "x/a/d.txt", "docs/README.md", "README.md", "t est.txt", "q?.txt", "star*.txt", "br]x", "b-x",
    "docs/deep/file.md", "Docs/x.md", "x.TMP", "n1/n2/n3.py", "dir.d/inner",
]  # fmt: skip
# ASCII only: git matches bytes (`?` never matches `é`, two bytes in UTF-8), these globs characters.

# Each of these differs from git in at least one naive reading (pathspec 1.1.1's GitIgnoreSpec gets the
# `logs/` + `!logs/keep.txt` and `*/a` + `!/b` kinds wrong).
RULE_SETS = [
    "*.log\n/secret.txt\nbuild/\n!important.log\ncache/**\n\\#hash\nfoo\\ \n",
    "logs/\n!logs/keep.txt\n*.tmp\n!keep.tmp\n",  # nothing under an ignored directory comes back
    "logs/*\n!logs/keep.txt\n",  # ... but the directory itself is not ignored here
    "{a,b}.txt\nfile[.md\n[[:digit:]]x\n",  # braces are literal, an unclosed [ drops the line
    "a/**/d.txt\n",
    "**/d.txt\n!a/d.txt\n",
    "docs\n!docs/README.md\n",
    "*\n!*/\n!*.md\n",  # the allow-list idiom
    "*/\n",
    "**/\n",
    "t est.txt\nq\\?.txt\nstar\\*.txt\n",
    "br[]]x\nb[-]x\n",
    "[!a-c]*.txt\n",
    "n1/\n!n1/n2/\n",
    "*.d/\n!dir.d/inner\n",
    "  x.tmp\nx.tmp  \n",
    "[z-a]x\n[a-z]*.md\n",
    "*.TMP\n",
    "doc*/\n!docs/deep/\n",
    "*/a\n!/b\n",
]


def work_tree(root: Path, paths: list[str]) -> Path:
    """A fresh git repository at `root` holding empty files at `paths`."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    return root


def git_ignored(root: Path, paths: list[str], rules: str) -> set[str]:
    """Which of `paths` git ignores in the work tree at `root` with these rules as its `.gitignore`."""
    (root / ".gitignore").write_text(rules, encoding="utf-8")
    listed = subprocess.run(
        ["git", "-c", "core.quotePath=false", "ls-files", "-z", "--others", "--ignored", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return set(filter(None, listed.split("\0"))) & set(paths)  # not .gitignore itself


@pytest.mark.parametrize("rules", RULE_SETS)
def test_ignore_rules_agree_with_git(tmp_path: Path, rules: str) -> None:
    ignored = git_ignored(work_tree(tmp_path, PATHS), PATHS, rules)
    parsed = IgnoreRules.parse(rules)
    assert {p for p in PATHS if parsed.matches(p)} == ignored


NAMES = ["a", "b", "c.md", "d.txt"]
# Files at depths 1 to 3 over NAMES: a and b are directories down to depth 2, c.md and d.txt files.
TREE = sorted(
    "/".join(parts)
    for depth in (1, 2, 3)
    for parts in itertools.product(NAMES, repeat=depth)
    if all(part in "ab" for part in parts[:-1]) and (depth == 3 or parts[-1] not in "ab")
)


SEGMENTS = ["a", "b", "*", "**", "*.md", "c.md", "?", "[ab]", "[!a]"]


def random_rule(rng: random.Random) -> str:
    """A rule from the parts of gitignore syntax that interact: anchors, `**`, `*`, `?`, `/`, `!`."""
    rule = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.2:
        rule = "/" + rule
    if rng.random() < 0.3:
        rule += "/"
    return "!" + rule if rng.random() < 0.35 else rule


@pytest.mark.parametrize("seed", range(8))
def test_random_rule_sets_agree_with_git(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    root = work_tree(tmp_path, TREE)
    for _ in range(25):
        rules = "\n".join(random_rule(rng) for _ in range(rng.randint(1, 4))) + "\n"
        ignored = git_ignored(root, TREE, rules)
        parsed = IgnoreRules.parse(rules)
        assert {p for p in TREE if parsed.matches(p)} == ignored, rules
