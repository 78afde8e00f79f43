"""Swedish or English? Decided from function words, å/ä/ö, spelling patterns and a little vocabulary."""

from __future__ import annotations

import re

from .model import Lang
from .text import SWEDISH_LETTERS, fold_word, lower_words, stopwords

# Words typical of one language that are not stop words, folded: question words and courtesy count as
# much as a function word; everyday and domain vocabulary counts less, because English questions often
# quote Swedish terms ("Can I get lönebidrag?").
_QUESTION_WORDS: dict[Lang, str] = {
    "sv": "vad hur vem vilken vilket vilka varför vart hej hejsan tjena tack svenska snälla gärna inte ingen",
    "en": "what how who which why where when hello hi hey thanks thank please english yes not",
}
_VOCABULARY: dict[Lang, str] = {
    "sv": """jobb företag företaget företagsform kommun kommunen stöd bidrag pengar starta startar anställa
        anställd anställning behöver hjälp göra gör finns betalar ansöka söka möte boka träffa prata
        myndighet ansvarar kontakta arbetsträning lönebidrag lönestöd förening aktiebolag skatt moms
        eget egen sociala socialt arbetsintegrerande upphandling mycket också eller kostar kostnad vet tror
        funkar fungerar liksom asså typ ju""",
    "en": """job jobs company companies business municipality support grant grants money starting hire
        employ employee employment need help make does find pay pays apply meeting book meet talk
        authority responsible contact training wage subsidy association tax vat enterprise
        enterprises work cost costs know think own get""",
}


def _folded_set(words: str) -> frozenset[str]:
    return frozenset(fold_word(w) for w in words.split())


_EVIDENCE: dict[str, dict[Lang, frozenset[str]]] = {}


def _evidence() -> dict[str, dict[Lang, frozenset[str]]]:
    """Function words (stop words + question words) and vocabulary per language, minus shared words."""
    if not _EVIDENCE:
        sw = stopwords()
        function = {lang: sw[lang] | _folded_set(_QUESTION_WORDS[lang]) for lang in ("sv", "en")}
        vocabulary = {lang: _folded_set(_VOCABULARY[lang]) for lang in ("sv", "en")}
        everything = {lang: function[lang] | vocabulary[lang] for lang in ("sv", "en")}
        # A folded word that belongs to both languages ("i", "for", "under") says nothing either way.
        shared = everything["sv"] & everything["en"]
        _EVIDENCE["function"] = {lang: function[lang] - shared for lang in ("sv", "en")}
        _EVIDENCE["vocabulary"] = {lang: vocabulary[lang] - shared for lang in ("sv", "en")}
    return _EVIDENCE


_SV_SPELLING = re.compile(r"(?:sj|tj|kj|skj|stj)|(?:ning|ningen|heten|arna|erna|orna|ande|ende|ligt|skt|tt)$")
_EN_SPELLING = re.compile(r"(?:th|wh|sh|ph|w|ea|ou|ee|oo|y$)|(?:ing|ness|ment|tion|ed|ly|ies|ght)$")


def language_scores(text: str) -> tuple[float, float]:
    """Evidence for Swedish and for English in a text: each word adds its strongest signal."""
    evidence = _evidence()
    function, vocabulary = evidence["function"], evidence["vocabulary"]
    sv = en = 0.0
    for word in lower_words(text):
        folded = fold_word(word)
        diacritic = 0.8 if any(c in SWEDISH_LETTERS for c in word) else 0.0
        if folded in function["sv"]:
            sv += 1.0
        elif folded in function["en"]:
            en += 1.0
        elif folded in vocabulary["sv"]:
            sv += max(0.6, diacritic)
        elif folded in vocabulary["en"]:
            en += 0.6
        elif diacritic:
            sv += diacritic
        elif len(folded) > 3 and folded.isalpha():
            # Unknown word: weak evidence from how it is spelt.
            sv += 0.3 if _SV_SPELLING.search(folded) else 0.0
            en += 0.3 if _EN_SPELLING.search(folded) else 0.0
    return sv, en


def detect_language(text: str, hint: Lang | None = None) -> Lang:
    """The language of a message; the hint (default Swedish) when the text is too short or unclear."""
    fallback: Lang = hint or "sv"
    sv, en = language_scores(text)
    if max(sv, en) < 1.0 or abs(sv - en) < 0.5:
        return fallback
    return "sv" if sv > en else "en"
