"""The token estimate: cheap, monotone in content, and in the range real tokenizers give."""

from __future__ import annotations

from app.repo_context.tokens import estimate_text_tokens, estimate_tokens

PYTHON = '''def handler(request):
    """Return the user's profile."""
    user = request.user
    if not user.is_authenticated:
        return redirect("/login?next=%s" % request.path)
    return render(request, "profile.html", {"user": user, "count": 42})
'''


def test_empty_and_tiny_inputs() -> None:
    assert estimate_tokens(b"") == 0
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens("a") == 1


def test_text_and_bytes_forms_agree() -> None:
    text = PYTHON + "ünïcödé ✓ 🐍\n"
    assert estimate_text_tokens(text) == estimate_tokens(text.encode(), len(text))


def test_source_code_lands_near_four_bytes_a_token() -> None:
    # o200k_base counts 58 tokens for PYTHON; the estimate is biased a little high on purpose.
    estimate = estimate_text_tokens(PYTHON)
    assert 58 <= estimate <= 75
    assert estimate_text_tokens(PYTHON * 100) >= 100 * 58


def test_indentation_is_cheaper_than_symbols() -> None:
    indented = ("                " + "x\n") * 100
    dense = ("{[(<>)]};:,.!?" + "xxx\n") * 100  # o200k_base: 300 tokens indented, 1000 dense
    assert len(indented) == len(dense)
    assert estimate_text_tokens(indented) < estimate_text_tokens(dense) / 2


def test_grows_with_content() -> None:
    assert estimate_text_tokens(PYTHON) < estimate_text_tokens(PYTHON + "x = 1\n")
