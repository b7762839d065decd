"""Parsing LLM answers into files: examples and properties."""

from hypothesis import given, settings
from hypothesis import strategies as st

from app.deploys.answer_files import parse_answer, render_files


def test_path_attribute_and_fence_line_path() -> None:
    text = 'Intro\n```js path="src/index.js"\nexport default {}\n```\n~~~~toml wrangler.toml\nname = "w"\n~~~~\n'
    parsed = parse_answer(text)
    assert [(f.path, f.content) for f in parsed.files] == [
        ("src/index.js", "export default {}\n"),
        ("wrangler.toml", 'name = "w"\n'),
    ]
    assert parsed.rejected == []


def test_longer_fence_nests_shorter_one() -> None:
    text = "````md file=README.md\n```js\nx\n```\n````\n"
    assert parse_answer(text).files[0].content == "```js\nx\n```\n"


def test_plain_code_blocks_are_not_files() -> None:
    assert parse_answer("```python\nprint(1)\n```\n").files == []


def test_unsafe_and_duplicate_paths_are_rejected_with_reasons() -> None:
    bad = ["/etc/passwd", "../x", "a\\b", "C:x", "a/../b"]
    text = "".join(f'```txt path="{p}"\nx\n```\n' for p in bad) + '```txt path="ok.txt"\n1\n```\n' * 2
    parsed = parse_answer(text)
    assert [f.path for f in parsed.files] == ["ok.txt"]
    assert [r.path for r in parsed.rejected] == [*bad, "ok.txt"]
    assert parsed.rejected[-1].reason == "duplicate path"


@settings(max_examples=200, derandomize=True)
@given(st.text())
def test_never_crashes_and_every_rejection_has_a_reason(text: str) -> None:
    parsed = parse_answer(text)
    assert all(r.reason for r in parsed.rejected)
    for f in parsed.files:
        assert not f.path.startswith("/") and ".." not in f.path.split("/") and "\\" not in f.path


segment = st.text(alphabet="abcxyz019_-.", min_size=1, max_size=8).filter(lambda s: s not in {".", ".."})
paths = st.lists(segment, min_size=1, max_size=3).map("/".join)
contents = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
)


@settings(max_examples=200, derandomize=True)
@given(st.dictionaries(paths, contents, max_size=4))
def test_round_trip(files: dict[str, str]) -> None:
    parsed = parse_answer(render_files(list(files.items())))
    expected = {p: (c if c.endswith("\n") or not c else c + "\n") for p, c in files.items()}
    assert {f.path: f.content for f in parsed.files} == expected


def test_other_path_forms_and_normalisation() -> None:
    text = "```src/a.js\n1\n```\n```js title='b.js'\n2\n```\n```txt filename=./c//d.txt\n3\n```\n"
    assert [f.path for f in parse_answer(text).files] == ["src/a.js", "b.js", "c/d.txt"]


def test_control_characters_and_long_paths_are_rejected() -> None:
    text = '```txt path="a\tb"\nx\n```\n' + f'```txt path="{"a" * 256}"\nx\n```\n'
    parsed = parse_answer(text)
    assert parsed.files == []
    assert all(r.reason for r in parsed.rejected) and len(parsed.rejected) == 2
