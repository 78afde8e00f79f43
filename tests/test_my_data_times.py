"""/mina_data shows times as the founder lives them: Stockholm time with its offset, winter and summer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from tests.conftest import Chat


async def book_at(app, founder: str, start: datetime):
    service = app.booking
    slots = await service.offer(["asf"], None, after=start - timedelta(minutes=1), limit=40)
    slot = next(s for s in slots if s.start == start)
    return await service.book(founder, slot, ["asf"], None, "Café")


async def test_meetings_and_contact_times_are_in_stockholm_time_with_the_offset(app, clock):
    founder = Chat(app, "console:tider", pace=3)
    await founder.say("hej")
    winter = await book_at(app, founder.address, datetime(2026, 3, 12, 14, 0, tzinfo=timezone.utc))
    clock.set(datetime(2026, 3, 25, 8, 0, tzinfo=timezone.utc))  # summer time starts on 29 March
    summer = await book_at(app, founder.address, datetime(2026, 4, 1, 13, 0, tzinfo=timezone.utc))
    await founder.say("/mina_data")
    data = json.loads(founder.last[0].attachments[0].content)

    assert data["time_zone"] == "Europe/Stockholm"
    meetings = {m["ref"]: m for m in data["booking"]["meetings"]}
    assert (meetings[winter.ref]["start"], meetings[winter.ref]["end"]) == (
        "2026-03-12T15:00:00+01:00", "2026-03-12T15:30:00+01:00")
    assert meetings[summer.ref]["start"] == "2026-04-01T15:00:00+02:00"
    user = data["profile"]["user"]
    assert user["created_at"] == user["last_seen"] == "2026-03-10T09:00:03+01:00"  # "hej", at 08:00:03 UTC
