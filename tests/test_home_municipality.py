"""The founder's own municipality (issue 16): "din kommun" while unknown, never skr.se; told once, remembered,
shown in later answers, offered when booking, listed by /mina_data and erased by /glom. Real engine, real SQLite."""

from __future__ import annotations

import json

from tests.conftest import Chat
from tests.test_booking_dialogue import book_through_chat

KOMMUN_SV = "Hur kontaktar jag min kommun om att starta ett ASF?"
KOMMUN_EN = "How do I contact my municipality about starting an ASF?"


async def test_unknown_municipality_says_din_kommun_and_never_links_skr(chat):
    await chat.say(KOMMUN_SV)
    assert "Ansvarig: din kommun" in chat.text(), chat.text()
    assert "skr.se" not in chat.text() and "Kommunen," not in chat.text()
    assert "Ange din kommun" in chat.buttons()


async def test_told_once_then_answers_name_the_municipality_and_its_site(chat):
    await chat.say(KOMMUN_SV)
    await chat.press("Ange din kommun")
    assert "Vilken kommun" in chat.text()
    await chat.say("norrkoping")  # no diacritics
    assert "Norrköpings kommun" in chat.text()
    await chat.say("Vad är ett ASF?")
    await chat.say(KOMMUN_SV)
    assert "Ansvarig: Norrköpings kommun, https://www.norrkoping.se" in chat.text(), chat.text()
    assert "Ange din kommun" not in chat.buttons() and "skr.se" not in chat.text()


async def test_a_typo_is_read_and_an_unknown_name_asked_again(chat):
    await chat.say(KOMMUN_SV)
    await chat.press("Ange din kommun")
    await chat.say("Blablastad")
    assert "hittar ingen kommun" in chat.text()
    await chat.say("Norrkööping")
    assert "Norrköpings kommun" in chat.text()


async def test_skipping_means_not_asked_again(chat):
    await chat.say(KOMMUN_SV)
    await chat.press("Ange din kommun")
    await chat.press("Hoppa över")
    await chat.say(KOMMUN_SV)
    assert "din kommun" in chat.text() and "Ange din kommun" not in chat.buttons()


async def test_english_footer_and_question(app):
    chat = Chat(app, "console:home-en", lang_hint="en")
    await chat.say(KOMMUN_EN)
    assert "Responsible: your municipality" in chat.text(), chat.text()
    assert "skr.se" not in chat.text()
    await chat.press("Tell me your municipality")
    await chat.say("Norrkoping")
    await chat.say(KOMMUN_EN)
    assert "Responsible: Norrköpings kommun, https://www.norrkoping.se" in chat.text(), chat.text()


async def test_the_municipality_typed_when_booking_is_remembered_and_offered_next_time(app):
    chat = Chat(app, "console:home-book")
    await book_through_chat(chat)  # types "botkyrka" at the municipality step
    await chat.say(KOMMUN_SV)
    assert "Botkyrka kommun" in chat.text(), chat.text()
    assert "skr.se" not in chat.text()
    await chat.say("jag vill boka ett möte")
    await chat.press("bk:ok")
    await chat.press("Klar")
    await chat.press("Hoppa över")
    assert "Samma kommun: Botkyrka" in chat.buttons(), chat.buttons()
    await chat.press("Samma kommun: Botkyrka")
    session = await app.db.fetchone("SELECT data FROM sessions WHERE address = ?", (chat.address,))
    assert json.loads(session["data"])["municipality"] == "Botkyrka"


async def test_my_data_lists_it_and_erasing_removes_it(chat, app):
    await chat.say(KOMMUN_SV)
    await chat.press("Ange din kommun")
    await chat.say("nkpg")
    await chat.say("/mina_data")
    (attachment,) = chat.last[0].attachments
    profile = json.loads(attachment.content)["profile"]["user"]
    assert profile["municipality"] == "0581" and profile["municipality_name"] == "Norrköpings kommun"
    await chat.say("/glom")
    await chat.press("pv:erase")
    assert await app.db.fetchone("SELECT municipality FROM users WHERE address = ?", (chat.address,)) is None
    await chat.say(KOMMUN_SV)
    assert "din kommun" in chat.text() and "Norrköping" not in chat.text()


async def test_a_place_typed_under_the_offer_answers_it_without_pressing(chat):
    """A person types the place instead of pressing "Ange din kommun"; a question there is still answered."""
    await chat.say(KOMMUN_SV)
    assert "Ange din kommun" in chat.buttons()
    await chat.say("norrkoping")
    assert "Norrköpings kommun" in chat.text() and "Det vet jag tyvärr inte" not in chat.text()
    await chat.say(KOMMUN_SV)
    assert "Ansvarig: Norrköpings kommun, https://www.norrkoping.se" in chat.text(), chat.text()


async def test_a_municipality_told_in_passing_is_remembered(app):
    chat = Chat(app, "console:stated-sv")
    await chat.say("jag bor i Norrköping")
    assert "Tack! Jag kommer ihåg Norrköpings kommun" in chat.text(), chat.text()
    assert "Det vet jag tyvärr inte" not in chat.text()
    await chat.say(KOMMUN_SV)
    assert "Ansvarig: Norrköpings kommun, https://www.norrkoping.se" in chat.text(), chat.text()
    # told with a question: kept, and the question answered with it
    await chat.say("vi finns i Botkyrka nu, hur kontaktar jag min kommun om att starta ett ASF?")
    assert "Jag kommer ihåg Botkyrka kommun" in chat.text() and "Ansvarig: Botkyrka kommun" in chat.text(), chat.text()
    english = Chat(app, "console:stated-en", lang_hint="en")
    await english.say("I live in Uppsala")
    assert "Uppsala kommun" in english.text() and "I am afraid" not in english.text(), english.text()
    await english.say(KOMMUN_EN)
    assert "Responsible: Uppsala kommun" in english.text(), english.text()


async def test_a_place_that_is_no_statement_of_home_is_not_kept(chat):
    await chat.say("vi vill starta ett café i Malmö, vilken företagsform passar?")
    await chat.say(KOMMUN_SV)
    assert "Ansvarig: din kommun" in chat.text() and "Malmö" not in chat.text(), chat.text()


async def test_the_privacy_notice_and_entry_say_the_municipality_told_is_stored(chat, app):
    await chat.say("/integritet")
    assert "din kommun om du har berättat den" in chat.text(), chat.text()
    await chat.say("Måste jag uppge personnummer för att boka ett möte?")
    text = chat.text()
    assert "Personnummer frågar jag aldrig efter" in text and "vilken kommun du bor i" in text, text
