"""What a message asks, apart from what it tells: its question(s) and its context sentences.

Founders often write a sentence or two about themselves before they ask ("Vi är fem som startar ett
café. Vilken företagsform passar oss?"), or ask two things at once ("vad kostar mötet och hur lång tid
tar det?"). The matcher judges its confidence on the question; the context only supports it.
`split_questions` is pure: text in, `Question`s out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import fold_word, general_frequency, light_words, stopwords

# Words that open a question, lower case as typed and without diacritics ("vart" is not "vårt"); "när"/"when"
# and "var"/"where" also open clauses that ask nothing ("när vi startade"): after them a verb must follow.
QUESTION_WORDS = frozenset("vad hur vem vems vilken vilket vilka varför varfor vart what how who whom whose which why".split())
CLAUSE_WORDS = frozenset("när nar var where when".split())
# A verb first and a subject right after it is a yes/no question: "kan vi", "finns det", "do we", "is it".
SUBJECTS = frozenset("jag du vi ni man det den de dom han hon i you we they it he she there".split())
AUX_SV = frozenset("kan ska skall får far har är ar måste maste vill bör bor borde skulle blir kunde fick".split())
AUX_EN = frozenset("do does did is are was were can could should would will must may might have has shall am".split())
POSSESSION = frozenset({"have", "has"})
# Words that may stand before a subject without asking: "eftersom vi", "nu har vi", "sen kan man".
NOT_VERBS = frozenset("""eftersom fast medan innan tills sen sedan då da så sa därför darfor dessutom också ocksa nu idag
    ibland alltså alltsa men att som där dar när nar om för for och eller samt plus annars kanske tror because since
    while before after so then now also and or but if though although""".split())
# Conjunctions that may start a new question when a question word or a verb-first question follows.
# Not "eller"/"or": "can we keep the profit or does it go back into the business" asks one thing.
CONJUNCTIONS = ("men också", "men ocksa", "men även", "men aven", "but also", "as well as", "och", "samt", "plus",
                "and", "also")
# A request to be told something counts as a question ("jag undrar om ...", "I'd like to know ...").
ASKING = ("undrar", "vill veta", "skulle vilja veta", "vill fråga", "vill fraga", "berätta", "beratta", "förklara",
          "forklara", "wonder", "wondering", "want to know", "like to know", "tell me", "explain")
# Words that refer back to something asked before: "hur ansöker man om det?", "how do I apply for it?"
BACK_REFERENCES = frozenset("det den dem dom dessa detta sånt sant sådant sadant liknande it they them that this those one similar".split())
EXISTENTIAL = frozenset("finns fanns".split())  # "finns det": "det" refers to nothing
# A comparison that names nothing it compares compares what was said before: "Vad är skillnaden?", "What is the
# real difference for me?" (after the two choices were named). Folded.
COMPARISONS = frozenset("skillnad skillnaden skillnaderna difference differences".split())
# "går det att ...", "hur lång tid tar det innan ...", "vad är det som gör ...", "is it hard to ..."
DUMMY_FOLLOWERS = frozenset("att innan som to".split())
RELATIVES = frozenset("som who which".split())  # "den som ...", "those who ..."
# "i" is the English subject "I" and the Swedish "in": "Vad betyder det i praktiken?" refers back.
SWEDISH_PREPOSITIONS = frozenset({"i"})
# Zipf frequency (wordfreq) from which a word is everyday speech: "ta", "göra", "säger" say nothing of their own.
EVERYDAY = 5.5
_LEADING_FILLER = frozenset("och men så sa också ocksa samt plus eller also and or so but btw hej hi hello hey ok okej".split())
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# A sentence ends at . ! ? ; or a line break, but not after these abbreviations.
ABBREVIATIONS = frozenset("t.ex bl.a m.m ca kap nr e.g i.e etc ek resp dvs osv st kl jfr vs dr ex".split())
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*")


@dataclass(frozen=True)
class Question:
    """One thing a message asks.

    `text` is the question as written; `context` the message's sentences that ask nothing (the same for
    every question of a message); `leans_on` the clause before it (a context sentence or another question)
    when this one refers back to it ("Vi ska registrera föreningen. Vad kostar det?") or says nothing of
    its own ("..., vad ska jag ta?"). `whole` says whether the question is that clause and itself read
    together: yes for a context sentence, and for a question that says nothing of its own; a question that
    refers back to another question keeps its own words ("vad kostar mötet och hur lång tid tar det?").
    """

    text: str
    context: tuple[str, ...] = ()
    leans_on: str = ""  # the clause it refers back to (a context sentence or the question before), if any
    whole: bool = False  # read together with `leans_on`

    @property
    def asked(self) -> str:
        """What the question asks, as one text to match."""
        return f"{self.leans_on} {self.text}" if self.whole and self.leans_on else self.text


def split_questions(text: str) -> list[Question]:
    """The questions of a message, in order, each with the message's context sentences.

    A message that asks nothing recognisable as a question, or asks one thing with no context, is one
    Question of the whole text.
    """
    clauses = [_clauses(sentence) for sentence in _sentences(text)]
    conditions = {c[0] for c in clauses if len(c) > 1 and _is_condition(c[0])}
    parts = [p for sentence in clauses for p in sentence]
    asked = [p for p in parts if p not in conditions and _asks(p)]
    if not asked:
        return [Question(text.strip())]
    context = tuple(p for p in parts if p not in asked and _has_words(p))
    questions: list[Question] = []
    for i, part in enumerate(parts):
        if part not in asked:
            continue
        leans_on, whole = "", False
        refers, empty = _refers_back(part), says_nothing(part)
        if refers or empty:  # on the clause before, or for a first question on a context clause after it
            before = [p for p in parts[:i] if _has_words(p)]
            after = [p for p in parts[i + 1:] if _has_words(p) and p not in asked]
            leans_on = before[-1] if before else (after[0] if after else "")
            whole = empty or leans_on not in asked
        questions.append(Question(part, context, leans_on, whole))
    return questions


def _sentences(text: str) -> list[str]:
    pieces: list[str] = []
    for chunk in _SENTENCE_END.split(text.strip()):
        if not chunk:
            continue
        last = pieces[-1] if pieces else ""
        word_before = last.rstrip(".").rsplit(" ", 1)[-1].lower() if last.endswith(".") else ""
        if word_before in ABBREVIATIONS or (last.endswith(".") and re.search(r"\.\w+\.$", last)):
            pieces[-1] = f"{last} {chunk}"
        else:
            pieces.append(chunk)
    return [p.strip() for p in pieces if p.strip()]


def _words(text: str) -> list[str]:
    """Lower-case words as typed, apostrophes kept ("we're" is not "were")."""
    return _WORD.findall(text.lower())


def _clauses(sentence: str) -> list[str]:
    """A sentence cut where a conjunction or a comma starts a new question."""
    # Find the cut points on the words, then cut the text as typed at the same words.
    spans = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[^\s,]+|,", sentence)]
    words = [w if w == "," else " ".join(_words(w)) for _, _, w in spans]
    cuts = []
    for i, word in enumerate(words):
        if i == 0 or word == ",":
            continue
        after_comma = words[i - 1] == ","
        conj = _conjunction_at(words, i)
        if conj:
            if _starts_question(words[i + conj:]):
                cuts.append((i, conj))
        elif after_comma and _starts_question(words[i:]):
            cuts.append((i, 0))
    if not cuts:
        return [sentence.strip()]
    clauses, start = [], 0
    for i, conj in cuts:  # the conjunction itself belongs to neither clause
        clauses.append(sentence[start:spans[i][0]])
        start = spans[min(i + conj, len(spans) - 1)][0]
    clauses.append(sentence[start:])
    return [c.strip(" ,") for c in clauses if _has_words(c)]


def _conjunction_at(words: list[str], i: int) -> int:
    """The number of words of a conjunction starting at words[i], else 0."""
    for conj in CONJUNCTIONS:
        parts = conj.split()
        if words[i:i + len(parts)] == parts:
            return len(parts)
    return 0


def _starts_question(words: list[str]) -> bool:
    """Whether words (lower case as typed) open a question: a question word, "när"/"var" and a verb, an
    enumerated "om ...", or a verb first with a subject after it."""
    words = [w for w in words if w != ","]
    if not words:
        return False
    first = words[0]
    second = words[1] if len(words) > 1 else ""
    if first in QUESTION_WORDS:
        return True
    if first in CLAUSE_WORDS:  # "när öppnar ..." asks, "när vi startade ..." tells
        return bool(second) and second not in SUBJECTS
    if first in ("om", "if", "whether") and len(words) > 2:  # an enumeration: "..., om vi behöver f-skatt"
        return True
    if first in AUX_EN and second in SUBJECTS:
        return True
    if first in AUX_EN - POSSESSION and second in {"the", "a", "an", "my", "our", "someone", "people"}:
        return True  # "can a foreigner ...", "is the meeting ..."; not "(and) have a few questions before ..."
    # Swedish verb-first question: "kan vi", "ska vi", "finns det", "kostar det".
    return second in SUBJECTS and first not in SUBJECTS and first not in NOT_VERBS and (
        first in AUX_SV or fold_word(first) not in stopwords()["sv"])


def opens_question(words: list[str]) -> bool:
    """Whether words (lower case as typed) open a question: a question word, a verb first with a subject
    after it ("kostar det", "is it"), and the other openings split_questions reads as asking."""
    return _starts_question(words)


def _asks(part: str) -> bool:
    """Whether a clause asks something: a question mark, a question word or verb first, or a request."""
    if part.rstrip().endswith("?"):
        return True
    words = _words(part)
    while words and words[0] in _LEADING_FILLER:
        words = words[1:]
    if not words:
        return False
    if _starts_question(words):
        return True
    text = " " + " ".join(words) + " "
    return any(f" {phrase} " in text for phrase in ASKING)


def _is_condition(clause: str) -> bool:
    """A sentence's first clause opened by "om"/"if" with more to follow ("Om jag bokar ett möte, vilka
    uppgifter ...?"): a condition of the question after it, not an enumerated question of its own."""
    words = _words(clause)
    return bool(words) and words[0] in ("om", "if") and not clause.rstrip().endswith("?")


def _has_words(part: str) -> bool:
    """Whether a clause says anything beyond a conjunction or a greeting ("Also," "Hej!")."""
    return any(w not in _LEADING_FILLER for w in _words(part))


def _dummy(words: list[str], i: int) -> bool:
    """ "finns det", "går det att", "is it possible to", "dem vi anställer": a pronoun that stands for nothing
    said before (or for what the relative clause after it says)."""
    near = set(words[max(i - 1, 0):i + 2])
    after = words[i + 1] if i + 1 < len(words) else ""
    return (bool(EXISTENTIAL & near) or bool(DUMMY_FOLLOWERS & set(words[i + 1:i + 4]))
            or after in (SUBJECTS - SWEDISH_PREPOSITIONS) | RELATIVES)


def _refers_back(part: str) -> bool:
    """A question with a pronoun that stands for something said before: "hur ansöker man om det?"."""
    words = _words(part)
    if any(fold_word(w) in COMPARISONS for w in words) and says_nothing(part, besides=COMPARISONS):
        return True
    return any(w in BACK_REFERENCES and not _dummy(words, i) for i, w in enumerate(words))


def says_nothing(part: str, besides: frozenset[str] = frozenset()) -> bool:
    """A question of function words, question words and everyday words only ("vad ska jag ta?"), as told by
    their general frequency; and of the (folded) words `besides`."""
    words = _words(part)
    filler = stopwords()["sv"] | stopwords()["en"] | light_words()["sv"] | light_words()["en"] | besides
    own = [w for w in words if fold_word(w) not in filler
           and w not in QUESTION_WORDS | CLAUSE_WORDS | AUX_SV | AUX_EN | BACK_REFERENCES]
    return not any(general_frequency(w) < EVERYDAY for w in own)
