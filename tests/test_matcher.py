"""The FAQ matcher on a small hand-made knowledge base, and a few checks on the bundled one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from knowledge.loader import bundled_dir, read_yaml
from knowledge.matcher import BORROWED, DOMAIN_WEIGHT, Candidate, Matcher, Thresholds, _Vocabulary, everyday_share
from knowledge.model import Alternates, Authority, Bilingual, FaqEntry, IntentPatterns, Knowledge, Topic

SYNONYMS = {
    "asf": ["arbetsintegrerande socialt företag", "arbetsintegrerande sociala företag", "wise",
            "work integration social enterprise"],
    "af": ["arbetsförmedlingen", "employment service"],
    "fk": ["försäkringskassan", "social insurance agency"],
    "lönestöd": ["lönebidrag", "wage subsidy"],
    "ek för": ["ekonomisk förening", "economic association"],
    "ab": ["aktiebolag", "limited company"],
    "iop": ["idéburet offentligt partnerskap", "idea-based public partnership"],
    "f-skatt": ["fskatt", "f-tax"],
    "moms": ["mervärdesskatt", "vat"],
    "kommunen": ["kommun", "municipality"],
}


def _entry(entry_id: str, sv: list[str], en: list[str], authorities: list[str], topics: list[str]) -> FaqEntry:
    return FaqEntry(
        id=entry_id,
        question=Bilingual(sv=sv[0], en=en[0]),
        alternates=Alternates(sv=sv[1:], en=en[1:]),
        answer=Bilingual(sv=f"Svar om {entry_id}.", en=f"Answer about {entry_id}."),
        authorities=authorities,
        topics=topics,
        source="test",
        reviewed=dt.date(2026, 1, 1),
    )


def _authority(authority_id: str, sv: str, en: str, does_sv: str, does_en: str, topics: list[str]) -> Authority:
    return Authority(
        id=authority_id,
        name=Bilingual(sv=sv, en=en),
        responsible_for=Bilingual(sv=does_sv, en=does_en),
        website=f"https://{authority_id}.example.se",
        topics=topics,
    )


def make_knowledge(intents: dict[str, IntentPatterns] | None = None) -> Knowledge:
    """Nine entries on distinct subjects, five authorities: enough to tell right from wrong."""
    topic_ids = ["asf", "anstallningsstod", "rehabilitering", "kommun", "upphandling", "radgivning", "foretagsform",
                 "starta"]
    topics = {t: Topic(id=t, label=Bilingual(sv=t, en=t)) for t in topic_ids}
    authorities = [
        _authority("arbetsformedlingen", "Arbetsförmedlingen", "Swedish Public Employment Service",
                   "Lönestöd, arbetsträning och nystartsjobb", "Wage subsidies, work training and new start jobs",
                   ["anstallningsstod"]),
        _authority("forsakringskassan", "Försäkringskassan", "Swedish Social Insurance Agency",
                   "Sjukpenning, aktivitetsersättning och rehabilitering",
                   "Sickness benefit, activity compensation and rehabilitation", ["rehabilitering"]),
        _authority("kommun", "Kommunen", "The municipality", "Näringslivsstöd, upphandling och IOP",
                   "Business support, procurement and IOP", ["kommun", "upphandling"]),
        _authority("coompanion", "Coompanion", "Coompanion",
                   "Kostnadsfri rådgivning om att starta kooperativ och sociala företag",
                   "Free advice on starting cooperatives and social enterprises", ["radgivning", "foretagsform"]),
        _authority("skatteverket", "Skatteverket", "Swedish Tax Agency", "F-skatt, moms och deklaration",
                   "F-tax, VAT and tax returns", ["starta"]),
    ]
    entries = [
        _entry("vad-ar-asf",
               ["Vad är ett arbetsintegrerande socialt företag?", "Vad är ett ASF?", "Vad betyder ASF?",
                "Vad menas med arbetsintegrerande socialt företag?"],
               ["What is a work-integrating social enterprise?", "What is an ASF?"], ["coompanion"], ["asf"]),
        _entry("lonestod",
               ["Vem betalar lönestöd?", "Kan jag få lönebidrag för en anställd?", "Hur fungerar lönestöd?",
                "Vad är lönebidrag?"],
               ["Who pays the wage subsidy?", "How does the wage subsidy work?"], ["arbetsformedlingen"],
               ["anstallningsstod"]),
        _entry("arbetstraning",
               ["Kan vi ta emot personer på arbetsträning?", "Hur blir vi arbetsträningsplats?",
                "Vem betalar för arbetsträning?", "Får man ersättning för arbetsträning?"],
               ["Can we take people on work training?", "How do we become a work training place?"],
               ["arbetsformedlingen", "kommun"], ["anstallningsstod"]),
        _entry("foretagsform",
               ["Vilken företagsform passar ett ASF?", "Ska vi vara ekonomisk förening eller aktiebolag?",
                "Kan ett ASF vara ett AB?", "Vilken juridisk form ska vi välja?"],
               ["Which company form suits an ASF?", "Should we be an economic association or a limited company?"],
               ["coompanion", "skatteverket"], ["foretagsform"]),
        _entry("fskatt",
               ["Behöver vi F-skatt?", "Hur registrerar vi företaget hos Skatteverket?", "Hur ansöker man om F-skatt?",
                "Ska vi registrera oss för moms?"],
               ["Do we need F-tax?", "How do we register for VAT?"], ["skatteverket"], ["starta"]),
        _entry("iop",
               ["Vad är IOP?", "Vad är ett idéburet offentligt partnerskap?", "Kan vi teckna IOP med kommunen?",
                "Hur fungerar partnerskap med kommunen?"],
               ["What is IOP?", "What is an idea-based public partnership?"], ["kommun"], ["upphandling"]),
        _entry("reserverad",
               ["Vad är reserverad upphandling?", "Kan kommunen reservera upphandlingar för ASF?",
                "Hur säljer vi till kommunen?", "Hur fungerar upphandling enligt LOU?"],
               ["What is a reserved contract?", "How do we sell to the municipality?"], ["kommun"], ["upphandling"]),
        _entry("rehab",
               ["Kan Försäkringskassan betala för rehabilitering hos oss?", "Hur samarbetar vi med Försäkringskassan?",
                "Vad är arbetslivsinriktad rehabilitering?", "Får deltagare sjukpenning under arbetsträning?"],
               ["Can Försäkringskassan pay for rehabilitation with us?",
                "How do we work with the Social Insurance Agency?"], ["forsakringskassan"], ["rehabilitering"]),
        _entry("radgivning",
               ["Var får jag gratis rådgivning om att starta ett socialt företag?",
                "Vem kan hjälpa mig med affärsplanen?", "Finns det kostnadsfri rådgivning?", "Hur startar jag ett ASF?"],
               ["Where can I get free advice on starting a social enterprise?", "How do I start an ASF?"],
               ["coompanion"], ["radgivning"]),
    ]
    return Knowledge(
        authorities={a.id: a for a in authorities},
        topics=topics,
        entries={e.id: e for e in entries},
        retired={},
        synonyms=SYNONYMS,
        intents=intents or {},
        source_dir="test",
    )


THRESHOLDS = Thresholds(answer=60, margin=8, suggest=35)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(make_knowledge(), THRESHOLDS)


def top(matcher: Matcher, text: str, lang: str = "sv") -> str:
    return matcher.rank(text, lang)[0].entry_id


@pytest.mark.parametrize(
    "text, entry_id",
    [
        ("Vad är ett ASF?", "vad-ar-asf"),
        ("vad ar asf", "vad-ar-asf"),  # no å/ä/ö
        ("vad betyder arbetsintegrerande sociala företag", "vad-ar-asf"),  # inflected synonym phrase
        ("vem betalar lonebidraget", "lonestod"),  # inflection and ASCII
        ("vem betlar lönebidarg", "lonestod"),  # two typos
        ("lönestöd", "lonestod"),
        ("vem betalar lönebidrag", "lonestod"),  # synonym: the stored question says lönestöd
        ("kan vi bli arbetsträningsplats", "arbetstraning"),
        ("ska vi vara ek för eller AB", "foretagsform"),  # abbreviations on the question's side
        ("behöver vi fskatt", "fskatt"),
        ("hur funkar idéburet offentligt partnerskap", "iop"),
        ("kan kommunen reservera upphandlingar åt oss", "reserverad"),
        ("betalar FK för rehabilitering", "rehab"),
        ("var får man kostnadsfri rådgivning", "radgivning"),
    ],
)
def test_rank_finds_the_entry(matcher, text, entry_id):
    assert top(matcher, text) == entry_id


@pytest.mark.parametrize(
    "text, entry_id",
    [
        ("who pays the wage subsidy", "lonestod"),
        ("what is a WISE", "vad-ar-asf"),
        ("do we need to register for vat", "fskatt"),
        ("can the social insurance agency pay for rehabilitation", "rehab"),
    ],
)
def test_rank_in_english(matcher, text, entry_id):
    assert top(matcher, text, "en") == entry_id


def test_other_language_is_a_weaker_fallback(matcher):
    # A Swedish-tagged question in English words still finds the entry through its English phrasings...
    english_as_sv = matcher.rank("How do we become a work training place?", "sv")
    assert english_as_sv[0].entry_id == "arbetstraning"
    # ...but scores below the same question asked in its own language.
    assert english_as_sv[0].score < matcher.rank("How do we become a work training place?", "en")[0].score


def test_scores_are_0_to_100_best_first_and_limited(matcher):
    ranked = matcher.rank("vem betalar för arbetsträning och lönestöd", "sv", limit=3)
    assert len(ranked) <= 3
    assert all(0 <= c.score <= 100 for c in ranked)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    assert matcher.rank("Vad är ett ASF?", "sv")[0] == Candidate("vad-ar-asf", 100.0)


def test_rare_words_count_more_than_common_ones(matcher):
    # "betalar" is in two entries, "rehabilitering" in one: the rare word decides.
    assert top(matcher, "vem betalar rehabilitering") == "rehab"
    assert top(matcher, "vem betalar lönestöd") == "lonestod"


def test_swedish_compounds_match_their_parts(matcher):
    # "arbetsträningsplatser" is stored as "arbetsträning" and "arbetsträningsplats".
    assert top(matcher, "arbetsträningsplatser") == "arbetstraning"


def test_clear_question_is_answered(matcher):
    m = matcher.match("Vem betalar lönestöd?", "sv")
    assert m.decision == "answer" and m.candidates[0].entry_id == "lonestod" and m.lang == "sv"


def test_vague_question_gets_suggestions(matcher):
    m = matcher.match("vem betalar", "sv")
    assert m.decision == "suggest"
    assert 1 <= len(m.candidates) <= 3
    assert {"lonestod", "arbetstraning"} <= {c.entry_id for c in m.candidates}


@pytest.mark.parametrize(
    "text",
    ["Vilken färg har himlen på Mars?", "Hur lagar man köttbullar?", "What is the capital of France?", "xyzzy"],
)
def test_unrelated_question_falls_back(matcher, text):
    assert matcher.match(text, "sv").decision == "fallback"


def test_empty_text_falls_back_with_no_candidates(matcher):
    m = matcher.match("   ", "sv")
    assert m.decision == "fallback" and m.candidates == ()


def test_decision_rules():
    matcher = Matcher(make_knowledge(), THRESHOLDS)
    c = lambda *scores: [Candidate(f"e{i}", s) for i, s in enumerate(scores)]  # noqa: E731
    assert matcher.decide(c(90, 50)) == "answer"
    assert matcher.decide(c(90, 85)) == "suggest"  # close call
    assert matcher.decide(c(50)) == "suggest"  # grey zone
    assert matcher.decide(c(30)) == "fallback"
    assert matcher.decide([]) == "fallback"


def test_thresholds_come_from_the_config_file():
    data = read_yaml(Path(bundled_dir()) / "matcher.yaml", [])
    loaded = Thresholds.load()
    assert loaded == Thresholds(**{k: float(v) for k, v in data["thresholds"].items()})
    assert loaded.suggest <= loaded.answer and loaded.margin > 0


def test_matcher_is_immutable_and_a_new_knowledge_needs_a_new_matcher():
    knowledge = make_knowledge()
    matcher = Matcher(knowledge, THRESHOLDS)
    before = matcher.rank("Vad är IOP?", "sv")
    changed = dataclasses.replace(knowledge, entries={k: v for k, v in knowledge.entries.items() if k != "iop"})
    assert matcher.rank("Vad är IOP?", "sv") == before
    assert "iop" not in [c.entry_id for c in Matcher(changed, THRESHOLDS).rank("Vad är IOP?", "sv")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        before[0].score = 1.0  # type: ignore[misc]


def test_named_authorities(matcher):
    assert matcher.named_authorities("kan försäkringskassan betala min hyra") == ("forsakringskassan",)
    assert matcher.named_authorities("har AF eller FK något stöd") == ("arbetsformedlingen", "forsakringskassan")
    assert matcher.named_authorities("does the employment service help") == ("arbetsformedlingen",)
    assert matcher.named_authorities("vad blir det för väder i Göteborg") == ()


def test_rank_authorities_by_remit(matcher):
    assert matcher.rank_authorities("sjukpenning", "sv")[0].entry_id == "forsakringskassan"
    assert matcher.rank_authorities("moms och deklaration", "sv")[0].entry_id == "skatteverket"


# --- the bundled FAQ -------------------------------------------------------------------------------


def test_bundled_stored_phrasings_find_their_own_entry(knowledge_store):
    """Every stored question and alternate ranks its own entry first (a sanity check, not accuracy)."""
    knowledge, matcher = knowledge_store.current, knowledge_store.matcher
    misses = []
    total = 0
    for entry in knowledge.entries.values():
        for lang in ("sv", "en"):
            for phrasing in entry.phrasings(lang):
                total += 1
                if matcher.rank(phrasing, lang)[0].entry_id != entry.id:
                    misses.append((entry.id, phrasing, matcher.rank(phrasing, lang)[0].entry_id))
    assert len(misses) <= total * 0.03, misses


def test_bundled_obvious_questions(knowledge_store):
    matcher = knowledge_store.matcher
    assert matcher.match("Vad är ett ASF?", "sv").decision == "answer"
    assert matcher.match("Vad blir det för väder i morgon i Göteborg?", "sv").decision == "fallback"


def test_letters_as_written_tell_words_that_fold_alike_apart():
    knowledge = make_knowledge()
    extra = {
        "lan": _entry("lan", ["Kan ett ASF få ett lån?", "lån till företaget", "var lånar man pengar", "banklån"],
                      ["Can an ASF get a loan?", "bank loan"], ["coompanion"], ["asf"]),
        "lan-region": _entry("lan-region", ["Hur många ASF finns i mitt län?", "asf i länet", "mitt län",
                                            "asf per län"], ["How many ASFs are in my county?", "ASFs per county"], ["kommun"], ["asf"]),
    }
    matcher = Matcher(dataclasses.replace(knowledge, entries={**knowledge.entries, **extra}), THRESHOLDS)
    assert top(matcher, "lån till asf") == "lan"
    assert top(matcher, "asf i mitt län") == "lan-region"
    typed_plain = {c.entry_id for c in matcher.rank("lan", "sv")[:2]}
    assert typed_plain == {"lan", "lan-region"}  # without å/ä it could be either


def test_a_compound_part_typed_with_other_letters_is_another_word():
    # "samhället" (samhälle, society) is not "Samhall" + "et", though both fold to "samhall...".
    knowledge = make_knowledge()
    extra = {"samhall": _entry("samhall", ["Vad är skillnaden mellan ett ASF och Samhall?", "vad är samhall",
                                           "jobba på samhall", "skyddat arbete hos samhall"],
                               ["What is Samhall?", "sheltered work at samhall"], ["arbetsformedlingen"], ["asf"])}
    matcher = Matcher(dataclasses.replace(knowledge, entries={**knowledge.entries, **extra}), THRESHOLDS)
    assert "samhall" not in {c.entry_id for c in matcher.rank_all("nyttan för samhället", "sv", limit=9)}
    assert top(matcher, "vad gör samhall") == "samhall"
    assert "samhall" in {c.entry_id for c in matcher.rank_all("samhallet", "sv", limit=9)}  # typed plain: could be


def test_a_word_the_faq_does_not_know_weighs_as_unknown_beyond_a_short_part_of_it(knowledge_store):
    # "bostadstillägg" ends in "lägg", which a few answers use: the question is about something else, not about
    # applying for one of the FAQ's subsidies. (It weighed as "lägg" did, less each time an answer used "lägga".)
    assert knowledge_store.matcher.match("Hur ansöker jag om bostadstillägg?", "sv").decision == "fallback"


def test_while_is_a_function_word(knowledge_store):
    # "for a while" said nothing of starting a company "while on sick leave".
    m = knowledge_store.matcher.match("I have been on sick leave for a while. Can I do work training at a social "
                                      "enterprise?", "en")
    assert (m.decision, m.candidates[0].entry_id) == ("answer", "fk-arbetstraning")


# --- words the FAQ does not know, support, anchors ---------------------------------------------------------


def test_an_everyday_word_is_taken_for_a_typo_only_one_letter_off():
    vocabulary = _Vocabulary(["utdelning", "coompanion", "lönebidrag"])
    assert "utdelning" not in dict(vocabulary.neighbours("avdelning", common=True))  # a word of its own
    assert "utdelning" in dict(vocabulary.neighbours("avdelning", common=False))
    assert "coompanion" in dict(vocabulary.neighbours("companion", common=True))
    assert "lönebidrag" in dict(vocabulary.neighbours("lönebidarg"))


def test_an_everyday_word_does_not_make_an_answer_about_a_text(knowledge_store):
    matcher = knowledge_store.matcher
    assert matcher.about("asf-regelverk", "finns det någon certifiering")
    assert not matcher.about("asf-regelverk", "vi funderar på särskilt boende")  # "särskilt" is everyday


def test_unknown_words_weigh_by_how_common_they_are():
    assert everyday_share(0.0) == everyday_share(3.0) == 1.0  # rare or unknown (a typo, a name): full weight
    assert everyday_share(6.5) == everyday_share(9.0) < 0.5  # everyday speech: as a light word
    assert 1.0 > everyday_share(4.5) > everyday_share(5.0) > everyday_share(6.5)


def test_an_everyday_word_costs_less_than_a_word_of_another_subject(matcher):
    chatty = matcher.rank("vem betalar lönebidrag kompis", "sv")[0]
    other_subject = matcher.rank("vem betalar lönebidrag bygglov", "sv")[0]
    assert chatty.entry_id == other_subject.entry_id == "lonestod"
    assert chatty.score > other_subject.score


def test_support_only_ever_raises_scores(matcher):
    alone = {c.entry_id: c.score for c in matcher.rank_all("vilken form passar", "sv", limit=9)}
    supported = {c.entry_id: c.score
                 for c in matcher.rank_all("vilken form passar", "sv", limit=9, support="vi funderar på aktiebolag")}
    assert all(supported.get(entry_id, 0.0) >= score for entry_id, score in alone.items())
    assert supported["foretagsform"] > alone["foretagsform"]


def test_support_never_decides_alone(matcher):
    # Context words that match an entry do not make a question about something else about it.
    m = matcher.match("vad kostar det", "sv", support="vi ska skriva ett avtal om IOP med kommunen")
    assert m.decision != "answer" or m.candidates[0].entry_id != "iop"


def test_a_rare_name_few_entries_use_answers_in_an_unfamiliar_sentence(matcher):
    plain = Matcher(make_knowledge(), THRESHOLDS)
    text = "grannen pratade om IOP igår när vi grillade, vad är det"
    m = plain.match(text, "sv")
    assert m.decision == "answer" and m.candidates[0].entry_id == "iop"
    assert m.candidates[0].score >= THRESHOLDS.answer
    assert plain.rank_all(text, "sv")[0].score < THRESHOLDS.answer  # on its words alone it would not be


def test_an_everyday_word_is_no_anchor(matcher):
    assert matcher.match("vad ska jag laga till middag ikväll", "sv").decision == "fallback"


def test_rank_all_has_no_floor(matcher):
    ranked = matcher.rank_all("kompis", "sv", limit=9)
    assert all(c.score < THRESHOLDS.suggest - THRESHOLDS.margin for c in ranked)


@pytest.mark.parametrize(
    "text",
    ["kan jag få bidrag till en ny soffa", "hur söker jag bygglov för en carport hos kommunen",
     "var ligger stans bästa café", "kan kommunen ge bidrag till min hund"],
)
def test_bundled_out_of_scope_questions_with_a_domain_word_fall_back(knowledge_store, text):
    assert knowledge_store.matcher.match(text, "sv").decision == "fallback"


def test_a_long_question_far_ahead_on_one_entry_is_answered_by_it(knowledge_store):
    matcher = knowledge_store.matcher
    text = ("Måste minst hälften av dem vi anställer stå långt från arbetsmarknaden för att vi ska få lämna anbud på "
            "reserverade kontrakt hos regionen?")
    # Much of it no phrasing says, but it is clearly about this entry.
    assert [c.entry_id for c in matcher.leading(text, "sv")][:1] == ["reserverade-kontrakt"]
    # Another subject: nothing leads. A short question is judged by the thresholds alone.
    assert matcher.leading("Min mamma har demens och vi funderar på ett boende i närheten. Hur ansöker man om plats "
                           "hos kommunen och hur lång är kön?", "sv") == []
    assert matcher.leading("reserverade kontrakt anbud regler", "sv") == []


# --- judging a message by what it asks and by the words of the FAQ's field (issue 14) -------------------------


def test_domain_words_are_the_fields_words_not_the_everyday_ones(knowledge_store):
    matcher = knowledge_store.matcher
    sentence = "Jag hörde uttrycket arbetsintegrerande socialt företag på ett möte på jobbet men skämdes för att fråga."
    assert matcher.domain_words(sentence, "sv") == ["arbetsintegrerande"]
    assert matcher.domain_words("Min kusin nämnde nystartsjobb när vi fikade igår", "sv") == ["nystartsjobb"]
    assert matcher.domain_words("is there someone who speaks english I can talk to?", "en", wide=True) == []


def _understood(knowledge_store, text: str, lang: str):
    from knowledge.understanding import understand

    return understand(text, knowledge_store.current, knowledge_store.matcher, lang_hint=lang)


def test_a_question_leaning_on_context_is_read_with_the_contexts_domain_words(knowledge_store):
    # Read with the whole sentence of how the founder came to ask, it fell back; the subject is its one field word.
    u = _understood(knowledge_store, "Min kusin nämnde nystartsjobb när vi fikade igår och jag blev nyfiken. "
                                     "Vad är det egentligen?", "sv")
    assert (u.intent, u.faq_id) == ("faq", "nystartsjobb")


@pytest.mark.parametrize("text", ["Do you have information about arbetsträning in English?",
                                  "Can you explain nystartsjobb in English?"])
def test_in_english_inside_a_question_about_the_field_does_not_switch_the_language(knowledge_store, text):
    assert _understood(knowledge_store, text, "en").intent != "switch_language"
    assert _understood(knowledge_store, "can you write in english please", "en").intent == "switch_language"


def test_who_at_a_named_authority_is_answered_about_that_authority(knowledge_store):
    u = _understood(knowledge_store, "Vem på Arbetsförmedlingen ska jag kontakta om samarbete med vårt ASF?", "sv")
    assert u.faq_id == "af-och-asf"  # not the municipality's contacts
    # A named authority that is only a circumstance does not steer the answer.
    u = _understood(knowledge_store, "Behöver jag F-skatt om vi bara tar emot folk från Arbetsförmedlingen?", "sv")
    assert u.faq_id == "f-skatt"


def test_a_long_message_about_the_field_is_not_dropped(knowledge_store):
    text = ("Vi har registrerat föreningen och skaffat lokal, och kommunen har lovat att skicka två personer i januari. "
            "Vad måste vara på plats innan vi tar emot den första deltagaren, typ försäkringar och avtal?")
    u = _understood(knowledge_store, text, "sv")
    # Its close call is settled by "deltagaren": of the close entries only fa-deltagare's question has the word.
    assert u.intent == "faq" and u.faq_id == "fa-deltagare"


def test_a_comparison_that_names_nothing_compares_what_was_asked_before():
    from knowledge.questions import split_questions

    for text in ("Ska vi driva ett vanligt aktiebolag med lönebidrag eller bli ett socialt företag? Vad är skillnaden för oss?",
                 "Should we hire people with wage support in a normal company, or be a social enterprise? What is the "
                 "real difference for us?"):
        first, second = split_questions(text)
        assert second.leans_on == first.text and not second.whole  # its own words, the choices as support
    [named] = split_questions("Vi har lönebidrag. Vad är skillnaden mellan lönebidrag och nystartsjobb?")
    assert named.leans_on == ""  # it names what it compares


def test_a_word_of_the_other_language_is_found_in_that_language_s_phrasings(matcher):
    # No English phrasing has "arbetsträning" (nor the Swedish ones "advice"): each is found in the other language's.
    for word, lang, expected in (("arbetsträning", "en", "arbetstraning"), ("advice", "sv", "radgivning")):
        index = matcher._entries.languages[lang]
        [term] = index.analyzer.terms(word)
        weight, matches = index.lookup(term)
        assert weight < index.unknown_weight and matches
        assert all(key.startswith(BORROWED) for key in matches)
        assert expected in {matcher._entries.ids[doc] for key in matches for doc in index.postings[key]}
    score = matcher._entries.languages["en"].score_docs("can we take people on arbetsträning", 1)
    assert [matcher._entries.ids[doc] for doc in score] == ["arbetstraning"]


def test_a_word_of_the_field_weighs_more_in_the_question_than_in_its_support(matcher):
    index = matcher._entries.languages["sv"]
    [rare] = index.analyzer.terms("lönebidrag")  # rare in general Swedish
    [common] = index.analyzer.terms("betalar")
    assert index.lookup(rare)[0] == pytest.approx(DOMAIN_WEIGHT * index.lookup(rare, asked=False)[0])
    assert index.lookup(common)[0] == index.lookup(common, asked=False)[0]


def _with_plan_entry(question: str, alternates: list[str]) -> Matcher:
    """The fixture's entries and one on business plans; the fixture's "radgivning" has "affärsplanen" in an alternate."""
    knowledge = make_knowledge()
    plan = _entry("plan", [question, *alternates, "vad ska stå i planen", "behöver vi en plan"],
                  ["How do I write a business plan?", "what goes into the plan"], ["coompanion"], ["starta"])
    wide = Thresholds(answer=95, margin=60, suggest=10)  # every anchored entry is a close call here
    return Matcher(dataclasses.replace(knowledge, entries={**knowledge.entries, "plan": plan}), wide)


def test_of_close_entries_an_anchor_word_names_the_one_whose_question_has_it():
    text = "läsa igenom min affärsplan"
    titled = _with_plan_entry("Hur skriver jag en affärsplan?", ["mall för en budget"]).match(text, "sv")
    assert titled.decision == "answer" and titled.candidates[0].entry_id == "plan"
    assert [c.entry_id for c in titled.candidates] == ["plan", "radgivning"]  # both close, both named
    # Neither question has the word, both have it in an alternate: ask which.
    untitled = _with_plan_entry("Hur skriver jag en plan för företaget?", ["mall för en affärsplan"]).match(text, "sv")
    assert untitled.decision == "suggest"
    assert {c.entry_id for c in untitled.candidates} >= {"plan", "radgivning"}


def test_of_close_entries_a_word_of_the_field_picks_the_one_whose_question_has_it(knowledge_store):
    # "ideell" is in nine entries' phrasings (no anchor), but in the question of only one of the close ones.
    m = knowledge_store.matcher.match("får en ideel förening ha försäljning", "sv")
    assert m.decision == "answer" and m.candidates[0].entry_id == "ideell-forening-asf"


def test_a_second_subject_of_another_close_entry_keeps_the_close_call(knowledge_store):
    # "lönebidrag" is in lonebidrag's question, but "handledarstöd" is af-handledarersattning's and not lonebidrag's.
    m = knowledge_store.matcher.match("hur mycket kan komma från handledarstöd och lönebidrag", "sv")
    assert m.decision == "suggest"
    assert {c.entry_id for c in m.candidates} >= {"lonebidrag", "af-handledarersattning"}
