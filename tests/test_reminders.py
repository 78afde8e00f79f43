"""Reminders 24 h and 1 h before, digests at 07:30: sent once, never for cancelled or moved times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from booking.reminders import ReminderService
from tests.booking_helpers import new_founder


async def _reminders_sent(app, reminders, kind_filter=("h24", "h1")) -> int:
    """Run due reminders; how many meeting reminders (not digests) went out."""
    before = await app.db.fetchone("SELECT COUNT(*) AS n FROM reminders_sent WHERE state = 'sent' AND kind IN ('h24', 'h1')")
    await reminders.run_due()
    after = await app.db.fetchone("SELECT COUNT(*) AS n FROM reminders_sent WHERE state = 'sent' AND kind IN ('h24', 'h1')")
    return after["n"] - before["n"]


def _sent_log(app):
    return app.db.fetchall("SELECT meeting_id, recipient, kind, state FROM reminders_sent ORDER BY recipient, kind")


async def _book_after(app, after: datetime, founder: str | None = None, topics=("asf",)):
    service = app.booking
    slot = (await service.offer(list(topics), None, after=after, limit=1))[0]
    return await service.book(founder or new_founder(), slot, list(topics), None, None)


def _fresh_reminders(app) -> ReminderService:
    """A second service on the same database, as after a restart."""
    old = app.reminders
    return ReminderService(app.db, app.clock, old.tz, old.send, old.send_digest)


async def test_each_reminder_is_sent_once_even_across_a_restart(app, clock):
    reminders = app.reminders
    founder = new_founder()
    meeting = await _book_after(app, clock.now() + timedelta(days=2), founder)
    await app.outbox.take(founder)
    recipients = 1 + len(meeting.official_ids)

    clock.set(meeting.start - timedelta(hours=24, seconds=1))
    assert await reminders.run_due() == 0
    clock.set(meeting.start - timedelta(hours=24))
    assert await reminders.run_due() == recipients
    assert await reminders.run_due() == 0
    assert await _fresh_reminders(app).run_due() == 0
    texts = [r.text for r in await app.outbox.take(founder)]
    assert len(texts) == 1 and "i morgon" in texts[0] and meeting.ref in texts[0]

    clock.set(meeting.start - timedelta(hours=1))
    officials = len(meeting.official_ids)
    assert await _fresh_reminders(app).run_due() == recipients + officials  # the officials' digests are due too
    assert await reminders.run_due() == 0
    assert "Om en timme" in (await app.outbox.take(founder))[0].text
    rows = await _sent_log(app)
    kinds = [r["kind"] for r in rows]
    assert (kinds.count("h24"), kinds.count("h1"), kinds.count("digest")) == (recipients, recipients, officials)
    assert {r["state"] for r in rows} == {"sent"}


async def test_no_reminders_for_a_cancelled_meeting_nor_for_a_moved_meetings_old_time(app, clock):
    service, reminders = app.booking, app.reminders
    founder = new_founder()
    cancelled = await _book_after(app, clock.now() + timedelta(days=2), founder)
    await service.cancel(cancelled.ref, founder)
    other = new_founder()
    moved = await _book_after(app, clock.now() + timedelta(days=2, hours=1), other)
    later = (await service.offer(list(moved.topics), None, after=moved.start + timedelta(days=3), limit=1,
                                 ignore_meeting_id=moved.id))[0]
    moved_to = await service.move(moved.ref, other, later)
    for at in (cancelled.start - timedelta(hours=24), moved.start - timedelta(hours=24), moved.start - timedelta(hours=1)):
        clock.set(at)
        assert await _reminders_sent(app, reminders) == 0
    clock.set(moved_to.start - timedelta(hours=24))
    assert await _reminders_sent(app, reminders) == 1 + len(moved_to.official_ids)


async def test_late_reminder_sent_if_meeting_not_started_else_skipped(app, clock):
    reminders = app.reminders
    founder = new_founder()
    meeting = await _book_after(app, clock.now() + timedelta(days=2), founder)
    await app.outbox.take(founder)
    # The process was down over both due times: only the latest one goes out, late.
    clock.set(meeting.start - timedelta(minutes=30))
    assert await _reminders_sent(app, reminders) == 1 + len(meeting.official_ids)
    texts = [r.text for r in await app.outbox.take(founder)]
    assert len(texts) == 1 and "Om en timme" in texts[0]
    assert await reminders.run_due() == 0

    missed = await _book_after(app, clock.now() + timedelta(days=2), new_founder())
    clock.set(missed.start + timedelta(minutes=1))  # down until it had started: nothing is sent
    assert await _reminders_sent(app, reminders) == 0


async def test_short_notice_booking_gets_no_24_hour_reminder(app, clock):
    reminders = app.reminders
    meeting = await _book_after(app, clock.now())
    assert meeting.start - clock.now() < timedelta(hours=24)
    clock.set(meeting.start - timedelta(hours=2))
    assert await _reminders_sent(app, reminders) == 0
    clock.set(meeting.start - timedelta(hours=1))
    assert await _reminders_sent(app, reminders) == 1 + len(meeting.official_ids)


async def test_reminder_times_are_exact_across_the_spring_dst_change(app, clock):
    reminders = app.reminders
    clock.set(datetime(2026, 3, 26, 8, 0, tzinfo=timezone.utc))  # Thursday, CET (UTC+1)
    # Monday 30 March 10:00 in Stockholm is 08:00 UTC (CEST, UTC+2 since Sunday 29 March).
    meeting = await _book_after(app, datetime(2026, 3, 30, 6, 0, tzinfo=timezone.utc))
    assert meeting.start == datetime(2026, 3, 30, 7, 0, tzinfo=timezone.utc)  # 09:00 CEST, the first window
    clock.set(datetime(2026, 3, 29, 6, 59, tzinfo=timezone.utc))
    assert await _reminders_sent(app, reminders) == 0
    clock.set(datetime(2026, 3, 29, 7, 0, tzinfo=timezone.utc))  # exactly 24 h before, across the change
    assert await _reminders_sent(app, reminders) == 1 + len(meeting.official_ids)


async def test_morning_digest_for_each_official_once(app, clock):
    reminders = app.reminders
    service = app.booking
    meeting = await _book_after(app, clock.now() + timedelta(days=1))
    snap = await service.snapshot()
    for official_id in meeting.official_ids:
        await app.outbox.take(snap.official(official_id).address)
    day = meeting.start.astimezone(reminders.tz).date()
    clock.set(datetime(day.year, day.month, day.day, 7, 29, tzinfo=reminders.tz))
    await reminders.run_due()
    first = snap.official(meeting.official_ids[0]).address
    assert not any("God morgon" in r.text for r in await app.outbox.take(first))
    clock.set(datetime(day.year, day.month, day.day, 7, 30, tzinfo=reminders.tz))
    await reminders.run_due()
    await reminders.run_due()
    digests = [r.text for r in await app.outbox.take(first) if "God morgon" in r.text]
    assert len(digests) == 1 and meeting.ref in digests[0]


async def test_a_claim_left_by_a_crash_is_sent_on_recovery(app, clock):
    founder = new_founder()
    meeting = await _book_after(app, clock.now() + timedelta(days=2), founder)
    await app.outbox.take(founder)
    due = meeting.start - timedelta(hours=24)
    clock.set(due + timedelta(minutes=5))
    await app.db.execute(
        "INSERT INTO reminders_sent(meeting_id, recipient, kind, due_utc, state, sent_at) VALUES (?, ?, 'h24', ?, 'sending', ?)",
        (meeting.id, founder, due.isoformat(), due.isoformat()),
    )
    restarted = _fresh_reminders(app)
    assert await restarted.recover() == 1  # handed back to the retry path, due now
    assert await restarted.run_due() == 1 + len(meeting.official_ids)  # the officials' were never claimed
    assert len(await app.outbox.take(founder)) == 1
    assert await restarted.run_due() == 0
    assert await app.outbox.take(founder) == []
    row = await app.db.fetchone("SELECT state, attempts FROM reminders_sent WHERE recipient = ?", (founder,))
    assert (row["state"], row["attempts"]) == ("sent", 2)


async def test_scheduler_jobs_follow_the_database(app, clock):
    reminders = app.reminders
    meeting = await _book_after(app, clock.now() + timedelta(days=2))
    await reminders.start()
    try:
        ids = app.scheduler.job_ids("reminders:")
        assert f"reminders:due:{(meeting.start - timedelta(hours=24)).isoformat()}" in ids
        assert f"reminders:due:{(meeting.start - timedelta(hours=1)).isoformat()}" in ids
        assert {"reminders:digest", "reminders:sweep"} <= set(ids)
        founder = meeting.founder_address
        await app.booking.cancel(meeting.ref, founder)
        await reminders.sync_jobs()
        assert not app.scheduler.job_ids("reminders:due:")
    finally:
        await reminders.stop()
