"""Follow-up questions: "och hur ansöker man?" right after an answer about lönebidrag is about lönebidrag.

`in_context` is pure: the message, the entry the last answer was about, the knowledge and its matcher
give the understanding to act on. A message that leans on what came before (starts with "och",
"and", ends with "också", says "det"/"it" in a few words, or is a bare "vem betalar?") is matched with
the subject added, and answered only from an entry about the same subject; a message that names a
subject of its own ("och hur funkar nystartsjobb?", "och vad gäller moms?") is a new question and keeps
its own understanding.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from functools import lru_cache
from itertools import pairwise

from .matcher import Matcher
from .model import SERVICE_TOPICS, FaqEntry, Knowledge, Lang
from .text import fold_word, general_frequency, light_words_any, lower_words, stem, stop_words_any, tokens
from .understanding import Understanding, understand

# Words that tie a message to the previous answer, folded.
OPENERS = frozenset({"och", "men", "sa", "eller", "samt", "and", "but", "so", "or", "also"})
OPENING_PHRASES = ("hur ar det med", "vad galler", "what about", "how about", "and what about")
CLOSERS = frozenset({"ocksa", "med", "too", "also", "da", "then"})
ALSO = frozenset({"ocksa", "too", "also"})  # ...of which these ask the same of something else
POINTERS = frozenset({"det", "den", "dem", "dom", "detta", "denna", "dessa", "sadant", "sant",
                      "it", "that", "this", "them", "they", "those", "one"})
SHORT = 6  # a pointer counts in a message of at most this many words...
NAMES_NOTHING = 12  # ...or of at most this many when no word of it names anything
# "det"/"it" before an infinitive ("vad kostar det att registrera?", "how long does it take to register?") is a
# placeholder for what follows, not a pointer back: the infinitive marker at most EXPLETIVE_GAP words after it.
INFINITIVE_MARKERS = frozenset({"att", "to"})
EXISTENTIAL = frozenset({"finns", "fanns"})  # "finns det ...": "det" is no pointer back either
EXPLETIVE_GAP = 2
# A follow-up naming what another entry about the same subject is titled by gets it (_named_elsewhere) if it ranks
# among the first NAMED_RANKED and scores at least NAMED_FLOOR (below the answer threshold: the title's word decides).
NAMED_RANKED = 5
NAMED_FLOOR = 40.0
# ...and one whose answer does not tell what it asks is offered up to ASPECT_OFFERED entries about that, from the
# ASPECT_RANKED best for it with its subject (_about_the_aspect).
ASPECT_RANKED = 10
ASPECT_OFFERED = 2
BARE = 3  # a question this short without a confident answer of its own leans on the last one
# Words that make a few words a question ("vem betalar", "when"), folded; a "?" does too.
ASKING = frozenset({"vad", "hur", "vem", "vems", "vilken", "vilket", "vilka", "nar", "varfor", "vart",
                    "what", "how", "who", "whom", "whose", "which", "when", "why", "where"})
# Verbs a follow-up asks with ("vad kostar det?", "who pays?"), folded: they ask about the subject, never name one.
ASKING_VERBS = frozenset({"ansoker", "ansoka", "soker", "soka", "betalar", "betala", "betalas", "kostar", "kosta",
                          "funkar", "fungerar", "galler", "racker", "tar", "apply", "applies", "pay", "pays", "paid",
                          "cost", "costs", "work", "works", "take", "takes", "much", "many", "long",
                          "mycket", "manga", "lange", "far", "fa", "get", "gets", "beslutar", "bestammer", "avgor",
                          "decides", "decide", "omfattas", "qualify", "qualifies"})
# Below this Zipf frequency a word is rare in everyday language: a domain term ("nystartsjobb" 2.3,
# "företagsform" 1.6), where everyday words score 4-7 ("betalar" 5.0, "ansöker" 3.8).
DOMAIN_ZIPF = 3.2
# What a follow-up asks about the subject, and the words (folded beginnings) of an answer's sentence that
# tell it: "och hur ansöker jag om det?" is answered by "Arbetsgivaren ansöker, och Arbetsförmedlingen…".
ASPECTS = (
    (frozenset({"ansoker", "ansoka", "ansokan", "soker", "soka", "apply", "applies", "application"}),
     ("ansok", "soker", "soka", "apply", "applie", "applica")),
    (frozenset({"kostar", "kosta", "kostnad", "avgift", "pris", "cost", "costs", "fee", "price", "much"}),
     ("kost", "avgift", "kronor", "gratis", "pris", "cost", "fee", "free", "price", "sek")),
    (frozenset({"betalar", "betala", "betalas", "pay", "pays", "paid", "finansierar"}),
     ("betal", "pay", "paid", "finansier", "financ")),
    (frozenset({"mycket", "much", "belopp", "amount", "stort", "stor", "procent", "percent"}),
     ("kronor", "procent", "belopp", "ersattning", "sek", "percent", "amount", "compensat", "%")),
    (frozenset({"long", "lang", "lange", "tid", "snabbt", "quickly", "weeks"}),
     ("vecka", "veckor", "manad", "dagar", "tid", "week", "month", "days", "time")),
    (frozenset({"beslutar", "bestammer", "decides", "decide"}), ("beslut", "bestam", "decid")),
)
# A follow-up that the last answer already answers gets that part of it, at most this many sentences.
# Who it is for ("who can get it?", "vilka omfattas?"), asked when nothing of the above is: sentences about people.
WHO_ASPECT = (frozenset({"vem", "vilka", "who", "whom", "eligible", "qualify", "qualifies", "omfattas", "galler"}),
              ("person", "people", "someone", "anyone", "nagon", "nagra", "arbetssok", "jobseek", "unemploy",
               "arbetslos", "nyanland", "newly", "deltagar", "participant"))
PART_SENTENCES = 2
# A follow-up asking what it costs or how much it gives ("vad kostar det?", "how much is it?", "hur mycket får
# man?"), folded; unless it asks how long ("hur mycket tid").
ASKS_AMOUNT = frozenset({"kostar", "kosta", "kostnad", "avgift", "pris", "belopp", "mycket", "stort", "storlek",
                         "procent", "cost", "costs", "fee", "price", "much", "amount", "big", "size", "percent"})
ASKS_TIME = frozenset({"tid", "lange", "lang", "time", "long", "weeks", "veckor", "dagar", "days"})
# What tells an amount in an answer's sentence: a sum, a share of the wage, what it costs or that it is free
# ("Ansökningsavgiften är 12 000 kronor", "Registreringen kostar en avgift", "Mötet är kostnadsfritt"); not "wage
# costs", "skatte- och avgiftsanmälan", "free of income tax" or "40 procent av dem som ...".
AMOUNT_TOLD = re.compile(r"""
    \d[\d\s.,]*\s*(?:kr\b|kronor|sek\b)
  | \d+\s*(?:%|procent|percent)\s+(?:av|of)\s+(?:the\s+|den\s+)?\w*(?:lön|kostnad|wage|salar|cost)
  | \b(?:kostar|costs?)\s+(?:en|ett|inget|ingenting|inga|nothing|a|an|no|\d) | \bcharges?\s+(?:a|an|\d)
  | \btar\s+ut\s+(?:en\s+)?avgift
  | \bgratis\b | \bkostnadsfri | \bfree\b(?![-\s]+(?:of\s+\w*\s*tax|choice))
""", re.IGNORECASE | re.VERBOSE)
# A sentence that says who decides how large it is ("... beslutar om stödet och hur stort det blir"), folded.
SIZE_MARKS = ("stort", "storlek", "size", "belopp", "amount")
DECIDE_MARKS = ("beslut", "bestam", "avgor", "decid", "determin")
# Endings of a Swedish noun's definite form ("bidraget", "stödet", "avgiften", "mötet"), folded; what
# is left must be at least REFERRED_LENGTH letters to be taken for a noun ("det", "den" are POINTERS already); after
# "the" a noun of three letters will do ("the fee").
SV_DEFINITE = ("et", "en", "n", "t")
EN_DEFINITE = frozenset({"the"})
REFERRED_LENGTH = {"sv": 4, "en": 3}
# How far down a message's ranking to look for entries about a new subject of the same kind (see _same_kind).
SAME_KIND_RANKED = 8
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
    if len(words) <= SHORT and points(words):
        return True
    if len(words) <= NAMES_NOTHING and points(words) and all(w in _function_words() or w in light_words_any() for w in words):
        return True  # "hur gör man för att söka det?": longer, but every word asks or points
    # A few words that ask something ("vem betalar?"); not a stray "gbg" or "imorgon kl 22".
    asks = "?" in text or any(w in ASKING for w in words)
    if len(words) <= SHORT and asks and all(w in _function_words() for w in words):
        return True  # "hur mycket får man?": asks, names nothing; whatever the matcher guesses, it is about the last answer
    return len(words) <= BARE and asks and own.intent not in ("faq", "routing")


def points(words: list[str]) -> bool:
    """Whether folded words have a pointer back ("det", "it") that is not a placeholder for an infinitive."""
    for i, word in enumerate(words):
        ahead = words[i + 1:i + 1 + EXPLETIVE_GAP]
        if i and words[i - 1] in EXISTENTIAL and word == "det" and ahead:
            continue  # "finns det något samordningsförbund här?": "det" points at nothing
        if word in POINTERS and not (INFINITIVE_MARKERS & set(ahead) and words[-1] not in INFINITIVE_MARKERS):
            return True
    return False


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    """Words that ask or point but name no subject (folded)."""
    return frozenset(stop_words_any() | ASKING | ASKING_VERBS | OPENERS | CLOSERS | POINTERS)


def _entry_words(entry: FaqEntry, lang: str) -> frozenset[str]:
    return _words_of((entry.question.get(lang), *entry.alternates.get(lang), entry.answer.get(lang)))


@lru_cache(maxsize=2048)
def _words_of(texts: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w for t in texts for w in tokens(t))


def _subject_words(entry: FaqEntry, lang: str) -> frozenset[str]:
    """The words that name what an entry is about: those of its question and alternates, folded."""
    return _words_of((entry.question.get(lang), *entry.alternates.get(lang)))


def _names(word: str, subject: frozenset[str], shortest: int) -> bool:
    """Whether a noun (folded, indefinite) is one the subject is named by, or the head of such a compound
    ("bidrag" of "lönebidrag"), or its plural/singular ("subsidies", "subsidy")."""
    if len(word) < shortest:
        return False
    singular = re.sub(r"(?:ies|s)$", lambda m: "y" if m[0] == "ies" else "", word) if len(word) > shortest else word
    return any(k == word or k == singular or (len(k) > len(word) and k.endswith(word)) for k in subject)


def refers_back(text: str, lang: Lang, entry: FaqEntry, names: frozenset[str] = frozenset()) -> bool:
    """Whether the message names what the last answer was about in the definite form, as one refers back to it:
    "hur stort är bidraget?" or "hur mycket är stödet?" after lönebidrag, "how big is the subsidy?" after the
    wage subsidy, or what the part of the answer it asks about names ("how much is the fee?" after "The application
    fee is 12,000 kronor"); not "hur stort är ett bidrag?", which may be any. An authority's name (`names`, folded
    words: "kommunen", "municipality") is how one names it, not a reference back ("vilken enhet på kommunen ...")."""
    subject = _subject_words(entry, lang) | _words_of((part_asked(text, entry, lang),))
    words = [w for w in tokens(text) if w not in names]
    if lang == "en":
        return any(w in EN_DEFINITE and _names(after, subject, REFERRED_LENGTH["en"])
                   for w, after in pairwise(words))
    return any(w.endswith(end) and _names(w[: -len(end)], subject, REFERRED_LENGTH["sv"])
               for w in words for end in SV_DEFINITE)


def authority_words(knowledge: Knowledge) -> frozenset[str]:
    """The authorities' one-word names, folded, in both languages ("kommunen", "arbetsformedlingen", "municipality"
    of "The municipality"); not the words of longer names ("the Swedish Tax Agency" names no "tax")."""
    found = set()
    for a in knowledge.authorities.values():
        for name in (a.name.sv, a.name.en):
            words = [w for w in tokens(name) if w not in _function_words()]
            if len(words) == 1:
                found.add(words[0])
    return frozenset(found)


def new_subject(text: str, lang: Lang, entry: FaqEntry, refers: bool = False) -> bool:
    """Whether the message names a subject of its own that the last entry does not speak of: a domain term
    ("och hur funkar nystartsjobb?"), or any word of its own when nothing in it points back ("och vad gäller
    moms?"; but "finns det för föreningar också?" asks about the same thing for associations)."""
    known = _entry_words(entry, lang)
    ignored = _function_words()
    written_words = lower_words(text)
    folded = [fold_word(w) for w in written_words]
    points_back = refers or points(folded) or bool(folded and folded[-1] in ALSO)  # "... också?" leans too
    for written in written_words:
        word = fold_word(written)
        if len(word) < 3 or word in ignored or word.isdigit():
            continue
        if _known(word, known):
            continue
        # Frequencies are of words as written: folded, "föreningar" would be no everyday word at all.
        if general_frequency(written) < DOMAIN_ZIPF or not points_back:
            return True
    return False


def related(subject: FaqEntry, other: FaqEntry) -> bool:
    """Whether an entry is about the same subject as the last one: the same entry, or one whose main topic
    the other has (lönebidrag and who pays the wage; not lönebidrag and the fee for registering a company)."""
    return (other.id == subject.id or subject.topics[0] in other.topics or other.topics[0] in subject.topics)


def subject_text(entry: FaqEntry, lang: Lang) -> str:
    """What the last answer was about, as words to add to a follow-up: its question's content words."""
    ignored = stop_words_any() | ASKING
    return " ".join(w for w in lower_words(entry.question.get(lang)) if fold_word(w) not in ignored)


def with_subject(text: str, subject: str) -> str:
    """The follow-up and its subject as one question ("och hur ansöker jag om det lönebidrag kallas lönestöd?"):
    added as a sentence of its own, the subject would be read as a second question that outweighs the first."""
    body = text.rstrip("?!.… ")
    return f"{body} {subject}{text[len(body):]}"


def points_back_only(text: str) -> bool:
    """A few words that only point back ("how do I apply for it?", "vad kostar det?"): nothing of their own."""
    words = tokens(text)
    ignored = _function_words()
    return 0 < len(words) <= SHORT and points(words) and all(w in ignored for w in words)


def _asked_aspects(text: str) -> list[tuple[frozenset[str], tuple[str, ...]]]:
    """The ASPECTS a message asks about, else whom it is for (WHO_ASPECT) if it asks that."""
    words = set(tokens(text))
    asked = [(asking, marks) for asking, marks in ASPECTS if words & asking]
    return asked or ([WHO_ASPECT] if words & WHO_ASPECT[0] else [])


def _sentences(entry: FaqEntry, lang: Lang) -> list[str]:
    return re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])", entry.answer.get(lang).strip())


def asks_amount(text: str) -> bool:
    """Whether a message asks what something costs or how much it gives, not how long it takes."""
    words = set(tokens(text))
    return bool(words & ASKS_AMOUNT) and not words & ASKS_TIME


def part_asked(text: str, entry: FaqEntry, lang: Lang) -> str:
    """The sentences of the entry's answer that tell what the follow-up asks ("how do I apply?": the one
    about applying; "how much is it?": one that gives a sum or says it is free); empty when it asks nothing
    in particular or the answer does not say."""
    if asks_amount(text):
        told = [s for s in _sentences(entry, lang) if AMOUNT_TOLD.search(s)]
        return " ".join(told[:PART_SENTENCES])
    aspects = _asked_aspects(text)
    if not aspects:
        return ""
    told = [s for s in _sentences(entry, lang) if any(w.startswith(marks) for _, marks in aspects for w in tokens(s))]
    return " ".join(told[:PART_SENTENCES])


def size_decided(entry: FaqEntry, lang: Lang) -> str:
    """The sentence of the entry's answer that says who decides how large it is ("Arbetsförmedlingen ... beslutar
    om stödet och hur stort det blir"), or empty."""
    for sentence in _sentences(entry, lang):
        words = tokens(sentence)
        if any(w.startswith(SIZE_MARKS) for w in words) and any(w.startswith(DECIDE_MARKS) for w in words):
            return sentence
    return ""


def _fits_aspect(text: str, entry: FaqEntry, lang: Lang) -> bool:
    """Whether an entry's own question is about what the follow-up asks ("vad kostar det?": "Vad kostar det att starta…")."""
    return any(w in asking or w.startswith(marks)
               for asking, marks in _asked_aspects(text) for w in tokens(entry.question.get(lang)))


def not_again(text: str, u: Understanding, entry: FaqEntry, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    """Never the same answer twice in a row: a message that would get the entry just answered gets another
    entry about the same subject that its question fits (how to apply, what it costs), else intent
    "just_answered" with the entry, so the reply can point to the part asked or say it was the answer just given."""
    if u.intent != "faq" or u.faq_id != entry.id:
        return u
    question = with_subject(text, subject_text(entry, u.lang))
    for c in matcher.match(question, u.lang).candidates[:5]:
        other = knowledge.entries.get(c.entry_id)
        if (other is not None and other.id != entry.id and c.score >= matcher.thresholds.suggest
                and related(entry, other) and _fits_aspect(text, other, u.lang)):
            return Understanding(text, u.lang, "faq", faq_id=other.id, score=c.score,
                                 authorities=tuple(other.authorities))
    named = _named_elsewhere(text, entry, knowledge, matcher, u.lang)
    if named is not None:
        return named
    return Understanding(text, u.lang, "just_answered", faq_id=entry.id, score=u.score,
                         suggestions=_about_the_aspect(text, question, entry, knowledge, matcher, u.lang),
                         authorities=tuple(entry.authorities))


def _about_the_aspect(text: str, question: str, entry: FaqEntry, knowledge: Knowledge, matcher: Matcher,
                      lang: Lang) -> tuple[str, ...]:
    """Where the answer just given does not tell what a follow-up asks ("hur lång tid tar det?" after the limited
    company with restricted dividends), the entries whose own question asks that, however related, to offer."""
    if part_asked(text, entry, lang) or not _asked_aspects(text):
        return ()
    found = []
    for c in matcher.rank_all(question, lang, ASPECT_RANKED):
        other = knowledge.entries.get(c.entry_id)
        if (other is not None and other.id != entry.id and c.score >= NAMED_FLOOR and _fits_aspect(text, other, lang)
                and SERVICE_TOPICS.isdisjoint(other.topics) == SERVICE_TOPICS.isdisjoint(entry.topics)):
            found.append(other.id)
    return tuple(found[:ASPECT_OFFERED])


def _named_elsewhere(text: str, entry: FaqEntry, knowledge: Knowledge, matcher: Matcher,
                     lang: Lang) -> Understanding | None:
    """An entry about the same subject whose own question has a word of the message that the question of the entry
    just answered has not: "vad är skillnaden mot aktiebolag?" after the choice of company form is about the limited
    company ("Vad är ett aktiebolag med särskild vinstutdelningsbegränsning?")."""
    own = frozenset(tokens(entry.question.get(lang)))
    words = [w for w in tokens(text) if len(w) >= 4 and w not in _function_words() and not _known(w, own)]
    for c in matcher.rank_all(text, lang, NAMED_RANKED):
        other = knowledge.entries.get(c.entry_id)
        if other is None or other.id == entry.id or c.score < NAMED_FLOOR or not related(entry, other):
            continue
        title = frozenset(tokens(other.question.get(lang)))
        if any(_known(w, title) for w in words):
            return Understanding(text, lang, "faq", faq_id=other.id, score=c.score, authorities=tuple(other.authorities))
    return None


def in_context(text: str, own: Understanding, entry_id: str | None, knowledge: Knowledge,
               matcher: Matcher) -> Understanding:
    """The understanding of `text` given that the last answer was entry `entry_id` (None: no recent answer).

    Returns `own` when the message stands on its own, but never the entry just answered again (see not_again).
    Otherwise the message is understood with the subject's question added; if that finds no answer either, an Understanding with intent
    "follow_up_unknown", `faq_id` the subject's entry and its authorities, so the reply can say
    honestly what it does not know and who does. With no recent answer, a message that only points
    back ("how do I apply for it?") is not answered as if it had a subject: its best entries are suggested.
    """
    entry = knowledge.entries.get(entry_id or "")
    if entry is not None and own.intent == "who_does_what" and _asks_whom_only(text, matcher):
        # "vem ska jag prata med?", "who do I talk to there?" with no subject of its own: whom for the last answer's.
        return Understanding(text, own.lang, "routing", faq_id=entry.id, authorities=tuple(entry.authorities))
    if own.intent in OWN_INTENTS or own.intent == "switch_language":
        return own
    if entry is None:
        if own.intent in ("faq", "routing") and points_back_only(text):
            ids = tuple(c.entry_id for c in matcher.match(text, own.lang).candidates[:3])
            return Understanding(text, own.lang, "did_you_mean", score=own.score, suggestions=ids)
        return own
    refers = refers_back(text, own.lang, entry, authority_words(knowledge))
    leans = leans_on_previous(text, own) or (refers and len(tokens(text)) <= SHORT + 2)
    if leans and refers and (new_subject(text, own.lang, entry, refers)
                             or _terms_of_its_own(text, own.lang, entry, matcher)):
        # "hur stort är bidraget för handledare?" after lönebidrag: the same kind of thing for a new subject; its own
        # reading if that finds something, else the entries of the same kind about the new subject.
        if own.intent in ("faq", "routing", "did_you_mean"):
            return not_again(text, own, entry, knowledge, matcher)
        return _same_kind(text, own, entry, knowledge, matcher)
    if not leans or new_subject(text, own.lang, entry, refers):
        return not_again(text, own, entry, knowledge, matcher)
    return _aspect_in_context(text, _read_in_context(text, own, entry, knowledge, matcher), entry, knowledge, own)


def _read_in_context(text: str, own: Understanding, entry: FaqEntry, knowledge: Knowledge,
                     matcher: Matcher) -> Understanding:
    mine = knowledge.entries.get(own.faq_id or "") if own.intent == "faq" else None
    if mine is not None and mine.id != entry.id and related(entry, mine) and _titled_by(text, mine, own.lang):
        # Its own words answer it with an entry about the same subject whose question has a word of it ("och hur
        # registrerar man den?" after the choice of company form: "Hur registrerar jag mitt ASF?"); the subject's
        # words added would only blur them. ("finns det för föreningar också?" after lönebidrag names no entry so.)
        return not_again(text, own, entry, knowledge, matcher)
    combined = understand(with_subject(text, subject_text(entry, own.lang)), knowledge, matcher, lang_hint=own.lang)
    found = knowledge.entries.get(combined.faq_id or "")
    if combined.intent in ("faq", "routing") and found is not None and related(entry, found):
        return not_again(text, replace(combined, text=text, lang=own.lang), entry, knowledge, matcher)
    if own.intent in ("faq", "routing") and own.faq_id and own.faq_id == entry.id:
        return not_again(text, own, entry, knowledge, matcher)
    return Understanding(text, own.lang, "follow_up_unknown", faq_id=entry.id, score=combined.score,
                         authorities=tuple(entry.authorities))


def _asks_of_same_subject(text: str, other: FaqEntry, entry: FaqEntry, lang: Lang) -> bool:
    """Whether another entry's own question asks what the follow-up asks about the same subject ("Kostar det något
    att boka Dukat bord?" after "Vad är Dukat bord?"; not "Vad kostar det att starta ett ASF?" after F-skatt)."""
    asked = {stem(w, lang) for w in lower_words(other.question.get(lang))}
    named = [stem(w, lang) for w in lower_words(subject_text(entry, lang)) if fold_word(w) not in _function_words()]
    return bool(named) and all(w in asked for w in named) and _fits_aspect(text, other, lang)


def _aspect_in_context(text: str, read: Understanding, entry: FaqEntry, knowledge: Knowledge,
                       own: Understanding | None = None) -> Understanding:
    """A follow-up asking a figure of the subject (what it costs, how long it takes, whom it is for): an entry about just that for
    the same subject; else what the entry in context says of it ("Det är gratis att ansöka" for F-skatt), before a
    related entry. Asked how much, a related entry only if it tells an amount; else the entry in context, whose
    reply says it gives no amounts and who decides."""
    amount = asks_amount(text)
    if not amount and not set(tokens(text)) & ASKS_TIME and _asked_aspects(text) != [WHO_ASPECT]:
        return read  # who pays, how to apply: an entry about that (vem-betalar-lonen) says more than a sentence
    lang = read.lang
    found = knowledge.entries.get(read.faq_id or "")
    other = found if read.intent in ("faq", "routing") and found is not None and found.id != entry.id else None
    told = part_asked(text, entry, lang)
    if other is not None and (_asks_of_same_subject(text, other, entry, lang)
                              or (not told and (not amount or part_asked(text, other, lang)))
                              or _told_of_something_else(text, told, other, lang)):
        return read
    mine = knowledge.entries.get(own.faq_id or "") if own is not None and own.intent in ("faq", "routing") else None
    if mine is not None and mine.id != entry.id and _told_of_something_else(text, told, mine, lang):
        return replace(own, lang=lang)
    if not told and not amount:
        return read
    return Understanding(text, lang, "just_answered", faq_id=entry.id, score=read.score,
                         authorities=tuple(entry.authorities))


def _told_of_something_else(text: str, told: str, other: FaqEntry, lang: Lang) -> bool:
    """Whether what the entry in context tells of the figure asked is about something else than the follow-up's own
    words, which the other entry speaks of: "how much does it cost to register it?" after the choice of company form,
    which tells only that advice on the choice is free; the starting costs speak of registering."""
    own = [w for w in tokens(text) if len(w) >= 5 and w not in _function_words()]
    if not told or not own:
        return False
    told_words = frozenset(tokens(told))
    other_words = frozenset(tokens(f"{other.question.get(lang)} {other.answer.get(lang)}"))
    return not any(_near(w, told_words) for w in own) and any(_near(w, other_words) for w in own)


def _near(word: str, known: frozenset[str]) -> bool:
    """The word or a form of it ("registrera": "registrering", "registreras")."""
    return any(len(common := os.path.commonprefix((word, k))) >= 5 and len(common) >= min(len(word), len(k)) - 3
               for k in known)


def _asks_whom_only(text: str, matcher: Matcher) -> bool:
    """Whether a message is a routing question ("vem ska jag kontakta?") rather than a request for the overview of
    who does what ("vem gör vad?")."""
    words = tokens(text)
    return any(hit.label == "routing" for hit in matcher.intents.find(words))


def _titled_by(text: str, entry: FaqEntry, lang: Lang) -> bool:
    """Whether a word of the message's own (not one that asks or points) is in the entry's question."""
    title = frozenset(tokens(entry.question.get(lang)))
    return any(_known(w, title) for w in tokens(text) if len(w) >= 4 and w not in _function_words())


def _known(word: str, known: frozenset[str]) -> bool:
    return word in known or any(k.startswith(word) or word.startswith(k) for k in known if len(k) >= 5)


def _terms_of_its_own(text: str, lang: Lang, entry: FaqEntry, matcher: Matcher) -> list[str]:
    """The words of the FAQ's field in a message that the last entry does not speak of ("handledare" in "hur stort
    är bidraget för handledare?" after lönebidrag), however everyday they are in general language."""
    known = _entry_words(entry, lang)
    return [t for t in matcher.domain_words(text, lang, wide=True) if not all(_known(w, known) for w in tokens(t))]


def _same_kind(text: str, own: Understanding, entry: FaqEntry, knowledge: Knowledge,
               matcher: Matcher) -> Understanding:
    """A message that names the last answer's subject and a new one, with no answer of its own: the entries
    about the same kind of thing (related to the last) that speak of the new words are offered."""
    known = _entry_words(entry, own.lang)
    new_words = " ".join(w for w in lower_words(text) if not _known(fold_word(w), known)
                         and fold_word(w) not in _function_words() and len(fold_word(w)) >= 3)
    if not new_words:
        return own
    offered = tuple(c.entry_id for c in matcher.rank_all(text, own.lang, SAME_KIND_RANKED)
                    if c.entry_id != entry.id and related(entry, knowledge.entries[c.entry_id])
                    and matcher.about(c.entry_id, new_words))
    if not offered:
        return own
    return Understanding(text, own.lang, "did_you_mean", score=own.score, suggestions=offered[:3])
