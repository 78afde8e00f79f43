"""A flood never gets silence: through the real engine on a real database with a fake clock, every message
over the limit gets a short reply saying it was not read, and presses of the options just shown are never
counted as flooding."""

from __future__ import annotations

from datetime import timedelta

from bot.messages import Incoming

from .conftest import Chat
from .test_cli import run
from .test_hostile import dump

QUESTION = "Vad är ett ASF?"


def refusals(app, lang: str = "sv") -> tuple[str, str]:
    """The first refusal of a flood, and the start of the following ones."""
    return app.catalogue.text(lang, "core.slow_down"), app.catalogue.text(lang, "flood.not_read", seconds=0)[:15]


def refused(app, replies, lang: str = "sv") -> bool:
    first, again = refusals(app, lang)
    return len(replies) == 1 and (replies[0].text == first or replies[0].text.startswith(again))


async def test_a_burst_and_the_messages_after_it_each_get_a_reply(app, clock):
    address = "console:flood"
    await Chat(app, address).say("hej")
    clock.advance(minutes=5)  # a full bucket
    capacity = app.engine.rate_limiter.capacity
    burst = [await app.engine.handle(Incoming(address, text=QUESTION)) for _ in range(capacity)]
    before = dump(app.settings.db_path)
    burst += [await app.engine.handle(Incoming(address, text=QUESTION)) for _ in range(5)]
    assert dump(app.settings.db_path) == before  # a refused message changes nothing in the database
    assert all(burst), "a message of the burst got no reply"
    assert not any(refused(app, replies) for replies in burst[:capacity])
    assert "arbetsintegrerande" in burst[0][-1].text.lower()
    first, again = refusals(app)
    assert [r[0].text for r in burst[capacity:capacity + 1]] == [first]
    assert [r[0].text for r in burst[capacity + 1:]] == [app.catalogue.text("sv", "flood.not_read", seconds=2)] * 4

    later = []
    for _ in range(3):  # later messages, one a second: the bucket refills one every two seconds
        clock.advance(seconds=1)
        later.append(await app.engine.handle(Incoming(address, text=QUESTION)))
    assert all(later), "a later message got no reply"
    assert [refused(app, replies) for replies in later] == [True, False, True]
    assert later[0][0].text == app.catalogue.text("sv", "flood.not_read", seconds=1)
    assert "arbetsintegrerande" in later[1][-1].text.lower()

    neighbour = await app.engine.handle(Incoming("console:neighbour", text=QUESTION))
    assert neighbour and not refused(app, neighbour)  # one flooder does not hold up others


async def test_the_refusal_is_in_the_users_language(app, clock):
    chat = Chat(app, "console:english")
    await chat.say("english please")
    for _ in range(app.engine.rate_limiter.capacity + 2):
        replies = await chat.say("What is an ASF?")
    assert refused(app, replies, "en") and replies[0].text.startswith("Not read either")


async def test_pressing_the_options_just_shown_is_never_refused(app, clock):
    chat = Chat(app, "console:quick")
    await chat.say("jag vill boka ett möte")
    await chat.press("bk:ok")
    labels = chat.buttons()
    assert "Företagsform" in labels and "Klar" in labels
    payload = next(b.payload for r in chat.last for b in r.all_buttons() if b.label == "Företagsform")
    for _ in range(app.engine.rate_limiter.capacity + 1):  # the limit used up with questions mid-flow
        await app.engine.handle(Incoming(chat.address, text=QUESTION))
    assert refused(app, await app.engine.handle(Incoming(chat.address, text=QUESTION)))

    chosen = False
    for i in range(41):  # the same instant: pressed, typed as its number, typed as its text
        if i % 3 == 0:
            replies = await app.engine.handle(Incoming(chat.address, payload=payload))
        else:
            number = labels.index("Företagsform") + 1
            replies = await chat.say(str(number) if i % 3 == 1 else ("✓ Företagsform" if chosen else "företagsform"))
        assert not refused(app, replies), f"press {i} was refused"
        chosen = not chosen
        assert ("✓ Företagsform" in [b.label for r in replies for b in r.all_buttons()]) == chosen
    assert not refused(app, await chat.say("Klar"))  # "Klar" is one of the options too
    assert "idé" in chat.text()

    stale = await app.engine.handle(Incoming(chat.address, payload="faq:asf-vad-ar"))  # not an option shown now
    assert refused(app, stale)
    typed = await app.engine.handle(Incoming(chat.address, text="Vad kostar det?"))  # a question, not an answer
    assert refused(app, typed)
    clock.advance(seconds=2)
    assert not refused(app, await app.engine.handle(Incoming(chat.address, text="Vad kostar det?")))


def test_the_console_shows_a_reply_to_every_line_of_a_burst(tmp_path):
    """`dukat-bord chat` prints what the engine answers: no line of a piped burst goes unanswered."""
    lines = 30
    result = run(["chat"], tmp_path, stdin="hej\n" * lines)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stdout.splitlines() if line.startswith("Dukat bord: ")]
    assert len(said) == lines + 1  # one reply each, and the welcome before the first
    refusal = [line for line in said if "snabbare än jag hinner läsa" in line or "Inte heller läst" in line]
    assert refusal, "30 lines at once are over the limit"  # the real clock: the limit refills 1 per 2 s
