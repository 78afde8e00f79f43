"""What a message means: an intent (greeting, booking, ...), an FAQ answer, a routing question, or nothing.

`understand` is a pure function over the knowledge and its matcher; the dialogue engine decides what
to do with the result. A long message is read as its questions (knowledge.questions): each is matched on
what it asks, with the rest of the message as support, so a sentence of context no phrasing covers does
not sink the confidence; a close call among entries is settled by which one the context fits better, and a
long question far ahead on one entry is answered by it (Matcher.leading). `understand_many` gives one
Understanding per question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .language import detect_language
from .matcher import Candidate, Match, Matcher
from .model import Knowledge, Lang
from .questions import QUESTION_WORDS, Question, opens_question, says_nothing, split_questions
from .text import PhraseHit, fold_word, frequency_in, light_words_any, lower_words, stop_words_any, tokens

# Intent names from intents.yaml with a meaning of their own here.
ROUTING = "routing"
# A stated wish to start a business ("vi vill starta ett städföretag med ..."): a frame, not an intent (intents.yaml).
START_WISH = "start_wish"
MOVE = "move"  # in a request for one's meetings: to move it (intents.yaml)
FRAMES = frozenset({ROUTING, START_WISH, MOVE})
# What a question beside a wish to start may say and still ask nothing of its own ("går det?", "is that possible?",
# "where do I begin?"), besides everyday words: folded.
FEASIBLE = frozenset("mojligt mojlig mojligheter possible doable realistiskt realistic vidare tillvaga borjar borja "
                     "begin".split())
HUMAN, HELP = "human", "help"
SWITCH = {"language_sv": "sv", "language_en": "en"}
# Politeness: preferred over requests when the message has both ("hej, boka möte" is booking).
COURTESY = frozenset({"greeting", "thanks", "help"})
# Requests to the bot itself. Every intent counts when its trigger is (nearly) all the message says;
# these also win over a question the FAQ cannot answer when the trigger has two words or more
# ("jag vill boka ett möte med kommunen"). The rest (privacy, guide, ...) have FAQ entries of their
# own, so a longer message goes to the FAQ ("kan jag få ut en kopia på mina uppgifter").
REQUESTS = frozenset({"booking", "my_meetings", "cancel", "human", "language_sv", "language_en"})
ANSWERED = ("faq", "routing")
# Intents a question asks for as a whole ("..., var börjar jag?"): the question's, not the sentence of context's.
ASKED_INTENTS = frozenset({"guide"})
# Besides question words, these make a message with a request trigger a question about the request's rules:
# the generic "man" ("kan man boka ...") and obligation ("måste", "must").
ASKING_RULES = frozenset("man måste maste must".split())
# A sentence opened by a verb and a subject asks about something ("kostar det ...", "is it too early to ...")
# unless the verb is one a request is made with ("kan jag få en tid", "går det att ordna", "har ni tid").
REQUEST_VERBS = frozenset("kan kunde skulle får far går gar vill har finns can could would may will might have has".split())
# A close call is settled by the context when the context alone fits one of the close entries this many times
# better than the next (scores of context read alone are low and compressed: 5 % is a clear lead there)...
CONTEXT_LEAD = 1.05
CONTEXT_RANKED = 20  # ...among the entries it fits best
# A long message no question of which was understood offers the entries it is most about that score this much.
ON_TOPIC_SCORE = 30.0
# An answer not about the one authority a question names gives way to the best entry about it among the
# NAMED_RANKED best, if that scores at least this share of the answer's score.
NAMED_SHARE = 0.75
NAMED_RANKED = 5
# ...when it asks whom to turn to ("vem ska jag kontakta"), not when the authority is a circumstance ("Behöver jag
# F-skatt om vi bara tar emot folk från Arbetsförmedlingen?"). Folded.
# "..., var börjar jag?" asks how to get going: an entry answers it only if its own question is about doing or
# starting something (folded word beginnings), not what something is ("Vad är ett ASF?").
GETTING_STARTED = ("hur", "how", "start", "borj", "igang", "steg", "step", "forst", "first", "komma")
# Verbs of a question that asks nothing of its own beside a wish to start ("hur gör vi?", "what do you think?"): folded.
DOING = frozenset("gor gora gjort do does doing go think tycker tror".split())
# An entry about starting itself, which answers a wish to start (see _wishes_to_start): folded word beginnings.
STARTING = ("start", "borj", "igang", "steg", "step", "forst", "first")
# A word of the other language in a message ("kan jag få lönebidrag for my staff?"): its Zipf frequency there is at
# least this much above its frequency in the message's language ("for" 7.0 in English, 4.9 in Swedish; not "personal").
FOREIGN_GAP = 1.5
OTHER: dict[Lang, Lang] = {"sv": "en", "en": "sv"}
# Words that open a clause a request's trigger may sit in without being the request: "måste jag uppge personnummer
# för att boka ett möte?", "do you keep my e-mail after I book a meeting?" ask about something else.
SUBORDINATORS = frozenset("innan efter nar ifall sedan after before when once until while unless".split())
SUBORDINATOR_PAIRS = frozenset({("for", "att"), ("efter", "att"), ("in", "order"), ("so", "that")})
CLAUSE_SUBJECTS = frozenset("jag vi man du ni i we you they".split())
# A question of this many tokens or more is also read on its main clause, cut before the first relative pronoun that
# has this many words on each side (see _main_clause).
MAIN_CLAUSE_TOKENS = 10
MAIN_CLAUSE_WORDS = 3
RELATIVE_PRONOUNS = frozenset("som who which that".split())
# ...and its head has a word of the field; in everyday words, answered at least this surely, it is offered ("kan man
# få bidrag för att anställa nån som suttit i fängelse?": lönebidrag, which needs a disability, among others).
MAIN_CLAUSE_SURE = 85.0
ASKS_WHO = frozenset("vem vilka vilken who whom kontakta kontakt kontaktperson contact ringa ring call vanda vander".split())


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
    """Classify one message and, for questions, find the FAQ entry and the responsible authorities.

    A message of several sentences or questions is read question by question (see understand_many); the
    result is then the first of them that is answered, else a request among them, else the best "did you
    mean", else the message read whole. A request stated in the context wins over answers to questions that
    ask about nothing ("..., går det att ordna?").
    """
    lang = detect_language(text, lang_hint)
    u = _understand_in(text, lang, knowledge, matcher)
    if u.intent in ("fallback", "did_you_mean"):
        return _without_foreign_words(text, lang, knowledge, matcher) or u
    return u


def _without_foreign_words(text: str, lang: Lang, knowledge: Knowledge, matcher: Matcher) -> Understanding | None:
    """A message in one language with a few words of the other ("kan jag få lönebidrag for my staff?") that finds no
    answer: the words of the other language, none of them a word of the FAQ's field, weigh as unknown words in the
    message's own; read without them, what is left may be answered, if it still names something of the field."""
    field = {w for term in matcher.domain_words(text, lang, wide=True) for w in tokens(term)}
    written = lower_words(text)
    foreign = {w for w in written if fold_word(w) not in field and w.isalpha()
               and frequency_in(w, OTHER[lang]) - frequency_in(w, lang) >= FOREIGN_GAP}
    if not foreign or len(foreign) == len(written):
        return None
    rest = " ".join(w for w in text.split() if not set(lower_words(w)) & foreign)
    if rest.strip() == text.strip() or not matcher.domain_words(rest, lang):
        return None
    u = _understand_in(rest, lang, knowledge, matcher)
    return _as_message(text, u) if u.intent in ANSWERED else None


def _understand_in(text: str, lang: Lang, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    words = tokens(text)
    if not words:
        return Understanding(text, lang, "empty")
    hits = matcher.intents.find(words)
    intent, bare = _trigger(words, hits)
    if bare:
        return _intent(text, lang, intent)
    questions = split_questions(text)
    u = _understand_questions(text, questions, lang, knowledge, matcher)
    if (u.intent in ("fallback", "did_you_mean") or (u.intent in ANSWERED and not _starts(u, lang, knowledge))) \
            and _wishes_to_start(text, hits, matcher, strict=u.intent in ANSWERED):
        # "Jag vill starta ett städföretag med kvinnor som inte har jobb, går det?": getting started, as "var börjar
        # jag?" is, unless an entry about starting answers it.
        return Understanding(text, lang, "guide")
    return u


def _starts(u: Understanding, lang: Lang, knowledge: Knowledge) -> bool:
    """Whether an understanding answers with an entry about starting ("Hur startar jag ett ASF?")."""
    entry = knowledge.entries.get(u.faq_id or "") if u.intent in ANSWERED else None
    return entry is not None and _question_begins(entry, lang, STARTING)


def _question_begins(entry, lang: Lang, beginnings: tuple[str, ...]) -> bool:
    """Whether a word of the entry's own question begins with one of `beginnings` (folded)."""
    return any(w.startswith(beginnings) for w in tokens(entry.question.get(lang)))


def _wishes_to_start(text: str, hits: list[PhraseHit], matcher: Matcher, strict: bool = False) -> bool:
    """Whether a message states a wish to start a business and its other clauses ask nothing of their own: no
    word but everyday ones, or (`strict`, where an entry answered it) no word but function words ("hur gör vi?",
    "is that possible?"; not "finns det stöd")."""
    if not any(h.label == START_WISH for h in hits):
        return False
    plain = stop_words_any() | QUESTION_WORDS | FEASIBLE | DOING
    stated = False
    for clause in re.split(r"(?<=[,.;:!?])\s+", text):
        words = tokens(clause)
        asks = "?" in clause or opens_question(lower_words(clause))
        if words and not asks and any(h.label == START_WISH for h in matcher.intents.find(words)):
            stated = True  # "vi vill starta ett café ...", not "vad kan kommunen göra för den som vill starta?"
        elif asks and not (all(w in plain for w in words) if strict else says_nothing(clause, FEASIBLE)):
            return False
    return stated


def _understand_questions(text: str, questions: list[Question], lang: Lang, knowledge: Knowledge,
                          matcher: Matcher) -> Understanding:
    if len(questions) == 1 and not questions[0].context:
        return _read(text, text, "", lang, knowledge, matcher)
    readings = _readings(text, questions, lang, knowledge, matcher)
    best = _best(readings)
    stated = _stated_requests(questions, lang, matcher)
    if stated and best.intent in ANSWERED and not any(_asks_about(q.text) for q in questions):
        # "Jag vill träffa någon från kommunen ..., går det att ordna?": a stated request, and questions that
        # ask nothing about a subject (what, how, must one): the request, as when it is asked (see _read).
        return _as_message(text, stated[0])
    if best.intent in ANSWERED or best.intent in REQUESTS or best.intent in ASKED_INTENTS \
            or best.intent == "switch_language":
        return _as_message(text, best)
    # No question of it was answered: the message read whole may still be (a statement naming the subject).
    whole = _read(text, text, "", lang, knowledge, matcher)
    if whole.intent in ANSWERED:
        return whole
    if best.intent == "fallback":
        return _offered_on_topic(text, lang, matcher) or whole
    return _as_message(text, best)


def _offered_on_topic(text: str, lang: Lang, matcher: Matcher) -> Understanding | None:
    """A long message about the FAQ's field that no question of it settles is not a dead end: the entries it is
    most about are offered, if the best is about a word of the field it uses ("Vi har registrerat föreningen
    ... Vad måste vara på plats innan vi tar emot den första deltagaren?")."""
    terms = matcher.domain_words(text, lang)
    ranked = [c for c in ranked_entries(text, matcher, lang, 3) if c.score >= ON_TOPIC_SCORE]
    if not terms or not ranked or not matcher.about(ranked[0].entry_id, " ".join(terms)):
        return None
    return Understanding(text, lang, "did_you_mean", score=ranked[0].score,
                         suggestions=tuple(c.entry_id for c in ranked))


def understand_many(text: str, knowledge: Knowledge, matcher: Matcher, lang_hint: Lang | None = None,
                    limit: int = 3, whole: Understanding | None = None) -> list[Understanding]:
    """One Understanding per distinct question of a message, in the message's order.

    Contract: a message with one question (or a bare intent such as "boka möte") gives [understand(text)].
    A message with several gives, for each question it asks, its Understanding with `text` set to that
    question: an FAQ or routing answer, each entry at most once (a question answered by an entry already
    given is left out), or a request intent (booking, human, ...; each once, also when stated rather than
    asked: "Jag vill boka ett möte."). At most `limit` FAQ or routing answers; answers beyond it and the suggestions of questions
    that got only a "did you mean" come last, together, as one "did_you_mean" Understanding of the whole
    message (distinct entry ids, best first), so a reply can offer them as buttons. Questions that found
    nothing are left out, unless nothing at all was understood: then the result is [understand(text)].
    `whole` is understand(text) when the caller already has it (it is not worked out twice).
    """
    def as_one() -> list[Understanding]:
        return [whole if whole is not None else understand(text, knowledge, matcher, lang_hint)]

    lang = detect_language(text, lang_hint)
    words = tokens(text)
    if not words or _trigger(words, matcher.intents.find(words))[1]:
        return as_one()
    questions = split_questions(text)
    stated = _stated_requests(questions, lang, matcher)
    if len(questions) < 2 and not stated:
        return as_one()
    answered: list[Understanding] = []
    beyond: list[Understanding] = []  # answered, but over the limit
    offered: list[tuple[float, str]] = []
    requests: list[Understanding] = []
    given: set[str] = set()
    for question in questions:
        reading = _read_question(question, questions, lang, knowledge, matcher)
        if reading.intent in ANSWERED:
            if reading.faq_id in given:
                continue  # the same entry again ("Vad är lönebidrag och hur ansöker man om det?")
            if reading.faq_id is not None:
                given.add(reading.faq_id)
            (answered if len(answered) < limit else beyond).append(reading)
        elif reading.intent == "did_you_mean":
            offered.extend((reading.score, s) for s in reading.suggestions)
        elif reading.intent not in ("fallback", "empty"):
            requests.append(reading)
    for request in (*requests, *stated):
        if request.intent not in {r.intent for r in answered}:
            answered.append(request)
    items = _in_order(answered, questions)
    shown = {u.faq_id for u in items}
    offered = [(u.score, u.faq_id) for u in beyond if u.faq_id] + offered
    suggestions = tuple(dict.fromkeys(s for _, s in sorted(offered, key=lambda o: -o[0]) if s not in shown))
    if suggestions:
        items.append(Understanding(text, lang, "did_you_mean", score=max(sc for sc, _ in offered),
                                   suggestions=suggestions))
    return items or as_one()


def bare_intent(text: str, matcher: Matcher) -> str | None:
    """The intent when the message is nothing but its trigger, politeness and function words ("var är
    jag?", "hjälp", "english please"), else None. For flows that take free text: an answer that merely
    contains a trigger ("ett kafé där folk får hjälp") is still an answer."""
    words = tokens(text)
    intent, bare = _trigger(words, matcher.intents.find(words))
    return intent.label if bare else None


def understand_question(text: str, lang: Lang, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    """The message as an FAQ question only, ignoring intents (for intents no feature handles)."""
    questions = split_questions(text)
    if len(questions) == 1 and not questions[0].context:
        return _from_match(text, lang, matcher.match(text, lang), knowledge, matcher)
    readings = [_from_match(q.text, lang, matcher.match(q.asked, lang,
                                                          _support(q, questions)), knowledge, matcher)
                for q in questions]
    return _as_message(text, _best(readings))


def ranked_entries(text: str, matcher: Matcher, lang: Lang, limit: int = 5) -> list[Candidate]:
    """The entries a message is about, best first, read as understand() reads it (each question with its
    support) but with no thresholds: for measuring how good the ranking is apart from the decisions."""
    questions = split_questions(text)
    if len(questions) == 1 and not questions[0].context:
        return matcher.rank_all(text, lang, limit)
    best: dict[str, float] = {}
    for q in questions:
        for c in matcher.rank_all(q.asked, lang, limit, support=_support_of(q, questions, lang, matcher)):
            best[c.entry_id] = max(best.get(c.entry_id, 0.0), c.score)
    ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
    return [Candidate(entry_id, score) for entry_id, score in ranked]


def _read(shown: str, asked: str, support: str, lang: Lang, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    """One question: a bare trigger is its intent; a routing frame routes; else the FAQ, where a request
    with a trigger of two words or more still wins over no answer. `shown` is the question as written,
    `asked` what it asks (with the clause it leans on): a question that is a bare trigger on its own
    ("..., var börjar jag?") is that intent unless what it asks is answered."""
    words = tokens(asked)
    if not words:
        return Understanding(shown, lang, "empty")
    if asked != shown:
        own = tokens(shown)
        intent, bare = _trigger(own, matcher.intents.find(own))
        if bare:
            match = matcher.match(asked, lang, support=support)
            if match.decision == "answer" and _answers_trigger(intent.label, match, lang, knowledge):
                return _as_message(shown, _from_match(asked, lang, match, knowledge, matcher))
            return _intent(shown, lang, intent)
    hits = matcher.intents.find(words)
    intent, bare = _trigger(words, hits)
    if bare:
        return _intent(shown, lang, intent)
    frame = next((h for h in hits if h.label == ROUTING), None)
    if frame is not None:
        return _as_message(shown, _route(asked, lang, words, frame, knowledge, matcher))
    match = matcher.match(asked, lang, support=support)
    if asked == shown:
        match = _main_clause(asked, support, lang, match, matcher) or match
    if asked != shown and match.decision != "answer" and asked.endswith(shown) and not says_nothing(shown):
        # Read with the clause it leans on, a short question drowns in a long sentence of context; read on its
        # own words with that clause as support, it may be clear ("..., vilken form passar bäst för det?"), if
        # the answer is about what the clause or the rest of the context says.
        context = f"{asked[:-len(shown)].strip()} {support}".strip()
        alone = matcher.match(shown, lang, support=context)
        if alone.decision == "answer" and matcher.about(alone.candidates[0].entry_id, context):
            match = alone
    # A long question no phrasing covers much of may still point at one entry far ahead of the rest (leading); one
    # that leans on a clause is so read whole before it is narrowed to the context's words of the field (_focused).
    leans = asked != shown
    if leans and match.decision != "answer":
        match = _leading(asked, support, lang, matcher) or match
    if leans and match.decision != "answer":
        match = _focused(shown, asked, support, lang, matcher) or match
    if match.decision == "suggest" and support:
        match = _settled_by_context(match, support, lang, matcher)
    if not leans and match.decision != "answer":
        match = _leading(asked, support, lang, matcher) or match
    if match.decision == "answer":
        match = _of_named_authority(asked, support, match, lang, knowledge, matcher)
    if match.decision == "answer" and support:
        match = _about_something_else(asked, support, match, lang, matcher)
    if intent is not None and intent.label in REQUESTS and intent.size >= 2 \
            and (match.decision != "answer" or not _asks_about(asked)) \
            and not _asks_beside_clause(words, intent) \
            and not (intent.label in SWITCH and _domain_words_besides(asked, words, intent, lang, matcher)) \
            and not (match.decision == "answer" and _help_with_subject(asked, words, hits, intent, match, lang, matcher)):
        # ("... my business plan with me in English?" asks about the business plan, not to switch language.)
        # "vill gärna träffa någon från kommunen", "can I get an appointment ...": a request, even where
        # an entry is about the same thing; "hur bokar jag ett möte?" asks about it and gets the entry.
        return _intent(shown, lang, intent)
    return _as_message(shown, _from_match(asked, lang, match, knowledge, matcher))


def _main_clause(asked: str, support: str, lang: Lang, match: Match, matcher: Matcher) -> Match | None:
    """A long question whose relative clause describes the asker ("finns det lån eller bidrag för sådana som vi som
    vill anställa folk som står långt från jobb?"): the clause reads like the definition of an ASF and may win the
    whole sentence. Read on its main clause, with the relative clause as support, it may name another entry: that
    answer, when the main clause has a word of the field. None when that changes nothing."""
    written = asked.split()
    words = [fold_word(w.strip(",.?!:;")) for w in written]
    if len(tokens(asked)) < MAIN_CLAUSE_TOKENS or re.search(r"[.!?;]\s+\S", asked):
        return None  # short, or several sentences (a whole message read at once)
    cut = next((i for i, w in enumerate(words) if w in RELATIVE_PRONOUNS and i >= MAIN_CLAUSE_WORDS
                and len(words) - i >= MAIN_CLAUSE_WORDS), None)
    if cut is None:
        return None
    head, clause = " ".join(written[:cut]), " ".join(written[cut:])
    if not opens_question(lower_words(head)) and not set(words[:cut]) & QUESTION_WORDS \
            and set(words[cut:]) & (QUESTION_WORDS - RELATIVE_PRONOUNS):
        return None  # the head states ("jag har en idé om ett asf som ..."), the rest asks ("..., men hur vet man ...?")
    alone = matcher.match(head, lang, support=f"{clause} {support}".strip())
    if alone.decision != "answer" or (match.decision == "answer"
                                      and alone.candidates[0].entry_id == match.candidates[0].entry_id):
        return None
    if matcher.domain_words(head, lang, wide=True):
        return alone
    if match.decision != "answer" and alone.candidates[0].score >= MAIN_CLAUSE_SURE:
        # Offered, not answered: the clause may make the entry wrong for them (lönebidrag needs a disability).
        return Match("suggest", alone.candidates[:3], lang)
    return None


def _asks_beside_clause(words: list[str], hit: PhraseHit) -> bool:
    """Whether a request's trigger sits in a clause of condition or purpose while the sentence asks something else
    with words of its own ("måste jag uppge personnummer för att boka ett möte?", "who sees my e-mail after I book a
    meeting?"): then it is no request. "hur gör jag för att boka ett möte?" has nothing else: it is about booking."""
    opener = None
    for start in range(hit.start - 1, max(hit.start - 3, -1), -1):
        if tuple(words[start - 1:start + 1]) in SUBORDINATOR_PAIRS:
            opener = start - 1
            break
        if words[start] in SUBORDINATORS:
            opener = start
            break
        if words[start] not in CLAUSE_SUBJECTS:
            break
    if opener is None:
        return False
    return any(w not in stop_words_any() and w not in light_words_any() for w in words[:opener])


def _domain_words_besides(text: str, words: list[str], hit: PhraseHit, lang: Lang, matcher: Matcher) -> list[str]:
    """The words of the field in a text apart from its trigger's ("someone who speaks Swedish": "Swedish" is in
    the FAQ's phrasings, as in "the Swedish Tax Agency", yet here it is the language asked for)."""
    trigger = set(words[hit.start:hit.end])
    return [w for w in matcher.domain_words(text, lang, wide=True) if not set(tokens(w)) <= trigger]


def _help_with_subject(text: str, words: list[str], hits: list[PhraseHit], hit: PhraseHit, match: Match, lang: Lang,
                       matcher: Matcher) -> bool:
    """Whether a request for a person asks for help with a subject ("kan någon hjälpa mig med affärsplanen?"): what
    the help is asked with, read alone, gets the same answer. Then the message asks about that subject, and the
    entry that answers it names who helps; "kan någon hjälpa mig idag?" still asks for a person."""
    if hit.label != HUMAN or not any(h.label == HELP for h in hits):
        return False
    written = lower_words(text)  # as typed, for the stemmer; tokens() are these words folded
    if len(written) != len(words):
        return False
    rest = " ".join(written[i] for i, w in enumerate(words) if not hit.start <= i < hit.end and w not in stop_words_any())
    alone = matcher.match(rest, lang) if rest else None
    return alone is not None and alone.decision == "answer" \
        and alone.candidates[0].entry_id == match.candidates[0].entry_id


def _leading(asked: str, support: str, lang: Lang, matcher: Matcher) -> Match | None:
    leading = matcher.leading(asked, lang, support=support)
    return Match("answer", tuple(leading), lang) if leading else None


def _answers_trigger(label: str, match: Match, lang: Lang, knowledge: Knowledge) -> bool:
    """Whether the entry a question's context is about also answers what its bare trigger asks: "Jag vill
    registrera en förening, var börjar jag?" is answered by the entry about registering, "Jag vill starta ett
    café som anställer ..., var börjar jag?" by the guide, not by what an ASF is."""
    if label != "guide":
        return True
    entry = knowledge.entries.get(match.candidates[0].entry_id)
    return entry is not None and _question_begins(entry, lang, GETTING_STARTED)


def _focused(shown: str, asked: str, support: str, lang: Lang, matcher: Matcher) -> Match | None:
    """A question leaning on context read with only the context's words of the FAQ's field: "Jag hörde uttrycket
    arbetsintegrerande socialt företag på ett möte men skämdes för att fråga. Vad är det egentligen?" asks what
    "arbetsintegrerande" is; the rest of the sentence is how the founder came to ask. The answer, if clear."""
    context = asked[: -len(shown)] if asked.endswith(shown) else asked
    terms = matcher.domain_words(context, lang)
    if not terms:
        return None
    # A context that asks itself ("..., men vilka jobbar där egentligen, är det folk som han?") is part of the question.
    asking = [m.start() for m in re.finditer(r"\w+", context) if m.group().lower() in QUESTION_WORDS]
    if asking:
        shown = f"{context[asking[-1]:]} {shown}"
    focused = matcher.match(f"{shown} {' '.join(terms)}", lang, support=support)
    return focused if focused.decision == "answer" else None


def _about_something_else(asked: str, support: str, match: Match, lang: Lang, matcher: Matcher) -> Match:
    """A question with no word of the FAQ's field ("Vilka tillstånd behöver vi?") is about what its context names.
    When the context names something the FAQ does not know ("Jag ska öppna en frisörsalong.") and the answer is
    about nothing the context says, nor what the question's own words answer, the answer is about something else:
    it is offered, not given."""
    top = match.candidates[0].entry_id
    if matcher.domain_words(asked, lang) or not matcher.unknown_words(support, lang) or matcher.about(top, support):
        return match
    alone = matcher.match(asked, lang)  # what the question's own words answer, without the context
    if alone.decision == "answer" and alone.candidates[0].entry_id == top:
        return match
    return Match("fallback", match.candidates, lang)


def _of_named_authority(asked: str, support: str, match: Match, lang: Lang, knowledge: Knowledge,
                        matcher: Matcher) -> Match:
    """A question that names one authority ("Vem på Arbetsförmedlingen ska jag kontakta om vi vill samarbeta?")
    is about what that authority does: an answer about another authority's business gives way to the best entry
    of the named one's, if it scores nearly as well (NAMED_SHARE of the best)."""
    named = matcher.named_authorities(asked)
    top = match.candidates[0]
    if len(named) != 1 or named[0] in knowledge.entries[top.entry_id].authorities \
            or not ASKS_WHO & set(tokens(asked)):
        return match
    for c in matcher.rank_all(asked, lang, NAMED_RANKED, support=support):
        if c.score >= NAMED_SHARE * top.score and named[0] in knowledge.entries[c.entry_id].authorities:
            return Match("answer", (c, *(o for o in match.candidates if o.entry_id != c.entry_id)), lang)
    return match


def _settled_by_context(match: Match, context: str, lang: Lang, matcher: Matcher) -> Match:
    """A close call between entries that each answer the question well enough, settled by the context: when
    the context sentences, read on their own, fit two of them and one clearly better ("Vi har aldrig skrivit
    ett anbud. Finns det någon som kan hjälpa oss med ett anbud till en kommunal upphandling?"), that one is
    answered. Otherwise (the context fits
    only one of them, which is weak evidence, or none) the match as it was."""
    t = matcher.thresholds
    top = match.candidates[0].score
    close = [c for c in match.candidates if c.score >= t.answer and top - c.score < t.margin]
    if len(close) < 2:
        return match
    fit = {c.entry_id: c.score for c in matcher.rank_all(context, lang, CONTEXT_RANKED)}
    close.sort(key=lambda c: -fit.get(c.entry_id, 0.0))
    best, runner_up = fit.get(close[0].entry_id, 0.0), fit.get(close[1].entry_id, 0.0)
    if runner_up <= 0.0 or best < CONTEXT_LEAD * runner_up:
        return match
    return Match("answer", (close[0], *(c for c in match.candidates if c != close[0])), match.lang)


def _asks_about(text: str) -> bool:
    """Whether a text asks about something (how, what, who; what one must or may do: "måste man", "kan man")
    rather than only making a request ("kan jag få en tid", "I'd like to meet someone")."""
    if any(w in QUESTION_WORDS or w in ASKING_RULES for w in lower_words(text)):
        return True
    sentences = (lower_words(s) for s in re.split(r"(?<=[.?!])\s+", text))
    return any(len(w) > 1 and w[0] not in REQUEST_VERBS and opens_question(w) for w in sentences)


def _support(question: Question, questions: list[Question]) -> str:
    """What supports a question: the message's context sentences (not the ones it is read with), and the
    question it refers back to. Other questions are other subjects: they support nothing."""
    referred = [question.leans_on] if question.leans_on and not question.whole else []
    read = question.leans_on if question.whole else ""
    return " ".join(t for t in (*question.context, *referred) if t not in (read, question.text))


def _support_of(question: Question, questions: list[Question], lang: Lang, matcher: Matcher) -> str:
    """_support, and the message's other questions with no word of the FAQ's field: such a question is no other
    subject ("Kan det bli ett socialt företag och vem kan hjälpa mig?"), it says more of the same."""
    support = _support(question, questions)
    thin = [q.text for q in questions if q is not question and q.text not in support
            and not matcher.domain_words(q.text, lang, wide=True)]
    return " ".join((support, *thin)).strip()


def _readings(text: str, questions: list[Question], lang: Lang, knowledge: Knowledge,
              matcher: Matcher) -> list[Understanding]:
    readings = [_read_question(q, questions, lang, knowledge, matcher) for q in questions]
    return readings + _stated_requests(questions, lang, matcher)


def _read_question(question: Question, questions: list[Question], lang: Lang, knowledge: Knowledge,
                   matcher: Matcher) -> Understanding:
    """One question of a message, with its support. A question that refers back to another question keeps
    its own words, but its answer must be about what it refers to ("Vad gör Skoopi och vad kostar det?"
    is not about what starting a company costs): otherwise it adds nothing."""
    reading = _read(question.text, question.asked, _support_of(question, questions, lang, matcher), lang,
                    knowledge, matcher)
    if not question.leans_on or question.whole:
        return reading  # refers to no other question
    # What it refers to, with the clause that question leans on in turn ("Jag skrev mitt namn när jag bokade. Vem
    # kan se det och hur länge sparas det?": both refer to the name).
    referred = next((q.asked for q in questions if q.text == question.leans_on), question.leans_on)
    own = matcher.domain_words(question.text, lang, wide=True)
    if reading.intent in ANSWERED and reading.faq_id is not None and own \
            and matcher.about(reading.faq_id, " ".join(own)):
        return reading  # "Kan vi få nystartsjobb för dem?": names its subject, whoever "dem" are
    if reading.intent in ANSWERED and reading.faq_id is not None and not matcher.about(reading.faq_id, referred):
        return Understanding(question.text, lang, "fallback")
    if reading.intent == "did_you_mean":
        # The same for what it offers: only entries about what it refers to.
        about = tuple(s for s in reading.suggestions if matcher.about(s, referred))
        return replace(reading, suggestions=about) if about else Understanding(question.text, lang, "fallback")
    return reading


def _stated_requests(questions: list[Question], lang: Lang, matcher: Matcher) -> list[Understanding]:
    """Requests stated rather than asked ("Jag vill boka ett möte."): context sentences with a request."""
    found = []
    for sentence in questions[0].context if questions else ():
        words = tokens(sentence)
        intent, bare = _trigger(words, matcher.intents.find(words))
        if intent is not None and intent.label in REQUESTS and (bare or intent.size >= 2) \
                and not _asks_beside_clause(words, intent):
            found.append(_intent(sentence, lang, intent))
    return found


def _best(readings: list[Understanding]) -> Understanding:
    """The first answered reading (the first question usually carries the subject), else a request, else the
    best suggestion, else the surest fallback."""
    def rank(u: Understanding) -> tuple[int, float]:
        if u.intent in ANSWERED:
            return 4, 0.0
        if u.intent in REQUESTS or u.intent == "switch_language":
            return 3, 0.0
        if u.intent == "did_you_mean":
            return 2, u.score
        if u.intent not in ("fallback", "empty"):
            return 1, 0.0
        return 0, u.score + (1.0 if u.authorities else 0.0)
    return max(readings, key=rank)  # max keeps the first of equals: the earlier question


def _in_order(items: list[Understanding], questions: list[Question]) -> list[Understanding]:
    """Items in the order their questions come in the message."""
    position = {q.text: i for i, q in enumerate(questions)}
    return sorted(items, key=lambda u: position.get(u.text, len(questions)))


def _as_message(text: str, u: Understanding) -> Understanding:
    return u if u.text == text else replace(u, text=text)


def _from_match(text: str, lang: Lang, match: Match, knowledge: Knowledge, matcher: Matcher) -> Understanding:
    if match.decision == "answer":
        return _answer(text, lang, "faq", match, knowledge)
    if match.decision == "suggest":
        return _suggest(text, lang, match)
    return _fallback(text, lang, match, matcher)


def _trigger(words: list[str], hits: list[PhraseHit]) -> tuple[PhraseHit | None, bool]:
    """The main intent's trigger, and whether the message is nothing but it, politeness and function words."""
    intent = _main_intent([h for h in hits if h.label not in FRAMES])
    return intent, intent is not None and not _content_left(words, hits, intent)


def _main_intent(hits: list[PhraseHit]) -> PhraseHit | None:
    """The longest trigger, preferring a request over mere politeness ("hej, boka möte" is booking)."""
    requests = [h for h in hits if h.label not in COURTESY]
    return (requests or hits or [None])[0]


def _content_left(words: list[str], hits: list[PhraseHit], intent: PhraseHit) -> bool:
    """Whether anything but the trigger, politeness and function words is in the message."""
    covered = set(range(intent.start, intent.end))
    for h in hits:  # politeness, and other triggers of the same intent ("kan jag *få* prata med nån på kommunen")
        if h.label in COURTESY or h.label == intent.label:
            covered.update(range(h.start, h.end))
    filler = stop_words_any()
    return any(i not in covered and w not in filler for i, w in enumerate(words))


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
    if all(words[i] in stop_words_any() for i in rest):
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
