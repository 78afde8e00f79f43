"""The web console in a real browser (headless Chromium): signing in through a link, the overview, and
signing out; screenshots of the sign-in and overview pages."""

from __future__ import annotations

from bot.catalogue import Catalogue
from bot.roles import COORDINATOR
from tests.browser import browser, open_signed_in, screenshot, site  # noqa: F401
from tests.console_helpers import COORDINATOR_ADDRESS

CATALOGUE = Catalogue.load()


async def test_sign_in_through_a_link_and_out_again(app, browser, site):  # noqa: F811
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    page = await open_signed_in(browser, app, COORDINATOR_ADDRESS)
    assert await page.locator("h1").inner_text() == CATALOGUE.text("sv", "admin.home_title")
    cookies = await page.context.cookies()
    (cookie,) = [c for c in cookies if c["name"] == "dukat_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await screenshot(page, "console-overview")
    await page.get_by_role("button", name=CATALOGUE.text("sv", "admin.sign_out")).click()
    assert await page.locator("h1").inner_text() == CATALOGUE.text("sv", "admin.signed_out_title")
    await page.goto(site + "/admin/")
    assert await page.locator("h1").inner_text() == CATALOGUE.text("sv", "admin.signin_title")
    await screenshot(page, "console-sign-in")
