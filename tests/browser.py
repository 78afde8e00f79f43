"""Browser tests: the system Chromium, driven by Playwright, against the bot's real web server on a free
port of localhost, on a real database file. Screenshots go to test-artifacts/screenshots (or
$DUKAT_ARTIFACTS/screenshots) at phone and desktop widths. A missing browser fails the test with the
command that installs it (the README's test line runs that command first)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.admin import sign_in_link
from bot.web import build_web_app

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("DUKAT_ARTIFACTS", REPO / "test-artifacts"))
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
# Headless, and none of the background traffic a closed network refuses.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--disable-features=Translate,OptimizationHints,MediaRouter"]


def chromium_path() -> str:
    for candidate in (os.environ.get("DUKAT_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)  # type: ignore[return-value]
    pytest.fail("No Chromium for the browser tests. Install it with: sh tools/ensure-chromium "
                "(or set DUKAT_CHROMIUM to a Chromium binary)", pytrace=False)


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def site(app):
    """The bot's whole web application served on the port its links point to; yields its base URL."""
    server = TestServer(build_web_app(app), host="127.0.0.1", port=app.settings.web_port)
    await server.start_server()
    try:
        yield app.settings.web_base_url()
    finally:
        await server.close()


async def open_signed_in(browser, app, address: str, width: str = "desktop", **context_options):
    """A page of a new browser context, signed in as `address` by opening a link and pressing the button."""
    w, h = SIZES[width]
    context = await browser.new_context(viewport={"width": w, "height": h}, locale="sv-SE", **context_options)
    page = await context.new_page()
    await page.goto(await sign_in_link(app, address))
    await page.get_by_role("button").first.click()
    await page.wait_for_load_state()
    return page


async def screenshot(page, name: str) -> list[Path]:
    """The page at phone and desktop width, as test artefacts; the paths written."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    before = page.viewport_size
    for width, (w, h) in SIZES.items():
        await page.set_viewport_size({"width": w, "height": h})
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than a {width} screen"  # usable on a phone
        path = folder / f"{name}-{width}.png"
        await page.screenshot(path=str(path), full_page=True)
        written.append(path)
    if before:
        await page.set_viewport_size(before)
    return written
