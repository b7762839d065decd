"""Fast token estimate for source text, without a tokenizer.

A linear model on byte-level counts that C code computes quickly (length, symbol count via
`bytes.translate`, newlines, four-space indents, multi-byte UTF-8 excess):

    tokens ≈ 0.144·bytes + 0.426·symbols + 1.81·newlines − 0.655·indents + 0.146·utf8_excess

Symbols (digits and punctuation) split BPE words and newlines start new tokens, while indentation
runs collapse into single tokens. The coefficients were fitted on Django 5.2.8's text files against
`o200k_base` (the tokenizer of the gpt-4o/4.1 family), where they hit the whole tree within 1% and
90% of files within -15%/+17% (`bytes/4` alone: -28%/+28%). The result is then scaled by `SAFETY`,
since an under-estimate makes a request overflow the window while an over-estimate only leaves a
little of it unused. Scaled, on Django's non-noise files: whole tree +11% (o200k) / +9% (cl100k);
files median +10%, 5th percentile -4%; 99% of consecutive ~50k-token spans at or above the real count.
"""

from __future__ import annotations

import math
import string

SAFETY = 1.10

# Everything but ASCII punctuation and digits: deleting these leaves the symbols to count.
_NOT_SYMBOL = (string.ascii_letters + string.whitespace).encode() + bytes(range(128, 256))

_PER_BYTE = 0.144
_PER_SYMBOL = 0.426
_PER_NEWLINE = 1.81
_PER_INDENT = -0.655
_PER_UTF8_EXCESS = 0.146


def estimate_tokens(data: bytes, n_chars: int | None = None) -> int:
    """Estimated token count of UTF-8 `data`; `n_chars` is its length once decoded, if known."""
    size = len(data)
    if size == 0:
        return 0
    symbols = len(data.translate(None, _NOT_SYMBOL))
    excess = size - n_chars if n_chars is not None else 0
    estimate = (
        _PER_BYTE * size
        + _PER_SYMBOL * symbols
        + _PER_NEWLINE * data.count(b"\n")
        + _PER_INDENT * data.count(b"    ")
        + _PER_UTF8_EXCESS * excess
    )
    return max(1, math.ceil(estimate * SAFETY))


def estimate_text_tokens(text: str) -> int:
    """Estimated token count of a string."""
    return estimate_tokens(text.encode("utf-8", "surrogatepass"), len(text))
