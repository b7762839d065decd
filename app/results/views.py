"""What a result looks like to people and programs: its JSON shape and its HTML page."""

from __future__ import annotations

import json
from decimal import Decimal
from html import escape
from typing import Any

from app.db.models import MICROS_PER_USD, Repository, Result
from app.pages import html_page
from app.results.failures import public_error
from app.results.render import render_plain

OLDER_REASONS = {
    "budget_exhausted": "The owner's budget for new answers is used up, so this is the last answer made earlier.",
    "rate_limited": "You have started many new answers recently, so this is the last answer made earlier.",
    "repo_rate_limited": "This repository started many new answers this hour, so this is the last one made earlier.",
}


def result_json(result: Result, repo: Repository | None) -> dict[str, Any]:
    """The public JSON of a result (`/r/{id}.json`)."""
    usage = None
    if result.prompt_tokens is not None or result.completion_tokens is not None:
        usage = {"prompt_tokens": result.prompt_tokens or 0, "completion_tokens": result.completion_tokens or 0}
    return {
        "id": result.id,
        "status": result.status,
        "repo": repo.full_name if repo else None,
        "branch": result.branch,
        "commit": result.commit_sha,
        "context_id": result.context_id,
        "model": result.model,
        "text": result.text,
        "usage": usage,
        "cost_usd": float(Decimal(result.cost_micros) / MICROS_PER_USD),
        "paid_by": result.paid_by,
        "cached_from": result.cached_from,
        "error": public_error(result.error_code, result.error) if result.status == "failed" else None,
        "error_code": result.error_code,
        "created_at": result.created_at.isoformat() if result.created_at else None,
        "finished_at": result.finished_at.isoformat() if result.finished_at else None,
    }


def meta_html(result: Result, repo: Repository | None) -> str:
    """The line under the title: where the answer comes from, what it cost and who paid."""
    name = escape(repo.full_name) if repo else "—"
    where = f"{name} · {escape(result.branch or '')}@{escape((result.commit_sha or '')[:7])}"
    parts = [where, f"context <code>{escape(result.context_id or '')}</code>", f"model {escape(result.model)}"]
    if result.status == "done":
        tokens = (result.prompt_tokens or 0) + (result.completion_tokens or 0)
        cost = Decimal(result.cost_micros) / MICROS_PER_USD
        payer = escape(result.paid_by or (repo.owner if repo else "the owner"))
        parts.append(f"{tokens:,} tokens · ${cost:.4f} paid by {payer}")
        if result.cached_from:
            parts.append("reused an identical earlier answer")
        if result.finished_at:
            parts.append(f"<time>{escape(result.finished_at.strftime('%Y-%m-%d %H:%M UTC'))}</time>")
    return '<header class="meta">' + " · ".join(parts) + "</header>"


def _body(result: Result, older: str | None, fallback_id: str | None, answer_html: str | None) -> str:
    notices = ""
    if older in OLDER_REASONS:
        notices += f'<div class="notice older">Older answer. {escape(OLDER_REASONS[older])}</div>'
    if result.status == "failed":
        reason = escape(public_error(result.error_code, result.error))
        notices += f'<div class="notice error" role="alert"><strong>No answer.</strong> {reason}'
        if fallback_id:
            notices += f' <a href="/r/{escape(fallback_id)}?older=budget_exhausted">Read the last answer</a>.'
        notices += "</div>"
        return notices
    if result.status == "done":
        # Stored when the answer finished; never rendered here, on the event loop.
        html = answer_html if answer_html is not None else result.html or render_plain(result.text)
        return notices + f'<article id="answer">{html}</article>'
    waiting = "Working on it…" if not result.text else ""
    return (
        notices
        + f'<article id="answer"><pre id="live">{escape(result.text)}</pre><p id="state">{waiting}</p></article>'
        + "<noscript><p>This answer is still being written. Refresh the page to see more.</p></noscript>"
    )


_SCRIPT = """<script>
(function(){
  var id = %s, live = document.getElementById('live'), answer = document.getElementById('answer');
  var state = document.getElementById('state'), text = '';
  if (live) {
    var source = new EventSource('/r/' + id + '/stream');
    source.addEventListener('delta', function(e){ text += JSON.parse(e.data); live.textContent = text;
      if (state) state.textContent = ''; });
    source.addEventListener('reset', function(){ text = ''; live.textContent = ''; });
    source.addEventListener('done', function(e){ var d = JSON.parse(e.data); answer.innerHTML = d.html;
      var meta = document.querySelector('header.meta'); if (meta && d.meta) meta.outerHTML = d.meta; source.close(); });
    source.addEventListener('error', function(e){ if (!e.data) return; source.close();
      answer.innerHTML = ''; var box = document.createElement('div'); box.className = 'notice error';
      box.textContent = 'No answer. ' + JSON.parse(e.data).message; answer.appendChild(box); });
  }
  var copy = document.getElementById('copy');
  if (copy) copy.addEventListener('click', function(){
    fetch('/r/' + id + '.md').then(function(r){ return r.text(); })
      .then(function(md){ return navigator.clipboard.writeText(md); })
      .then(function(){ copy.textContent = 'Copied'; });
  });
})();
</script>"""


def result_page(
    result: Result, repo: Repository | None, *, older: str | None, fallback_id: str | None, answer_html: str | None
) -> str:
    """The HTML result page; streams with JavaScript, and shows the text so far without it."""
    title = f"{repo.full_name if repo else 'contextjson'} · {result.context_id or 'answer'}"
    head_extra = ""
    if result.status in ("pending", "streaming"):
        head_extra = '<noscript><meta http-equiv="refresh" content="3"></noscript>'
    tools = f'<p><button id="copy" type="button">Copy as Markdown</button> <a href="/r/{escape(result.id)}.md">.md</a>'
    tools += f' · <a href="/r/{escape(result.id)}.json">.json</a> · <a href="/r/{escape(result.id)}.txt">.txt</a></p>'
    body = (
        f"<h1>{escape(title)}</h1>{meta_html(result, repo)}{_body(result, older, fallback_id, answer_html)}{tools}"
        + _SCRIPT % json.dumps(result.id)
    )
    return html_page(title, body, head_extra=head_extra)
