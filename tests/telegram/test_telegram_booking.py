"""Booking over Telegram end to end: inline buttons, the .ics document, officials linked by invite code
who answer with buttons, and a booking that survives a restart. PTB talks to the fake Bot API over HTTP."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from booking.model import MeetingState

from .fake_botapi import FakeBotApi
from .harness import BotUnderTest, TgUser

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

DEMO_OFFICIALS = ("demo-anna", "demo-karl", "demo-bengt", "demo-dana", "demo-cecilia", "demo-erik", "demo-frida")


@pytest.fixture
async def fake():
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def bot(fake, settings, clock, knowledge_store):
    running = await BotUnderTest(fake, settings, clock, knowledge_store).start()
    yield running
    await running.stop()


async def choose_topics_and_idea(founder: TgUser, idea: str) -> None:
    await founder.say("Vad är ett ASF?")
    await founder.say("jag vill boka ett möte")
    assert "Innan vi bokar" in founder.text()
    await founder.press("bk:ok")
    assert "✓ Vad ett ASF är" in founder.buttons()
    await founder.press("Företagsform")
    assert "✓ Företagsform" in founder.buttons()
    assert [c.method for c in founder.last] == ["editMessageText"]  # the topic list is ticked in place
    await founder.press("Klar")
    await founder.say(idea)


async def pick_time_and_book(founder: TgUser, fake: FakeBotApi) -> str:
    assert "kommun" in founder.text()
    await founder.say("botkyrka")
    times = founder.buttons()
    assert "Fler tider" in times
    await founder.press("Fler tider")
    later = founder.buttons()
    assert later[0] not in times
    await founder.press(later[0])
    assert "Stämmer det här?" in founder.text() and "Botkyrka" in founder.text()
    await founder.press("Boka")
    assert "Bokat! Referens:" in founder.text()
    document = founder.last[-1]
    assert document.method == "sendDocument" and document.ok
    upload = document.files["document"]
    assert upload.filename.endswith(".ics")
    assert Calendar.from_ical(bytes(upload.content))["METHOD"] == "REQUEST"
    return re.search(r"Referens: (\w+)", founder.text())[1]


async def test_a_founder_books_with_buttons_and_gets_the_ics(bot, fake):
    founder = bot.user(2001)
    await choose_topics_and_idea(founder, "Café <Återbruk> & verkstad")
    ref = await pick_time_and_book(founder, fake)
    sent = fake.sent(founder.id)
    assert all(c.ok for c in sent), [(c.method, c.status) for c in sent if not c.ok]
    assert all(len(data.encode()) <= 64 for c in sent for _, data in c.buttons)

    meeting = await bot.app.booking.meeting(ref)
    assert meeting.founder_address == founder.address and meeting.municipality == "Botkyrka"
    assert set(meeting.topics) == {"asf", "foretagsform"} and meeting.idea == "Café <Återbruk> & verkstad"

    await founder.say("/mina")
    assert ref in founder.text()


async def test_deep_links_start_booking_and_open_an_faq_entry(bot, fake):
    founder = bot.user(2010)
    await founder.say("/start boka")  # https://t.me/<bot>?start=boka
    assert "Innan vi bokar" in founder.text()
    reader = bot.user(2011)
    await reader.say("/start faq_asf-vad-ar")  # https://t.me/<bot>?start=faq_asf-vad-ar
    assert "arbetsintegrerande" in reader.text().lower()
    await reader.say("/start faq_finns-inte")
    assert reader.text() and all(c.ok for c in reader.last)


async def test_officials_link_by_invite_and_answer_notifications_with_buttons(bot, fake):
    service = bot.app.booking
    officials: dict[str, TgUser] = {}
    for n, official_id in enumerate(DEMO_OFFICIALS):
        person = bot.user(3001 + n)
        code = await bot.app.roles.create_invite("official", subject=official_id)
        await person.say(f"/start inv_{code}")
        assert "Koden fungerar inte" not in person.text()
        officials[official_id] = person
        if n == 0:  # a code works once
            await person.say(f"/start inv_{code}")
            assert "Koden fungerar inte" in person.text()
    assert (await service.official_by_address("tg:3005")).id == "demo-cecilia"

    founder = bot.user(2020)
    # The idea reaches the officials as typed: the fake rejects HTML Telegram would not parse (escaping).
    await choose_topics_and_idea(founder, "Café <Återbruk> & verkstad")
    ref = await pick_time_and_book(founder, fake)
    meeting = await service.meeting(ref)
    first, second = (officials[i] for i in meeting.official_ids[:2])

    # Each invited official got the request in their own Telegram chat, with accept/decline buttons.
    for person in (first, second):
        notice = [c for c in fake.sent(person.id) if ref in c.visible_text]
        assert notice and {data for _, data in notice[-1].buttons} >= {f"mt:acc:{ref}:0", f"mt:dec:{ref}:0"}
        assert "Café <Återbruk> & verkstad" in notice[-1].visible_text and notice[-1].ok

    await first.press("Ja, jag kommer")
    assert "Tack!" in first.text()
    assert first.last[0].method == "editMessageText"  # the request turns into the answer, no new message
    assert fake.messages[(first.id, first.last[0].params["message_id"])].get("reply_markup") is None

    since = len(fake.calls)
    await second.press("Nej, jag kan inte")
    assert "tar din plats" in second.text() or "avbokat" in second.text()
    assert any(ref in c.visible_text for c in fake.sent(founder.id, since))  # the founder hears of it
    after = await service.meeting(ref)
    declined_id = meeting.official_ids[1]
    assert declined_id not in after.official_ids or after.state == MeetingState.CANCELLED
    substitutes = [officials[i] for i in after.official_ids if i not in meeting.official_ids]
    for person in substitutes:  # a substitute linked on Telegram is asked there
        assert any(ref in c.visible_text and c.buttons for c in fake.sent(person.id, since))


async def test_a_booking_half_done_resumes_after_a_restart(bot, fake):
    founder = bot.user(2030)
    await founder.say("/boka")
    await founder.press("bk:ok")
    await founder.press("Lokaler")
    await founder.press("Klar")
    await bot.restart()
    await founder.say("Second hand-butik med arbetsträning")
    assert "kommun" in founder.text()
    await founder.press("Vet inte än")
    await founder.press(founder.buttons()[0])
    await founder.press("Boka")
    assert "Bokat!" in founder.text()
    assert founder.last[-1].method == "sendDocument"
    [meeting] = await bot.app.booking.upcoming_for(founder.address)
    assert meeting.idea == "Second hand-butik med arbetsträning" and "lokaler" in meeting.topics


async def test_the_start_guide_with_buttons_and_the_checklist_as_a_document(bot, fake):
    founder = bot.user(2099)
    await founder.say("/start guide")  # the deep link t.me/<bot>?start=guide
    assert "Steg 1 av" in founder.text()
    await founder.press("Klart ✓")
    assert [c.method for c in founder.last] == ["editMessageText"]  # the step is replaced in place
    assert "Steg 2 av" in founder.text()
    await founder.press("Hämta checklista")
    document = founder.last[-1]
    assert document.method == "sendDocument" and document.ok
    upload = document.files["document"]
    assert upload.filename == "dukat-bord-checklista.md"
    assert "- [x] 1." in bytes(upload.content).decode("utf-8")
