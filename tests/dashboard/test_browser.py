"""End to end in headless Chromium: a real `migrant-bot dashboard` on loopback, seeded data.

Debian's `chromium` is driven by Playwright through its executable path (Playwright never
downloads a browser here; `.ci/run` installs the package). Without it these tests skip, saying
why. Each main page is saved as a screenshot in var/screenshots/ for reviewers.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.analytics.report import build_report
from bot.dashboard.accounts import Accounts
from bot.db import create_engine_for
from bot.migrations import upgrade
from bot.paths import REPO_ROOT
from bot.server import free_port
from bot.subscriptions import SubscriptionStore
from tests.analytics.conftest import store
from tests.broadcasts.conftest import add_subscriber
from tests.conftest import SUBSCRIBER_KEY
from tests.dashboard.conftest import MARCH, PASSWORD, ROLES, SECRET, SUBSCRIBERS, seeded_events

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
PERIOD = "from=2024-03-01&to=2024-03-31"

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium "
                    "(apt-get install chromium; .ci/run does it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run `python -m bot.cli dashboard` on a free loopback port over a seeded database."""
    folder = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'dashboard.sqlite3'}"
    engine = create_engine_for(url)
    upgrade(engine)
    store(engine, seeded_events())
    accounts = Accounts(engine, SECRET)
    for role, name in ROLES.items():
        accounts.add(name, role, PASSWORD, by="test")
    subscriptions = SubscriptionStore(engine, SUBSCRIBER_KEY.encode())
    for (channel, language), count in SUBSCRIBERS.items():
        for _ in range(count):
            add_subscriber(subscriptions, channel, language)
    engine.dispose()
    port = free_port()
    log = folder / "dashboard.log"
    env = {**os.environ, "DATABASE_URL": url, "DASHBOARD_SECRET": SECRET.decode(),
           "SUBSCRIBER_KEY": SUBSCRIBER_KEY, "LOG_LEVEL": "WARNING"}
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "dashboard", "--port", str(port)],
            cwd=REPO_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                break
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    else:
        process.kill()
    if process.poll() is not None:
        pytest.fail(f"the dashboard did not start:\n{log.read_text(errors='replace')}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield base
    process.terminate()
    process.wait(timeout=30)
    # Nothing the dashboard logged may name a person or hold a secret.
    text = log.read_text(errors="replace")
    assert PASSWORD not in text and SECRET.decode() not in text


@pytest.fixture
def page(browser: Browser, dashboard: str) -> Iterator[Page]:
    context = browser.new_context(base_url=dashboard, accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, role: str) -> None:
    page.goto("/login")
    page.fill("input[name=name]", ROLES[role])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/overview"))


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_log_in_and_see_the_overview_charts_with_their_numbers(page: Page) -> None:
    page.goto("/overview")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    shoot(page, "login")
    log_in(page, "viewer")
    page.goto(f"/overview?{PERIOD}")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#total-interactions .figure")).to_have_text("716")
    for dimension in ("language", "country", "channel", "topic"):
        chart = page.locator(f"#chart-{dimension} svg")
        expect(chart).to_be_visible()
        assert chart.locator("rect.bar").count() >= 2
        assert chart.locator("text.number").count() == chart.locator("text.label").count()
    # Interactions in English (with Yemen's 2), French and Arabic, written beside the bars.
    numbers = page.locator("#chart-language text.number").all_text_contents()
    assert sorted(numbers) == ["168", "240", "308"]
    assert page.locator("#chart-over-time polyline").count() == 1
    assert page.locator("#chart-over-time circle").count() == 31  # every day, zeros too
    # Arabic labels render right to left.
    arabic = page.locator("#chart-language text", has_text="العربية")
    assert arabic.evaluate("element => getComputedStyle(element).direction") == "rtl"
    shoot(page, "overview")


def test_the_unanswered_questions_page_and_the_french_interface(page: Page) -> None:
    log_in(page, "viewer")
    page.goto(f"/unanswered?{PERIOD}")
    expect(page.locator("#chart-rate-over-time svg")).to_be_visible()
    assert page.locator("#chart-rate-over-time polyline").count() == 3
    shoot(page, "unanswered")
    page.goto(f"/overview?{PERIOD}&lang=fr")
    expect(page.locator("h1")).to_have_text("Vue d'ensemble")
    shoot(page, "overview-fr")


def test_download_the_indicators_csv(page: Page, tmp_path: Path) -> None:
    log_in(page, "viewer")
    page.goto(f"/indicators?{PERIOD}&by=country")
    expect(page.locator("table.report")).to_contain_text("<5")
    shoot(page, "indicators")
    with page.expect_download() as download:
        page.click("#download-csv")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "indicators-2024-03-01-2024-03-31.csv"
    text = saved.read_text()
    assert text.splitlines()[0].startswith("from,to,country,people_sensitized")
    assert "2024-03-01,2024-03-31,Yemen,<5,0,<5,0,0,exact" in text


def test_create_preview_and_send_a_broadcast(page: Page) -> None:
    log_in(page, "broadcaster")
    page.click("text=Broadcasts")
    page.click("#new-broadcast")
    page.fill("input[name=name]", "Vaccination days")
    page.fill("textarea[name=text_en]", "Free vaccination on Saturday at the health centre.")
    page.fill("textarea[name=text_ar]", "تطعيم مجاني يوم السبت في المركز الصحي.")
    assert page.locator("textarea[name=text_ar]").evaluate(
        "element => getComputedStyle(element).direction") == "rtl"
    page.check("input[name=channel][value=telegram]")
    shoot(page, "broadcast-new")
    page.click("#create-broadcast")
    page.wait_for_url(re.compile(r"/broadcasts/\d+$"))
    expect(page.locator("#recipients-total")).to_have_text("5")
    expect(page.locator("#state")).to_have_text("draft")
    expect(page.locator("#duration")).to_be_visible()
    shoot(page, "broadcast-preview")
    page.click("#send")
    expect(page.locator("#state")).to_have_text("sending")
    page.goto("/broadcasts")
    expect(page.locator("table.broadcasts")).to_contain_text("Vaccination days")
    shoot(page, "broadcasts")


def test_a_viewer_is_refused_the_broadcasts_page(page: Page) -> None:
    log_in(page, "viewer")
    assert page.locator("header nav a", has_text="Broadcasts").count() == 0
    response = page.goto("/broadcasts")
    assert response is not None and response.status == 403
    expect(page.locator(".problem")).to_have_text("You do not have access to this page.")
    shoot(page, "forbidden-viewer")


def test_an_admin_sets_the_target_and_reads_the_audit_log(page: Page) -> None:
    log_in(page, "admin")
    page.goto(f"/overview?{PERIOD}")
    page.click("text=Set the target")
    page.fill("input[name=value]", "1000")
    page.fill("input[name=start]", "2024-03-01")
    page.fill("input[name=end]", "2024-12-31")
    page.click(".target-form button[type=submit]")
    page.goto(f"/overview?{PERIOD}")
    expect(page.locator("#target")).to_contain_text("506 / 1,000")
    expect(page.locator("svg.progress")).to_be_visible()
    page.goto("/audit")
    expect(page.locator("table.audit")).to_contain_text("target set")
    shoot(page, "audit")


def test_the_csv_matches_the_report_of_the_same_database(page: Page, dashboard: str) -> None:
    """The browser's download is the CLI's CSV (checked on a copy of the same seed)."""
    log_in(page, "viewer")
    with page.expect_download() as download:
        page.goto(f"/indicators?{PERIOD}")
        page.click("#download-csv")
    folder = Path(download.value.path()).parent
    engine = create_engine_for(f"sqlite:///{folder / 'copy.sqlite3'}")
    upgrade(engine)
    store(engine, seeded_events())
    expected = build_report(engine, *MARCH, threshold=5).to_csv()
    engine.dispose()
    assert Path(download.value.path()).read_text() == expected
