"""Why a repo context cannot be built from its input; retrying the same input gives the same failure."""

from __future__ import annotations


class ContextBuildFailed(Exception):
    """The context cannot be built from this entry and snapshot; the message is written for the repo owner."""

    code = "context"


class UnusablePatterns(ContextBuildFailed):
    """An entry's patterns break the current rules (e.g. stored before a cap existed)."""

    code = "context_patterns"


class ContextBuildTimeout(ContextBuildFailed):
    """Building took longer than its time budget (a huge repository, or patterns that are costly to match)."""

    code = "context_timeout"

    def __init__(self, seconds: float):
        super().__init__(f"building the context took longer than {seconds:g} s")
        self.seconds = seconds
