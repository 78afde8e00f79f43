"""understand(): intents, language, routing frames, FAQ decisions and fallback authorities."""

from __future__ import annotations

import dataclasses

import pytest

from knowledge.loader import bundled_dir, read_yaml
from knowledge.matcher import Matcher
from knowledge.model import IntentPatterns
from knowledge.understanding import Understanding, understand
from tests.test_matcher import THRESHOLDS, make_knowledge


def bundled_intents() -> dict[str, IntentPatterns]:
    data = read_yaml(bundled_dir() / "intents.yaml", [])
    return {name: IntentPatterns.model_validate(dict(p)) for name, p in data["intents"].items()}


@pytest.fixture(scope="module")
def kb():
    knowledge = make_knowledge(bundled_intents())
    return knowledge, Matcher(knowledge, THRESHOLDS)


def u(kb, text: str, hint=None) -> Understanding:
    knowledge, matcher = kb
    return understand(text, knowledge, matcher, lang_hint=hint)


@pytest.mark.parametrize("text", ["", "   ", "?!", "..."])
def test_blank_text_is_empty(kb, text):
    assert u(kb, text).intent == "empty"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("hej", "greeting"),
        ("Hej!", "greeting"),
        ("hejsan hejsan", "greeting"),
        ("hello", "greeting"),
        ("tack!", "thanks"),
        ("tack så mycket", "thanks"),
        ("thank you", "thanks"),
        ("hjälp", "help"),
        ("vad kan du göra?", "help"),
        ("boka möte", "booking"),
        ("jag vill boka ett möte", "booking"),
        ("kan jag träffa någon?", "booking"),
        ("book a meeting please", "booking"),
        ("hej, jag vill boka ett möte", "booking"),  # a request beats a greeting
        ("mina möten", "my_meetings"),
        ("my meetings", "my_meetings"),
        ("avboka", "cancel"),
        ("avbka", "cancel"),  # one typo in a long enough word
        ("cancel my meeting", "cancel"),
        ("prata med en människa", "human"),
        ("kan jag prata med någon", "human"),
        ("talk to a person", "human"),
        ("integritet", "privacy"),
        ("vad sparar ni om mig?", "privacy"),
        ("privacy", "privacy"),
        ("hur kommer jag igång?", "guide"),
        ("steg för steg", "guide"),
        ("where do I start", "guide"),
        ("vem gör vad", "who_does_what"),
        ("who does what?", "who_does_what"),
        ("var är jag?", "where_am_i"),
        ("where am I", "where_am_i"),
    ],
)
def test_short_messages_dominated_by_a_trigger_are_that_intent(kb, text, intent):
    assert u(kb, text).intent == intent


@pytest.mark.parametrize(
    "text, target",
    [
        ("på svenska", "sv"),
        ("svenska tack", "sv"),
        ("swedish please", "sv"),
        ("in english please", "en"),
        ("english please", "en"),
        ("på engelska", "en"),
        ("kan du skriva på engelska?", "en"),
    ],
)
def test_language_switch(kb, text, target):
    result = u(kb, text)
    assert result.intent == "switch_language" and result.target_lang == target


def test_a_real_question_after_a_greeting_is_answered(kb):
    result = u(kb, "hej, vad är ett asf?")
    assert result.intent == "faq" and result.faq_id == "vad-ar-asf"
    assert result.authorities == ("coompanion",) and result.score > 0


def test_a_clear_question_mentioning_a_language_is_still_a_question(kb):
    result = u(kb, "vad betyder ASF på engelska?")
    assert result.intent == "faq" and result.faq_id == "vad-ar-asf"


def test_a_request_with_more_words_still_wins_over_an_unanswered_question(kb):
    assert u(kb, "jag vill boka ett möte med kommunen och någon från AF").intent == "booking"


def test_a_question_that_mentions_a_trigger_word_goes_to_the_faq(kb):
    # "guide" and "privacy" triggers with more content: the FAQ is asked first.
    result = u(kb, "hur kommer jag igång med arbetsträning hos oss?")
    assert result.intent in ("faq", "did_you_mean")
    assert "arbetstraning" in (result.faq_id, *result.suggestions)


@pytest.mark.parametrize(
    "text, lang",
    [("Vad är IOP?", "sv"), ("What is IOP?", "en"), ("vem betalr lonebidraget", "sv")],
)
def test_language_of_the_message(kb, text, lang):
    assert u(kb, text, hint="en" if lang == "sv" else "sv").lang == lang


def test_short_message_keeps_the_hint(kb):
    assert u(kb, "IOP", hint="en").lang == "en"
    assert u(kb, "IOP").lang == "sv"


def test_faq_answer_carries_entry_authorities_responsible_first(kb):
    result = u(kb, "Kan vi ta emot personer på arbetsträning hos oss?")
    assert result.intent == "faq" and result.faq_id == "arbetstraning"
    assert result.authorities == ("arbetsformedlingen", "kommun")
    assert result.suggestions == ()


def test_vague_question_is_did_you_mean(kb):
    result = u(kb, "vem betalar")
    assert result.intent == "did_you_mean" and result.faq_id is None
    assert 1 <= len(result.suggestions) <= 3 and "lonestod" in result.suggestions


def test_out_of_scope_is_fallback_without_authorities(kb):
    result = u(kb, "Hur lagar man köttbullar?")
    assert result.intent == "fallback" and result.faq_id is None
    assert result.authorities == () and result.suggestions == ()


def test_fallback_names_an_authority_named_in_the_text(kb):
    result = u(kb, "Försäkringskassan har tappat bort min blankett om tandvård")
    assert result.intent == "fallback"
    assert result.authorities == ("forsakringskassan",)


@pytest.mark.parametrize(
    "text, entry_id, responsible",
    [
        ("Vem ska jag kontakta om lönebidrag?", "lonestod", "arbetsformedlingen"),
        ("vem ansvarar för F-skatt", "fskatt", "skatteverket"),
        ("vilken myndighet hanterar rehabilitering", "rehab", "forsakringskassan"),
        ("om IOP, vem vänder jag mig till?", "iop", "kommun"),  # the frame after the subject
        ("who do I contact about wage subsidies?", "lonestod", "arbetsformedlingen"),
        ("which authority handles reserved contracts", "reserverad", "kommun"),
    ],
)
def test_routing_frames_match_the_subject(kb, text, entry_id, responsible):
    result = u(kb, text)
    assert result.intent == "routing"
    assert result.faq_id == entry_id
    assert result.authorities[0] == responsible


def test_routing_to_an_authority_by_its_remit_when_no_entry_fits(kb):
    result = u(kb, "vem ansvarar för aktivitetsersättning?")
    assert result.intent == "routing" and result.faq_id is None
    assert result.authorities[0] == "forsakringskassan"


def test_routing_frame_without_a_subject_is_the_overview(kb):
    assert u(kb, "vem ska jag kontakta?").intent == "who_does_what"


def test_routing_about_nothing_known_falls_back(kb):
    result = u(kb, "vem ska jag kontakta om min trasiga cykel?")
    assert result.intent == "fallback" and result.faq_id is None


def test_understanding_is_a_frozen_value(kb):
    result = u(kb, "hej")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.intent = "faq"  # type: ignore[misc]
    assert result == u(kb, "hej")


# --- the bundled knowledge -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, intent",
    [
        ("hej", "greeting"),
        ("tack!", "thanks"),
        ("boka möte", "booking"),
        ("in english please", "switch_language"),
        ("kan jag prata med en människa", "human"),
        ("Vad blir det för väder i morgon i Göteborg?", "fallback"),
    ],
)
def test_bundled_intents(knowledge_store, text, intent):
    assert understand(text, knowledge_store.current, knowledge_store.matcher).intent == intent


def test_bundled_answers_and_routes(knowledge_store):
    knowledge, matcher = knowledge_store.current, knowledge_store.matcher
    asf = understand("Vad är ett ASF?", knowledge, matcher)
    assert asf.intent == "faq" and asf.faq_id in knowledge.entries
    route = understand("Vem ska jag kontakta om lönebidrag?", knowledge, matcher)
    assert route.intent == "routing" and route.authorities[0] == "arbetsformedlingen"
    typo = understand("vem betalar lonebidrag", knowledge, matcher)
    assert typo.authorities and typo.authorities[0] == "arbetsformedlingen"
