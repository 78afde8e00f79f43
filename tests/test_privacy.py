"""The user's control over their data, retention, and flood protection."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.ratelimit import RateLimiter
from tests.conftest import START, Chat


async def tables_mentioning(app, needle: str) -> list[str]:
    """Every table with a row that contains `needle` in any text column."""
    tables = [r["name"] for r in await app.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = []
    for table in tables:
        for row in await app.db.fetchall(f"SELECT * FROM {table}"):
            if any(isinstance(v, str) and needle in v for v in tuple(row)):
                found.append(table)
                break
    return found


async def test_my_data_contains_what_the_database_holds(app, chat):
    await chat.say("What is an ASF?")
    await chat.say("/mina_data")
    (attachment,) = chat.last[0].attachments
    data = json.loads(attachment.content)
    assert data["profile"]["user"]["address"] == chat.address
    assert data["profile"]["user"]["lang"] == "en"
    row = await app.db.fetchone("SELECT recent_topics FROM users WHERE address = ?", (chat.address,))
    assert data["profile"]["user"]["recent_topics"] == row["recent_topics"]


async def test_forget_me_asks_first_then_leaves_no_row(app, chat):
    await chat.say("Vad är ett ASF?")
    await chat.say("/glom")
    await chat.press("Nej, behåll")
    assert await tables_mentioning(app, chat.address)
    await chat.say("/glom")
    await chat.press("Ja, radera allt")
    assert "raderat" in chat.text()
    assert await tables_mentioning(app, chat.address) == []


async def test_forged_privacy_payload_changes_nothing(app, chat):
    await chat.say("hej")
    from bot.messages import Incoming

    replies = await app.engine.handle(Incoming(chat.address, payload="pv:everything"))
    assert "knappen gäller inte" in replies[0].text
    assert await tables_mentioning(app, chat.address)


async def test_retention_deletes_exactly_what_is_old(app, clock):
    old, recent = Chat(app, "console:old"), Chat(app, "console:recent")
    await old.say("hej")
    clock.advance(days=60)
    await recent.say("hej")
    clock.advance(days=31)  # old: 91 days since last contact, recent: 31
    retention = next(s for s in app.background if type(s).__name__ == "RetentionService")
    assert await retention.run_due() == 1
    assert await tables_mentioning(app, "console:old") == []
    assert await tables_mentioning(app, "console:recent")


async def test_flooding_gets_a_short_reply_to_every_refused_message(app, clock):
    chat = Chat(app, "console:flood")
    answered = refused = 0
    for _ in range(40):
        replies = await chat.say("hej")
        assert len(replies) == 1 or not answered  # the first also has the welcome
        is_refusal = "snabbare" in replies[0].text or "Inte heller läst" in replies[0].text
        answered += not is_refusal
        refused += is_refusal
    assert answered == app.engine.rate_limiter.capacity and refused == 40 - answered
    clock.advance(seconds=1)
    assert (await chat.say("hej"))[0].text == app.catalogue.text("sv", "flood.not_read", seconds=1)
    clock.advance(minutes=2)
    assert (await chat.say("hej"))[0].text.startswith("Hej")


def test_rate_limiter_refills_over_time():
    limiter = RateLimiter(capacity=2, per_minute=60)
    verdicts = [limiter.take("a", START) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, False, False]
    assert [v.repeated for v in verdicts[2:]] == [False, True] and verdicts[2].retry_after == 1
    assert limiter.take("a", START + timedelta(seconds=1)).allowed
    assert limiter.take("b", START).allowed
