"""Officials manage their own time in chat: weekly windows and absences that move booked meetings."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import STOCKHOLM
from tests.booking_helpers import book_first, outbox_texts
from tests.conftest import Chat


async def test_weekly_times_shown_and_changed(app):
    official = Chat(app, "console:demo-anna", pace=3)
    await official.say("/tider")
    assert "måndag: 09:00–12:00, 13:00–16:00" in official.text()
    await official.say("/tider mån 10:00-11:00")
    assert "måndag: 10:00–11:00" in official.text()
    await official.say("/tider lör 10:00-12:00 11:00-13:00")
    assert "får inte överlappa" in official.text()
    await official.say("/tider mån 25:00-26:00")
    assert "Skriv veckodag och tider" in official.text()
    await official.say("/tider tis -")
    assert "tisdag: inga" in official.text()
    windows = await app.booking.windows_of("demo-anna")
    assert [(w.weekday, f"{w.start:%H:%M}") for w in windows if w.weekday in (0, 1)] == [(0, "10:00")]


async def test_founders_and_strangers_are_refused(app):
    stranger = Chat(app, "console:someone", pace=3)
    before = await app.booking.windows_of("demo-anna")
    refusal = app.catalogue.text("sv", "roles.refused_official")
    for command in ("/tider mån -", "/franvaro 2026-03-11", "/agenda"):
        await stranger.say(command)
        assert stranger.last[-1].text == refusal
    from bot.messages import Incoming

    replies = await app.engine.handle(Incoming("console:someone", payload="of:abs:20260311:20260312"))
    assert replies[-1].text == refusal
    assert await app.booking.windows_of("demo-anna") == before


async def test_absence_gives_booked_meetings_a_substitute_and_tells_everyone(app, clock):
    founder = "console:grundare"
    meeting = await book_first(app, founder)
    snap = await app.booking.snapshot()
    absent = snap.official(meeting.official_ids[0])
    await outbox_texts(app, founder)
    official = Chat(app, absent.address, pace=3)
    day = meeting.start.astimezone(STOCKHOLM).date()
    await official.say("/franvaro 2026-03-20 2026-03-11")
    assert "före startdatumet" in official.text()
    await official.say("/franvaro 2020-01-01")
    assert "högst" in official.text()
    await official.say("/franvaro imorgon")
    assert "ÅÅÅÅ-MM-DD" in official.text()
    await official.say(f"/franvaro {day.isoformat()}")
    assert "Registrera frånvaro" in official.text()
    await official.press("Ja, registrera")
    assert "Frånvaro registrerad" in official.text()
    after = await app.booking.meeting(meeting.ref)
    assert absent.id not in after.official_ids
    assert any(meeting.ref in t for t in await outbox_texts(app, founder))
    # No new meeting lands on the absent official that day.
    later = await app.booking.offer(list(meeting.topics), None, limit=20)
    assert all(absent.id not in s.official_ids for s in later if s.start.astimezone(STOCKHOLM).date() == day)
