"""The officials, meetings and own pages in a real browser (headless Chromium): a coordinator changes an
official's weekly times and the times the booking flow offers change with them; an official accepts a pending
meeting on their own page. Screenshots: officials-list, official-page, meetings-week, me."""

from __future__ import annotations

from datetime import datetime

from booking.model import ParticipantState
from bot.catalogue import Catalogue
from bot.clock import STOCKHOLM
from bot.roles import COORDINATOR
from tests.booking_helpers import book_first, new_founder
from tests.browser import browser, open_signed_in, screenshot, site  # noqa: F401
from tests.console_helpers import COORDINATOR_ADDRESS

CATALOGUE = Catalogue.load()
TOPICS = ["kommun"]


def sv(key: str, **params) -> str:
    return CATALOGUE.text("sv", key, **params)


async def offered(app) -> list[tuple[str, tuple[str, ...]]]:
    """The times the booking flow would offer a founder asking about TOPICS (BookingService.offer, as
    bot/features/booking.py calls it), with their officials: enough of them to cover the whole horizon."""
    return [(s.start.isoformat(), s.official_ids) for s in await app.booking.offer(TOPICS, None, limit=500)]


async def test_a_coordinator_changes_an_officials_times_and_the_offered_times_change(app, browser, site):  # noqa: F811
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    before = await offered(app)
    assert any("demo-anna" in officials for _, officials in before)
    page = await open_signed_in(browser, app, COORDINATOR_ADDRESS)
    await page.get_by_role("navigation").get_by_role("link", name=sv("admin.nav_officials")).click()
    assert await page.locator("h1").inner_text() == sv("admin.officials.title")
    await screenshot(page, "officials-list")
    await page.get_by_role("link", name="Anna Demohandläggare").click()
    assert await page.locator("h1").inner_text() == "Anna Demohandläggare"
    assert await page.get_by_label("måndag").input_value() == "09:00-12:00, 13:00-16:00"
    await screenshot(page, "official-page")

    # A typing mistake first: a clear message, nothing changed.
    await page.get_by_label("måndag").fill("9-12")
    await page.get_by_role("button", name=sv("admin.officials.availability_save")).click()
    assert sv("admin.officials.times_format", day="måndag", span="9-12") in await page.locator(".problems").inner_text()
    assert await offered(app) == before

    # Anna only on Monday mornings from 10: her other times disappear from what founders are offered.
    for day in ("måndag", "tisdag", "onsdag", "torsdag", "fredag"):
        await page.get_by_label(day).fill("10:00-12:00" if day == "måndag" else "")
    await page.get_by_role("button", name=sv("admin.officials.availability_save")).click()
    assert sv("admin.officials.availability_saved") in await page.locator(".notice").inner_text()
    after = await offered(app)
    assert after != before
    def outside_monday_late_morning(slots):
        for start, officials in slots:
            local = datetime.fromisoformat(start).astimezone(STOCKHOLM)
            if "demo-anna" in officials and not (local.weekday() == 0 and 10 <= local.hour < 12):
                yield local

    assert list(outside_monday_late_morning(before))  # she was offered at other times before
    assert not list(outside_monday_late_morning(after))  # and is not any more


async def test_meetings_week_and_an_official_accepts_on_their_own_page(app, browser, site):  # noqa: F811
    await app.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    meeting = await book_first(app, new_founder(), idea="Ett kafé med arbetsträning")
    page = await open_signed_in(browser, app, COORDINATOR_ADDRESS)
    await page.get_by_role("navigation").get_by_role("link", name=sv("admin.nav_meetings")).click()
    assert await page.locator(f"#meeting-{meeting.ref}").count() == 1
    await screenshot(page, "meetings-week")
    await page.context.close()

    snap = await app.booking.snapshot()
    official = next(o for o in snap.officials if o.id in meeting.official_ids and o.lang == "sv")
    page = await open_signed_in(browser, app, official.address)
    assert page.url.endswith("/admin/me")
    assert await page.locator("h1").inner_text() == sv("admin.me.title")
    await screenshot(page, "me")
    await page.get_by_role("button", name=sv("admin.me.accept", ref=meeting.ref)).click()
    assert meeting.ref in await page.locator(".notice").inner_text()
    details = await app.booking.details(await app.booking.meeting(meeting.ref))
    assert {p.official_id: p.state for p in details.participants}[official.id] == ParticipantState.ACCEPTED
    assert await page.get_by_role("button", name=sv("admin.me.accept", ref=meeting.ref)).count() == 0
