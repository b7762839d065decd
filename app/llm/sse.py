"""Incremental server-sent events decoding (the subset of the WHATWG rules an event stream of JSON needs)."""

from __future__ import annotations


class SSEDecoder:
    """Feed it lines (without line endings); it returns each event's data when the event is complete."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._has_data = False
        self._first_line = True

    def feed(self, line: str) -> str | None:
        """Consume one line; the joined `data` of the event a blank line completes, else None."""
        if self._first_line:
            self._first_line = False
            line = line.removeprefix("\ufeff")
        if not line:
            return self._dispatch()
        if line.startswith(":"):  # a comment, used as keep-alive
            return None
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value.removeprefix(" "))
            self._has_data = True
        # "event", "id", "retry" and unknown fields carry nothing this client acts on.
        return None

    def flush(self) -> str | None:
        """At end of stream: the data of an event that lacked its closing blank line, if any."""
        # The standard drops such an event, but a proxy that trims the final blank line would then turn a
        # complete answer (often its `[DONE]`) into a failure; an incomplete JSON event is caught by the caller.
        return self._dispatch()

    def _dispatch(self) -> str | None:
        if not self._has_data:
            return None
        data = "\n".join(self._data)
        self._data.clear()
        self._has_data = False
        return data
