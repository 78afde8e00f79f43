"""Booking data under the user's control: exported, erased with notice to officials, expired on time."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.booking_helpers import book_first, outbox_texts
from tests.conftest import Chat
from tests.test_privacy import tables_mentioning


async def test_my_data_lists_my_meetings(app):
    chat = Chat(app, "console:eva", pace=3)
    await chat.say("hej")
    meeting = await book_first(app, chat.address, idea="Tvätteri med arbetsträning")
    await chat.say("/mina_data")
    data = json.loads(chat.last[0].attachments[0].content)
    (exported,) = data["booking"]["meetings"]
    assert exported["ref"] == meeting.ref and exported["idea"] == "Tvätteri med arbetsträning"
    assert len(exported["officials"]) == len(meeting.official_ids)


async def test_forget_me_cancels_upcoming_meetings_tells_officials_and_leaves_no_row(app, clock):
    chat = Chat(app, "console:olle", pace=3)
    await chat.say("hej")
    meeting = await book_first(app, chat.address, idea="Snickeri")
    snap = await app.booking.snapshot()
    for official_id in meeting.official_ids:
        await outbox_texts(app, snap.official(official_id).address)
    clock.set(meeting.start - timedelta(hours=1))
    await app.reminders.run_due()
    assert "reminders_sent" in await tables_mentioning(app, chat.address)
    await chat.say("/glom")
    await chat.press("Ja, radera allt")
    assert await tables_mentioning(app, chat.address) == []
    assert await tables_mentioning(app, "Snickeri") == []
    for official_id in meeting.official_ids:
        texts = await outbox_texts(app, snap.official(official_id).address)
        assert any(meeting.ref in t and "avbokat" in t for t in texts)


async def test_retention_keeps_founders_with_a_recent_meeting(app, clock):
    chat = Chat(app, "console:kim", pace=3)
    await chat.say("hej")
    meeting = await book_first(app, chat.address)
    clock.set(meeting.end + timedelta(days=89))  # last contact long ago, but the meeting was 89 days back
    retention = next(s for s in app.background if type(s).__name__ == "RetentionService")
    await retention.run_due()
    assert await tables_mentioning(app, chat.address)
    clock.set(meeting.end + timedelta(days=91))
    await retention.run_due()
    assert await tables_mentioning(app, chat.address) == []
