"""Find the FAQ entries a question is about: fuzzy, weighted token matching over every stored phrasing.

A text becomes Terms (knowledge.text): folded Snowball stems, stop words gone, synonym groups attached.
Each query term is looked up in the vocabulary of the stored phrasings: exactly, with a typo or two
(optimal string alignment distance), or as part of a Swedish compound ("bidrag" in "lönebidrag").
A phrasing scores by how much of the question it covers (recall) and how much of itself the question
covers (precision), both weighted by rarity (IDF over entries), so "lönebidrag" counts more than
"starta". An entry scores its best phrasing; phrasings in the other language count, discounted.
A word the FAQ does not know weighs by how common it is in general Swedish and English (wordfreq):
"bygglov" fully, as the sign of another subject; "kompis" little, as the way people talk.

A word no phrasing of the question's language has may be the other language's ("Can an ideell förening
sell stuff?"): it is looked up in that language's phrasings and counts for recall there (BORROWED).

A question may come with support (the context sentences of its message): support can raise an entry's
score, never lower it. A rare word that few entries use ("Coompanion", "SIUS") is an anchor: the best
entry holding it is answered even when the rest of the sentence is unfamiliar.

Everything is precomputed at construction; an inverted index with score bounds means only entries
that share a (fuzzy) term with the question, and could still make the top, are scored. A Matcher
never changes (it only memoises word look-ups): a reload builds a new one.
"""

from __future__ import annotations

import bisect
import copy
import heapq
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Literal, Mapping, NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import OSA
from ruamel.yaml import YAML

from .model import LANGS, Knowledge, Lang
from .municipalities import load_municipalities
from .text import GROUP, WRITTEN, Analyzer, PhraseFinder, Term, lower_words

MATCHER_FILE = Path(__file__).parent / "data" / "matcher.yaml"

Decision = Literal["answer", "suggest", "fallback"]

# Scoring constants; the decision thresholds live in data/matcher.yaml.
OTHER_LANGUAGE = 0.8  # a phrasing in the other language is weaker evidence
BORROWED = "@"  # marks a key of the other language's phrasings (a Swedish word in an English question)
IDF_POWER = 1.0  # rarity weight = IDF ** IDF_POWER
UNKNOWN_WEIGHT = 2.0  # a question word found nowhere weighs this share of the rarest possible word
LIGHT_WEIGHT = 0.3  # an everyday word ("betyder", "samma") weighs at most this share of it
RECALL_SHARE = 0.7  # score = recall^0.7 * precision^0.3: covering the question matters most
MIN_TYPO_LENGTH = 5  # a shorter word one letter off is as likely another word ("hamn"/"famn")
# A word this common in general language (wordfreq's Zipf scale) is taken for a typo only one letter off:
# "avdelning" is no typo of "utdelning", but "companion" may be one of "Coompanion".
TYPO_FREQUENCY = 3.5
PRECISION_CHECK = 64  # more hopeful entries than this: bound their precision before scoring them
OTHER_LETTERS = 0.5  # "lån" typed with å against "län" in the FAQ: same letters folded, another word
PART = 0.6  # a word matching one word of a synonym phrase ("förening" in "ekonomisk förening")
# A word found nowhere in the FAQ weighs by how common it is in general Swedish and English (wordfreq's Zipf
# scale): a rare or unknown one ("bygglov", "glasögon") fully, as the subject of some other question; an
# everyday one ("kompis", "stan", "grejen") as little as a light word, being the way people talk.
RARE_WORD = 3.5  # Zipf at or below: counts fully
EVERYDAY_WORD = 5.5  # Zipf at or above: counts as a light word
# The message's other sentences support a question: their terms found in an entry add to its recall with
# this share of their weight, and never count against an entry that lacks them.
SUPPORT = 0.9
SUPPORT_CAP = 1.0  # ...and add at most this share of the question's own weight: support helps, never decides
# A word rare in general language that at most ANCHOR_ENTRIES entries use, in a phrasing or the answer
# ("Coompanion", "SIUS", "nystartsjobb", "Almi") names the subject: the best entry holding it is answered
# even when the rest of the sentence is unfamiliar, if it scores at least ANCHOR_SCORE.
ANCHOR_FREQUENCY = 3.0
ANCHOR_ENTRIES = 3
ANCHOR_SIMILARITY = 0.8
ANCHOR_SCORE = 20.0
# A word this common in general language ("särskilt", "gör") does not make an answer about what a text says.
ABOUT_FREQUENCY = 5.0
# A word of the FAQ's own field: rarer than this in general language (wordfreq's Zipf scale: "lönebidrag" 2.1,
# "arbetsintegrerande" 1.4; "företag" 4.6, "möte" 4.5) and found in a phrasing. A question leaning on a sentence
# of context is read with only these words of it ("Vad är det egentligen?" after a sentence naming the subject).
DOMAIN_FREQUENCY = 3.5
DOMAIN_ENTRIES = 6  # ...or, below ABOUT_FREQUENCY, found in the phrasings of at most this many entries
# A question's word of that field weighs this many times its rarity among the entries: "affärsplan" or
# "Försäkringskassan" is in many answers (a low IDF) but says more of what is asked than "sitta" or "tips".
DOMAIN_WEIGHT = 1.5
DOMAIN_WEIGHT_IDF = 1.0  # ...unless most entries use it ("ASF", IDF 0.8): such a word names nothing in particular
# A long question (LONG_TERMS terms or more) says much no phrasing says, so its best score stays low even when
# it is about one entry: that entry is answered if it scores at least LONG_SCORE and LONG_LEAD times the next.
# (Out-of-scope questions of that length in the dev sets score at most 27.)
LONG_TERMS = 8
LONG_SCORE = 35.0
LONG_LEAD = 1.15


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float  # 0-100


@dataclass(frozen=True)
class Thresholds:
    answer: float  # the best score must reach this to answer directly...
    margin: float  # ...and lead the runner-up by this much
    suggest: float  # below this nothing is offered

    @classmethod
    def load(cls, path: Path = MATCHER_FILE) -> "Thresholds":
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))["thresholds"]
        return cls(answer=float(data["answer"]), margin=float(data["margin"]), suggest=float(data["suggest"]))


@dataclass(frozen=True)
class Match:
    decision: Decision
    candidates: tuple[Candidate, ...]  # best first; for "suggest" at most three
    lang: Lang


def decide(candidates: list[Candidate], t: Thresholds) -> Decision:
    """Answer a clear winner, suggest on a close call or in the grey zone, else fall back."""
    if not candidates or candidates[0].score < t.suggest:
        return "fallback"
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if candidates[0].score >= t.answer and candidates[0].score - runner_up >= t.margin:
        return "answer"
    return "suggest"


def similarity_of_distance(distance: int, length: int) -> float:
    """A typo costs more in a short word than in a long one; never as good as the exact word."""
    return min(0.92, 1.0 - 1.2 * distance / max(length, 1))


def everyday_share(frequency: float) -> float:
    """The share of the full weight an unknown word keeps, from its Zipf frequency in general language."""
    if frequency <= RARE_WORD:
        return 1.0
    if frequency >= EVERYDAY_WORD:
        return LIGHT_WEIGHT
    return 1.0 - (1.0 - LIGHT_WEIGHT) * (frequency - RARE_WORD) / (EVERYDAY_WORD - RARE_WORD)


def compound_similarity(short: str, long: str) -> float:
    """One word is the start or end of the other ("arbetsträning"/"arbetsträningsplats")."""
    return 0.35 + 0.4 * len(short) / len(long)


class _Vocabulary:
    """The words (stems) of one language's phrasings, searchable for typos and compound parts."""

    MIN_COMPOUND = 4  # a shorter part of a compound is too likely to be a coincidence

    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted(set(words))
        self.known = frozenset(self.words)
        self.reversed = sorted(w[::-1] for w in self.words)
        self._cache: dict[tuple[str, bool], tuple[tuple[str, float], ...]] = {}

    def neighbours(self, word: str, common: bool = False) -> tuple[tuple[str, float], ...]:
        """Other known words close to `word`, with a similarity below 1.

        Only an unknown word is taken for a typo, and a `common` one (a word of general language as
        written) only one letter off; any word may be part of a compound or have one.
        """
        cached = self._cache.get((word, common))
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        n = len(word)
        if n >= MIN_TYPO_LENGTH and word not in self.known:
            limit = 1 if n < 8 or common else 2
            for other, distance, _ in process.extract(word, self.words, scorer=OSA.distance,
                                                      score_cutoff=limit, limit=None):
                if other != word and abs(len(other) - n) <= limit:
                    found[other] = similarity_of_distance(int(distance), max(n, len(other)))
        if n >= self.MIN_COMPOUND:
            for other in self._longer_with(word, self.words, reverse=False):
                found[other] = max(found.get(other, 0.0), compound_similarity(word, other))
            for other in self._longer_with(word[::-1], self.reversed, reverse=True):
                found[other] = max(found.get(other, 0.0), compound_similarity(word, other))
            for size in range(self.MIN_COMPOUND, n):
                for part in (word[:size], word[n - size :]):
                    if part in self.known:
                        found[part] = max(found.get(part, 0.0), compound_similarity(part, word))
        result = tuple(found.items())
        if len(self._cache) < 50_000:  # bounded: a long-running bot sees endless new words
            self._cache[(word, common)] = result
        return result

    @staticmethod
    def _longer_with(start: str, ordered: list[str], reverse: bool) -> list[str]:
        i = bisect.bisect_right(ordered, start)
        found = []
        while i < len(ordered) and ordered[i].startswith(start):
            found.append(ordered[i][::-1] if reverse else ordered[i])
            i += 1
        return found


class _LanguageIndex:
    """The phrasings of every document in one language, as weighted terms.

    An inverted index (key -> documents) finds the documents worth scoring, with a bound on the best
    score each can reach; a forward index (phrasing -> key -> slots) scores their phrasings exactly.
    """

    def __init__(self, analyzer: Analyzer, docs: list[list[str]], contexts: list[str]) -> None:
        self.analyzer = analyzer
        self.slot_weights: list[tuple[float, ...]] = []  # per phrasing
        self.total: list[float] = []
        # phrasing -> key -> (the share of the phrasing's weight it holds, its (slot, factor) pairs)
        self.forward: list[dict[str, tuple[float, tuple[tuple[int, float], ...]]]] = []
        self.phrasings_of: list[list[int]] = []  # per document
        self.doc_keys: list[dict[str, float]] = []  # per document: key -> best factor in any phrasing
        self.postings: dict[str, list[int]] = {}  # key -> documents
        self.key_shares: dict[str, list[float]] = {}  # key -> its largest share of a phrasing, per document
        self.other: _LanguageIndex | None = None  # the other language's index (borrow_from)
        self.places: frozenset[str] = frozenset()  # keys of municipality names: light where the FAQ lacks them
        self._borrowed_cache: dict[str, tuple[tuple[str, float], ...]] = {}
        analysed = [[analyzer.terms(text) for text in texts] for texts in docs]
        self.title_keys = [frozenset(k for t in (terms[0] if terms else ()) for k in (*t.keys, *t.parts))
                           for terms in analysed]  # per document: the keys of its question
        answers = [analyzer.terms(context) for context in contexts]
        # How rare a word is comes from the whole entry, answer included: the few phrasings alone would
        # make every word look rare, and "ASF" is in nearly every answer even where phrasings omit it.
        df: dict[str, int] = {}
        holders: dict[str, list[int]] = {}  # key -> the documents whose phrasings or answer use it
        for doc, (phrasings, answer) in enumerate(zip(analysed, answers)):
            seen = {k for terms in (*phrasings, answer) for t in terms for k in (*t.keys, *t.parts)}
            for key in seen:
                df[key] = df.get(key, 0) + 1
                holders.setdefault(key, []).append(doc)
        # Keys few documents use: a rare word among them names its subject (see anchors). Few phrasings
        # count first ("Coompanion" is in many answers but in the phrasings of two entries); a word in no
        # phrasing counts by the answers that use it ("Almi").
        self.few_holders = {key: tuple(docs) for key, docs in holders.items() if len(docs) <= ANCHOR_ENTRIES}
        n = max(len(docs), 1)
        self.idf = {key: math.log(1.0 + n / count) ** IDF_POWER for key, count in df.items()}
        self.unknown_weight = UNKNOWN_WEIGHT * math.log(1.0 + n) ** IDF_POWER
        self.light_weight = LIGHT_WEIGHT * math.log(1.0 + n) ** IDF_POWER
        for doc, phrasings in enumerate(analysed):
            own: list[int] = []
            doc_shares: dict[str, float] = {}
            doc_keys: dict[str, float] = {}
            for terms in phrasings:
                if not terms:
                    continue
                own.append(len(self.forward))
                weights = tuple(self._weight(t.keys, t.light) for t in terms)
                total = sum(weights)
                self.slot_weights.append(weights)
                self.total.append(total)
                slots: dict[str, list[tuple[int, float]]] = {}
                for slot, term in enumerate(terms):
                    for key in term.keys:
                        slots.setdefault(key, []).append((slot, 1.0))
                    for key in term.parts:  # a word inside a synonym phrase matches only partly
                        slots.setdefault(key, []).append((slot, PART))
                forward = {}
                for key, found in slots.items():
                    share = sum(weights[slot] * factor for slot, factor in found) / total
                    forward[key] = (share, tuple(found))
                    doc_shares[key] = max(doc_shares.get(key, 0.0), share)
                    doc_keys[key] = max(doc_keys.get(key, 0.0), max(factor for _, factor in found))
                self.forward.append(forward)
            self.phrasings_of.append(own)
            self.doc_keys.append(doc_keys)
            for key, share in doc_shares.items():
                self.postings.setdefault(key, []).append(doc)
                self.key_shares.setdefault(key, []).append(share)
        for key, docs in self.postings.items():
            if len(docs) <= ANCHOR_ENTRIES:
                self.few_holders[key] = tuple(docs)
            else:
                self.few_holders.pop(key, None)
        self.vocabulary = _Vocabulary(k for k in self.postings if not k.startswith((GROUP, WRITTEN)))
        # A phrasing word's stem -> its stems as written in the entries that use it, answers included ("samhall" ->
        # {"samhall"}: "Samhall"; "egenforetag" -> {"egenforetag", "egenföretag"}: a phrasing typed without å/ä/ö,
        # an answer with them). A word typed with å/ä/ö is no part or compound of a word those entries never write
        # so: "samhället" (samhälle, society) holds no "Samhall", "från" is no part of "franchise".
        written_in: list[dict[str, set[str]]] = []
        for phrasings, answer in zip(analysed, answers):
            spelt: dict[str, set[str]] = {}
            for term in (t for terms in (*phrasings, answer) for t in terms):
                if not any(k.startswith(GROUP) for k in term.keys):  # a synonym's keys do not say how it was written
                    written = next((k[1:] for k in term.keys if k.startswith(WRITTEN)), term.primary)
                    spelt.setdefault(term.primary, set()).add(written)
            written_in.append(spelt)
        self.spellings: dict[str, set[str]] = {}
        for doc, phrasings in enumerate(analysed):
            for term in (t for terms in phrasings for t in terms):
                if term.primary in written_in[doc]:
                    self.spellings.setdefault(term.primary, set()).update(written_in[doc][term.primary])
        # Key -> a key found in every document it is found in, with at least its share of a phrasing:
        # a stem and its synonym group ("lönebidrag", "=lönestöd"), a stem as written and folded
        # ("~lån", "lan"). Finding documents through the wider key alone is enough.
        groups = analyzer.synonyms.phrases
        self.covered_by: dict[str, str] = {}
        for key, holders in self.postings.items():
            wider = groups.get((key,))
            if key.startswith(WRITTEN):
                wider = analyzer.folded_key(key)
            if wider in self.postings and set(holders) <= set(self.postings[wider]):
                self.covered_by[key] = wider

    def borrow_from(self, other: _LanguageIndex) -> None:
        """Make the other language's phrasing words findable here, marked BORROWED: a word this language's
        phrasings do not have may be the other language's ("Can an ideell förening sell stuff?", "har ni tips
        på funding"). They count for recall only (see lookup), never for a phrasing's precision."""
        self.other = other
        for key, docs in other.postings.items():
            if key.startswith((GROUP, WRITTEN)):
                continue
            borrowed = BORROWED + key
            self.postings[borrowed] = docs
            self.key_shares[borrowed] = other.key_shares[key]
            self.idf[borrowed] = other.idf[key]
            for doc in docs:
                self.doc_keys[doc][borrowed] = other.doc_keys[doc][key] * OTHER_LANGUAGE

    def _borrowed(self, term: Term) -> dict[str, float]:
        """The other language's phrasing keys a word this language's phrasings lack stands for, if any."""
        if self.other is None or not term.word or term.light:
            return {}
        cached = self._borrowed_cache.get(term.word)
        if cached is not None:
            return dict(cached)
        found = {}
        for other_term in self.other.analyzer.terms(term.word):
            for key in other_term.keys:
                if BORROWED + key in self.postings:
                    found[BORROWED + key] = 1.0
        if len(self._borrowed_cache) < 50_000:  # bounded, as the vocabulary's
            self._borrowed_cache[term.word] = tuple(found.items())
        return found

    def _weight(self, keys: Iterable[str], light: bool = False) -> float:
        # A synonym group's key comes last and says how rare the concept is, whatever the wording.
        weight = self.unknown_weight
        for key in reversed(tuple(keys)):
            if key in self.idf:
                weight = self.idf[key]
                break
        return min(weight, self.light_weight) if light else weight

    def lookup(self, term: Term, asked: bool = True) -> tuple[float, dict[str, float]]:
        """A query term's weight and the indexed keys it matches, with similarities. A word of the FAQ's field in
        what is `asked` (not in the support) weighs DOMAIN_WEIGHT times its rarity among the entries (see there)."""
        matches = {k: 1.0 for k in term.keys if k in self.idf}
        weight = self._weight(matches, term.light) if matches else None
        if weight is not None and asked and not term.light and term.frequency < DOMAIN_FREQUENCY \
                and weight >= DOMAIN_WEIGHT_IDF:
            weight *= DOMAIN_WEIGHT
        if weight is not None and not any(k in self.postings for k in matches):
            weight *= everyday_share(term.frequency)  # known from answers only: "back", "bank"
        if any(k.startswith(WRITTEN) for k in matches):
            # "lån" as written is in the FAQ: "län", which folds the same, is another word.
            for k in matches:
                if not k.startswith((WRITTEN, GROUP)):
                    matches[k] = OTHER_LETTERS
        for part in term.parts:
            if part in self.idf and matches.get(part, 0.0) < PART:
                matches[part] = PART
        if not term.primary.startswith(GROUP):
            groups = self.analyzer.synonyms.phrases
            for other, sim in self.vocabulary.neighbours(term.primary, term.frequency >= TYPO_FREQUENCY):
                if self._other_letters(term, other):
                    continue
                # A misspelt "lönebidarg" is "lönebidrag", and so also "lönestöd".
                for key in (other, groups.get((other,))):
                    if key is not None and key in self.idf and matches.get(key, 0.0) < sim:
                        matches[key] = sim
        if not any(k in self.postings for k in matches):
            borrowed = self._borrowed(term)
            if borrowed:
                matches.update(borrowed)
                if weight is None:
                    weight = self._weight(borrowed)
        if weight is None:
            unknown = self.unknown_weight * everyday_share(term.frequency)
            weight = max((self._found_weight(term.primary, k, sim, unknown) for k, sim in matches.items()), default=unknown)
            if term.light:
                weight = min(weight, self.light_weight)
        found = {k: sim for k, sim in matches.items() if k in self.postings}
        if not found and term.primary in self.places:
            weight = min(weight, self.light_weight)  # "i Södertälje" in no phrasing: where, not what, is asked
        # Words known only from answers set the weight but match no phrasing.
        return weight, found

    def _found_weight(self, word: str, key: str, sim: float, unknown: float) -> float:
        """The weight of a word the FAQ does not know, found as `key` (a typo of it, a compound with it, a part of
        it). A part shorter than half the word is a fragment of a word the FAQ does not know ("lägg" in
        "bostadstillägg", "bidrag" in "omvårdnadsbidrag"): the word weighs mostly as unknown, by the share the part
        does not explain, not as the part does (which would make it weigh less whenever the FAQ uses the part more)."""
        if key.startswith(GROUP) or key not in word or len(key) * 2 >= len(word):
            return self.idf[key]
        return sim * self.idf[key] + (1.0 - sim) * max(unknown, self.idf[key])

    def _other_letters(self, term: Term, other: str) -> bool:
        """Whether a word of the phrasings that is part of the term's word, or has it as a part, is spelt there with
        other letters than the term's å/ä/ö: "samhället" (samhälle, society) holds "samhäll", not "Samhall"."""
        written = next((k[1:] for k in term.keys if k.startswith(WRITTEN)), None)
        spellings = self.spellings.get(other)
        word = term.primary
        if written is None or not spellings or len(written) != len(word):
            return False
        if word.startswith(other) or word.endswith(other):  # a part of the term's word, as typed there
            typed = {written[: len(other)] if word.startswith(other) else "",
                     written[len(word) - len(other):] if word.endswith(other) else ""} - {""}
            return any(not t.isascii() for t in typed) and not typed & spellings
        if other.startswith(word) or other.endswith(word):  # the term's word is a part of it
            return not any(s.startswith(written) or s.endswith(written) for s in spellings)
        return False  # a typo: letters are often typed without their marks

    def score_docs(self, text: str, limit: int, floor: float = 0.0, support: str = "") -> dict[int, float]:
        """The `limit` best documents with their scores (0-1), none below `floor`.

        Score = recall^RECALL_SHARE * precision^(1-RECALL_SHARE). Recall is the weighted share of the
        question's terms found in the document's phrasings, any of them: people combine words from
        several ways of asking. Precision is the weighted share of the best-covered phrasing's terms
        found in the question: a question that says only part of what a phrasing says is a weaker
        match. Documents are scored in order of the best score they could reach and the search stops
        when no further one can enter the top, so the result is exact. Common terms that could not
        lift a document to `floor` on their own are not used to find documents, only to score them.
        `support` (the message's other sentences) adds the weight of its terms that a document has to
        both sides of its recall, with the share SUPPORT (see _supported).
        """
        terms = self.analyzer.terms(text)
        looked_up = [self.lookup(t) for t in terms]
        if support:
            supporting = self._supporting(support, looked_up)
            if supporting:
                finders = [found for found, term in zip(looked_up, terms) if found[1] and not term.light]
                return self._supported(looked_up, finders, supporting, limit, floor)
        query_total = sum(w for w, _ in looked_up)
        if not query_total:
            return {}
        common = 0.0  # the recall weight of the terms that find nothing on their own
        finders = []
        for weight, matches in sorted(looked_up, key=lambda item: item[0]):
            if ((common + weight) / query_total) ** RECALL_SHARE < floor:
                common += weight
            else:
                finders.append((weight, matches))
        needed = floor ** (1.0 / RECALL_SHARE) * query_total - common
        hopeful = [(doc, got) for doc, got in self._reach(finders).items() if got >= needed]
        key_sims: dict[str, float] = {}
        for _, matches in looked_up:
            for key, sim in matches.items():
                key_sims[key] = max(key_sims.get(key, 0.0), sim)
        # Documents in order of the most they could score. Many of them (a common word, "asf?"):
        # bound their precision too, from each key's largest share of one of their phrasings.
        held = self._held(key_sims) if len(hopeful) > PRECISION_CHECK else None
        keep = 1.0 - RECALL_SHARE
        bounds = []
        add = bounds.append
        for doc, got in hopeful:  # a hot loop at 10,000 entries: no calls in it
            recall = (got + common) / query_total
            bound = (recall if recall < 1.0 else 1.0) ** RECALL_SHARE
            if held is not None:
                precision = held[doc]
                bound *= (precision if precision < 1.0 else 1.0) ** keep
            if bound >= floor:
                add((-bound, doc))
        heapq.heapify(bounds)
        top: dict[int, float] = {}  # the best `limit` documents so far
        bar = floor  # what a document must reach to matter (once the top is full: beat)
        while bounds:
            bound, doc = heapq.heappop(bounds)
            full = len(top) == limit
            if -bound < bar or (full and -bound == bar):
                break
            most = min(self._recall(doc, looked_up) / query_total, 1.0) ** RECALL_SHARE
            if most < bar or (full and most == bar):
                continue  # its recall alone keeps it out: precision is at most 1
            precision = 0.0
            for phrasing in self.phrasings_of[doc]:
                forward = self.forward[phrasing]
                # Its keys' shares bound the phrasing's precision: most phrasings need no scoring. (Over the
                # smaller of the two: a long question has many more keys than a phrasing.)
                if len(forward) < len(key_sims):
                    held = sum(share * key_sims[key] for key, (share, _) in forward.items() if key in key_sims)
                else:
                    held = sum(forward[key][0] * sim for key, sim in key_sims.items() if key in forward)
                if held > precision:
                    precision = max(precision, self._precision(phrasing, key_sims))
            score = most * precision**keep
            if score < bar or (full and score == bar):
                continue
            top[doc] = score
            if len(top) > limit:
                del top[min(top, key=lambda d: (top[d], -d))]
            if len(top) == limit:
                bar = max(floor, min(top.values()))
        return top

    def _supporting(self, support: str,
                    looked_up: list[tuple[float, dict[str, float]]]) -> list[tuple[float, dict[str, float]]]:
        """The support's terms that find something, weighted by SUPPORT, minus what the question says itself."""
        said = {key for _, matches in looked_up for key in matches}
        found = []
        for term in self.analyzer.terms(support):
            weight, matches = self.lookup(term, asked=False)
            matches = {k: sim for k, sim in matches.items() if k not in said}
            if matches and not term.light:
                found.append((weight * SUPPORT, matches))
        return found

    def _supported(self, looked_up: list[tuple[float, dict[str, float]]], finders: list[tuple[float, dict[str, float]]],
                   supporting: list[tuple[float, dict[str, float]]], limit: int, floor: float) -> dict[int, float]:
        """score_docs with support: recall = (question weight found + support weight found) / (question
        weight + support weight found), so support only ever helps, most where the question says little
        ("vad gör de?" after naming an organisation). Precision counts the support's words too. Every
        document sharing a term with the question is scored (a long message is rare; no bounds needed)."""
        query_total = sum(w for w, _ in looked_up)
        key_sims: dict[str, float] = {}
        for _, matches in (*looked_up, *supporting):
            for key, sim in matches.items():
                key_sims[key] = max(key_sims.get(key, 0.0), sim)
        # Only documents the question's own (not light) words find: support raises them, finds nothing itself.
        docs = set(self._reach(finders))
        keep = 1.0 - RECALL_SHARE
        scores: dict[int, float] = {}
        for doc in docs:
            got = self._recall(doc, looked_up)
            extra = min(self._recall(doc, supporting), SUPPORT_CAP * query_total)
            recall = min((got + extra) / max(query_total + extra, 1e-9), 1.0)
            precision = max((self._precision(p, key_sims) for p in self.phrasings_of[doc]), default=0.0)
            score = recall**RECALL_SHARE * precision**keep
            if score >= floor and score > 0.0:
                scores[doc] = score
        best = sorted(scores, key=lambda d: (-scores[d], d))[:limit]
        return {doc: scores[doc] for doc in best}

    def anchors(self, text: str) -> set[int]:
        """The documents named by the text's anchor words: words rare in general language (Zipf below
        ANCHOR_FREQUENCY) that at most ANCHOR_ENTRIES documents use, in a phrasing or in the answer."""
        return {doc for named, _ in self.anchor_words(text) for doc in named}

    def anchor_words(self, text: str) -> list[tuple[set[int], set[int]]]:
        """Per anchor word of the text: the documents it names, and of those the ones whose question itself (not
        only an alternate or the answer) has it."""
        found = []
        for term in self.analyzer.terms(text):
            if term.light or term.frequency >= ANCHOR_FREQUENCY or term.primary.startswith(GROUP):
                continue
            keys = {k for k in term.keys if k in self.few_holders}
            _, matches = self.lookup(term)  # a typo of a phrasing's word ("skopi")
            keys.update(k for k, sim in matches.items() if sim >= ANCHOR_SIMILARITY and k in self.few_holders)
            if keys:
                found.append(({d for k in keys for d in self.few_holders[k]},
                              {d for k in keys for d in self.few_holders[k] if k in self.title_keys[d]}))
        return found

    def holders(self, word: str) -> tuple[set[int], set[int]]:
        """The documents whose phrasings have the word (or a near form of it: "ideel" for "ideell"), and of those
        the ones whose question itself has it."""
        terms = self.analyzer.terms(word)
        if len(terms) != 1:
            return set(), set()
        _, matches = self.lookup(terms[0])
        keys = [k for k, sim in matches.items() if sim >= ANCHOR_SIMILARITY]
        held = {doc for k in keys for doc in self.postings.get(k, ())}
        return held, {doc for doc in held if self.title_keys[doc].intersection(keys)}

    def _reach(self, finders: list[tuple[float, dict[str, float]]]) -> dict[int, float]:
        """Document -> the most recall weight the finding terms can give it."""
        reach: dict[int, float] = {}
        finders = [(w, self._widest(matches)) for w, matches in finders]
        # The longest list first: into an empty dict it is copied at C speed.
        finders.sort(key=lambda f: -max((len(self.postings[k]) for k in f[1]), default=0))
        for weight, matches in finders:
            if len(matches) == 1:  # the usual case, kept tight
                [(key, sim)] = matches.items()
                gain = weight * sim
                if not reach:
                    reach = dict.fromkeys(self.postings[key], gain)
                    continue
                get = reach.get
                for doc in self.postings[key]:
                    reach[doc] = get(doc, 0.0) + gain
                continue
            best: dict[int, float] = {}
            for key, sim in matches.items():
                for doc in self.postings[key]:
                    if best.get(doc, 0.0) < sim:
                        best[doc] = sim
            for doc, sim in best.items():
                reach[doc] = reach.get(doc, 0.0) + weight * sim
        return reach

    def _widest(self, matches: dict[str, float]) -> dict[str, float]:
        """The same matches for bounding: a key covered by another one in `matches` is left out, and the
        wider key takes its similarity if higher. Bounds stay bounds; fewer lists are read."""
        wide = dict(matches)
        for key, sim in matches.items():
            wider = self.covered_by.get(key)
            if wider in wide:
                wide[wider] = max(wide[wider], sim)
                del wide[key]
        return wide

    def _held(self, key_sims: dict[str, float]) -> dict[int, float]:
        """Document -> an upper bound of its best phrasing's precision for these keys."""
        held: dict[int, float] = {}
        get = held.get
        keys = sorted(self._widest(key_sims).items(), key=lambda item: -len(self.postings[item[0]]))
        for key, sim in keys:
            if not held and sim == 1.0:  # the longest list first, copied at C speed
                held = dict(zip(self.postings[key], self.key_shares[key]))
                get = held.get
            elif sim == 1.0:
                for doc, share in zip(self.postings[key], self.key_shares[key]):
                    held[doc] = get(doc, 0.0) + share
            else:
                for doc, share in zip(self.postings[key], self.key_shares[key]):
                    held[doc] = get(doc, 0.0) + share * sim
        return held

    def _recall(self, doc: int, looked_up: list[tuple[float, dict[str, float]]]) -> float:
        """The weight of the question's terms found in any of the document's phrasings."""
        present = self.doc_keys[doc]
        got = 0.0
        for weight, matches in looked_up:
            got += weight * max((sim * present.get(key, 0.0) for key, sim in matches.items()), default=0.0)
        return got

    def _precision(self, phrasing: int, key_sims: dict[str, float]) -> float:
        """The weighted share of the phrasing's terms that the question has."""
        slot_best: dict[int, float] = {}
        for key, (_, slots) in self.forward[phrasing].items():
            sim = key_sims.get(key)
            if sim is None:
                continue
            for slot, factor in slots:
                if slot_best.get(slot, 0.0) < sim * factor:
                    slot_best[slot] = sim * factor
        slot_weights = self.slot_weights[phrasing]
        return min(sum(slot_weights[slot] * s for slot, s in slot_best.items()) / self.total[phrasing], 1.0)


class _Index:
    """Documents with phrasings in both languages; ranks them for a question in one language."""

    def __init__(self, ids: list[str], phrasings: list[Mapping[Lang, list[str]]],
                 contexts: list[Mapping[Lang, str]], synonyms: Mapping[str, list[str]]) -> None:
        self.ids = ids
        self.languages = {
            lang: _LanguageIndex(
                Analyzer(lang, synonyms),
                [list(p.get(lang, [])) for p in phrasings],
                [c.get(lang, "") for c in contexts],
            )
            for lang in LANGS
        }
        for lang, index in self.languages.items():
            index.borrow_from(self.languages["en" if lang == "sv" else "sv"])

    def rank(self, text: str, lang: Lang, limit: int, floor: float = 0.0,
             clear: Callable[[list[Candidate]], bool] | None = None, support: str = "") -> list[Candidate]:
        """Documents best first. The other language is consulted unless `clear` accepts the ranking in
        the question's own language; its scores are discounted."""
        scores = self.languages[lang].score_docs(text, limit, floor, support)
        ranked = self._top(scores, limit)
        if clear is not None and clear(ranked):
            return ranked
        other: Lang = "en" if lang == "sv" else "sv"
        for doc, score in self.languages[other].score_docs(text, limit, floor / OTHER_LANGUAGE, support).items():
            score *= OTHER_LANGUAGE
            if scores.get(doc, 0.0) < score:
                scores[doc] = score
        return self._top(scores, limit)

    def shares(self, doc: int, text: str) -> bool:
        """Whether a document's phrasings, in either language, have a word of the text (light and everyday
        words aside)."""
        for index in self.languages.values():
            present = index.doc_keys[doc]
            for term in index.analyzer.terms(text):
                if term.light or term.frequency >= ABOUT_FREQUENCY:
                    continue
                if any(sim >= ANCHOR_SIMILARITY and key in present for key, sim in index.lookup(term)[1].items()):
                    return True
        return False

    def _top(self, scores: dict[int, float], limit: int) -> list[Candidate]:
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [Candidate(self.ids[doc], round(100.0 * score, 2)) for doc, score in best]


class _Named(NamedTuple):
    anchored: set[int]  # the documents an anchor word of the question names
    # per anchor word of the question's language: the documents it names, and those whose question has it
    words: list[tuple[set[int], set[int]]]
    text: str  # the question
    lang: Lang


class Matcher:
    """Ranks FAQ entries (and, for routing, authorities) for a question. Immutable once built."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds.load()
        entries = list(knowledge.entries.values())
        self._doc_of = {e.id: doc for doc, e in enumerate(entries)}
        self._entries = _Index(
            [e.id for e in entries],
            [{lang: e.phrasings(lang) for lang in LANGS} for e in entries],
            [{lang: e.answer.get(lang) for lang in LANGS} for e in entries],
            knowledge.synonyms,
        )
        authorities = [a for a in knowledge.authorities.values() if a.parent is None]
        self._authorities = _Index(
            [a.id for a in authorities],
            [{lang: _authority_texts(knowledge, a.id, lang) for lang in LANGS} for a in authorities],
            [{} for _ in authorities],
            knowledge.synonyms,
        )
        self._analyzers = {lang: index.analyzer for lang, index in self._entries.languages.items()}
        for index in self._entries.languages.values():  # "i Södertälje" is where, not what, unless the FAQ says it
            index.places = frozenset(t.primary for name in _place_names() for t in index.analyzer.terms(name))
        # Each way of naming an authority, as the terms that must all be in a text that names it.
        self._names: list[tuple[str, Lang, tuple[Term, ...]]] = []
        for a in authorities:
            for variant in _name_variants(a.name.sv, a.name.en, a.id.replace("-", " ")):
                for lang, analyzer in self._analyzers.items():
                    terms = tuple(analyzer.terms(variant))
                    if terms:
                        self._names.append((a.id, lang, terms))
        self.intents = PhraseFinder(
            (name, lang, phrase)
            for name, patterns in knowledge.intents.items()
            for lang in LANGS
            for phrase in getattr(patterns, lang)
        )

    def with_thresholds(self, thresholds: Thresholds) -> "Matcher":
        """The same matcher deciding with other thresholds (shares the indexes; for tuning)."""
        other = copy.copy(self)
        other.thresholds = thresholds
        return other

    def rank(self, text: str, lang: Lang, limit: int = 5, support: str = "") -> list[Candidate]:
        """The best-scoring entries for a question, best first.

        Phrasings in the question's language count fully; the other language's phrasings, discounted,
        only when the own language gives no clear answer. Entries that cannot reach the suggest
        threshold less the margin may be left out: they could change no decision. `support` is the
        rest of the message (its context sentences): it can only raise an entry's score.
        """
        return self._rank(text, lang, limit, support, self._anchored(text, lang))[:limit]

    def rank_all(self, text: str, lang: Lang, limit: int = 5, support: str = "") -> list[Candidate]:
        """The best entries with no threshold at all (both languages, nothing left out): for evaluation."""
        return self._entries.rank(text, lang, limit, support=support)

    def match(self, text: str, lang: Lang, support: str = "") -> Match:
        """Answer when one entry clearly wins, or when a rare word names it (an anchor: "Coompanion",
        "SIUS") and it is the best; suggest on a close call, else fall back. `support`: see rank()."""
        anchored = self._anchored(text, lang)
        decision, candidates = self._decide(self._rank(text, lang, 5, support, anchored), anchored)
        return Match(decision, self._shown(decision, candidates), lang)

    def leading(self, text: str, lang: Lang, support: str = "") -> list[Candidate]:
        """For a long question (LONG_TERMS terms or more): its ranking (best first, no thresholds) when the best
        entry leads clearly, scoring at least LONG_SCORE and LONG_LEAD times the runner-up, whatever the answer
        threshold; else []. For a question whose match() is no answer. `support`: see rank()."""
        if len(self._analyzers[lang].terms(text)) < LONG_TERMS:
            return []
        ranked = self.rank_all(text, lang, 3, support=support)
        if not ranked or ranked[0].score < LONG_SCORE:
            return []
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        return ranked if ranked[0].score >= LONG_LEAD * runner_up else []

    def decide(self, candidates: list[Candidate]) -> Decision:
        return decide(candidates, self.thresholds)

    def _rank(self, text: str, lang: Lang, limit: int, support: str, anchored: _Named) -> list[Candidate]:
        t = self.thresholds
        floor = 0.0 if anchored.anchored else max(0.0, t.suggest - t.margin) / 100.0
        return self._entries.rank(text, lang, max(limit, 2), floor, support=support,
                                  clear=lambda r: self._decide(r, anchored)[0] == "answer")

    def domain_words(self, text: str, lang: Lang, wide: bool = False) -> list[str]:
        """The words of a text (as written) that belong to the FAQ's field: rare in general language and found
        in some entry's phrasings ("arbetsintegrerande", "lönebidrag", "Coompanion"); not "skämdes" or "möte".
        `wide`: also commoner words found in the phrasings of only a few entries ("networks")."""
        index = self._entries.languages[lang]
        found = []
        for word in lower_words(text):
            terms = index.analyzer.terms(word)
            common = ABOUT_FREQUENCY if wide else DOMAIN_FREQUENCY
            if len(terms) != 1 or terms[0].light or terms[0].frequency >= common:
                continue
            # A rarer word in any phrasing; a commoner one ("networks", "plan") only in the phrasings of a few.
            most = DOMAIN_ENTRIES if terms[0].frequency >= DOMAIN_FREQUENCY else len(self._doc_of)
            _, matches = index.lookup(terms[0])
            if any(sim >= ANCHOR_SIMILARITY and 0 < len(index.postings.get(key, ())) <= most
                   for key, sim in matches.items()):
                found.append(word)
        return found

    def unknown_words(self, text: str, lang: Lang) -> list[str]:
        """The words of a text (as written) that name something the FAQ does not know: rare in general language
        (Zipf at most RARE_WORD) and found in no phrasing, in either language ("frisörsalong", "bygglov")."""
        index = self._entries.languages[lang]
        found = []
        for word in lower_words(text):
            terms = index.analyzer.terms(word)
            if len(terms) == 1 and not terms[0].light and terms[0].frequency <= RARE_WORD \
                    and not index.lookup(terms[0])[1]:
                found.append(word)
        return found

    def about(self, entry_id: str, text: str) -> bool:
        """Whether an entry's phrasings share a word with the text: is an answer about what it refers to?"""
        return self._entries.shares(self._doc_of[entry_id], text)

    def _anchored(self, text: str, lang: Lang) -> _Named:
        """Entries named by an anchor word of the question, in either language (its support names nothing: context
        is no question); and the question's language's anchor words."""
        own = self._entries.languages[lang].anchor_words(text)
        other = self._entries.languages["en" if lang == "sv" else "sv"].anchors(text)
        return _Named({doc for named, _ in own for doc in named} | other, own, text, lang)

    def _decide(self, candidates: list[Candidate], named: _Named) -> tuple[Decision, list[Candidate]]:
        """The decision, and the candidates with an anchored winner's score raised to the answer threshold."""
        t = self.thresholds
        anchored = named.anchored
        decision = decide(candidates, t)
        if decision == "suggest" and candidates[0].score >= t.answer and self._titled(candidates, named):
            return "answer", candidates
        if decision == "answer" or not anchored or not candidates:
            return decision, candidates
        top, rest = candidates[0], candidates[1:]
        if self._doc_of[top.entry_id] not in anchored or top.score < ANCHOR_SCORE:
            return decision, candidates
        close = [c for c in candidates if self._doc_of[c.entry_id] in anchored and top.score - c.score < t.margin]
        docs = {self._doc_of[c.entry_id] for c in close}
        words = [(holders, titled) for holders, titled in named.words if holders & docs]
        if len(docs) > 1 and words and all(docs <= holders and titled & docs == {self._doc_of[top.entry_id]}
                                           for holders, titled in words):
            # One of them is about that word by its very question ("Hur skriver jag en affärsplan ...?"), the
            # others only mention it ("hjälper coompanion till med budget och affärsplan"): that one is meant.
            return "answer", [Candidate(top.entry_id, max(top.score, t.answer)), *rest]
        if rest and self._doc_of[rest[0].entry_id] in anchored and top.score - rest[0].score < t.margin:
            # Two entries of the same name: ask which, even when neither reaches the suggest threshold.
            lifted = [Candidate(c.entry_id, max(c.score, t.suggest)) if self._doc_of[c.entry_id] in anchored
                      and top.score - c.score < t.margin else c for c in candidates]
            return "suggest", lifted
        return "answer", [Candidate(top.entry_id, max(top.score, t.answer)), *rest]

    def _titled(self, candidates: list[Candidate], named: _Named) -> bool:
        """A close call where the question's words of the field name only the best entry in its own question
        ("får en ideel förening sälja saker": "Kan en ideell förening driva ett ASF?", not "Vilken företagsform
        passar?"): that entry is the one asked about."""
        top = self._doc_of[candidates[0].entry_id]
        close = {self._doc_of[c.entry_id] for c in candidates if candidates[0].score - c.score < self.thresholds.margin}
        index = self._entries.languages[named.lang]
        # Per word of the field in the question: the entries whose phrasings have it, and whose question has it.
        words = [index.holders(word) for word in self.domain_words(named.text, named.lang)]
        # (A word most entries have, "ASF", names nothing in particular: see DOMAIN_WEIGHT_IDF.)
        naming = [titled & close for held, titled in words
                  if titled & close and math.log(1.0 + len(self._doc_of) / len(held)) >= DOMAIN_WEIGHT_IDF]
        # A word of the question that another close entry has and the best one lacks: a second subject.
        other = any(top not in held and held & close for held, _ in words)
        return bool(naming) and not other and all(docs == {top} for docs in naming)

    def _shown(self, decision: Decision, candidates: list[Candidate]) -> tuple[Candidate, ...]:
        if decision == "suggest":
            return tuple(c for c in candidates[:3] if c.score >= self.thresholds.suggest)
        return tuple(candidates)

    def rank_authorities(self, text: str, lang: Lang, limit: int = 3) -> list[Candidate]:
        """National authorities ranked by how well their name, remit and topics fit the text."""
        return self._authorities.rank(text, lang, limit)

    def named_authorities(self, text: str) -> tuple[str, ...]:
        """Authorities the text names ("AF", "Försäkringskassan", "the municipality"), first named first."""
        keys_at: dict[Lang, dict[str, int]] = {}
        for lang, analyzer in self._analyzers.items():
            positions: dict[str, int] = {}
            for i, term in enumerate(analyzer.terms(text)):
                for key in term.keys:
                    positions.setdefault(key, i)
            keys_at[lang] = positions
        found: dict[str, int] = {}
        for authority_id, lang, terms in self._names:
            positions = keys_at[lang]
            at = [min((positions[k] for k in t.keys if k in positions), default=-1) for t in terms]
            if all(p >= 0 for p in at):
                found[authority_id] = min(found.get(authority_id, len(positions)), min(at))
        return tuple(sorted(found, key=lambda a: found[a]))


@lru_cache(maxsize=1)
def _place_names() -> tuple[str, ...]:
    """The names and other spellings of Sweden's municipalities."""
    return tuple(n for m in load_municipalities() for n in (m.name, *m.aliases))


def _name_variants(*names: str) -> list[str]:
    """"Swedish Public Employment Service (Arbetsförmedlingen)" -> both names on their own."""
    variants: list[str] = []
    for name in names:
        for part in re.split(r"[()/,;]| - ", name):
            if part.strip() and part.strip() not in variants:
                variants.append(part.strip())
    return variants


def _authority_texts(knowledge: Knowledge, authority_id: str, lang: Lang) -> list[str]:
    a = knowledge.authorities[authority_id]
    texts = [a.name.get(lang), a.responsible_for.get(lang)]
    texts += [knowledge.topics[t].label.get(lang) for t in a.topics if t in knowledge.topics]
    return texts
