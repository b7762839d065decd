"""The owner's and the operator's flows in Chromium against `contextjson serve` and the loopback fakes: Login
with GitHub, a Stripe top-up paid on the hosted page, an operator's credit adjustment, and the first-run App
registration. Each page is saved as a screenshot under the run's temporary directory (`screenshots/`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.server import serve_installed
from tests.fakes.fixtures import fake_stripe  # noqa: F401  (the fixture)
from tests.fakes.stripe_fake import FakeStripe
from tests.support.process import free_port, serve_process

CONTEXT = {"context": {"explain": {"summary": "Explain this repo", "pathPatterns": ["README.md"]}}}


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per test run for every page's screenshot."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def owner_service(
    fake_github: Any,
    fake_llm: Any,
    fake_stripe: FakeStripe,  # noqa: F811
    tmp_path: Path,
) -> Iterator[str]:
    """The service with the App installed on acme, Login with GitHub, Stripe, and ops-lead as its operator."""
    env = {
        "GITHUB_CLIENT_ID": fake_github.oauth.client_id,
        "GITHUB_CLIENT_SECRET": fake_github.oauth.client_secret,
        "GITHUB_APP_SLUG": fake_github.app_slug,
        "STRIPE_SECRET_KEY": fake_stripe.api_key,
        "STRIPE_WEBHOOK_SECRET": fake_stripe.webhook_secret,
        "STRIPE_API_BASE": fake_stripe.url,
        "OPERATOR_LOGINS": "Ops-Lead",  # the login signs in as ops-lead: any case matches
    }
    files = {"README.md": "# Widgets\n", "context.json": json.dumps(CONTEXT)}
    with serve_installed(fake_github, fake_llm, tmp_path, files, env) as base:
        fake_stripe.webhook_url = f"{base}/webhooks/stripe"  # the hosted page delivers its event there
        yield base


class Watched:
    """A browser tab that remembers script errors and Content-Security-Policy refusals."""

    def __init__(self, page: Page, shots: Path, prefix: str) -> None:
        self.page = page
        self.shots = shots
        self.prefix = prefix
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(str(exc)))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused" in message.text):
            self.problems.append(message.text)

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(self.shots / f"{self.prefix}-{name}.png"), full_page=True)


async def _tab(browser: Browser, shots: Path, prefix: str) -> tuple[BrowserContext, Watched]:
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    return context, Watched(await context.new_page(), shots, prefix)


async def _log_in(tab: Watched, base: str, fake_github: Any, login: str) -> None:
    """From the home page, through the fake GitHub's authorize page, to the dashboard."""
    fake_github.oauth.sign_in_as(login)
    await tab.page.goto(f"{base}/")
    await tab.shot("home")
    await tab.page.get_by_role("link", name="log in with GitHub").click()
    await tab.page.wait_for_url(f"{base}/dashboard")
    await expect(tab.page.locator("header.bar")).to_contain_text(f"Signed in as {login}")
    await tab.shot("dashboard")


async def test_an_owner_logs_in_and_tops_up_through_stripe(
    owner_service: str,
    browser: Browser,
    fake_github: Any,
    fake_stripe: FakeStripe,  # noqa: F811
    screenshots: Path,
) -> None:
    base = owner_service
    context, tab = await _tab(browser, screenshots, "owner")
    page = tab.page
    await _log_in(tab, base, fake_github, "acme")
    await expect(page.locator("table.accounts")).to_contain_text("$5.00")

    await page.get_by_role("link", name="billing").click()
    await page.wait_for_url(f"{base}/dashboard/billing?account=acme")
    await expect(page.locator("#balance")).to_have_attribute("data-usd", "5.000000")
    await tab.shot("billing")

    await page.locator("input[name=amount_usd]").fill("12.50")
    await page.get_by_role("button", name="Pay with Stripe").click()
    await page.wait_for_url(re.compile(re.escape(fake_stripe.url) + r"/c/pay/cs_\w+"))
    await expect(page.locator("h1")).to_have_text("Pay 12.50 USD")
    await tab.shot("stripe-checkout")

    await page.locator("#pay").click()  # the fake pays, delivers the signed webhook, sends the payer back
    await page.wait_for_url(re.compile(re.escape(f"{base}/dashboard/billing?topup=cs_") + r"\w+"))
    await expect(page.locator("#topup-state")).to_have_attribute("data-status", "credited")
    await expect(page.locator("#balance")).to_have_attribute("data-usd", "17.500000")
    await expect(page.locator("#balance")).to_have_text("$17.50")
    await expect(page.locator("table.ledger tbody tr").first).to_contain_text("Top-up")
    await tab.shot("billing-credited")
    assert [d.status_code for d in fake_stripe.deliveries] == [200]
    assert tab.problems == []
    await context.close()


async def test_an_operator_adjusts_an_owners_credit(
    owner_service: str, browser: Browser, fake_github: Any, screenshots: Path
) -> None:
    base = owner_service
    context, tab = await _tab(browser, screenshots, "operator")
    page = tab.page
    await _log_in(tab, base, fake_github, "ops-lead")
    await page.get_by_role("link", name="Operator view").click()
    await page.wait_for_url(f"{base}/dashboard/operator")
    row = page.locator("table.operator-accounts tr[data-login=acme]")
    await expect(row).to_contain_text("$5.00")
    await expect(row.get_by_role("link", name="GitHub")).to_have_attribute("href", f"{fake_github.url}/acme")
    await expect(page.locator("tr.totals")).to_contain_text("1 account")
    await tab.shot("accounts")

    await row.get_by_role("link", name="acme").click()
    await page.wait_for_url(f"{base}/dashboard/operator/accounts/acme")
    await page.locator("input[name=amount_usd]").fill("-6")
    await page.locator("input[name=reason]").fill("more than there is")
    await page.get_by_role("button", name="Record adjustment").click()
    await expect(page.locator("#adjustment-error")).to_contain_text("Nothing was changed")
    await tab.shot("account-refused")

    await page.locator("input[name=amount_usd]").fill("-1.25")
    await page.locator("input[name=reason]").fill("Duplicate free credit")
    await page.get_by_role("button", name="Record adjustment").click()
    await expect(page.locator("#adjusted")).to_contain_text("Duplicate free credit")
    await expect(page.locator("#balance")).to_have_attribute("data-usd", "3.750000")
    adjustment = page.locator("table.ledger tr.adjustment")
    await expect(adjustment).to_contain_text("ops-lead")
    await expect(adjustment.locator("td[data-usd]")).to_have_attribute("data-usd", "-1.250000")
    await tab.shot("account-adjusted")
    assert tab.problems == []
    await context.close()

    # The owner sees it in their own ledger, with the reason.
    context, tab = await _tab(browser, screenshots, "operator-owner")
    await _log_in(tab, base, fake_github, "acme")
    await tab.page.goto(f"{base}/dashboard/billing")
    await expect(tab.page.locator("#balance")).to_have_text("$3.75")
    await expect(tab.page.locator("table.ledger tbody tr").first).to_contain_text("Adjustment")
    await expect(tab.page.locator("table.ledger tbody tr").first).to_contain_text("Duplicate free credit")
    await tab.shot("billing")
    await context.close()


@pytest.fixture
def first_run_service(fake_github: Any, tmp_path: Path) -> Iterator[str]:
    """`contextjson serve` with no GitHub App credentials at all, as a new operator starts it."""
    port = free_port()
    env = {
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "REDIS_URL": "",
        "GITHUB_API_URL": fake_github.url,
        "SNAPSHOT_CACHE_DIR": str(tmp_path / "snapshots"),
    }
    with serve_process(env, log_path=tmp_path / "serve.log", port=port) as base:
        yield base


async def test_a_new_operator_registers_the_app_from_the_home_page(
    first_run_service: str, browser: Browser, fake_github: Any, screenshots: Path
) -> None:
    base = first_run_service
    context, tab = await _tab(browser, screenshots, "first-run")
    page = tab.page
    await page.goto(f"{base}/")
    register = page.get_by_role("button", name="Register the GitHub App on GitHub")
    await expect(register).to_be_visible()
    await tab.shot("home")

    await register.click()  # GitHub's manifest page (the fake confirms at once) → our callback → install page
    install_page = f"{fake_github.url}/apps/{fake_github.app_slug}/installations/new"
    await page.wait_for_url(install_page)
    await expect(page.locator("h1")).to_have_text(f"Install {fake_github.app_slug}")
    await tab.shot("install-page")
    assert fake_github.manifests[-1]["manifest"]["redirect_url"] == f"{base}/setup/github-app/callback"

    await page.goto(f"{base}/")  # registered: the home page now offers installing the App
    await expect(page.get_by_role("link", name="Install the GitHub App")).to_have_attribute("href", install_page)
    await expect(page.get_by_role("button", name="Register the GitHub App on GitHub")).to_have_count(0)
    await tab.shot("home-registered")
    assert tab.problems == []
    await context.close()
