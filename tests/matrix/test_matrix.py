"""The Matrix channel against a real Synapse: a founder (matrix-nio, own crypto store) talks to the bot."""

from __future__ import annotations

import html

from bot.channels.matrix import choose, render
from bot.messages import Button, Incoming, Reply


# ---------------------------------------------------------------------- pure translation
def test_options_are_numbered_across_replies_and_all_text_is_escaped():
    replies = [Reply("Menade du <b>?", buttons=[[Button("Vad är ett ASF?", "faq:a"), Button("Nej & ingen", "faq:-")]]),
               Reply("Mer", buttons=[[Button("Boka", "bk:start")]])]
    contents, options = render(replies)
    assert contents[0]["msgtype"] == "m.notice"
    assert contents[0]["body"] == "Menade du <b>?\n\n1. Vad är ett ASF?\n2. Nej & ingen"
    assert "&lt;b&gt;" in contents[0]["formatted_body"] and "<li>Nej &amp; ingen</li>" in contents[0]["formatted_body"]
    assert contents[1]["body"].endswith("3. Boka") and '<ol start="3">' in contents[1]["formatted_body"]
    assert options == [("Vad är ett ASF?", "faq:a"), ("Nej & ingen", "faq:-"), ("Boka", "bk:start")]


def test_an_answer_picks_an_option_by_number_or_exact_text():
    options = [("Ja, boka", "bk:ok"), ("✓ Företagsform", "bk:t:foretag"), ("Avbryt", "bk:no")]
    assert choose("1", options) == "bk:ok"
    assert choose(" 3. ", options) == "bk:no"
    assert choose("ja,  BOKA", options) == "bk:ok"
    assert choose("Företagsform", options) == "bk:t:foretag"
    assert choose("4", options) is None and choose("0", options) is None
    assert choose("ja boka tack", options) is None


# ---------------------------------------------------------------------- against Synapse
async def test_invited_bot_joins_and_answers_a_faq_question_as_a_notice(bot, founder):
    room = await founder.open_dm(bot.user_id)
    answer = await bot.ask(founder, room, "Vad är ett ASF?")
    text = "\n".join(m.body for m in answer)
    assert all(m.msgtype == "m.notice" and m.sender == bot.user_id for m in answer)
    assert "arbetsintegrerande" in text.lower()
    last = answer[-1]
    assert last.content["format"] == "org.matrix.custom.html"
    assert html.unescape(last.formatted_body.replace("<br>", "\n")).startswith(last.body.split("\n\n")[0][:20])


async def test_did_you_mean_options_are_answered_by_number_or_by_their_text(bot, founder):
    room = await founder.open_dm(bot.user_id)
    address = f"mx:{founder.user_id}"
    suggestions = await bot.ask(founder, room, "lönebidrag kommun")
    options = await bot.channel.store.options(address)
    assert len(options) >= 2 and all(payload.startswith("faq:") for _, payload in options)
    assert f"\n1. {options[0][0]}\n2. {options[1][0]}" in suggestions[-1].body
    assert "<ol><li>" in suggestions[-1].formatted_body

    answer = await bot.ask(founder, room, "1")
    text = "\n".join(m.body for m in answer)
    assert "lönebidrag" in text.lower() and "Menade du" not in text

    await bot.ask(founder, room, "lönebidrag kommun")
    label, payload = (await bot.channel.store.options(address))[1]
    by_text = await bot.ask(founder, room, label.upper())
    expected = await bot.app.engine.handle(Incoming("console:compare", payload=payload))
    assert by_text[0].body.split("\n")[0] == expected[-1].text.split("\n")[0]
