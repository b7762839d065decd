"""Reading `…/tree/{branch}/context/{id}[/badge.svg]` and `…/tree/{branch}/badge.svg` from the request's raw
path, decoding it exactly once.

The router works on a decoded, normalised path: `a%2F%2Fb` arrives as `a//b` and is collapsed to `a/b`,
and `%2E%2E` segments may be folded away, so a branch taken from it is not the branch in the link. The
raw path (ASGI `raw_path`, as sent) is split on its real slashes first and each part is decoded once:
`feature%2Fx` and `feature/x` both name the branch `feature/x`, `feature%252Fx` names `feature%2Fx`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from app.links.refname import InvalidBranchName

_PREFIX_PARTS = 4  # "", owner, repo, "tree"


@dataclass(frozen=True, slots=True)
class TreeLink:
    branch: str
    context_id: str | None  # None: the repository's badge (`…/tree/{branch}/badge.svg`)
    badge: bool


def split_tree_link(raw_path: bytes | None, decoded_rest: str) -> TreeLink | None:
    """The branch, context id and badge flag of a tree link or badge; None when it is not shaped like one.

    Raises InvalidBranchName when the branch is not UTF-8 once decoded.
    """
    parts = tree_parts(raw_path, decoded_rest)
    badge = len(parts) > 0 and parts[-1] == "badge.svg"
    if badge:
        parts = parts[:-1]
    context_id: str | None = None
    if len(parts) >= 3 and parts[-2] == "context":
        parts, context_id = parts[:-2], parts[-1]
    elif not badge:
        return None
    branch = "/".join(parts)
    if not branch:
        return None
    if raw_path:
        branch = decode_part(branch)
        context_id = decode_part(context_id) if context_id is not None else None
    return TreeLink(branch, context_id, badge)


def tree_parts(raw_path: bytes | None, decoded_rest: str) -> list[str]:
    """The segments after `/{owner}/{repo}/tree/`, still encoded when the raw path is known (decode_part them)."""
    if raw_path:
        path = raw_path.split(b"?", 1)[0].decode("latin-1")  # some servers include the query
        return path.split("/")[_PREFIX_PARTS:]
    return decoded_rest.strip("/").split("/")  # a server without raw_path: the router's (decoded) view


def decode_part(text: str) -> str:
    """One part of a raw path, decoded exactly once; InvalidBranchName when it is not UTF-8."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise InvalidBranchName("is not valid UTF-8") from None
