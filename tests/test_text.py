"""Text normalisation, stemming, synonyms, phrase spotting and language detection."""

from __future__ import annotations

import pytest

from knowledge.language import detect_language
from knowledge.loader import load_knowledge
from knowledge.text import (Analyzer, PhraseFinder, Synonyms, fold, general_frequency, light_words, stem, stopwords,
                            tokens)

SYNONYMS = {
    "asf": ["arbetsintegrerande socialt företag", "arbetsintegrerande sociala företag"],
    "wise": ["asf"],
    "af": ["arbetsförmedlingen"],
    "ek för": ["ekonomisk förening"],
    "lönestöd": ["lönebidrag"],
    "f-skatt": ["fskatt", "f skatt"],
}


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Vad är ett ASF?", "vad ar ett asf"),
        ("LÖNEBIDRAG", "lonebidrag"),
        ("Café, Müller & Ærø", "cafe muller aero"),
        ("F-skatt och e-post", "fskatt och epost"),  # a letter and a hyphen make one word
        ("ASF-förteckningen", "asf forteckningen"),  # other hyphens separate words
        ("AF:s handläggare och IOP:n", "af handlaggare och iop"),  # Swedish inflection after abbreviations
        ("Finsam´s målgrupp, the company's plan", "finsam malgrupp the company plan"),
        ("  ek.  för. ", "ek for"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_tokens_are_folded_words():
    assert tokens("Hur får jag lönestöd?!") == ["hur", "far", "jag", "lonestod"]


@pytest.mark.parametrize(
    "typed, written",
    [
        ("lonebidraget", "lönebidraget"),
        ("anstallningar", "anställningar"),
        ("forsakringskassan", "Försäkringskassan"),
        ("foretagen", "företagen"),
        ("kommunernas", "kommunernas"),
    ],
)
def test_stem_without_diacritics_gives_the_same_key(typed, written):
    # The stemmer sees the word as written, and folding comes after: both spellings must meet.
    assert stem(typed, "sv") == stem(written.lower(), "sv")


@pytest.mark.parametrize("written", ["arbetslös", "leverantör", "affärsidé", "café"])
def test_words_the_stemmer_reads_differently_without_diacritics_still_meet(written):
    analyzer = Analyzer("sv")
    [typed] = analyzer.terms(fold(written))
    [stored] = analyzer.terms(written)
    assert typed.primary in stored.keys


def test_stem_strips_swedish_inflection():
    assert stem("lönebidraget", "sv") == stem("lönebidrag", "sv") == "lonebidrag"
    assert stem("kommunen", "sv") == stem("kommunerna", "sv") == "kommun"
    assert stem("enterprises", "en") == stem("enterprise", "en")


def test_stopwords_are_small_and_spare_domain_words():
    sw = stopwords()
    assert {"och", "att", "ar", "jag"} <= sw["sv"] and {"the", "is", "a"} <= sw["en"]
    domain = {"stod", "kommun", "foretag", "bidrag", "asf", "starta", "anstalla", "pengar", "vem", "vad", "hur"}
    assert not domain & (sw["sv"] | sw["en"])
    assert len(sw["sv"]) < 200 and len(sw["en"]) < 200


def test_light_words_are_not_stop_words_and_keep_domain_words_out():
    light, stop = light_words(), stopwords()
    for lang in ("sv", "en"):
        assert not light[lang] & stop[lang], lang
    assert {"vad", "betyder", "samma"} <= light["sv"] and {"what", "mean"} <= light["en"]
    assert not {"stod", "kommun", "asf", "bidrag", "lonebidrag"} & (light["sv"] | light["en"])


def test_light_words_are_marked_on_terms():
    terms = Analyzer("sv").terms("vad betyder lönebidrag")
    assert [t.light for t in terms] == [True, True, False]


def test_synonym_groups_merge_chains_and_match_inflected_phrases():
    analyzer = Analyzer("sv", SYNONYMS)
    group = analyzer.synonyms.group_of("asf", "sv")
    assert group is not None
    assert analyzer.synonyms.group_of("wise", "sv") == group  # wise -> asf -> the long form
    long_form = analyzer.terms("Hur startar man arbetsintegrerande sociala företag?")
    assert [t.keys for t in long_form if group in t.keys] == [(group,)]
    assert [t.parts for t in long_form if group in t.keys] == [("arbetsintegrer", "social", "foretag")]
    assert group in analyzer.keys("Vad är ett ASF")


def test_single_word_synonym_keeps_its_own_stem():
    analyzer = Analyzer("sv", SYNONYMS)
    terms = analyzer.terms("vem betalar lönebidraget")
    assert terms[-1].keys[0] == "lonebidrag" and terms[-1].keys[-1] == analyzer.synonyms.group_of("lönestöd", "sv")


def test_a_word_folded_like_a_synonym_but_spelt_otherwise_is_not_in_its_group():
    analyzer = Analyzer("sv", {"lån": ["låna", "lånet"]})
    loan, county = analyzer.terms("lån")[0], analyzer.terms("län")[0]
    group = analyzer.synonyms.group_of("lån", "sv")
    assert group in loan.keys and group not in county.keys
    assert group in analyzer.terms("lan")[0].keys  # typed without å/ä/ö it may be either
    assert loan.keys != county.keys  # each keeps its stem as written


def test_synonym_phrase_keeps_its_stop_words():
    analyzer = Analyzer("sv", SYNONYMS)
    assert analyzer.keys("ek. för. eller AB") == [analyzer.synonyms.group_of("ekonomisk förening", "sv"), "ab"]
    group = analyzer.synonyms.group_of("f-skatt", "sv")
    assert group in analyzer.keys("Hur får man F-skatt") and group in analyzer.keys("hur far man f skatt")


def test_stop_words_and_single_letters_are_dropped():
    assert Analyzer("sv").keys("Vad är det för något?") == ["vad"]
    assert Analyzer("en").keys("What is the plan?") == ["what", "plan"]


def test_synonyms_do_not_mix_unrelated_groups():
    synonyms = Synonyms({"a b": ["c"], "d": ["e"]}, "sv")
    assert synonyms.group_of("c", "sv") != synonyms.group_of("e", "sv")


def test_phrase_finder_finds_whole_words_with_one_typo():
    finder = PhraseFinder([("booking", "sv", "boka ett möte"), ("cancel", "sv", "avboka"), ("greeting", "en", "hi")])
    hits = finder.find(tokens("Hej, jag vill boka ett mote"))
    assert [(h.label, h.start, h.end) for h in hits] == [("booking", 3, 6)]
    assert [h.label for h in finder.find(tokens("avbkoa"))] == ["cancel"]
    assert finder.find(tokens("this is high")) == []  # "hi" is not a part of "high"
    assert finder.find(tokens("bok ett möte")) == []  # short words get no typo allowance


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Vad är ett ASF?", "sv"),
        ("vad ar ett asf", "sv"),  # no å/ä/ö
        ("vem betalr lonebidraget", "sv"),  # typo and no diacritics
        ("hur startar man ett socialt foretag", "sv"),
        ("tjena, hur funkar arbetsträning", "sv"),
        ("What is a work integration social enterprise?", "en"),
        ("who pays the wage subsidy", "en"),
        ("Can I get lönebidrag for my ASF?", "en"),  # a Swedish term in an English question
        ("How do I contact Försäkringskassan?", "en"),
        ("in english please", "en"),
        ("svenska tack", "sv"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang
    other = "en" if lang == "sv" else "sv"
    assert detect_language(text, hint=other) == lang


@pytest.mark.parametrize("text", ["IOP", "ASF", "ok", "", "2025", "Coompanion?"])
def test_short_or_unclear_text_keeps_the_hint(text):
    assert detect_language(text) == "sv"
    assert detect_language(text, hint="en") == "en"


def test_bundled_synonyms_never_map_a_common_word_to_a_group():
    """A synonym member that is an everyday stem would tag half the FAQ with one concept."""
    knowledge = load_knowledge()
    for lang in ("sv", "en"):
        synonyms = Synonyms(knowledge.synonyms, lang)
        singles = {member[0] for member in synonyms.phrases if len(member) == 1}
        common = {stem(w, lang) for w in ("social", "sociala", "företag", "stöd", "starta", "company", "support", "work")}
        assert not singles & common, lang


def test_general_frequency_tells_everyday_words_from_rare_ones():
    assert general_frequency("och") > general_frequency("kompis") > general_frequency("glasögon") > 0
    assert general_frequency("the") > 6  # the higher of Swedish and English
    assert general_frequency("skoopi") == general_frequency("xqzv") == 0.0


def test_terms_carry_the_frequency_of_the_word_as_typed():
    analyzer = Analyzer("sv", SYNONYMS)
    kompis, lonebidrag = analyzer.terms("kompis lönebidraget")
    assert kompis.frequency == general_frequency("kompis") and lonebidrag.frequency == general_frequency("lönebidraget")
    [phrase] = analyzer.terms("ekonomisk förening")
    assert phrase.frequency == min(general_frequency("ekonomisk"), general_frequency("förening"))
    assert kompis == Analyzer("sv").terms("kompis")[0]  # frequency is no part of a term's identity


def test_an_idiom_says_nothing_of_the_subject():
    analyzer = Analyzer("sv")
    assert analyzer.keys("vad betyder social hänsyn i praktiken") == analyzer.keys("vad betyder social hänsyn")
    assert analyzer.keys("spelar det roll vem som äger") == analyzer.keys("vem som äger")
    assert "praktik" in analyzer.keys("praktik hos oss")  # the word itself still counts
    assert Analyzer("en").keys("what does it mean in practice") == Analyzer("en").keys("what does it mean")
