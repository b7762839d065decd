"""The `contextjson` check run as GitHub receives it: README badge snippets, and each error annotated at its line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from markdown_it import MarkdownIt

from tests.conftest import Service
from tests.links.helpers import CONTEXT, INSTALLATION_ID, Installed, install_repo
from tests.support.payloads import push_payload

BASE = "http://contextjson.test"
# Each error kind on a line of its own, so the expected line numbers read straight off the text.
BROKEN = """{
  "context": {
    "explain": {
      "summary": "Explain this repo",
      "pathPatterns": ["README.md", "src/[[:nope:]]/*.py"],
      "colour": "red"
    },
    "api": {"summary": "Describe the API"},
    "api": {"summary": "Describe the API again"},
    "docs": {
      "prompt": "no summary"
    },
    "Bad Id": {"summary": "x"},
    "fine": {"summary": "Still fine"}
  },
  "bogus": true
}
"""


@pytest.fixture
async def installed(service: Service, fake_github: Any) -> Installed:
    return await install_repo(service, fake_github)


def _run(installed: Installed, sha: str) -> dict[str, Any]:
    [run] = [run for run in installed.fake_github.check_runs if run["head_sha"] == sha]
    return run


def _check_run_bodies(installed: Installed, run_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(method, body) of each check-run create, and of each update of run `run_id`, GitHub received in order."""
    wanted = (("POST", "/check-runs"), ("PATCH", f"/check-runs/{run_id}"))
    requests = installed.fake_github.requests
    return [(r.method, r.json_body) for r in requests if (r.method, r.path[r.path.rfind("/check-runs") :]) in wanted]


def _code_blocks(markdown: str) -> list[tuple[str, str]]:
    """(language, content) of every fenced code block, as GitHub's Markdown would show them."""
    tokens = MarkdownIt("gfm-like").parse(markdown)
    return [(token.info, token.content.rstrip("\n")) for token in tokens if token.type == "fence"]


async def test_the_summary_gives_each_context_its_readme_badge(installed: Installed) -> None:
    sha = await installed.push({"context.json": json.dumps(CONTEXT)}, branch="feature/x")
    run = _run(installed, sha)
    assert run["conclusion"] == "success" and run["annotations"] == []
    summary = run["output"]["summary"]
    tree = f"{BASE}/acme/widgets/tree/feature%2Fx"
    blocks = _code_blocks(summary)
    for context_id, alt in (("api", "Describe the API"), ("explain", "Explain this repo")):
        link, badge = f"{tree}/context/{context_id}", f"{tree}/context/{context_id}/badge.svg"
        assert f"[{link}]({link})" in summary  # the visitor link, in the table
        assert ("markdown", f"[![{alt}]({badge})]({link})") in blocks
        assert ("html", f'<a href="{link}"><img src="{badge}" alt="{alt}"></a>') in blocks
    # The repository's badge, linking to the first context of the file.
    assert ("markdown", f"[![contextjson]({tree}/badge.svg)]({tree}/context/explain)") in blocks
    assert len(blocks) == 2 * 3 + 1

    # Every snippet URL works as pasted: each badge answers with its context, each link with an answer.
    for _, block in blocks:
        image = block.split("](", 1)[1].split(")", 1)[0] if block.startswith("[") else ""
        if image:
            resp = await installed.service.client.get(image.removeprefix(BASE))
            assert resp.status_code == 200 and resp.headers["content-type"].startswith("image/svg+xml")
    click = await installed.service.client.get(f"{tree}/context/api".removeprefix(BASE))
    assert click.status_code == 303


async def test_each_kind_of_error_is_annotated_at_its_line(installed: Installed) -> None:
    sha = await installed.push({"context.json": BROKEN})
    run = _run(installed, sha)
    assert run["conclusion"] == "failure"
    found = {(a["title"], a["start_line"], a["end_line"]) for a in run["annotations"]}
    assert found == {
        ("context.explain.pathPatterns[1]", 5, 5),  # a glob the builder cannot use
        ("context.explain.colour", 6, 6),  # unknown field
        ("context.api", 9, 9),  # duplicate id: the repeat is marked
        ("context.docs.summary", 10, 10),  # missing: its entry is marked
        ('context["Bad Id"]', 13, 13),  # invalid id
        ("bogus", 16, 16),  # unknown top-level field
    }
    for annotation in run["annotations"]:
        assert (annotation["path"], annotation["annotation_level"]) == ("context.json", "failure")
        assert annotation["message"] and "start_column" not in annotation
    messages = {a["title"]: a["message"] for a in run["annotations"]}
    assert messages["context.api"] == "duplicate key" and messages["bogus"] == "unknown property"
    assert "unknown character class" in messages["context.explain.pathPatterns[1]"]
    # The summary still lists them all, and the valid entry keeps its badge.
    assert "`context.explain.colour`: unknown property" in run["output"]["summary"]
    assert "/acme/widgets/tree/main/context/fine/badge.svg" in run["output"]["summary"]


async def test_a_syntax_error_is_annotated_at_its_line_and_column(installed: Installed) -> None:
    sha = await installed.push({"context.json": '{\n  "context": {\n    "a": {"summary": "s",}\n  }\n}\n'})
    [annotation] = _run(installed, sha)["annotations"]
    assert (annotation["start_line"], annotation["end_line"]) == (3, 3)
    assert annotation["start_column"] == annotation["end_column"] == 26
    assert annotation["title"] == "context.json" and "double quotes" in annotation["message"]


async def test_more_than_fifty_errors_go_in_batches_and_a_recheck_adds_none(installed: Installed) -> None:
    fields = ",\n".join(f'      "unknown{n}": {n}' for n in range(120))
    text = '{\n  "context": {\n    "explain": {\n      "summary": "s",\n' + fields + "\n    }\n  }\n}\n"
    sha = await installed.push({"context.json": text})
    run = _run(installed, sha)
    bodies = _check_run_bodies(installed, run["id"])[-3:]
    assert [(method, len(body["output"]["annotations"])) for method, body in bodies] == [
        ("POST", 50),
        ("PATCH", 50),
        ("PATCH", 20),
    ]
    assert all(body["output"]["title"] == "context.json has 120 errors" for _, body in bodies)
    assert [(a["title"], a["start_line"]) for a in run["annotations"]] == [
        (f"context.explain.unknown{n}", 5 + n) for n in range(120)
    ]

    # The same commit checked again (a redelivered push) updates its run without repeating annotations.
    before = len(installed.fake_github.requests)
    payload = push_payload(
        installed.repo, INSTALLATION_ID, branch="main", before="0" * 40, after=sha, modified=["context.json"]
    )
    assert (await installed.service.send_webhook("push", payload)).status_code == 202
    await installed.service.drain_jobs()
    assert len(_run(installed, sha)["annotations"]) == 120
    again = [r for r in installed.fake_github.requests[before:] if "/check-runs" in r.path]
    assert [(r.method, "annotations" in json.dumps(r.json_body)) for r in again] == [("PATCH", False)]
