"""The grammatical form of a question: does it ask for a yes or a no?

An FAQ answer may carry a short lead ("Ja, i praktiken.", "No.") that fits only a yes/no question
("måste vi ha F-skatt?"), not a wh-question ("hur skaffar jag F-skatt?") nor a bare noun phrase
("F-skatt?"). Pure functions over the words as typed, folded (no diacritics), so "far vi" is "får vi".
"""

from __future__ import annotations

import re
from typing import Literal

from .text import tokens

Form = Literal["yes_no", "wh", "other"]

# Words that open a wh-question (folded). Swedish "var" is taken as "where", its usual sense in a question.
WH_WORDS = {
    "sv": frozenset({"vad", "hur", "vem", "vems", "vilka", "vilken", "vilket", "var", "varifran", "vart", "nar",
                     "varfor", "hurdan", "hurudan", "vadan"}),
    "en": frozenset({"what", "how", "who", "whom", "whose", "where", "when", "which", "why", "whats", "hows",
                     "whos", "wheres"}),
}
# Finite verbs that open a Swedish yes/no question (verb first: "får vi …", "finns det …").
SV_FIRST_VERBS = frozenset({
    "kan", "kunde", "far", "fick", "maste", "behover", "behovs", "ska", "skall", "skulle", "bor", "borde",
    "finns", "fanns", "ar", "blir", "blev", "har", "hade", "gar", "gick", "brukar", "funkar", "fungerar",
    "galler", "stammer", "kommer", "vill", "ingar", "racker", "kravs", "hjalper", "betalar", "tar", "ger",
    "gor", "passar", "raknas", "lonar", "duger", "innebar", "menar", "tycker", "tror", "visst", "slipper",
    "ansvarar", "erbjuder", "stodjer", "stoder", "anstaller", "tjanar", "kostar",
})
# Auxiliaries that open an English yes/no question (apostrophes are joined: "don't" -> "dont").
EN_FIRST_VERBS = frozenset({
    "can", "could", "do", "does", "did", "is", "are", "was", "were", "am", "must", "should", "will", "would",
    "has", "have", "had", "may", "might", "shall", "need", "isnt", "arent", "dont", "doesnt", "didnt", "cant",
    "cannot", "wont", "wouldnt", "shouldnt", "havent", "hasnt", "couldnt", "wasnt", "werent", "mustnt",
})
FIRST_VERBS = {"sv": SV_FIRST_VERBS, "en": EN_FIRST_VERBS}
# A subject right after a Swedish verb-like word makes the clause verb-first ("betalar ni …").
SUBJECTS = {
    "sv": frozenset({"jag", "du", "man", "vi", "ni", "de", "dom", "det", "den", "detta", "denna", "han", "hon",
                     "nagon", "nagot", "alla", "ett", "en", "min", "mitt", "mina", "var", "vart", "vara", "er",
                     "ert", "era", "din", "ditt", "dina"}),
    "en": frozenset({"i", "you", "we", "they", "it", "he", "she", "one", "there", "this", "that", "my", "our",
                     "your", "their", "a", "an", "the", "someone", "anyone"}),
}
# Words before the question proper that say nothing about its form ("och hur …", "hej, får man …").
OPENERS = {
    "sv": frozenset({"och", "men", "hej", "hejsan", "halla", "hallo", "tja", "tjena", "ok", "okej", "okay", "alltsa",
                     "sa", "jaha", "aha", "ja", "nej", "eller", "forresten", "fast", "da", "hmm", "um", "mm",
                     "snalla", "ursakta", "fraga"}),
    "en": frozenset({"and", "so", "but", "hi", "hello", "hey", "ok", "okay", "well", "also", "oh", "um", "hmm",
                     "then", "or", "please", "yes", "no", "question", "sorry"}),
}
# Verbs after which "om"/"if" or a wh-word opens an embedded question: "jag undrar om …", "vet du hur …".
ASKING_VERBS = frozenset({"undrar", "undra", "funderar", "vet", "veta", "fragar", "fraga", "beratta", "forklara",
                          "saga", "wonder", "wondering", "wondered", "know", "knows", "ask", "asking", "tell",
                          "explain", "say"})
WHETHER = frozenset({"om", "huruvida", "if", "whether"})
OBJECTS = frozenset({"mig", "oss", "me", "us", "du", "ni", "you"})
# A clause that only asks for confirmation of what came before: "…, eller hur?", "…, right?".
TAGS = frozenset({
    ("eller",), ("eller", "hur"), ("eller", "inte"), ("va",), ("visst",), ("stammer", "det"), ("eller", "vad"),
    ("right",), ("or", "not"), ("isnt", "it"), ("correct",), ("true",), ("is", "that", "right"),
    ("is", "that", "true"), ("arent", "we"), ("dont", "we"), ("dont", "i"), ("ok",), ("okay",),
})
ALTERNATIVE = {"sv": "eller", "en": "or"}
CHOOSING = frozenset({"valja", "valjer", "valt", "battre", "hellre", "foredra", "foredrar", "lamplig", "lampligast",
                      "choose", "pick", "better", "rather", "prefer", "best"})

_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;\n]*")
_CLAUSE = re.compile(r"[,:]| - | – ")


def is_yes_no_question(text: str, lang: str) -> bool:
    """True when `text` asks for a yes or a no ("får vi ta ut vinst?", "do we need F-tax?", "…, eller hur?").

    False for a wh-question ("hur skaffar jag F-skatt?"), a bare noun phrase ("lönebidrag?"), a statement,
    and an either-or question ("aktiebolag eller förening?"). With several questions, all must be yes/no.
    """
    lang = "en" if lang == "en" else "sv"
    sentences = [(m.group(0), "?" in m.group(0)) for m in _SENTENCE.finditer(text) if tokens(m.group(0))]
    if not sentences:
        return False
    asked = [s for s, question in sentences if question] or [sentences[-1][0]]
    return all(sentence_form(s, lang, "?" in s) == "yes_no" for s in asked)


def sentence_form(sentence: str, lang: str, asked: bool = True) -> Form:
    """The form of one sentence: a trailing tag, else its first clause that asks something, else "other"."""
    clauses = [words for part in _CLAUSE.split(sentence) if (words := tokens(part))]
    if not clauses:
        return "other"
    if len(clauses) > 1 and tuple(clauses[-1]) in TAGS:
        return "yes_no"  # checked first: "eller hur" is a tag, not a question about how
    for words in clauses:
        form = clause_form(words, lang)
        if form is not None:
            return form
    last = _without_openers(clauses[-1], lang)
    if asked and _declarative(last, lang):
        return "yes_no"  # "vi måste ha F-skatt?": a statement asked as a question
    return "other"


def clause_form(words: list[str], lang: str) -> Form | None:
    """"yes_no", "wh" or "other" when the folded words of one clause ask something, else None."""
    words = _without_openers(words, lang)
    if not words:
        return None
    first = words[0]
    if first in WH_WORDS[lang]:
        return "wh"
    embedded = _embedded(words, lang)
    if _verb_first(words, lang):
        if embedded is not None:
            return embedded  # "vet du hur …" asks how; "vet du om …" asks whether
        return "other" if _either_or(words, lang) else "yes_no"
    return embedded


def _without_openers(words: list[str], lang: str) -> list[str]:
    i = 0
    while i < len(words) - 1 and words[i] in OPENERS[lang]:
        i += 1
    return words[i:]


def _verb_first(words: list[str], lang: str) -> bool:
    first = words[0]
    if first in FIRST_VERBS[lang]:
        return True
    if lang == "sv" and len(words) > 1 and len(first) > 3 and first.endswith(("r", "s")):
        # An unlisted present-tense verb followed by its subject: "anordnar ni …", "betalas lönen …".
        second = words[1]
        return second in SUBJECTS["sv"] or second.endswith(("en", "et", "na"))
    return False


def _embedded(words: list[str], lang: str) -> Form | None:
    """An embedded question after a verb of asking: "jag undrar om …" (yes/no), "kan du berätta hur …" (wh)."""
    for i, word in enumerate(words):
        if word not in ASKING_VERBS:
            continue
        for follower in [w for w in words[i + 1:i + 4] if w not in OBJECTS][:1]:
            if follower in WHETHER:
                return "yes_no"
            if follower in WH_WORDS[lang]:
                return "wh"
    return None


def _either_or(words: list[str], lang: str) -> bool:
    """"ska vi välja aktiebolag eller förening?": a choice, not a yes or a no. "Kan kommunen äga eller driva
    ett ASF?" still asks yes or no, so only "or" with a word of choosing counts ("… eller?" is a tag)."""
    word = ALTERNATIVE[lang]
    if word not in words[1:] or not CHOOSING.intersection(words):
        return False
    rest = words[words.index(word, 1):]
    return tuple(rest) not in TAGS


def _declarative(words: list[str], lang: str) -> bool:
    return len(words) > 2 and words[0] in SUBJECTS[lang] and words[1] in FIRST_VERBS[lang]
