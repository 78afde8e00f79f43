"""Sweden's municipalities, and which one a founder's short typed answer names.

"norrkoping", "Norrköpings kommun", "vi finns i norrköping" and "nkpg" all become Norrköping (0581), so the
bot stores the official spelling; "vet inte", "2" or "hoppa över" name none. `get_municipality` finds the
stored one again by code or name, with its official name, region, website and samordningsförbund where known.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from rapidfuzz import process
from rapidfuzz.distance import OSA
from ruamel.yaml import YAML

from .model import Authority, Problem
from .text import fold_word, light_words, lower_words, stopwords, tokens

MUNICIPALITIES_FILE = Path(__file__).parent / "data" / "municipalities.yaml"

# Words before a place that say "this is where": "i Malmö", "from Lund".
_PLACE_CUES = frozenset({"i", "fran", "vid", "nara", "utanfor", "kring", "in", "from", "at", "near", "outside"})
# Words after a name that make it the municipality: "Norrköpings kommun", "Göteborgs stad".
_SUFFIXES = frozenset({"kommun", "kommunen", "stad", "municipality"})
# Words that may surround a name in an answer without naming another place ("Lund, Skåne län", "Malmö tror jag").
_FILLER = frozenset({"lan", "lanet", "county", "region", "tror", "troligen", "kanske", "bor", "sitter", "ligger",
                     "jobbar", "based", "located", "live", "city", "kommer", "finns"})
# Words after a name that make it the county, not the municipality: "Kalmar län".
_COUNTY_WORDS = frozenset({"lan", "lanet", "county"})
# A negation makes a bare name unsafe to take ("inte Stockholm"): such words never count as filler.
_NEGATIONS = frozenset({"inte", "ej", "icke", "aldrig", "nej", "not", "no", "never"})
# One typo is tolerated from six letters on, two from ten: shorter names are too close to everyday words.
_ONE_TYPO_FROM = 6
_TWO_TYPOS_FROM = 10


MUNICIPALITY_COUNT = 290
# Genitives that are not the name itself: Falun's municipality is "Falu kommun".
_GENITIVE_STEMS = {"Falun": "Falu"}
_FIELDS = ("code", "name", "official", "county", "region", "website", "samordningsforbund")
_REQUIRED = ("code", "name", "official", "county", "region")


@dataclass(frozen=True)
class Municipality:
    """One of Sweden's municipalities: its kommunkod, its name as SCB writes it, its county (län), and where the
    data file has them its official name, its county's region, its website and its local samordningsförbund.
    Two municipalities are the same when code, name, county and aliases are."""

    code: str
    name: str
    county: str
    aliases: tuple[str, ...] = ()
    official: str | None = field(default=None, compare=False)  # "Norrköpings kommun", "Göteborgs stad"
    region: str | None = field(default=None, compare=False)  # "Region Östergötland"
    website: str | None = field(default=None, compare=False)  # "https://www.norrkoping.se"; None where not verified
    samordningsforbund: str | None = field(default=None, compare=False)


@lru_cache(maxsize=4)
def load_municipalities(path: Path = MUNICIPALITIES_FILE) -> tuple[Municipality, ...]:
    """The municipalities listed in `path`, in file order; ValueError if a code is not four digits or a code,
    name or spelling (name or alias, as written) belongs to two municipalities."""
    data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8")) or {}
    municipalities = tuple(
        Municipality(code=str(item["code"]), name=str(item["name"]), county=str(item["county"]),
                     aliases=tuple(str(a) for a in item.get("aliases") or ()),
                     official=_optional(item, "official"), region=_optional(item, "region"),
                     website=_optional(item, "website"), samordningsforbund=_optional(item, "samordningsforbund"))
        for item in data.get("municipalities") or ()
    )
    for m in municipalities:
        if len(m.code) != 4 or not m.code.isdigit():
            raise ValueError(f"{m.name}: municipality code {m.code!r} is not four digits")
    for what, values in (("code", [m.code for m in municipalities]), ("name", [m.name for m in municipalities])):
        repeated = sorted(v for v, count in Counter(values).items() if count > 1)
        if repeated:
            raise ValueError(f"municipality {what}s listed twice: {', '.join(repeated)}")
    _index(municipalities)  # raises if two municipalities share a spelling
    return municipalities


def _optional(item: dict, key: str) -> str | None:
    value = item.get(key)
    return str(value) if value is not None else None


def get_municipality(code_or_name: str, municipalities: tuple[Municipality, ...] | None = None) -> Municipality | None:
    """The municipality with this code ("0581"), stored name ("Norrköping") or official name ("Norrköpings
    kommun"), in any case; None for anything else. Unlike find_municipality it reads no typos or phrases."""
    key = code_or_name.strip().casefold()
    return _by_key(municipalities if municipalities is not None else load_municipalities()).get(key)


@lru_cache(maxsize=4)
def _by_key(municipalities: tuple[Municipality, ...]) -> dict[str, Municipality]:
    keys: dict[str, Municipality] = {}
    for m in municipalities:
        for key in (m.code, m.name, m.official):
            if key:
                keys.setdefault(key.casefold(), m)
    return keys


def check_municipalities(data: Any, file: str, locate: Callable[[Any], str] | None = None) -> list[Problem]:
    """Every problem in a parsed municipalities file, for `faq check`: the list and its required fields, 290
    entries, unique codes and names, one region per county, https websites with a host, and an official name that
    contains the name. Entries are named by code; `locate` says where an entry is written (default: `file`)."""
    items = data.get("municipalities") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return [Problem(file, None, "municipalities", "expected_list", {"key": "municipalities"})]
    problems: list[Problem] = []
    if len(items) != MUNICIPALITY_COUNT:
        problems.append(Problem(file, None, "municipalities", "municipality_count",
                                {"count": str(len(items)), "expected": str(MUNICIPALITY_COUNT)}))
    first_with: dict[tuple[str, str], tuple[int, str]] = {}  # ("code" | "name", value) -> (index, "0581 Norrköping")
    region_of: dict[str, tuple[str, str]] = {}  # county -> (its region, the entry that said so first)
    for index, item in enumerate(items):
        where = locate(item) if locate else file
        if not isinstance(item, dict):
            problems.append(Problem(where, f"#{index + 1}", None, "invalid_value", {"detail": repr(item)}))
            continue
        value = {key: str(item[key]) if item.get(key) is not None else "" for key in _FIELDS}
        code, name, official, county, region = (value[k] for k in ("code", "name", "official", "county", "region"))
        entry = code or f"#{index + 1}"
        problems += [Problem(where, entry, key, "missing_field", {"field": key}) for key in _REQUIRED if not value[key]]
        if code and not (len(code) == 4 and code.isdigit()):
            problems.append(Problem(where, entry, "code", "municipality_bad_code", {"value": code}))
        for key in ("code", "name"):
            first, other = first_with.setdefault((key, value[key]), (index, f"{code} {name}"))
            if value[key] and first != index:
                problems.append(Problem(where, entry, key, "municipality_repeated",
                                        {"value": value[key], "other": other}))
        if county and region:
            county_region, other = region_of.setdefault(county, (region, entry))
            if region != county_region:
                problems.append(Problem(where, entry, "region", "municipality_region_mismatch",
                                        {"county": county, "region": region, "expected": county_region,
                                         "other": other}))
        if "website" in item and not _is_https_site(item["website"]):
            problems.append(Problem(where, entry, "website", "municipality_bad_website", {"value": value["website"]}))
        if name and official and _GENITIVE_STEMS.get(name, name) not in official:
            problems.append(Problem(where, entry, "official", "municipality_official_name",
                                    {"official": official, "name": name}))
    return problems


def check_municipal_authorities(authorities: Iterable[Authority], file: str,
                                municipalities: tuple[Municipality, ...] | None = None) -> list[Problem]:
    """Authorities of one municipality (parent `kommun`) whose `municipality` is not a name of the directory as
    written there, for `faq check`: the answers for a founder from there would never find them (bot/answers.py)."""
    problems = []
    for a in authorities:
        if a.parent != "kommun":
            continue
        found = get_municipality(a.municipality or "", municipalities)
        if found is None or found.name != a.municipality:
            problems.append(Problem(file, a.id, "municipality", "unknown_municipality", {"name": a.municipality or ""}))
    return problems


def _is_https_site(website: Any) -> bool:
    """An https address with a host name: "https://www.norrkoping.se" yes, "http://…", "www.x.se", "https://" no."""
    if not isinstance(website, str) or not website or any(c.isspace() for c in website):
        return False
    try:
        parts = urlsplit(website)
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme == "https" and "." in host.strip(".") and not parts.username


def find_municipality(text: str, municipalities: tuple[Municipality, ...]) -> Municipality | None:
    """The one municipality a short typed answer names, or None when it names none or several.

    Case and diacritics do not matter (except that "habo" may be Håbo or Habo, so it names neither); a
    "kommun"/"s kommun"/"stad" suffix, a well-known alias, a typo in a longer name and a name inside a short
    phrase ("vi finns i Malmö") are understood. A county ("Kalmar län") is not a municipality.
    """
    words = _words(text)
    if not words:
        return None
    index = _index(municipalities)
    return _whole_answer(words, index) or _named_in_phrase(words, index)


# A founder saying where they live or work: "jag bor i Norrköping", "vi finns i Botkyrka", "I live in Uppsala",
# "min kommun är Lund". Only such a statement: "ett café i Malmö" says where a café is, not who the founder is.
_HOME_STATED = re.compile(
    r"\b(?:jag|vi)\s+(?:bor|finns|är|ar|ligger|håller\s+till|haller\s+till)\s+i\s+(?P<sv>[^,.;:!?]+)"
    r"|\b(?:i|we)\s*(?:live|am|'m|are|'re)(?:\s+based)?\s+in\s+(?P<en>[^,.;:!?]+)"
    r"|\b(?:min|mitt|vår|var)\s+kommun\s+(?:är|ar)\s+(?P<own>[^,.;:!?]+)"
    r"|\b(?:my|our)\s+municipality\s+is\s+(?P<my>[^,.;:!?]+)",
    re.IGNORECASE)
_STATED_WORDS = 3  # a municipality's name has at most this many words ("Upplands Väsby", "Lilla Edets kommun")


def stated_home(text: str, municipalities: tuple[Municipality, ...]) -> Municipality | None:
    """The municipality a message says the founder lives or works in ("vi finns i Botkyrka och undrar ..."), or
    None. The words right after the statement must be the name, alone ("i Malmö", "i Upplands Väsby kommun")."""
    for found in _HOME_STATED.finditer(text):
        words = next(g for g in found.groups() if g).split()
        for n in range(min(_STATED_WORDS, len(words)), 0, -1):
            named = municipality_alone(" ".join(words[:n]), municipalities)
            if named is not None:
                return named
    return None


def municipality_alone(text: str, municipalities: tuple[Municipality, ...]) -> Municipality | None:
    """The municipality when the whole of `text` is its name ("Norrköping", "norrkoping", "i Malmö",
    "Botkyrka kommun"); None for a phrase that only mentions one ("ett café i Malmö")."""
    words = _words(text)
    return _whole_answer(words, _index(municipalities)) if words else None


# --- the index ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    # Spellings, with and without spaces ("upplands väsby", "upplandsväsby"): as written (lower case, å/ä/ö kept)
    # and folded; a folded spelling two municipalities share ("habo": Håbo and Habo) lists both.
    written: dict[str, Municipality]
    folded: dict[str, tuple[Municipality, ...]]
    keys: tuple[str, ...]  # the folded spellings, one per municipality they spell, for typo search
    owners: tuple[Municipality, ...]  # owners[i] is the municipality keys[i] spells
    longest: int  # words in the longest spelling
    everyday: frozenset[str]  # words that are no place in a sentence, even when spelled like one ("vara")
    filler: frozenset[str]  # words that may stand beside a name without naming another place


@lru_cache(maxsize=4)  # built once per list of municipalities
def _index(municipalities: tuple[Municipality, ...]) -> _Index:
    written: dict[str, Municipality] = {}
    folded: dict[str, tuple[Municipality, ...]] = {}
    for m in municipalities:
        for spelling in (m.name, *m.aliases):
            words = lower_words(spelling)
            for key in {" ".join(words), "".join(words)}:
                other = written.setdefault(key, m)
                if other is not m:
                    raise ValueError(f"{other.name} and {m.name} are both spelled {key!r}")
            words = tuple(fold_word(w) for w in words)
            for key in {" ".join(words), "".join(words)}:
                if m not in folded.get(key, ()):
                    folded[key] = (*folded.get(key, ()), m)
    pairs = [(key, m) for key, owners in folded.items() for m in owners]
    counties = {w for m in municipalities for w in tokens(m.county)}
    counties |= {w[:-1] for w in counties if w.endswith("s")}  # "Stockholms län" -> "stockholm"
    everyday = frozenset().union(*stopwords().values(), *light_words().values(), _FILLER, _PLACE_CUES,
                                 _SUFFIXES) - _NEGATIONS
    return _Index(written=written, folded=folded, keys=tuple(k for k, _ in pairs), owners=tuple(m for _, m in pairs),
                  longest=max((k.count(" ") + 1 for k in folded), default=1), everyday=everyday,
                  filler=everyday | counties)


def _words(text: str) -> list[str]:
    """Lower-case words as typed, a glued "kommun" split off: "norrköpingskommun" -> "norrköpings", "kommun"."""
    words: list[str] = []
    for word in lower_words(text):
        if fold_word(word).endswith("kommun") and len(word) > len("kommun"):
            words += [word[: -len("kommun")], "kommun"]
        else:
            words.append(word)
    return words


def _named(words: list[str], index: _Index) -> tuple[Municipality, ...]:
    """The municipalities these words spell: one, none, or two when only diacritics would tell them apart."""
    if not all(w.isascii() for w in words):  # "habo" may be Håbo typed without å; "håbo" is not Habo
        for key in (" ".join(words), "".join(words)):
            if key in index.written:
                return (index.written[key],)
    folded = [fold_word(w) for w in words]
    for key in (" ".join(folded), "".join(folded)):
        if key in index.folded:
            return index.folded[key]
    return ()


# --- reading an answer ----------------------------------------------------------------------------------


def _whole_answer(words: list[str], index: _Index) -> Municipality | None:
    """The municipality the whole answer spells, give or take a cue before, a suffix after and a typo."""
    start, end = 0, len(words)
    while start < end and fold_word(words[start]) in _PLACE_CUES:
        start += 1
    while end > start and fold_word(words[end - 1]) in _SUFFIXES:
        end -= 1
    core = words[start:end]
    if not core:
        return None
    found = _named(core, index)
    if not found and end < len(words) and core[-1].endswith("s"):  # "Norrköpings kommun"; "Borås kommun" found
        found = _named([*core[:-1], core[-1][:-1]], index)
    if found:
        return found[0] if len(found) == 1 else None
    if len(core) > index.longest:  # a sentence is no misspelt name; _named_in_phrase reads it
        return None
    folded = [fold_word(w) for w in core]
    return _closest([" ".join(folded), "".join(folded)], index)


def _named_in_phrase(words: list[str], index: _Index) -> Municipality | None:
    """The one municipality named inside a short phrase: after "i"/"from", before "kommun", or among filler."""
    folded = [fold_word(w) for w in words]
    spans: list[tuple[int, int, tuple[Municipality, ...]]] = []
    i = 0
    while i < len(words):
        for n in range(min(index.longest, len(words) - i), 0, -1):
            found = _spelled(words, i, n, index)
            if found and i + n < len(words) and folded[i + n] in _COUNTY_WORDS:
                found = ()  # "Kalmar län" names a county of twelve municipalities
            if found:
                spans.append((i, i + n, found))
                i += n - 1
                break
        i += 1
    taken: set[Municipality] = set()
    doubtful: set[Municipality] = set()
    for start, end, found in spans:
        rest = folded[:start] + folded[end:]
        cued = (start > 0 and folded[start - 1] in _PLACE_CUES) or (end < len(words) and folded[end] in _SUFFIXES)
        if len(found) == 1 and (cued or all(w in index.filler for w in rest)):
            taken.add(found[0])
        elif " ".join(folded[start:end]) not in index.everyday:  # "vara" in "vi ska vara i Lund" is a verb
            doubtful.update(found)
    if len(taken) == 1 and not doubtful - taken:
        return next(iter(taken))
    if taken or doubtful:
        return None
    # A typo right after a cue: "vi finns i norrkopnig".
    typed = [" ".join(folded[i + 1: i + 1 + n]) for i, w in enumerate(folded) if w in _PLACE_CUES
             for n in range(1, min(index.longest, len(words) - i - 1) + 1)]
    return _closest(typed, index)


def _spelled(words: list[str], start: int, n: int, index: _Index) -> tuple[Municipality, ...]:
    found = _named(words[start: start + n], index)
    last = words[start + n - 1]
    if not found and start + n < len(words) and fold_word(words[start + n]) in _SUFFIXES and last.endswith("s"):
        found = _named([*words[start: start + n - 1], last[:-1]], index)
    return found


def _typos_allowed(spelling: str) -> int:
    letters = len(spelling.replace(" ", ""))
    return 2 if letters >= _TWO_TYPOS_FROM else 1 if letters >= _ONE_TYPO_FROM else 0


def _closest(spellings: list[str], index: _Index) -> Municipality | None:
    """The one municipality nearest to any of `spellings` within the typos both lengths allow, else None."""
    best: dict[Municipality, int] = {}
    for spelling in spellings:
        allowed = _typos_allowed(spelling)
        if not allowed or spelling in index.filler:  # "götaland" is a region, not a typo of Gotland
            continue
        for _key, distance, i in process.extract(spelling, index.keys, scorer=OSA.distance,
                                                 score_cutoff=allowed, limit=None):
            if distance <= _typos_allowed(index.keys[i]):
                owner = index.owners[i]
                best[owner] = min(distance, best.get(owner, distance))
    if not best:
        return None
    nearest = min(best.values())
    winners = [m for m, d in best.items() if d == nearest]
    return winners[0] if len(winners) == 1 else None
