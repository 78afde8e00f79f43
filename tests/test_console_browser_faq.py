"""The FAQ editor in a real browser (headless Chromium) on a writable copy of the knowledge: sign in through a
link, find an entry by search, edit its Swedish answer, see the diff, save, and see `dukat-bord ask` (a separate
process on the same database and knowledge directory) give the new answer; undo it from the history page and
see the old text again. Screenshots: faq-list, faq-entry, faq-diff, faq-history, guide-step."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.app import build_app
from bot.catalogue import Catalogue
from bot.roles import COORDINATOR
from knowledge.store import KnowledgeStore
from tests.browser import REPO, browser, open_signed_in, screenshot, site  # noqa: F401
from tests.console_helpers import COORDINATOR_ADDRESS

CATALOGUE = Catalogue.load()
ENTRY = "asf-vad-ar"
NEW_ANSWER = "Ett ASF är ett företag med arbete som mål. Nytt svar skrivet i webbkonsolen."


def sv(key: str, **params) -> str:
    return CATALOGUE.text("sv", key, **params)


@pytest.fixture
async def app(settings, clock, knowledge_copy):
    """The bot on a writable copy of the knowledge (the `site` fixture serves this app)."""
    application = await build_app(settings, clock=clock, knowledge=KnowledgeStore(knowledge_copy))
    yield application
    await application.close()


def ask(question: str, settings, knowledge_copy) -> dict:
    """`dukat-bord ask QUESTION --json` as a separate process on the app's database and knowledge."""
    env = {**os.environ, "DUKAT_DB": settings.db_path, "DUKAT_KNOWLEDGE_DIR": str(knowledge_copy),
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "bot", "ask", question, "--json"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_find_edit_diff_save_ask_and_revert(app, browser, site, settings, knowledge_copy):  # noqa: F811
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    entry = app.knowledge.current.entries[ENTRY]
    old_answer = entry.answer.sv
    phrasing = entry.question.sv
    assert ask(phrasing, settings, knowledge_copy)["answer"].startswith(old_answer)

    page = await open_signed_in(browser, app, COORDINATOR_ADDRESS)
    await page.get_by_role("link", name=sv("admin.nav_faq")).first.click()
    await page.get_by_label(sv("admin.faq.search_label")).fill("arbetsintegrerande")
    await page.get_by_role("button", name=sv("admin.faq.search_button")).click()
    await page.wait_for_load_state()
    assert "q=arbetsintegrerande" in page.url
    await screenshot(page, "faq-list")
    await page.locator("#entries").get_by_role("link", name=entry.question.sv, exact=True).click()
    assert await page.locator("h1").inner_text() == entry.question.sv
    assert old_answer in await page.locator('.preview[lang="sv"]').inner_text()
    await screenshot(page, "faq-entry")

    await page.get_by_role("link", name=sv("admin.faq.edit_button")).click()
    answer = page.get_by_label(f'{sv("admin.faq.field_answer")} (sv)')
    assert await answer.input_value() == old_answer
    await answer.fill(NEW_ANSWER)
    await page.get_by_role("button", name=sv("admin.faq.check_button")).click()
    assert await page.locator("h1").inner_text() == sv("admin.faq.diff_title")
    assert "webbkonsolen." in " ".join(await page.locator("table.faq-diff ins").all_inner_texts())
    assert await page.locator("table.faq-diff del").count() >= 1
    assert ask(phrasing, settings, knowledge_copy)["answer"].startswith(old_answer)  # not saved yet
    await screenshot(page, "faq-diff")
    await page.get_by_role("button", name=sv("admin.faq.save_button"), exact=True).click()
    assert sv("admin.faq.saved") in await page.locator("main").inner_text()
    assert NEW_ANSWER in await page.locator('.preview[lang="sv"]').inner_text()

    asked = ask(phrasing, settings, knowledge_copy)
    assert asked["faq_id"] == ENTRY and asked["answer"].startswith(NEW_ANSWER)

    await page.get_by_role("link", name=sv("admin.faq.history_button")).click()
    assert "webbkonsolen." in " ".join(await page.locator("table.faq-diff ins").all_inner_texts())
    await screenshot(page, "faq-history")
    await page.get_by_role("button", name=sv("admin.faq.revert_button", number=1)).click()
    assert sv("admin.faq.reverted", number=1) in await page.locator("main").inner_text()
    await page.get_by_role("link", name=sv("admin.faq.back")).click()
    assert old_answer in await page.locator('.preview[lang="sv"]').inner_text()
    assert NEW_ANSWER not in await page.locator("main").inner_text()
    asked = ask(phrasing, settings, knowledge_copy)
    assert asked["faq_id"] == ENTRY and asked["answer"].startswith(old_answer)

    await page.get_by_role("link", name=sv("admin.nav_guide")).first.click()
    step = app.knowledge.current.guide[0]
    await page.get_by_role("link", name=step.title.sv, exact=True).click()
    assert step.title.sv in await page.locator("h1").inner_text()
    assert step.body.en in await page.locator('.columns section[lang="en"]').inner_text()
    await screenshot(page, "guide-step")
