"""A context base URL resolved: the repository, branch, commit and context.json entry it names, and the system
message that puts that context in front of a caller's messages.

Resolution is the visitor link's (app.links.resolve), without creating a result: an API call is billed to the
caller's key, not the repository's owner. A private repository is served only to keys of the account that
installed the App on it; any other key gets exactly the answer of a repository that does not exist.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace

import httpx
from githubkit.exception import GitHubException
from litestar import Request

from app.accounts.visibility import installation_of
from app.clients import pick
from app.completions.accounting import Payer
from app.context_api import errors
from app.context_api.clients import ContextClients, context_clients
from app.context_api.message_cache import BuiltMessages, ContextMessageCache, MessageKey
from app.context_files.checks import CheckClients
from app.context_files.validation import ContextEntry
from app.db.models import Repository
from app.links import errors as link_errors
from app.links.names import check_names
from app.links.resolve import Target, active_repository, resolve_target
from app.links.resolver import LinkResolver
from app.repo_context import ArchiveTooLarge
from app.repo_context.errors import ContextBuildFailed
from app.repo_context.tokens import estimate_text_tokens
from app.results.prompting import MESSAGE_OVERHEAD_TOKENS, build_entry_context, entry_prompt, repo_intro
from app.results.snapshots import SnapshotCacheFull, repository_snapshot

log = logging.getLogger("contextjson.context_api")

# Room left in the model's window for the caller's own messages (the context is cut to fit around it).
CALLER_ROOM_TOKENS = 16_384
INSTRUCTIONS_HEADING = "\n\n--- The repository owner's instructions for this context ---\n"


@dataclass(frozen=True)
class ContextTarget:
    owner: str
    repo: str
    branch: str
    head: str
    context_id: str
    model: str  # the entry's model, or the catalog default (or the model asked, see resolve_context_target)
    messages: list[dict[str, str]]  # the system message(s) to put before the caller's messages
    context_text: str  # the repo context text alone (for an MCP resource)
    private: bool

    @property
    def address(self) -> dict[str, str]:
        """Which context was asked, as a stored call keeps it."""
        return {
            "owner": self.owner,
            "repo": self.repo,
            "branch": self.branch,
            "commit": self.head,
            "context_id": self.context_id,
        }


async def resolve_context_target(
    request: Request,
    payer: Payer,
    owner: str,
    repo: str,
    branch: str | None,
    context_id: str,
    *,
    model: str | None = None,
) -> ContextTarget:
    """The context a base URL names, for this payer; raises AppErrors in OpenAI's error shape.

    `branch` None is the default branch. Unknown names, and private repositories of other accounts, are 404.
    `model`: the caller's model, when it names one the service offers; the context is cut to fit its window
    (and `ContextTarget.model` is that model). Otherwise the entry's model.
    """
    clients = context_clients(request)
    target = await find_context(request, payer, owner, repo, branch, context_id)
    if model is not None and model in clients.catalog:
        target = replace(target, model=model)
    built = await _built_messages(request, clients, target, context_id)
    return ContextTarget(
        owner=target.repo.owner,
        repo=target.repo.name,
        branch=target.branch,
        head=target.head,
        context_id=context_id,
        model=target.model,
        messages=built.messages,
        context_text=built.context_text,
        private=target.repo.private,
    )


async def find_context(
    request: Request, payer: Payer | None, owner: str, repo: str, branch: str | None, context_id: str
) -> Target:
    """The repository, branch, head and entry a base URL names (nothing is built); payer None sees public ones only."""
    clients = context_clients(request)
    resolver: LinkResolver = request.app.state.link_resolver
    try:
        check_names(owner, repo, branch, context_id)
        found = await served_repository(clients, payer, owner, repo)
        return await resolve_target(pick(CheckClients, vars(clients)), resolver.lookups, found, branch, context_id)
    except link_errors.LinkError as exc:
        raise errors.from_link_error(exc) from None


async def served_repository(clients: ContextClients, payer: Payer | None, owner: str, name: str) -> Repository:
    """The repository for this payer, following one rename; a private one only for its installation's account."""
    unknown = link_errors.RepoNotFound(link_errors.unknown_repository_detail(owner, name))
    async with clients.sessions() as session:
        try:
            repo = await active_repository(session, owner, name)
        except link_errors.RepositoryMoved as moved:
            try:
                repo = await active_repository(session, moved.owner, moved.name)
            except link_errors.RepositoryMoved:  # renamed again meanwhile: the next call finds it
                raise unknown from None
        if repo.private:
            installation = await installation_of(session, repo)
            if payer is None or installation is None or installation.account_id != payer.account_id:
                raise unknown  # the same answer as a repository that does not exist, whatever its new name
    return repo


def _message_cache(request: Request, clients: ContextClients) -> ContextMessageCache:
    state = request.app.state
    cache: ContextMessageCache | None = getattr(state, "context_messages", None)
    if cache is None:
        cache = state.context_messages = ContextMessageCache(clients.settings.context_message_cache_chars)
    return cache


def message_key(target: Target, context_id: str) -> MessageKey:
    entry_json = json.dumps(target.entry, sort_keys=True, separators=(",", ":"))
    repo = target.repo
    return (repo.id, target.head, context_id, entry_json, target.model, repo.full_name, target.branch)


async def _built_messages(request: Request, clients: ContextClients, target: Target, context_id: str) -> BuiltMessages:
    cache = _message_cache(request, clients)
    try:
        return await cache.get(message_key(target, context_id), lambda: build_messages(clients, target))
    except ContextBuildFailed as exc:
        raise errors.ContextBuildRefused(f"The context {context_id} cannot be built: {exc}") from None
    except ArchiveTooLarge as exc:
        if isinstance(exc, SnapshotCacheFull):
            raise errors.SnapshotsBusy("Too many repository snapshots are downloading; try again shortly.") from None
        raise errors.ContextBuildRefused(f"The repository is too large to read: {exc}") from None
    except (GitHubException, httpx.HTTPError) as exc:
        log.warning("context_api.snapshot_failed repo=%s error=%r", target.repo.full_name, exc)
        raise errors.GitHubUnavailable(f"Could not download {target.repo.full_name} from GitHub.") from None


async def build_messages(clients: ContextClients, target: Target) -> BuiltMessages:
    """The system message a generation of this entry would send: repo intro, repo context, the entry's prompt."""
    repo = target.repo
    entry = ContextEntry.from_dict(target.entry)
    price = clients.catalog.get(target.model)
    archive = await repository_snapshot(clients.github, clients.settings, repo, target.head)
    intro = repo_intro(repo.owner, repo.name, target.branch)
    prompt = await entry_prompt(
        entry, owner=repo.owner, repo=repo.name, branch=target.branch, fetch_policy=clients.fetch_policy
    )
    outside = estimate_text_tokens(intro + INSTRUCTIONS_HEADING + prompt) + MESSAGE_OVERHEAD_TOKENS
    caller = min(CALLER_ROOM_TOKENS, price.context_window // 8)
    room = price.context_window - min(price.max_output_tokens, price.context_window // 4) - caller - outside
    built = await build_entry_context(archive, entry, room)
    system = intro + built.text + INSTRUCTIONS_HEADING + prompt
    log.info(
        "context_api.built repo=%s commit=%s context=%s chars=%d", repo.full_name, target.head, entry.id, len(system)
    )
    return BuiltMessages([{"role": "system", "content": system}], built.text)
