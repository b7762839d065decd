"""Which response bodies count as text, and how their bytes become a string."""

from __future__ import annotations

import codecs
from email.message import Message

from app.fetch.policy import FetchRefused

_TEXT_TYPES = frozenset({"application/json", "application/xml"})


def parse_content_type(header: str | None) -> tuple[str, str | None]:
    """The lower-case media type ("" when absent) and the charset parameter, if any."""
    if not header:
        return "", None
    # email.message does the RFC 2045 parameter parsing (quoting, case) that a split(";") gets wrong.
    message = Message()
    message["content-type"] = header
    charset = message.get_param("charset")
    media_type = header.split(";", 1)[0].strip().lower()
    if not isinstance(charset, str):  # get_param gives a tuple for RFC 2231 encoded values
        return media_type, None
    return media_type, charset.strip() or None


def is_text_type(media_type: str) -> bool:
    """text/*, JSON and XML (including the +json and +xml structured-syntax suffixes)."""
    return media_type.startswith("text/") or media_type in _TEXT_TYPES or media_type.endswith(("+json", "+xml"))


def check_text(media_type: str, first_bytes: bytes) -> None:
    """Refuse a body that is not text: by its declared type, or by NUL bytes when it has none."""
    if media_type and not is_text_type(media_type):
        raise FetchRefused(f"content type {media_type} is not text")
    if not media_type and b"\x00" in first_bytes:
        raise FetchRefused("content without a type looks binary (NUL bytes)")


def decode_text(body: bytes, charset: str | None, *, truncated: bool) -> str:
    """Decode with the declared charset (utf-8 when absent or unknown), replacing bad bytes."""
    try:
        decoder = codecs.getincrementaldecoder(charset or "utf-8")(errors="replace")
    except LookupError:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    # When the body was cut at max_bytes, a multi-byte character may be split; final=False drops that
    # partial tail instead of turning it into a replacement character.
    return str(decoder.decode(body, final=not truncated))
