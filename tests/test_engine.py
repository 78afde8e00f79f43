"""Conversations through the real engine and a real SQLite file."""

from __future__ import annotations

from bot.app import build_app
from bot.messages import Incoming
from tests.conftest import Chat


async def test_first_contact_gets_the_privacy_notice_once(chat):
    await chat.say("Hej")
    assert "/integritet" in chat.last[0].text
    await chat.say("Hej igen")
    assert all("/integritet" not in r.text for r in chat.last)


async def test_swedish_question_is_answered_with_the_responsible_authority(chat, knowledge_store):
    await chat.say("Vad är ett ASF?")
    text = chat.text()
    knowledge = knowledge_store.current
    entry = knowledge_store.matcher.match("Vad är ett ASF?", "sv").candidates[0]
    responsible = knowledge.authorities[knowledge.entries[entry.entry_id].authorities[0]]
    assert knowledge.entries[entry.entry_id].answer.sv in text
    assert responsible.name.sv in text and responsible.website in text


async def test_without_diacritics_and_with_typos(chat):
    await chat.say("vem betalar lonebidrag")
    assert "Arbetsförmedlingen" in chat.text()


async def test_english_question_gets_english_answer_and_language_is_remembered(app):
    chat = Chat(app, "console:en-user")
    await chat.say("What is a work integration social enterprise?")
    assert "Responsible:" in chat.text()
    await chat.say("hi")
    assert chat.text().startswith("Hi")


async def test_language_switch_by_command_and_button(chat):
    await chat.say("/sprak")
    await chat.press("English")
    assert chat.text() == "I will write in English now."
    await chat.say("Vad är ett ASF?")  # an explicit choice is kept even for Swedish questions
    assert "Responsible:" in chat.text()


async def test_out_of_scope_is_answered_honestly_and_logged_without_identity(app, chat):
    await chat.say("Vad blir det för väder i morgon i Göteborg?")
    assert "Det vet jag tyvärr inte" in chat.text()
    rows = await app.db.fetchall("SELECT * FROM unanswered")
    assert [r["text"] for r in rows] == ["Vad blir det för väder i morgon i Göteborg?"]
    assert "console:test" not in " ".join(str(v) for r in rows for v in tuple(r))


async def test_did_you_mean_offers_at_most_three_and_a_button_answers(app, chat, knowledge_store):
    # Find a question the matcher is unsure about among short, vague phrasings.
    for vague in ("stöd", "pengar", "bidrag", "kommunen", "anställa", "hjälp med starten"):
        await chat.say(vague)
        if chat.text().startswith("Jag är inte säker"):
            break
    else:
        raise AssertionError("no vague question produced 'menade du'")
    labels = chat.buttons()
    assert 2 <= len(labels) <= 4 and labels[-1] == "Inget av dessa"
    await chat.press(labels[0])
    assert "Ansvarig:" in chat.text()


async def test_none_of_these_records_the_question(app, chat):
    for vague in ("stöd", "pengar", "bidrag", "kommunen", "anställa", "hjälp med starten"):
        await chat.say(vague)
        if "Inget av dessa" in chat.buttons():
            break
    await chat.press("Inget av dessa")
    assert "sparat frågan" in chat.text()
    rows = await app.db.fetchall("SELECT text FROM unanswered")
    assert rows and rows[-1]["text"] == vague


async def test_routing_question_names_the_authority(chat):
    await chat.say("Vem ska jag kontakta om lönebidrag?")
    assert "Arbetsförmedlingen" in chat.text()


async def test_greeting_help_thanks_and_person(chat):
    await chat.say("hej")
    await chat.say("hej")
    assert chat.text().startswith("Hej! Vad vill du veta")
    await chat.say("/help")
    assert "/sprak" in chat.text()
    await chat.say("tack!")
    assert chat.text().startswith("Varsågod")
    await chat.say("kan jag prata med en människa")
    assert "Dukat bord-möte" in chat.text()


async def test_bad_input_gets_a_clear_message_and_changes_nothing(app, chat):
    await chat.say("hej")
    before = await app.db.fetchall("SELECT * FROM unanswered")
    await chat.say("   \u200b\u202e ")
    assert "inget meddelande" in chat.text()
    await chat.say("a" * 5000)
    assert "för långt" in chat.text()
    chat.last = await app.engine.handle(Incoming(chat.address, payload="zz:forged"))
    assert "knappen gäller inte" in chat.text()
    await chat.say("/finnsinte")
    assert "/finnsinte" in chat.text()
    assert await app.db.fetchall("SELECT * FROM unanswered") == before


async def test_control_and_bidi_characters_are_stripped(chat):
    await chat.say("Vad\u202e är\u200b ett\x07 ASF?")
    assert "Ansvarig:" in chat.text()


async def test_language_and_state_survive_a_restart(settings, clock, knowledge_store):
    app = await build_app(settings, clock=clock, knowledge=knowledge_store)
    chat = Chat(app, "console:restart")
    await chat.say("/sprak en")
    await app.close()
    app = await build_app(settings, clock=clock, knowledge=knowledge_store)
    chat = Chat(app, "console:restart")
    await chat.say("Vad är ett ASF?")
    assert "Responsible:" in chat.text()
    await app.close()


async def test_telegram_language_hint_sets_the_first_language(app):
    chat = Chat(app, "tg:42", lang_hint="en-GB")
    await chat.say("hej")
    assert chat.last[0].text.startswith("Hi! I am Dukat bord")


async def test_nothing_is_promised_that_does_not_exist(app, chat):
    """Without a booking feature the bot neither advertises nor pretends to book meetings."""
    if app.engine.can_book():
        return
    await chat.say("/help")
    assert "/boka" not in chat.text() and "/sprak" in chat.text()
    await chat.say("jag vill boka ett möte")
    assert "kan ännu inte bokas" in chat.text()
