"""What a message means: an intent (greeting, booking, ...), an FAQ answer, a routing question, or nothing.

`understand` is a pure function over the knowledge and its matcher; the dialogue engine decides what
to do with the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from .language import detect_language
from .matcher import Match, Matcher
from .model import Knowledge, Lang
from .text import PhraseHit, lower_words, stopwords, tokens

# Intent names from intents.yaml with a meaning of their own here.
ROUTING = "routing"
SWITCH = {"language_sv": "sv", "language_en": "en"}
# Politeness: preferred over requests when the message has both ("hej, boka möte" is booking).
COURTESY = frozenset({"greeting", "thanks", "help"})
# Requests to the bot itself. Every intent counts when its trigger is (nearly) all the message says;
# these also win over a question the FAQ cannot answer when the trigger has two words or more
# ("jag vill boka ett möte med kommunen"). The rest (privacy, guide, ...) have FAQ entries of their
# own, so a longer message goes to the FAQ ("kan jag få ut en kopia på mina uppgifter").
REQUESTS = frozenset({"booking", "my_meetings", "cancel", "human", "language_sv", "language_en"})


@dataclass(frozen=True)
class Understanding:
    text: str
    lang: Lang
    intent: str  # empty | greeting | ... | switch_language | routing | faq | did_you_mean | fallback
    faq_id: str | None = None
    score: float = 0.0
    suggestions: tuple[str, ...] = ()
    authorities: tuple[str, ...] = ()  # responsible first
    target_lang: Lang | None = None  # for switch_language


def understand(text: str, knowledge: Knowledge, matcher: Matcher, lang_hint: Lang | None = None) -> Understanding:
    """Classify one message and, for questions, find the FAQ entry and the responsible authorities."""
    lang = detect_language(text, lang_hint)
    words = tokens(text)
    if not words:
        return Understanding(text, lang, "empty")
    hits = matcher.intents.find(words)
    frame = next((h for h in hits if h.label == ROUTING), None)
    intent, bare = _trigger(words, hits)
    if bare:
        return _intent(text, lang, intent)
    if frame is not None:
        return _route(text, lang, words, frame, knowledge, matcher)
    match = matcher.match(text, lang)
    if match.decision != "answer" and intent is not None and intent.label in REQUESTS and intent.size >= 2:
        return _intent(text, lang, intent)
    return _from_match(text, lang, match, knowledge, matcher)


def bare_intent(text: str, matcher: Matcher) -> str | None:
    """The intent when the message is nothing but its trigger, politeness and function words ("var är
    jag?", "hjälp", "english please"), else None. For flows that take free text: an answer that merely
    contains a trigger ("ett kafé där folk får hjälp") is still an answer."""
    words = tokens(text)
    intent, bare = _trigger(words, matcher.intents.find(words))
    return intent.label if bare else None


def understand_question(text: str, lang: Lang, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    """The message as an FAQ question only, ignoring intents (for intents no feature handles)."""
    return _from_match(text, lang, matcher.match(text, lang), knowledge, matcher)


def _from_match(text: str, lang: Lang, match: Match, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    if match.decision == "answer":
        return _answer(text, lang, "faq", match, knowledge)
    if match.decision == "suggest":
        return _suggest(text, lang, match)
    return _fallback(text, lang, match, matcher)


def _trigger(words: list[str], hits: list[PhraseHit]) -> tuple[PhraseHit | None, bool]:
    """The main intent's trigger, and whether the message is nothing but it, politeness and function words."""
    intent = _main_intent([h for h in hits if h.label != ROUTING])
    return intent, intent is not None and not _content_left(words, hits, intent)


def _main_intent(hits: list[PhraseHit]) -> PhraseHit | None:
    """The longest trigger, preferring a request over mere politeness ("hej, boka möte" is booking)."""
    requests = [h for h in hits if h.label not in COURTESY]
    return (requests or hits or [None])[0]


def _content_left(words: list[str], hits: list[PhraseHit], intent: PhraseHit) -> bool:
    """Whether anything but the trigger, politeness and function words is in the message."""
    covered = set(range(intent.start, intent.end))
    for h in hits:
        if h.label in COURTESY:
            covered.update(range(h.start, h.end))
    filler = _filler()
    return any(i not in covered and w not in filler for i, w in enumerate(words))


def _filler() -> frozenset[str]:
    return stopwords()["sv"] | stopwords()["en"]


def _intent(text: str, lang: Lang, hit: PhraseHit) -> Understanding:
    if hit.label in SWITCH:
        return Understanding(text, lang, "switch_language", target_lang=SWITCH[hit.label])  # type: ignore[arg-type]
    return Understanding(text, lang, hit.label)


def _answer(text: str, lang: Lang, intent: str, match: Match, knowledge: Knowledge) -> Understanding:
    top = match.candidates[0]
    entry = knowledge.entries[top.entry_id]
    return Understanding(text, lang, intent, faq_id=entry.id, score=top.score, authorities=tuple(entry.authorities))


def _suggest(text: str, lang: Lang, match: Match) -> Understanding:
    ids = tuple(c.entry_id for c in match.candidates[:3])
    return Understanding(text, lang, "did_you_mean", score=match.candidates[0].score, suggestions=ids)


def _fallback(text: str, lang: Lang, match: Match, matcher: Matcher) -> Understanding:
    score = match.candidates[0].score if match.candidates else 0.0
    named = matcher.named_authorities(text)
    return Understanding(text, lang, "fallback", score=score, authorities=named[:1])


def _route(text: str, lang: Lang, words: list[str], frame: PhraseHit, knowledge: Knowledge,
           matcher: Matcher) -> Understanding:
    """ "Vem ska jag kontakta om X?": find X and name who is responsible for it."""
    rest = [i for i in range(len(words)) if not frame.start <= i < frame.end]
    if all(words[i] in _filler() for i in rest):
        return Understanding(text, lang, "who_does_what")  # "vem ska jag kontakta?" with no subject
    written = lower_words(text)  # as typed, for the stemmer: tokens() are these words folded
    topic = " ".join(written[i] for i in rest)
    match = matcher.match(topic, lang)
    if match.decision == "answer" or (match.decision == "suggest" and _same_responsible(match, knowledge)):
        return _answer(text, lang, ROUTING, match, knowledge)
    named = matcher.named_authorities(topic)
    if named:
        return Understanding(text, lang, ROUTING, authorities=named)
    ranked = matcher.rank_authorities(topic, lang)
    if matcher.decide(ranked) == "answer":
        return Understanding(text, lang, ROUTING, score=ranked[0].score, authorities=(ranked[0].entry_id,))
    if match.decision == "suggest":
        return _suggest(text, lang, match)
    return _fallback(text, lang, match, matcher)


def _same_responsible(match: Match, knowledge: Knowledge) -> bool:
    """Several suggestions, all with the same responsible authority: the routing answer is clear anyway."""
    responsible = {knowledge.entries[c.entry_id].authorities[0] for c in match.candidates}
    return len(match.candidates) > 1 and len(responsible) == 1
