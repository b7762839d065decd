"""The result page a visitor lands on: the question, where it comes from, the answer, and a way to share it."""

from __future__ import annotations

from dataclasses import dataclass

from app.context_api.snippets import ApiSnippets, context_snippets
from app.db.models import Repository, Result, ResultStatus
from app.pages import render, safe
from app.results.failures import public_error
from app.results.older import OlderReason, older_answer_url, older_reason_for_failure
from app.results.question import Question, question_of
from app.results.render import render_plain
from app.results.views import asked_context, meta_html
from app.settings import Settings
from github_app.web import repo_url, tree_url, web_url

SHORT_SHA = 7
_OPEN_PROMPT_CHARS = 600  # a longer prompt starts folded, so the answer is not pushed far down


@dataclass(frozen=True)
class Site:
    """Where a page links: this service (absolute, for link previews) and GitHub's web host."""

    public_base: str
    github_web: str

    @classmethod
    def of(cls, settings: Settings) -> Site:
        return cls(settings.public_base, web_url(settings.github_api_url))


@dataclass(frozen=True)
class Where:
    """The repository, branch and commit an answer is about, linked on GitHub."""

    repo: str
    repo_url: str
    branch: str | None
    commit: str | None
    short_commit: str | None
    commit_url: str | None


@dataclass(frozen=True)
class Preview:
    """OpenGraph / Twitter card values, so a shared link previews with its title and summary."""

    title: str
    description: str
    url: str


def _where(result: Result, repo: Repository | None, site: Site) -> Where | None:
    if repo is None:
        return None
    commit = result.commit_sha
    return Where(
        repo=repo.full_name,
        repo_url=repo_url(site.github_web, repo.full_name),
        branch=result.branch,
        commit=commit,
        short_commit=commit[:SHORT_SHA] if commit else None,
        commit_url=tree_url(site.github_web, repo.full_name, commit) if commit else None,
    )


def _preview(result: Result, repo: Repository | None, question: Question | None, site: Site) -> Preview:
    asked = asked_context(result)  # an API call asked of a context's base URL
    about = repo.full_name if repo else f"{asked['owner']}/{asked['repo']}" if asked else "a repository"
    if question is None:
        title = f"{about} · {result.context_id or (asked or {}).get('context_id') or 'answer'}"
        description = f"An answer about {about}, from contextjson."
    else:
        title, description = f"{question.summary} · {about}", question.summary
    return Preview(title=title, description=description, url=f"{site.public_base}/r/{result.id}")


def _api_snippets(result: Result, repo: Repository | None, site: Site) -> ApiSnippets | None:
    """How to ask this answer's context from code: a link's context (its branch, in the default branch's short
    form when it is the default), or the context a stored API call was asked of."""
    if repo is not None and result.context_id and result.model:
        branch = None if result.branch in (None, repo.default_branch) else result.branch
        return context_snippets(site.public_base, repo.owner, repo.name, branch, result.context_id, result.model)
    asked = asked_context(result)
    if asked and result.model:
        return context_snippets(
            site.public_base, asked["owner"], asked["repo"], asked.get("branch"), asked["context_id"], result.model
        )
    return None


def result_page(
    result: Result,
    repo: Repository | None,
    *,
    site: Site,
    nonce: str,
    older: str | None,
    fallback_id: str | None,
    answer_html: str | None,
) -> str:
    """The HTML result page; streams with app/static/result.js, and shows the text so far without it."""
    # Stored when the answer finished (app.results.render); never rendered here, on the event loop.
    answer = answer_html if answer_html is not None else result.html or render_plain(result.text)
    older_reason = OlderReason.parse(older)
    # A failed answer links the last good one, whose notice says why the newer one is missing.
    fallback_url = older_answer_url(fallback_id, older_reason_for_failure(result.error_code)) if fallback_id else None
    question = question_of(result, repo, site.github_web)
    preview = _preview(result, repo, question, site)
    return render(
        "result.html",
        title=preview.title,
        heading=question.summary if question else preview.title,
        preview=preview,
        question=question,
        open_prompt=question is not None and len(question.prompt) <= _OPEN_PROMPT_CHARS,
        where=_where(result, repo, site),
        csp_nonce=nonce,
        result=result,
        meta_html=safe(meta_html(result, repo)),
        older_reason=older_reason.notice if older_reason else None,
        failure=public_error(result.error_code, result.error) if result.status == ResultStatus.FAILED else None,
        fallback_url=fallback_url,
        answer_html=safe(answer) if result.status == ResultStatus.DONE else None,
        waiting=not result.status.finished,
        api=_api_snippets(result, repo, site),
    )
