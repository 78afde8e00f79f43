"""Follow-up questions: "och hur ansöker man?" right after an answer about lönebidrag is about lönebidrag.

`in_context` is pure: the message, the entry the last answer was about, the knowledge and its matcher
give the understanding to act on. A message that leans on what came before (starts with "och",
"and", ends with "också", says "det"/"it" in a few words, or is a bare "vem betalar?") is matched with
the subject added; a message that names a domain term of its own that the last entry does not have
("och hur funkar nystartsjobb?") is a new question and keeps its own understanding.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .matcher import Matcher
from .model import FaqEntry, Knowledge, Lang
from .text import stopwords, tokens
from .understanding import Understanding, understand

# Words that tie a message to the previous answer, folded.
OPENERS = frozenset({"och", "men", "sa", "eller", "samt", "and", "but", "so", "or", "also"})
OPENING_PHRASES = ("hur ar det med", "vad galler", "what about", "how about", "and what about")
CLOSERS = frozenset({"ocksa", "med", "too", "also", "da", "then"})
POINTERS = frozenset({"det", "den", "dem", "dom", "detta", "denna", "dessa", "sadant", "sant",
                      "it", "that", "this", "them", "they", "those", "one"})
SHORT = 6  # a pointer counts in a message of at most this many words
BARE = 3  # a message this short without a confident answer of its own leans on the last one
# Below this Zipf frequency a word is rare in everyday language: a domain term ("nystartsjobb" 2.3,
# "företagsform" 1.6), where everyday words score 4-7 ("betalar" 5.0, "ansöker" 3.8).
DOMAIN_ZIPF = 3.2
# Intents that answer the message whatever came before it.
OWN_INTENTS = frozenset({"greeting", "thanks", "help", "booking", "my_meetings", "cancel", "human",
                         "switch_language", "privacy", "guide", "where_am_i", "who_does_what"})


def leans_on_previous(text: str, own: Understanding) -> bool:
    """Whether the message reads as a follow-up rather than a question on its own."""
    words = tokens(text)
    if not words:
        return False
    folded = " ".join(words)
    if words[0] in OPENERS or folded.startswith(OPENING_PHRASES):
        return True
    if words[-1] in CLOSERS and len(words) <= SHORT + 2:
        return True
    if len(words) <= SHORT and any(w in POINTERS for w in words):
        return True
    return len(words) <= BARE and own.intent not in ("faq", "routing")


def _entry_words(entry: FaqEntry, lang: str) -> frozenset[str]:
    return _words_of((entry.question.get(lang), *entry.alternates.get(lang), entry.answer.get(lang)))


@lru_cache(maxsize=2048)
def _words_of(texts: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for t in texts for w in tokens(t))


def _zipf(word: str, lang: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # without word frequencies every word counts as everyday
        return 8.0
    return zipf_frequency(word, lang)


def new_subject(text: str, lang: Lang, entry: FaqEntry) -> bool:
    """Whether the message names a domain term of its own that the last entry does not speak of."""
    known = _entry_words(entry, lang)
    filler = stopwords()["sv"] | stopwords()["en"]
    for word in tokens(text):
        if len(word) < 3 or word in filler or word in POINTERS or word.isdigit():
            continue
        if word in known or any(k.startswith(word) or word.startswith(k) for k in known if len(k) >= 5):
            continue
        if _zipf(word, lang) < DOMAIN_ZIPF:
            return True
    return False


def subject_text(entry: FaqEntry, lang: Lang) -> str:
    """What the last answer was about, as words to add to a follow-up: its question."""
    return entry.question.get(lang)


def in_context(text: str, own: Understanding, entry_id: str, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    """The understanding of `text` given that the last answer was entry `entry_id`.

    Returns `own` when the message stands on its own. Otherwise the message is understood with the
    subject's question added; if that finds no answer either, an Understanding with intent
    "follow_up_unknown", `faq_id` the subject's entry and its authorities, so the reply can say
    honestly what it does not know and who does.
    """
    entry = knowledge.entries.get(entry_id)
    if entry is None or own.intent in OWN_INTENTS or own.intent == "switch_language":
        return own
    if not leans_on_previous(text, own) or new_subject(text, own.lang, entry):
        return own
    combined = understand(f"{text} {subject_text(entry, own.lang)}", knowledge, matcher, lang_hint=own.lang)
    if combined.intent in ("faq", "routing") and combined.faq_id:
        return replace(combined, text=text, lang=own.lang)
    if own.intent in ("faq", "routing") and own.faq_id and own.faq_id == entry.id:
        return own
    return Understanding(text, own.lang, "follow_up_unknown", faq_id=entry.id, score=combined.score,
                         authorities=tuple(entry.authorities))
