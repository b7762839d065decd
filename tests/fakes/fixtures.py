"""Pytest fixtures for the fakes; a conftest imports them: `from tests.fakes.fixtures import fake_github`."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.github import FakeGitHub
from tests.fakes.llm import FakeLLM
from tests.fakes.stripe_fake import FakeStripe


@cache
def app_private_key_pem() -> str:
    """An RSA private key (PEM, PKCS#1 like GitHub's downloads), generated once per test session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A serving FakeGitHub with a real RSA app key and a fresh app id (`.app_id`, `.private_key_pem`)."""
    with FakeGitHub(private_key_pem=app_private_key_pem()) as gh:
        yield gh


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A serving FakeLLM (api key "test-llm-key"); pass `.url` as the OpenAI base URL / LLM_BASE_URL."""
    with FakeLLM() as llm:
        yield llm


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A serving FakeStripe; pass `.url` as STRIPE_API_BASE, `.api_key` and `.webhook_secret` as the keys."""
    with FakeStripe() as fake:
        yield fake
