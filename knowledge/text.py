"""Swedish-aware text normalisation: folding, tokens, stop words, Snowball stems and synonym groups.

The matcher and the language detector see text only through this module, so "Lönebidrag", "lonebidrag"
and "LÖNEBIDRAGET" all become the same key, and "AF", "Arbetsförmedlingen" and "employment service"
become one concept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA
from ruamel.yaml import YAML

from .model import LANGS, Lang

STOPWORDS_FILE = Path(__file__).parent / "data" / "stopwords.yaml"

# Letters that Unicode decomposition does not reduce to a plain base letter.
_SPECIAL = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ı": "i", "ł": "l"})
# "AF:s", "IOP:n", "ASF:er": Swedish inflection after an abbreviation belongs to the abbreviation.
_ABBR_SUFFIX = re.compile(r"(\w):(?:s|n|en|et|ar|er|na|arna|erna|or)\b")
# "company's" -> "company"; other apostrophes join ("don't" -> "dont").
_POSSESSIVE = re.compile(r"(\w)['’´`]s\b")
_APOSTROPHE = re.compile(r"(\w)['’´`](\w)")
# "f-skatt", "e-post", "a-kassa": a single letter and a hyphen form one word.
_LETTER_HYPHEN = re.compile(r"(?<![\w])(\w)-(?=\w)")
_NON_WORD = re.compile(r"[\W_]+")

# Prefixes of keys that are not a plain folded stem: a synonym group, a stem with its å/ä/ö.
GROUP = "="
WRITTEN = "~"
# Marks that make the folded text lose information (Å/Ä/Ö), kept for language detection.
SWEDISH_LETTERS = frozenset("åäö")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1024)  # one message is read by the detector, the intents and both analyzers
def lower_words(text: str) -> tuple[str, ...]:
    """Lower-case words with their letters as typed (å/ä/ö kept): the stemmer's input."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _ABBR_SUFFIX.sub(r"\1", text)
    text = _POSSESSIVE.sub(r"\1", text)
    text = _APOSTROPHE.sub(r"\1\2", text)
    text = _LETTER_HYPHEN.sub(r"\1", text)
    return tuple(w for w in _NON_WORD.split(text) if w)


def fold_word(word: str) -> str:
    """One lower-case word without diacritics: "lönebidrag" -> "lonebidrag"."""
    if word.isascii():
        return word.lower()
    return _fold_marked(word)


@lru_cache(maxsize=100_000)
def _fold_marked(word: str) -> str:
    return _strip_marks(word.lower())


def fold(text: str) -> str:
    """Lower case, no diacritics or punctuation, single spaces: "Vad är ett ASF?" -> "vad ar ett asf"."""
    return " ".join(fold_word(w) for w in lower_words(text))


def tokens(text: str) -> list[str]:
    """The folded words of a text."""
    return [fold_word(w) for w in lower_words(text)]


@lru_cache(maxsize=None)
def _stemmer(lang: Lang) -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer("english" if lang == "en" else "swedish")
    stemmer.maxCacheSize = 20000
    return stemmer


@lru_cache(maxsize=200_000)
def stem(word: str, lang: Lang) -> str:
    """Snowball stem of a lower-case word, folded afterwards.

    The stemmer sees å/ä/ö so that it recognises Swedish suffixes as written; folding after stemming
    gives the same key as stemming a word typed without them (checked in tests/test_text.py).
    """
    return fold_word(_stemmer(lang).stemWord(word))


def _word_lists(path: Path = STOPWORDS_FILE) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}


def _folded_lists(data: dict) -> dict[Lang, frozenset[str]]:
    return {lang: frozenset(fold_word(str(w)) for w in data.get(lang, []) or []) for lang in LANGS}


@lru_cache(maxsize=1)
def stopwords() -> dict[Lang, frozenset[str]]:
    """The bundled stop words, folded, per language (read once)."""
    return _folded_lists(_word_lists())


@lru_cache(maxsize=1)
def light_words() -> dict[Lang, frozenset[str]]:
    """Everyday words that count for little in a question ("betyder", "samma"), folded, per language."""
    return _folded_lists(_word_lists().get("light") or {})


@lru_cache(maxsize=1)
def stop_words_any() -> frozenset[str]:
    """The stop words of both languages, folded: a message's language is not always the one it is read in."""
    return stopwords()["sv"] | stopwords()["en"]


@lru_cache(maxsize=1)
def light_words_any() -> frozenset[str]:
    """The light words of both languages, folded."""
    return light_words()["sv"] | light_words()["en"]


@lru_cache(maxsize=1)
def idioms() -> dict[Lang, dict[str, tuple[tuple[str, ...], ...]]]:
    """Set phrases whose words say nothing of a subject ("i praktiken", "spelar roll"), as folded words, per
    language, by their first word, longest first."""
    data = _word_lists().get("idioms") or {}
    result: dict[Lang, dict[str, tuple[tuple[str, ...], ...]]] = {}
    for lang in LANGS:
        phrases = {tuple(fold_word(w) for w in lower_words(str(p))) for p in data.get(lang, []) or []}
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in sorted((p for p in phrases if p), key=len, reverse=True):
            by_first.setdefault(phrase[0], []).append(phrase)
        result[lang] = {first: tuple(found) for first, found in by_first.items()}
    return result


@lru_cache(maxsize=100_000)
def frequency_in(word: str, lang: str) -> float:
    """How common a lower-case word is in general Swedish or English, on the Zipf scale of `wordfreq` (about 7
    for "och"/"the", 4 for "glasögon", 0 for a word not in its lists)."""
    from wordfreq import zipf_frequency  # its word lists load on first use

    return zipf_frequency(word, lang)


@lru_cache(maxsize=100_000)
def general_frequency(word: str) -> float:
    """How common a lower-case word is in general Swedish or English, whichever is higher (see frequency_in)."""
    return max(frequency_in(word, "sv"), frequency_in(word, "en"))


# --- synonym groups -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One unit of meaning in an analysed text: alternative keys, the first being the word's own stem.

    A plain word has one key. A word from a synonym group also carries the group's key ("=af"), so
    "AF" and "Arbetsförmedlingen" meet on "=af" while a typo of either can still be found through its
    own stem. A phrase from a synonym group ("ekonomisk förening") is one term with the group's key;
    its words are kept as `parts`, which match only partly ("förening" alone is not the phrase).
    """

    keys: tuple[str, ...]
    parts: tuple[str, ...] = ()
    light: bool = False  # an everyday word that never counts as much as a rare one
    # How common the word is in general Swedish or English (Zipf scale, 0 = not in the word lists): tells an
    # everyday word the FAQ happens not to use ("kompis") from a word of some other field ("bygglov").
    frequency: float = field(default=0.0, compare=False)
    word: str = field(default="", compare=False)  # a plain word as typed (lower case); "" for a synonym phrase

    @property
    def primary(self) -> str:
        return self.keys[0]


class Synonyms:
    """Equivalence groups of words and phrases, matched on stems so inflected forms are found too.

    Built from Knowledge.synonyms (term -> expansions). Every term and its expansions form one
    group; groups that share a member are merged, so chains (WISE -> ASF -> arbetsintegrerande
    socialt företag) need no particular direction in the data.
    """

    def __init__(self, mapping: Mapping[str, Iterable[str]], lang: Lang) -> None:
        parent: dict[tuple[str, ...], tuple[str, ...]] = {}

        def find(x: tuple[str, ...]) -> tuple[str, ...]:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        # A one-word member written with å/ä/ö -> its stems as written: "län" (county) folds to the stem of "lån"
        # (loan) but is no member of its group.
        self.spelt: dict[str, set[str]] = {}
        for term, expansions in mapping.items():
            for text in (term, *expansions):
                words = lower_words(text)
                if len(words) == 1 and fold_word(words[0]) != words[0]:
                    self.spelt.setdefault(stem(words[0], lang), set()).add(_stemmer(lang).stemWord(words[0]))
            head = self._stems(term, lang)
            if not head:
                continue
            for expansion in expansions:
                other = self._stems(expansion, lang)
                if other:
                    a, b = find(head), find(other)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
            find(head)
        groups: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for member in parent:
            groups.setdefault(find(member), []).append(member)
        self.phrases: dict[tuple[str, ...], str] = {}
        for members in groups.values():
            # The group key names the shortest single-word member when there is one (readable in debugging).
            name = min(members, key=lambda m: (len(m), len(" ".join(m)), m))
            key = GROUP + "_".join(name)
            for member in members:
                self.phrases[member] = key
        # first stem -> the lengths of the phrases starting with it, longest first
        self.sizes: dict[str, list[int]] = {}
        for member in self.phrases:
            self.sizes.setdefault(member[0], []).append(len(member))
        for sizes in self.sizes.values():
            sizes.sort(reverse=True)

    @staticmethod
    def _stems(text: str, lang: Lang) -> tuple[str, ...]:
        return tuple(stem(w, lang) for w in lower_words(text))

    def spelt_as(self, stemmed: str, word: str, lang: Lang) -> bool:
        """Whether a word may be the one-word member with its stem: typed without å/ä/ö it may; written with them,
        only if a member is written so ("lån", not "län")."""
        spellings = self.spelt.get(stemmed)
        return not spellings or fold_word(word) == word or _stemmer(lang).stemWord(word) in spellings

    def group_of(self, text: str, lang: Lang) -> str | None:
        return self.phrases.get(self._stems(text, lang))


class Analyzer:
    """Turns a text into Terms for one language: fold, drop stop words, stem, attach synonym groups."""

    def __init__(self, lang: Lang, synonyms: Mapping[str, Iterable[str]] | None = None,
                 stop: frozenset[str] | None = None) -> None:
        self.lang: Lang = lang
        self.stop = stopwords()[lang] if stop is None else stop
        self.light = light_words()[lang]
        self.idioms = idioms()[lang]
        self.synonyms = Synonyms(synonyms or {}, lang)

    def terms(self, text: str) -> list[Term]:
        """The Terms of a text, in order. Stop words go, except inside a synonym phrase ("ek. för.")."""
        words = lower_words(text)
        folded = [fold_word(w) for w in words]
        if self.idioms:
            words, folded = self._without_idioms(words, folded)
        stems = [stem(w, self.lang) for w in words]
        result: list[Term] = []
        i = 0
        phrases = self.synonyms.phrases
        sizes = self.synonyms.sizes
        while i < len(words):
            for size in sizes.get(stems[i], ()):
                group = phrases.get(tuple(stems[i : i + size])) if i + size <= len(words) else None
                if group is not None and size == 1 and not self.synonyms.spelt_as(stems[i], words[i], self.lang):
                    continue
                if group is not None:
                    # A phrase is as common as its rarest word ("europeiska socialfonden": "socialfonden").
                    frequency = min(general_frequency(w) for w in words[i : i + size])
                    if size == 1:
                        # As written too ("~lån"), so that "län" (county), folded the same, is another word.
                        keys = (*self._keys(words[i], stems[i], folded[i]), group)
                        result.append(Term(keys, frequency=frequency, word=words[i]))
                    else:
                        parts = tuple(st for st, f in zip(stems[i : i + size], folded[i : i + size])
                                      if f not in self.stop and len(f) > 1)
                        result.append(Term((group,), parts, frequency=frequency))
                    i += size
                    break
            else:
                if folded[i] not in self.stop and len(folded[i]) > 1:
                    result.append(Term(self._keys(words[i], stems[i], folded[i]), light=folded[i] in self.light,
                                       frequency=general_frequency(words[i]), word=words[i]))
                i += 1
        return result

    def _without_idioms(self, words: tuple[str, ...], folded: list[str]) -> tuple[tuple[str, ...], list[str]]:
        """The words with every idiom taken out ("vad betyder det i praktiken" -> "vad betyder det")."""
        keep = [True] * len(words)
        for i, first in enumerate(folded):
            for idiom in self.idioms.get(first, ()):
                if tuple(folded[i:i + len(idiom)]) == idiom:
                    keep[i:i + len(idiom)] = [False] * len(idiom)
                    break
        if all(keep):
            return words, folded
        return tuple(w for w, k in zip(words, keep) if k), [f for f, k in zip(folded, keep) if k]

    def folded_key(self, written: str) -> str:
        """The plain key of a key as written ("~lån" -> "lan")."""
        return fold_word(written.removeprefix(WRITTEN))

    def _keys(self, word: str, stemmed: str, folded: str) -> tuple[str, ...]:
        """The folded stem; for a word written with å/ä/ö also the stem of it typed without them, if
        different, and the stem as written, marked with WRITTEN.

        The stemmer reads suffixes better with the letters as written ("leverantör" -> leverantor),
        but someone typing "leverantor" gets "leverant": both keys, so either spelling matches. The
        stem as written tells "lån" from "län" when both the question and the FAQ spell them out.
        """
        if word == folded:
            return (stemmed,)
        plain = stem(folded, self.lang)
        written = WRITTEN + _stemmer(self.lang).stemWord(word)
        return (stemmed, written) if plain == stemmed else (stemmed, plain, written)

    def keys(self, text: str) -> list[str]:
        """Every key of every Term, flattened (handy for tests and for building indexes)."""
        return [k for t in self.terms(text) for k in t.keys]


# --- phrase spotting (intents, routing frames, names) -------------------------------------------------


@dataclass(frozen=True)
class PhraseHit:
    label: str  # what the phrase stands for, e.g. an intent name
    lang: Lang
    start: int  # token positions [start, end) in the folded text
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


def same_word(typed: str, known: str) -> bool:
    """Equal, or one typo (OSA) away when both words are long enough for a typo to be unambiguous."""
    if typed == known:
        return True
    return min(len(typed), len(known)) >= 5 and OSA.distance(typed, known, score_cutoff=1) <= 1


class PhraseFinder:
    """Finds labelled phrases (as whole folded words, one typo per long word) in a text's tokens."""

    def __init__(self, phrases: Iterable[tuple[str, Lang, str]]) -> None:
        self.by_first: dict[str, list[tuple[str, Lang, tuple[str, ...]]]] = {}
        for label, lang, phrase in phrases:
            words = tuple(tokens(phrase))
            if words:
                self.by_first.setdefault(words[0], []).append((label, lang, words))
        self.firsts = [w for w in self.by_first if len(w) >= 5]  # those a typo may stand for

    def find(self, words: list[str]) -> list[PhraseHit]:
        """Every occurrence of every phrase, longest first."""
        hits = []
        for start, word in enumerate(words):
            firsts = [word] if word in self.by_first else []
            if len(word) >= 5:
                firsts += [f for f, _, _ in process.extract(word, self.firsts, scorer=OSA.distance,
                                                             score_cutoff=1, limit=None) if f != word]
            for first in firsts:
                for label, lang, phrase in self.by_first[first]:
                    end = start + len(phrase)
                    if end <= len(words) and all(same_word(words[start + k], phrase[k]) for k in range(1, len(phrase))):
                        hits.append(PhraseHit(label, lang, start, end))
        hits.sort(key=lambda h: (-h.size, h.start))
        return hits
