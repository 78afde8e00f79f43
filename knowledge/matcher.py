"""Find the FAQ entries a question is about: fuzzy, weighted token matching over every stored phrasing.

A text becomes Terms (knowledge.text): folded Snowball stems, stop words gone, synonym groups attached.
Each query term is looked up in the vocabulary of the stored phrasings: exactly, with a typo or two
(optimal string alignment distance), or as part of a Swedish compound ("bidrag" in "lönebidrag").
A phrasing scores by how much of the question it covers (recall) and how much of itself the question
covers (precision), both weighted by rarity (IDF over entries), so "lönebidrag" counts more than
"starta". An entry scores its best phrasing; phrasings in the other language count, discounted.

Everything is precomputed at construction; the inverted index means only phrasings sharing a
(fuzzy) term with the question are touched. A Matcher never changes: a reload builds a new one.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA
from ruamel.yaml import YAML

from .model import LANGS, Knowledge, Lang
from .text import Analyzer, PhraseFinder, Term

MATCHER_FILE = Path(__file__).parent / "data" / "matcher.yaml"

Decision = Literal["answer", "suggest", "fallback"]

# Scoring constants; the decision thresholds live in data/matcher.yaml.
OTHER_LANGUAGE = 0.8  # a phrasing in the other language is weaker evidence
UNKNOWN_WEIGHT = 0.8  # a question word found nowhere weighs this share of the rarest known word
RECALL_SHARE = 0.65  # score = recall^0.65 * precision^0.35: covering the question matters most
PART = 0.6  # a word matching one word of a synonym phrase ("förening" in "ekonomisk förening")
MAX_SLOTS = 256  # a phrasing longer than this many terms is cut (postings pack phrasing and slot)


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


def similarity_of_distance(distance: int, length: int) -> float:
    """A typo costs more in a short word than in a long one; never as good as the exact word."""
    return min(0.92, 1.0 - 1.2 * distance / max(length, 1))


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
        self._cache: dict[str, tuple[tuple[str, float], ...]] = {}

    def neighbours(self, word: str) -> tuple[tuple[str, float], ...]:
        """Other known words close to `word`, with a similarity below 1."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        n = len(word)
        if n >= 4:
            limit = 1 if n < 8 else 2
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
            self._cache[word] = result
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
    """The phrasings of every document in one language, as weighted terms in an inverted index."""

    def __init__(self, analyzer: Analyzer, docs: list[list[str]]) -> None:
        self.analyzer = analyzer
        self.doc_of: list[int] = []
        self.slot_weights: list[tuple[float, ...]] = []
        self.total: list[float] = []
        # key -> codes (phrasing * MAX_SLOTS + slot); `partial` holds words inside a synonym phrase.
        self.postings: dict[str, list[int]] = {}
        self.partial: dict[str, list[int]] = {}
        analysed = [[analyzer.terms(text)[:MAX_SLOTS] for text in texts] for texts in docs]
        df: dict[str, int] = {}
        for phrasings in analysed:
            for key in {k for terms in phrasings for t in terms for k in (*t.keys, *t.parts)}:
                df[key] = df.get(key, 0) + 1
        n = max(len(docs), 1)
        self.idf = {key: math.log(1.0 + n / count) for key, count in df.items()}
        self.unknown_weight = UNKNOWN_WEIGHT * math.log(1.0 + n)
        for doc, phrasings in enumerate(analysed):
            for terms in phrasings:
                if not terms:
                    continue
                phrasing = len(self.doc_of)
                self.doc_of.append(doc)
                weights = tuple(self._weight(t.keys) for t in terms)
                self.slot_weights.append(weights)
                self.total.append(sum(weights))
                for slot, term in enumerate(terms):
                    code = phrasing * MAX_SLOTS + slot
                    for key in term.keys:
                        self.postings.setdefault(key, []).append(code)
                    for key in term.parts:
                        self.partial.setdefault(key, []).append(code)
        self.vocabulary = _Vocabulary(k for k in df if not k.startswith("="))

    def _weight(self, keys: Iterable[str]) -> float:
        # A synonym group's key comes last and says how rare the concept is, whatever the wording.
        for key in reversed(tuple(keys)):
            if key in self.idf:
                return self.idf[key]
        return self.unknown_weight

    def lookup(self, term: Term) -> tuple[float, dict[str, float]]:
        """A query term's weight and the indexed keys it matches, with similarities."""
        matches = {k: 1.0 for k in term.keys if k in self.idf}
        weight = self._weight(matches) if matches else None
        for part in term.parts:
            if part in self.idf and matches.get(part, 0.0) < PART:
                matches[part] = PART
        if not term.primary.startswith("="):
            for other, sim in self.vocabulary.neighbours(term.primary):
                if matches.get(other, 0.0) < sim:
                    matches[other] = sim
        if weight is None:
            weight = max((self.idf[k] for k in matches), default=self.unknown_weight)
        return weight, matches

    def score_docs(self, text: str) -> dict[int, float]:
        """Best phrasing score per document (0-1) for every document sharing a term with `text`."""
        looked_up = [self.lookup(t) for t in self.analyzer.terms(text)]
        query_total = sum(w for w, _ in looked_up)
        if not query_total:
            return {}
        covered: dict[int, float] = {}  # phrasing -> weighted recall
        slot_best: dict[int, float] = {}  # phrasing*MAX_SLOTS+slot -> best similarity
        for weight, matches in looked_up:
            best: dict[int, float] = {}
            for key, sim in matches.items():
                for codes, factor in ((self.postings.get(key, ()), 1.0), (self.partial.get(key, ()), PART)):
                    sim_here = sim * factor
                    for code in codes:
                        phrasing = code // MAX_SLOTS
                        if best.get(phrasing, 0.0) < sim_here:
                            best[phrasing] = sim_here
                        if slot_best.get(code, 0.0) < sim_here:
                            slot_best[code] = sim_here
            for phrasing, sim in best.items():
                covered[phrasing] = covered.get(phrasing, 0.0) + weight * sim
        own: dict[int, float] = {}  # phrasing -> weighted precision
        for code, sim in slot_best.items():
            phrasing, slot = divmod(code, MAX_SLOTS)
            own[phrasing] = own.get(phrasing, 0.0) + self.slot_weights[phrasing][slot] * sim
        scores: dict[int, float] = {}
        for phrasing, got in covered.items():
            recall = min(got / query_total, 1.0)
            precision = min(own[phrasing] / self.total[phrasing], 1.0)
            score = recall**RECALL_SHARE * precision ** (1.0 - RECALL_SHARE)
            doc = self.doc_of[phrasing]
            if scores.get(doc, 0.0) < score:
                scores[doc] = score
        return scores


class _Index:
    """Documents with phrasings in both languages; ranks them for a question in one language."""

    def __init__(self, ids: list[str], phrasings: list[Mapping[Lang, list[str]]],
                 synonyms: Mapping[str, list[str]]) -> None:
        self.ids = ids
        self.languages = {
            lang: _LanguageIndex(Analyzer(lang, synonyms), [list(p.get(lang, [])) for p in phrasings])
            for lang in LANGS
        }

    def rank(self, text: str, lang: Lang, limit: int) -> list[Candidate]:
        other: Lang = "en" if lang == "sv" else "sv"
        scores = self.languages[lang].score_docs(text)
        for doc, score in self.languages[other].score_docs(text).items():
            score *= OTHER_LANGUAGE
            if scores.get(doc, 0.0) < score:
                scores[doc] = score
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [Candidate(self.ids[doc], round(100.0 * score, 2)) for doc, score in best]


class Matcher:
    """Ranks FAQ entries (and, for routing, authorities) for a question. Immutable once built."""

    def __init__(self, knowledge: Knowledge, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds.load()
        entries = list(knowledge.entries.values())
        self._entries = _Index(
            [e.id for e in entries],
            [{lang: e.phrasings(lang) for lang in LANGS} for e in entries],
            knowledge.synonyms,
        )
        authorities = [a for a in knowledge.authorities.values() if a.parent is None]
        self._authorities = _Index(
            [a.id for a in authorities],
            [{lang: _authority_texts(knowledge, a.id, lang) for lang in LANGS} for a in authorities],
            knowledge.synonyms,
        )
        self._analyzers = {lang: index.analyzer for lang, index in self._entries.languages.items()}
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

    def rank(self, text: str, lang: Lang, limit: int = 5) -> list[Candidate]:
        """The best-scoring entries for a question, best first."""
        return self._entries.rank(text, lang, limit)

    def match(self, text: str, lang: Lang) -> Match:
        """Answer when one entry clearly wins, suggest on a close call, else fall back."""
        candidates = self.rank(text, lang, limit=5)
        return Match(self.decide(candidates), self._shown(candidates), lang)

    def decide(self, candidates: list[Candidate]) -> Decision:
        t = self.thresholds
        if not candidates or candidates[0].score < t.suggest:
            return "fallback"
        runner_up = candidates[1].score if len(candidates) > 1 else 0.0
        if candidates[0].score >= t.answer and candidates[0].score - runner_up >= t.margin:
            return "answer"
        return "suggest"

    def _shown(self, candidates: list[Candidate]) -> tuple[Candidate, ...]:
        if self.decide(candidates) == "suggest":
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
