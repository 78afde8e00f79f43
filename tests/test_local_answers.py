"""Answers that depend on the installation and the founder (issue 16): the bot's own privacy answers name the
operator running it (DUKAT_OPERATOR_NAME, DUKAT_OPERATOR_URL), never the municipality; questions about whom to
talk to at the municipality name the founder's own municipality, its website and, where a seed says which, its
ASF unit. Real engine, real SQLite; `ask` as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Settings
from knowledge.loader import check_knowledge
from knowledge.municipalities import get_municipality
from tests.conftest import Chat

OPERATOR = "Samordningsförbundet Exempel"
OPERATOR_URL = "https://www.exempel.se/dukat-bord"
NOT_SET_SV = "Vem det är har inte angetts här"
NOT_SET_EN = "Who that is has not been set here"

ERASE_SV = "Hur raderar jag mina uppgifter i Dukat bord?"
WHO_AT_KOMMUN_SV = "vem på kommunen jobbar med socialt företagande?"
WHO_AT_KOMMUN_EN = "who at the municipality works with social enterprise?"
WHICH_UNIT_SV = "vilken enhet på kommunen ska jag prata med"
KONTAKTA_SV = "Hur kontaktar jag min kommun om att starta ett ASF?"
BOTKYRKA_UNIT_SV = "Hos kommunen: arbetsmarknads- och vuxenutbildningsförvaltningen"
BOTKYRKA_UNIT_EN = "At the municipality: the labour-market and adult-education department"


@pytest.fixture
async def operated_app(tmp_path: Path, clock, knowledge_store):
    settings = Settings(db_path=str(tmp_path / "dukat.db"), data_dir=str(tmp_path / "data"),
                        operator_name=OPERATOR, operator_url=OPERATOR_URL)
    application = await build_app(settings, clock=clock, knowledge=knowledge_store)
    yield application
    await application.close()


async def told(chat: Chat, municipality: str) -> Chat:
    await chat.say("/kommun")
    await chat.say(municipality)
    assert "Tack!" in chat.text() or "Thank you" in chat.text(), chat.text()
    return chat


async def asked_who_at_kommun(chat: Chat) -> str:
    """The Swedish question, answered directly (not a "did you mean" to pick the entry from)."""
    await chat.say(WHO_AT_KOMMUN_SV)
    assert KONTAKTA_SV not in chat.buttons(), chat.text()
    return chat.text()


# --- the operator in the privacy answers -------------------------------------------------------------------


async def test_privacy_notice_names_the_configured_operator(operated_app):
    chat = Chat(operated_app, "console:op-sv")
    await chat.say("/integritet")
    assert f"Ansvarig för dina uppgifter här är {OPERATOR}, {OPERATOR_URL}." in chat.text(), chat.text()
    assert "kommun" not in chat.text().split("\n\n")[-1].lower() and NOT_SET_SV not in chat.text()
    english = Chat(operated_app, "console:op-en", lang_hint="en")
    await english.say("/privacy")
    assert f"Your data here is the responsibility of {OPERATOR}, {OPERATOR_URL}." in english.text(), english.text()


async def test_privacy_notice_without_an_operator_says_who_and_how_to_find_out(chat):
    await chat.say("/integritet")
    last = chat.text().split("\n\n")[-1]
    assert last.startswith("Ansvarig för dina uppgifter här är den som driver den här chattjänsten."), last
    assert NOT_SET_SV in last and "fråga den som gav dig länken" in last
    assert "kommun" not in last.lower() and "http" not in last


async def test_privacy_entries_name_the_operator_not_the_founders_municipality(operated_app):
    chat = await told(Chat(operated_app, "console:op-home"), "Norrköping")
    await chat.say(ERASE_SV)
    assert "/glom" in chat.text() and f"Ansvarig: {OPERATOR}, {OPERATOR_URL}" in chat.text(), chat.text()
    assert "Norrköpings kommun" not in chat.text()
    await chat.say("vem är ansvarig för mina uppgifter?")
    assert OPERATOR in chat.text() and "kommun" not in chat.text().lower(), chat.text()
    await chat.say("Hur bokar jag ett Dukat bord-möte?")  # about the service too: its operator answers for it
    assert f"Ansvarig: {OPERATOR}, {OPERATOR_URL}" in chat.text() and "Norrköpings kommun" not in chat.text()


async def test_privacy_entries_without_an_operator_never_say_kommunen_nor_offer_the_municipality(chat):
    await chat.say(ERASE_SV)
    footer = chat.text().split("\n\n")[-1]
    assert footer.startswith("Ansvarig: den som driver den här chattjänsten\n"), footer
    assert NOT_SET_SV in footer and "kommun" not in footer.lower()
    assert "Ange din kommun" not in chat.buttons()
    english = Chat(chat.app, "console:no-op-en", lang_hint="en")
    await english.say("who is responsible for my data?")
    assert "whoever runs this chat service" in english.text() and NOT_SET_EN in english.text(), english.text()
    assert "municipality" not in english.text()


def _ask(tmp_path: Path, question: str, **env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DUKAT_")}
    environment |= {"DUKAT_DB": str(tmp_path / "cli.db"), "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **env}
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "--json", question], capture_output=True,
                            text=True, env=environment, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ask_names_the_operator_from_the_environment(tmp_path):
    row = _ask(tmp_path, "integritetspolicy", DUKAT_OPERATOR_NAME=OPERATOR, DUKAT_OPERATOR_URL=OPERATOR_URL)
    assert row["intent"] == "privacy" and f"{OPERATOR}, {OPERATOR_URL}" in row["answer"], row
    row = _ask(tmp_path, "integritetspolicy")
    assert "den som driver den här chattjänsten" in row["answer"] and NOT_SET_SV in row["answer"], row


# --- whom to talk to at the founder's own municipality ----------------------------------------------------


async def test_a_municipality_with_a_unit_from_the_seeds_names_it_and_its_website(app):
    chat = await told(Chat(app, "console:botkyrka"), "Botkyrka")
    text = await asked_who_at_kommun(chat)
    assert "Ansvarig: Botkyrka kommun, https://www.botkyrka.se\n" + BOTKYRKA_UNIT_SV in text, text
    assert "vet jag inte" not in text and "Ange din kommun" not in chat.buttons()
    await chat.say(WHICH_UNIT_SV)
    assert "Botkyrka kommun, https://www.botkyrka.se" in chat.text() and BOTKYRKA_UNIT_SV in chat.text(), chat.text()
    await chat.say("vem ska jag kontakta om lokaler?")  # a routing answer lists it with the unit too
    assert "• Botkyrka kommun:" in chat.text() and BOTKYRKA_UNIT_SV in chat.text(), chat.text()
    english = await told(Chat(app, "console:botkyrka-en", lang_hint="en"), "Botkyrka")
    await english.say(WHO_AT_KOMMUN_EN)
    expected = "Responsible: Botkyrka kommun, https://www.botkyrka.se\n" + BOTKYRKA_UNIT_EN
    assert expected in english.text(), english.text()


@pytest.mark.parametrize("municipality, official, website", [
    ("Norrköping", "Norrköpings kommun", "https://www.norrkoping.se"),  # not in the seeds at all
    ("Göteborg", "Göteborgs stad", "https://goteborg.se"),  # in the seeds, with no unit named
])
async def test_a_municipality_without_a_known_unit_says_which_units_to_ask_for(app, municipality, official, website):
    chat = await told(Chat(app, f"console:{municipality}"), municipality)
    text = await asked_who_at_kommun(chat)
    expected = (f"Ansvarig: {official}, {website}\nVilken enhet på {official} som har hand om frågor om sociala "
                f"företag vet jag inte. Fråga efter näringslivskontoret eller arbetsmarknadsenheten, via {website}.")
    assert expected in text, text
    assert "Hos kommunen:" not in text and "skr.se" not in text


async def test_an_unknown_municipality_says_where_to_look_and_offers_to_tell_it(chat):
    text = await asked_who_at_kommun(chat)
    assert "Ansvarig: din kommun\nLeta efter din kommuns näringslivskontor eller arbetsmarknadsenhet" in text, text
    assert "Ange din kommun" in chat.buttons() and "http" not in text
    await chat.say(WHICH_UNIT_SV)
    assert "näringslivskontor eller arbetsmarknadsenhet" in chat.text() and "Ange din kommun" in chat.buttons()
    await chat.press("Ange din kommun")
    await chat.say("botkyrka")
    await asked_who_at_kommun(chat)
    assert BOTKYRKA_UNIT_SV in chat.text(), chat.text()


async def test_other_answers_keep_the_short_footer(app):
    """Only answers that send the founder to the municipality add whom to ask for there."""
    chat = await told(Chat(app, "console:short"), "Norrköping")
    await chat.say("Har kommunerna någon policy för ASF?")
    assert chat.text().endswith("Ansvarig: Norrköpings kommun, https://www.norrkoping.se"), chat.text()


# --- the data behind it -------------------------------------------------------------------------------------


def test_every_municipality_entry_is_found_in_the_directory(knowledge_store):
    """A founder's municipality finds its entry (and ASF unit) by the directory's name."""
    for authority in knowledge_store.current.municipalities():
        found = get_municipality(authority.municipality or "")
        assert found is not None and found.name == authority.municipality, authority.id
        assert found.county == authority.county, authority.id


@pytest.mark.parametrize("written", ["Botkyrkå", "botkyrka", "Botkyrka kommun"])
def test_faq_check_reports_an_entry_not_named_as_the_directory_names_it(knowledge_copy, written):
    path = knowledge_copy / "authorities.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("municipality: Botkyrka", f"municipality: {written}"),
                    encoding="utf-8")
    knowledge, problems = check_knowledge(knowledge_copy)
    assert knowledge is None
    assert [(p.entry, p.code, p.params) for p in problems] == [
        ("kommun-botkyrka", "unknown_municipality", {"name": written})]
