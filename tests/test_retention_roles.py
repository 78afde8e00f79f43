"""The retention job erases silent founders, never the links of officials and coordinators who hold the role."""

from __future__ import annotations

from datetime import timedelta

from tests.booking_helpers import new_founder, outbox_texts
from tests.conftest import Chat
from tests.test_privacy import tables_mentioning

SILENT = timedelta(days=91)


async def expire(app) -> set[str]:
    """The retention job's run: everyone silent for longer than DUKAT_RETENTION_DAYS and kept by no source."""
    now = app.clock.now()
    return await app.personal_data.expire(now - timedelta(days=app.settings.retention_days), now)


async def book_with(app, official_id: str, days_ahead: int = 0):
    """Book the first free slot, `days_ahead` days or more from now, at which `official_id` sits at the table."""
    service = app.booking
    official = (await service.snapshot()).official(official_id)
    earliest = app.clock.now() + timedelta(days=days_ahead)
    for topic in official.topics:
        slots = await service.offer([topic], None, after=earliest, limit=40)
        slot = next((s for s in slots if official_id in s.official_ids), None)
        if slot is not None:
            return await service.book(new_founder(), slot, [topic], None, None)
    raise AssertionError(f"no slot with {official_id}")


async def linked(app, official_id: str) -> str | None:
    return (await app.booking.snapshot()).official(official_id).address


async def test_silent_officials_with_and_without_meetings_keep_their_link_a_silent_founder_goes(app, clock):
    snap = await app.booking.snapshot()
    busy, idle = (o for o in snap.officials if o.address and o.active and o.id in ("demo-cecilia", "demo-anna"))
    founder = Chat(app, "console:tyst-grundare", pace=3)
    await founder.say("Vad är ett ASF?")
    for official in (busy, idle):
        await Chat(app, official.address, pace=3).say("/agenda")  # each has a users row, then silence
        await outbox_texts(app, official.address)

    clock.advance(SILENT - timedelta(days=2))
    meeting = await book_with(app, busy.id, days_ahead=3)  # booked by a founder: `busy` has an upcoming meeting
    await outbox_texts(app, busy.address)
    clock.advance(days=2)
    assert meeting.start > clock.now()

    assert await expire(app) == {founder.address}
    assert await tables_mentioning(app, founder.address) == []
    for official in (busy, idle):
        assert await linked(app, official.id) == official.address
        assert "official" in await app.roles.roles_of(official.address)
        assert await app.db.fetchone("SELECT 1 FROM users WHERE address = ?", (official.address,))

    # Still reached through the real Notifier: the reminder of the meeting they had, invitations to new ones.
    clock.set(meeting.start - timedelta(hours=1))
    await app.reminders.run_due()
    assert any(meeting.ref in t for t in await outbox_texts(app, busy.address))
    for official in (busy, idle):
        invited = await book_with(app, official.id)
        assert any(invited.ref in t for t in await outbox_texts(app, official.address)), official.id


async def test_a_silent_coordinator_keeps_the_role_and_gets_the_weekly_messages(app, clock):
    coordinator = Chat(app, "console:samordnare", pace=3)
    await app.roles.grant(coordinator.address)
    await coordinator.say("hej")
    clock.advance(SILENT)
    assert coordinator.address not in await expire(app)
    assert "coordinator" in await app.roles.roles_of(coordinator.address)
    assert await app.db.fetchone("SELECT 1 FROM users WHERE address = ?", (coordinator.address,))
    jobs = app.coordinator_jobs
    monday_morning = clock.now() + timedelta(days=7 - clock.now().weekday(), hours=9 - clock.now().hour)
    assert await jobs.run_due(monday_morning) == ["stale", "digest"]
    texts = [r.text for r in await app.outbox.take(coordinator.address)]
    assert any(t.startswith(app.catalogue.text("sv", "coordinator.digest_intro")) for t in texts), texts


async def test_an_official_who_is_no_longer_one_is_expired_like_a_founder(app, clock):
    official = next(o for o in (await app.booking.snapshot()).officials if o.address and o.active)
    await Chat(app, official.address, pace=3).say("/agenda")
    await app.db.execute("UPDATE officials SET active = 0 WHERE id = ?", (official.id,))  # as an import does
    clock.advance(SILENT)
    assert official.address in await expire(app)
    assert await linked(app, official.id) is None
