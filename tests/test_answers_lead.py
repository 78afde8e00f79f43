"""Answers fit the question: an entry's yes/no lead ("Ja, i praktiken.") opens the answer only when the user
asked a yes/no question; the lead is kept apart in the content, validated, and editable by coordinators."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from bot.app import build_app
from bot.cli import main
from bot.messages import Incoming
from knowledge.loader import check_knowledge, load_knowledge
from knowledge.questions_form import is_yes_no_question
from knowledge.store import KnowledgeStore

from .conftest import Chat

YES_NO = [
    ("sv", "får vi ta ut vinst ur vårt asf"),
    ("sv", "måste vi ha f-skatt?"),
    ("sv", "far man ta ut vinst"),  # no diacritics
    ("sv", "och behöver jag registrera mig nånstans?"),
    ("sv", "Hej! Kan kommunen äga eller driva ett ASF?"),
    ("sv", "Stämmer det att ett ASF inte får gå med vinst?"),
    ("sv", "ett asf får gå med vinst, eller hur?"),
    ("sv", "Vi är fem som startar ett café. Måste vi ha F-skatt?"),
    ("sv", "vi startar ett café, behöver vi f-skatt?"),
    ("sv", "jag undrar om kommunen kan äga ett asf"),
    ("sv", "betalar kommunen lönen?"),
    ("sv", "det finns stöd för oss?"),
    ("sv", "finns det för föreningar också?"),
    ("en", "do we need f-tax?"),
    ("en", "so is it free?"),
    ("en", "Can the municipality own or run an ASF?"),
    ("en", "an asf can make a profit, right?"),
    ("en", "Do you know if the municipality can own an asf?"),
    ("en", "we need f-tax?"),
    ("en", "is it free or not?"),
]
NOT_YES_NO = [
    ("sv", "vinst i asf"),
    ("sv", "hur skaffar jag f-skatt?"),
    ("sv", "och hur ansöker jag om det?"),
    ("sv", "lönebidrag?"),
    ("sv", "vem betalar?"),
    ("sv", "regler för asf"),
    ("sv", "jag vill starta ett café som anställer folk, var börjar jag?"),
    ("sv", "Ska vi välja aktiebolag eller ekonomisk förening?"),
    ("sv", "Kan du berätta hur man ansöker om lönebidrag?"),
    ("sv", "vet du vad ett asf är"),
    ("sv", "Får vi ta ut vinst? Hur mycket?"),  # one yes/no and one wh-question: no lead
    ("sv", "6"),
    ("sv", ""),
    ("en", "profit in an asf"),
    ("en", "how do I get f-tax?"),
    ("en", "and how do I apply for it?"),
    ("en", "what is lönebidrag?"),
    ("en", "Can you tell me how to apply?"),
    ("en", "Is it better to start a limited company or a cooperative?"),
    ("en", "who pays?"),
]


@pytest.mark.parametrize("lang, text", YES_NO)
def test_yes_no_questions_are_recognised(lang, text):
    assert is_yes_no_question(text, lang)


@pytest.mark.parametrize("lang, text", NOT_YES_NO)
def test_wh_questions_noun_phrases_and_choices_are_not_yes_no(lang, text):
    assert not is_yes_no_question(text, lang)


# --- through the real FAQ and the engine -----------------------------------------------------------


def answer_of(replies, entry) -> str:
    """The reply that carries the entry's answer (a first contact is greeted in a reply of its own)."""
    bodies = [r.text for r in replies if entry.answer.sv in r.text or entry.answer.en in r.text]
    assert bodies, [r.text[:80] for r in replies]
    return bodies[0]


@pytest.mark.parametrize(
    "question, entry_id, lead",
    [
        ("får vi ta ut vinst ur vårt asf", "asf-vinst", "Ja."),
        ("vinst i asf", "asf-vinst", None),
        ("måste vi ha f-skatt?", "f-skatt", "Ja, i praktiken."),
        ("hur skaffar jag f-skatt?", "f-skatt", None),
        ("Kan kommunen äga ett asf?", "asf-fristaende", "Nej."),
        ("can an asf pay dividends to its owners?", "asf-vinst", "Yes."),
        ("asf profit and dividends", "asf-vinst", None),
        ("do we need f-tax?", "f-skatt", "Yes, in practice."),
        ("how do I get f-tax?", "f-skatt", None),
    ],
)
async def test_the_lead_opens_the_answer_only_for_a_yes_no_question(app, question, entry_id, lead):
    entry = app.knowledge.current.entries[entry_id]
    chat = Chat(app, f"console:lead-{abs(hash(question))}")
    text = answer_of(await chat.say(question), entry)
    lang = "en" if entry.answer.en in text else "sv"
    body = entry.answer.get(lang)
    if lead is None:
        assert text.startswith(body)
        assert not re.match(r"(Ja|Nej|Yes|No)\b", text)
    else:
        assert text.startswith(f"{lead} {body}")


async def test_an_answer_chosen_by_button_has_no_lead(app):
    entry = app.knowledge.current.entries["f-skatt"]
    chat = Chat(app, "console:button")
    await chat.say("hej")
    replies = await app.engine.handle(Incoming("console:button", payload="faq:f-skatt"))
    assert answer_of(replies, entry).startswith(entry.answer.sv)


def test_ask_json_follows_the_same_rule():
    questions = "måste vi ha f-skatt?\nhur skaffar jag f-skatt?\ndo we need f-tax?\nhow do I get f-tax?\n"
    result = CliRunner().invoke(main, ["ask", "--json", "-"], input=questions)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["faq_id"] for r in rows] == ["f-skatt"] * 4
    assert rows[0]["answer"].startswith("Ja, i praktiken. F-skatt")
    assert rows[1]["answer"].startswith("F-skatt")
    assert rows[2]["answer"].startswith("Yes, in practice. F-tax")
    assert rows[3]["answer"].startswith("F-tax")


# --- the content -----------------------------------------------------------------------------------


def test_answers_never_open_with_a_bare_yes_or_no_and_read_well_without_their_lead():
    knowledge = load_knowledge()
    leads = [e for e in knowledge.entries.values() if e.lead is not None]
    assert len(leads) >= 13
    for entry in knowledge.entries.values():
        assert not re.match(r"(Ja|Nej|Jo)\b[,.!]", entry.answer.sv), entry.id
        assert not re.match(r"(Yes|No)\b[,.!]", entry.answer.en), entry.id
    for entry in leads:
        for lang in ("sv", "en"):
            assert entry.answer.get(lang)[0].isupper(), (entry.id, lang)  # a sentence of its own
            assert re.match(r"(Ja|Nej)\b" if lang == "sv" else r"(Yes|No)\b", entry.lead.get(lang)), (entry.id, lang)


def edit_entry(directory, entry_id: str, change) -> None:
    yaml = YAML()
    path = next(p for p in sorted((directory / "faq").glob("*.yaml")) if f"id: {entry_id}\n" in p.read_text("utf-8"))
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(next(e for e in data["entries"] if e["id"] == entry_id))
    with path.open("w", encoding="utf-8") as f:
        yaml.dump(data, f)


def test_validation_accepts_a_lead_and_rejects_an_empty_or_half_one(knowledge_copy):
    knowledge, problems = check_knowledge(knowledge_copy)
    assert not problems and knowledge.entries["f-skatt"].lead.sv == "Ja, i praktiken."

    edit_entry(knowledge_copy, "f-skatt", lambda e: e["lead"].__setitem__("sv", "  "))
    edit_entry(knowledge_copy, "asf-vinst", lambda e: e["lead"].pop("en"))
    edit_entry(knowledge_copy, "asf-fristaende", lambda e: e["lead"].__setitem__("en", "No. " * 20))
    _, problems = check_knowledge(knowledge_copy)
    found = {(p.entry, p.field, p.code) for p in problems}
    assert ("f-skatt", "lead.sv", "empty_text") in found
    assert ("asf-vinst", "lead.en", "missing_language") in found
    assert ("asf-fristaende", "lead.en", "invalid_value") in found
    result = CliRunner().invoke(main, ["faq", "check", str(knowledge_copy)], env={"DUKAT_LANG": "en"})
    assert result.exit_code == 1
    assert any("f-skatt" in line and "lead.sv" in line and "the text is empty" in line for line in result.output.splitlines())


# --- coordinators edit the lead ----------------------------------------------------------------------


@pytest.fixture
async def capp(settings, clock, knowledge_copy):
    application = await build_app(settings, clock=clock, knowledge=KnowledgeStore(knowledge_copy))
    await application.roles.grant("console:coord")
    yield application
    await application.close()


async def test_a_coordinator_adds_changes_and_removes_a_lead(capp, knowledge_copy):
    co = Chat(capp, "console:coord", pace=20)
    founder = Chat(capp, "console:founder", pace=20)
    path = knowledge_copy / "faq" / "01_asf_start.yaml"

    await co.say("/faq_andra asf-vad-ar")
    await co.press("co:f:lead:-")
    assert "Ja, i praktiken. | Yes, in practice." in co.text()  # the format, with an example
    await co.say("Ja, i praktiken.")  # one language only: asked again, nothing saved
    assert co.text() == capp.catalogue.text("sv", "coordinator.lead_format", max=40)
    await co.say("Ja, absolut. | Yes, certainly.")
    assert "Före:" in co.text() and "Ja, absolut. | Yes, certainly." in co.text()
    await co.press("Spara")
    assert "Sparat" in co.text()

    text = path.read_text(encoding="utf-8")
    block = text[text.index("- id: asf-vad-ar"):text.index("- id: asf-kriterier")]
    assert block.index("lead:") < block.index("answer:") and block.index("alternates:") < block.index("lead:")
    assert 'sv: "Ja, absolut."' in block
    await co.say("/faq_visa asf-vad-ar")
    assert "Ja, absolut." in co.text()

    await founder.say("Är asf ett arbetsintegrerande socialt företag?")
    entry = capp.knowledge.current.entries["asf-vad-ar"]
    assert f"Ja, absolut. {entry.answer.sv}" in founder.text()
    other = Chat(capp, "console:other-founder", pace=20)  # the same answer twice in a row is not given in full
    await other.say("Vad är ett ASF?")
    assert entry.answer.sv in other.text() and "Ja, absolut." not in other.text()

    await co.say("/faq_andra asf-vad-ar")
    await co.press("co:f:lead:-")
    assert "Ja, absolut. | Yes, certainly." in co.text()
    await co.say("-")
    await co.press("Spara")
    assert capp.knowledge.current.entries["asf-vad-ar"].lead is None
    assert "lead:" not in path.read_text(encoding="utf-8").split("- id: asf-vad-ar")[1].split("- id:")[0]
    rows = await capp.db.fetchall("SELECT field FROM faq_history ORDER BY id")
    assert [r["field"] for r in rows] == ["lead", "lead"]
