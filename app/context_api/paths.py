"""Reading `…/tree/{branch}/context/{id}/{suffix}` from the raw path, as app.links.paths reads visitor links.

Branches contain slashes, so the router cannot tell where a branch ends; the suffix (`chat/completions`,
`v1/chat/completions`, `mcp`, ...) is matched at the end, `context/{id}` before it, and the branch is the rest.
Each part is decoded exactly once (`feature%2Fx` and `feature/x` are the same branch).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.links.paths import decode_part, tree_parts


@dataclass(frozen=True, slots=True)
class ContextPath:
    branch: str
    context_id: str
    suffix: str  # one of the suffixes asked for, e.g. "v1/chat/completions"


def split_context_path(raw_path: bytes | None, decoded_rest: str, suffixes: Iterable[str]) -> ContextPath | None:
    """The branch, context id and suffix of a tree path, the longest suffix first; None when none fits.

    Raises InvalidBranchName when the branch is not UTF-8 once decoded.
    """
    parts = tree_parts(raw_path, decoded_rest)
    for suffix in sorted(suffixes, key=lambda s: s.count("/"), reverse=True):
        tail = suffix.split("/")
        cut = len(parts) - len(tail)
        if cut < 3 or parts[cut:] != tail or parts[cut - 2] != "context":
            continue
        branch, context_id = "/".join(parts[: cut - 2]), parts[cut - 1]
        if not branch or not context_id:
            continue
        if raw_path:
            branch, context_id = decode_part(branch), decode_part(context_id)
        return ContextPath(branch, context_id, suffix)
    return None
