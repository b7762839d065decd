"""Branch-name validation agrees with git itself (`git check-ref-format`)."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.links.paths import split_tree_link
from app.links.refname import InvalidBranchName, check_branch_name, is_valid_branch_name

# Rules `--branch` adds to those of a full ref name, which we also apply.
_STRICTER_THAN_REFS = ("-", "HEAD", "@")


def git_accepts(name: str) -> bool:
    """What git says of `refs/heads/<name>`, plus the `--branch` rules (no leading '-', not HEAD)."""
    if name.startswith("-") or name in ("HEAD", "@") or "\x00" in name:
        return False
    done = subprocess.run(["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True)
    return done.returncode == 0


@pytest.mark.parametrize(
    "name",
    ["main", "feature/x", "release-1.2", "fix#12", "a@b", "ümlaut", "x%2Fy", "a.b", "v1.0/rc", "a-", "_"],
)
def test_names_git_accepts(name: str) -> None:
    assert git_accepts(name) and check_branch_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "a..b", ".a", "a/.b", "a.", "a.lock", "a/b.lock/c", "/a", "a/", "a//b", "a b", "a~b", "a^b", "a:b",
     "a?b", "a*b", "a[b", "a\\b", "a@{b", "@", "-a", "HEAD", "a\x00b", "a\x1fb", "a\x7fb"],
)  # fmt: skip
def test_names_git_refuses(name: str) -> None:
    assert not git_accepts(name)
    with pytest.raises(InvalidBranchName):
        check_branch_name(name)


_ALPHABET = st.sampled_from(list("ab/.-_@{}~^:?*[]\\ #%\x00\x01\x7fé") + ["lock", "HEAD"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, min_size=1, max_size=8).map("".join))
def test_agrees_with_git_on_random_names(name: str) -> None:
    assert is_valid_branch_name(name) == git_accepts(name), repr(name)


def test_tree_links_are_decoded_once_from_the_raw_path() -> None:
    link = split_tree_link(b"/o/r/tree/feature%2Fx/context/explain", "ignored")
    assert link is not None and (link.branch, link.context_id, link.badge) == ("feature/x", "explain", False)
    link = split_tree_link(b"/o/r/tree/a%252Fb/context/explain/badge.svg?x=1", "ignored")
    assert link is not None and (link.branch, link.badge) == ("a%2Fb", True)
    link = split_tree_link(b"/o/r/tree/a%2F%2Fb/context/x", "a/b/context/x")
    assert link is not None and link.branch == "a//b"  # not collapsed: refused later as invalid
    assert split_tree_link(b"/o/r/tree/main/explain", "main/explain") is None
    with pytest.raises(InvalidBranchName):
        split_tree_link(b"/o/r/tree/%FF/context/x", "")
