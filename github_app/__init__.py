"""GitHub App library: app JWT and cached installation tokens, webhook verification, typed API calls."""

from github_app.api import (
    BranchHead,
    CheckAnnotation,
    CheckConclusion,
    CheckOutput,
    CheckRun,
    FileContent,
    FileTooLarge,
    InstallationAPI,
    RepoInfo,
)
from github_app.auth import GitHubApp, GitHubAppConfig
from github_app.events import (
    InstallationEvent,
    InstallationRepositoriesEvent,
    InstallationTargetEvent,
    PushEvent,
    RepositoryEvent,
    parse_known_event,
)
from github_app.manifest import ManifestCodeRejected, RegisteredApp, convert_manifest_code
from github_app.webhooks import sign, verify_signature

__all__ = [
    "BranchHead",
    "CheckAnnotation",
    "CheckConclusion",
    "CheckOutput",
    "CheckRun",
    "FileContent",
    "FileTooLarge",
    "GitHubApp",
    "GitHubAppConfig",
    "InstallationAPI",
    "ManifestCodeRejected",
    "RegisteredApp",
    "convert_manifest_code",
    "RepoInfo",
    "InstallationEvent",
    "InstallationRepositoriesEvent",
    "InstallationTargetEvent",
    "PushEvent",
    "RepositoryEvent",
    "parse_known_event",
    "sign",
    "verify_signature",
]
