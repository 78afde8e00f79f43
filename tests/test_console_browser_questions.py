"""Unanswered questions and the report in a real browser (headless Chromium): sign in through a link, open the
groups, add one as phrasings of the entry the bot suggests and see the page say the bot answers it now (and
the engine does); open the report, see its charts and download the CSV. Screenshots: questions-groups,
questions-group, report."""

from __future__ import annotations

from datetime import date

import pytest

from bot.app import build_app
from bot.catalogue import Catalogue
from bot.reports import build_report, report_csv
from bot.roles import COORDINATOR
from knowledge.store import KnowledgeStore
from tests.browser import browser, open_signed_in, screenshot, site  # noqa: F401
from tests.conftest import Chat
from tests.console_helpers import COORDINATOR_ADDRESS
from tests.test_console_questions import HUND, HAST, SUGGESTED, ask
from tests.test_reports import seed

CATALOGUE = Catalogue.load()
SV = lambda key, **p: CATALOGUE.text("sv", key, **p)  # noqa: E731


@pytest.fixture
async def app(settings, clock, knowledge_copy):
    application = await build_app(settings, clock=clock, knowledge=KnowledgeStore(knowledge_copy))
    yield application
    await application.close()


async def test_a_group_added_as_phrasings_is_answered(app, browser, site):  # noqa: F811
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    await ask(app, [*HAST, *HUND])
    page = await open_signed_in(browser, app, COORDINATOR_ADDRESS)
    await page.get_by_role("link", name=SV("admin.nav_questions")).first.click()
    assert await page.locator("h1").inner_text() == SV("admin.questions.title")
    groups = page.locator("ol.groups > li")
    assert await groups.count() == 2
    await screenshot(page, "questions-groups")
    hast = groups.filter(has_text=HAST[0])
    entry = app.knowledge.current.entries[SUGGESTED]
    assert entry.question.sv in await hast.inner_text()  # the suggested entry, by its question
    await hast.get_by_role("link", name=SV("admin.questions.open_group")).click()
    assert await page.locator("h1").inner_text() == SV("admin.questions.group_heading", count=2, language="sv")
    await screenshot(page, "questions-group")
    await page.get_by_role("button", name=SV("admin.questions.add_button")).first.click()
    assert await page.locator("h1").inner_text() == SV("admin.questions.added_title")
    assert SV("admin.questions.all_answered") in await page.locator("main").inner_text()
    assert await page.locator("tr.answered").count() == len(HAST)
    for n, text in enumerate(HAST):  # and the bot does answer them with that entry
        chat = Chat(app, f"console:browser-asker-{n}", pace=20)
        await chat.say(text)
        assert entry.answer.sv[:40] in chat.text(), text
    await page.get_by_role("link", name=SV("admin.questions.back")).click()
    assert await page.locator("ol.groups > li").count() == 1  # the häst group is handled
    await page.context.close()


async def test_the_report_with_its_charts_and_the_csv_download(app, browser, site):  # noqa: F811
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    await seed(app)
    page = await open_signed_in(browser, app, COORDINATOR_ADDRESS)
    await page.get_by_role("link", name=SV("admin.nav_report")).first.click()
    await page.get_by_label(SV("admin.report.from_label")).fill("2026-03-09")
    await page.get_by_label(SV("admin.report.to_label")).fill("2026-03-11")
    await page.get_by_role("button", name=SV("admin.report.show_button")).click()
    assert await page.locator("h2").first.inner_text() == SV("report.heading", start="2026-03-09", end="2026-03-11")
    charts = page.locator("figure.chart svg")
    assert await charts.count() == 3
    for n in range(3):
        box = await charts.nth(n).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 50
    answered = page.locator("svg rect.bar-answered").first
    assert await answered.evaluate("bar => getComputedStyle(bar).fill") == "rgb(46, 125, 50)"  # the stylesheet's green
    await screenshot(page, "report")
    async with page.expect_download() as info:
        await page.get_by_role("link", name=SV("admin.report.csv_button")).click()
    download = await info.value
    assert download.suggested_filename == "dukat-rapport-2026-03-09-2026-03-11.csv"
    report = await build_report(app.db, date(2026, 3, 9), date(2026, 3, 11))
    t = lambda key, **p: CATALOGUE.text("sv", key, **p)  # noqa: E731
    with open(await download.path(), "rb") as f:
        assert f.read() == report_csv(report, t).encode("utf-8")
    await page.context.close()
