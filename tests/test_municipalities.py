"""Sweden's municipalities as data, and reading a founder's typed municipality in its official spelling."""

from __future__ import annotations

from collections import defaultdict

import pytest

from knowledge.municipalities import Municipality, find_municipality, load_municipalities, stated_home
from knowledge.text import fold

MUNICIPALITIES = load_municipalities()
BY_NAME = {m.name: m for m in MUNICIPALITIES}
# Håbo (0305) and Habo (0643) fold to the same letters: only "å" tells them apart.
FOLDED_TWINS = {"Håbo", "Habo"}


def named(text: str) -> str | None:
    found = find_municipality(text, MUNICIPALITIES)
    return found.name if found else None


# --- the data -------------------------------------------------------------------------------------------


def test_290_municipalities_with_unique_codes_and_names_in_21_counties():
    assert len(MUNICIPALITIES) == 290
    assert len({m.code for m in MUNICIPALITIES}) == 290
    assert len({m.name for m in MUNICIPALITIES}) == 290
    assert len({m.county for m in MUNICIPALITIES}) == 21
    assert all(len(m.code) == 4 and m.code.isdigit() for m in MUNICIPALITIES)
    assert all(m.county.endswith(" län") for m in MUNICIPALITIES)


def test_the_first_two_digits_of_a_code_are_its_county():
    counties_by_prefix: dict[str, set[str]] = defaultdict(set)
    for m in MUNICIPALITIES:
        counties_by_prefix[m.code[:2]].add(m.county)
    assert len(counties_by_prefix) == 21
    assert all(len(counties) == 1 for counties in counties_by_prefix.values())


@pytest.mark.parametrize(
    "code, name, county",
    [
        ("0180", "Stockholm", "Stockholms län"),
        ("0581", "Norrköping", "Östergötlands län"),
        ("1480", "Göteborg", "Västra Götalands län"),
        ("1280", "Malmö", "Skåne län"),
        ("0380", "Uppsala", "Uppsala län"),
        ("2584", "Kiruna", "Norrbottens län"),
        ("0980", "Gotland", "Gotlands län"),
        ("0114", "Upplands Väsby", "Stockholms län"),
        ("2023", "Malung-Sälen", "Dalarnas län"),
        ("1438", "Dals-Ed", "Västra Götalands län"),
        ("0305", "Håbo", "Uppsala län"),
        ("0643", "Habo", "Jönköpings län"),
    ],
)
def test_known_municipalities(code, name, county):
    assert BY_NAME[name] == Municipality(code, name, county, BY_NAME[name].aliases)


def test_names_are_written_without_kommun():
    assert not [m.name for m in MUNICIPALITIES if "kommun" in m.name.lower() or m.name.startswith("Region")]


def test_no_name_is_another_name_plus_s():
    # "Norrköpings kommun" is read as Norrköping by dropping the s; that must never land on another municipality.
    folded = {fold(m.name) for m in MUNICIPALITIES}
    assert not [n for n in folded if n + "s" in folded]


def test_loading_rejects_repeated_codes_names_and_spellings(tmp_path):
    def load(items: str):
        path = tmp_path / f"m{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text("municipalities:\n" + items, encoding="utf-8")
        return load_municipalities(path)

    one = '  - {code: "0581", name: "Norrköping", county: "Östergötlands län", aliases: ["nkpg"]}\n'
    assert load(one) == (Municipality("0581", "Norrköping", "Östergötlands län", ("nkpg",)),)
    with pytest.raises(ValueError, match="0581"):
        load(one + '  - {code: "0581", name: "Linköping", county: "Östergötlands län"}\n')
    with pytest.raises(ValueError, match="Norrköping"):
        load(one + '  - {code: "0580", name: "Norrköping", county: "Östergötlands län"}\n')
    with pytest.raises(ValueError, match="nkpg"):
        load(one + '  - {code: "0580", name: "Linköping", county: "Östergötlands län", aliases: ["NKPG"]}\n')
    with pytest.raises(ValueError, match="four digits"):
        load('  - {code: 581, name: "Norrköping", county: "Östergötlands län"}\n')


# --- reading a typed answer -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, name",
    [
        ("norrkoping", "Norrköping"),
        ("NORRKÖPING", "Norrköping"),
        ("gbg", "Göteborg"),
        ("göteborg", "Göteborg"),
        ("goteborg", "Göteborg"),
        ("Gothenburg", "Göteborg"),
        ("sthlm", "Stockholm"),
        ("nkpg", "Norrköping"),
        ("hbg", "Helsingborg"),
        ("jkpg", "Jönköping"),
        ("lkpg", "Linköping"),
        ("upplands väsby", "Upplands Väsby"),
        ("Upplands Vasby", "Upplands Väsby"),
        ("UpplandsVäsby", "Upplands Väsby"),
        ("upplands bro", "Upplands-Bro"),
        ("malung salen", "Malung-Sälen"),
        ("dals ed", "Dals-Ed"),
        ("Region Gotland", "Gotland"),
        ("Gotlands kommun", "Gotland"),
        ("Håbo", "Håbo"),
        ("vara", "Vara"),
    ],
)
def test_a_name_or_alias_in_any_case_and_without_diacritics(typed, name):
    assert named(typed) == name


@pytest.mark.parametrize(
    "typed, name",
    [
        ("Norrköpings kommun", "Norrköping"),
        ("norrkopings kommun", "Norrköping"),
        ("norrköpingskommun", "Norrköping"),
        ("Norrköping kommun", "Norrköping"),
        ("Mönsterås kommun", "Mönsterås"),
        ("Vännäs kommun", "Vännäs"),
        ("Borås kommun", "Borås"),
        ("Borås stad", "Borås"),
        ("Göteborgs stad", "Göteborg"),
        ("Stockholms stad", "Stockholm"),
        ("Lunds kommun", "Lund"),
        ("Upplands Väsby kommun", "Upplands Väsby"),
    ],
)
def test_with_a_kommun_or_stad_suffix(typed, name):
    assert named(typed) == name


@pytest.mark.parametrize(
    "typed, name",
    [
        ("norrkopnig", "Norrköping"),
        ("Norrköpin", "Norrköping"),
        ("goteborgg", "Göteborg"),
        ("gothenberg", "Göteborg"),
        ("upplands vasbi", "Upplands Väsby"),
        ("vetlnada", "Vetlanda"),
        ("ornskoldsvk", "Örnsköldsvik"),
        ("Skelleftea", "Skellefteå"),
        ("Sollentunna", "Sollentuna"),
    ],
)
def test_a_typo_in_a_longer_name(typed, name):
    assert named(typed) == name


@pytest.mark.parametrize(
    "typed, name",
    [
        ("i norrköping", "Norrköping"),
        ("vi finns i Malmö", "Malmö"),
        ("Vi finns i Norrköpings kommun", "Norrköping"),
        ("vi finns i norrkopnig", "Norrköping"),
        ("vi ska vara i Lund", "Lund"),
        ("malmö tror jag", "Malmö"),
        ("Lund i Skåne", "Lund"),
        ("Lund, Skåne län", "Lund"),
        ("Solna, Stockholms län", "Solna"),
        ("Norrköping, Östergötland", "Norrköping"),
        ("I live in Uppsala", "Uppsala"),
        ("We are based in Gothenburg", "Göteborg"),
        ("from Umeå", "Umeå"),
    ],
)
def test_a_name_inside_a_short_phrase(typed, name):
    assert named(typed) == name


@pytest.mark.parametrize(
    "typed",
    [
        "vet inte", "2", "6", "hoppa over", "hoppa över", "ja", "nej", "japp", "okej", "absolut", "yes", "no", "ok",
        "nästa", "tillbaka", "klar", "klart", "avbryt", "börja om", "checklista", "next", "back", "skip", "done",
        "cancel", "kommun", "hej", "", "   ", "?", "jag vill starta ett café", "1' OR '1'='1",
        "<script>alert(1)</script>", "Sal", "Lunds",
    ],
)
def test_an_unrelated_answer_names_no_municipality(typed):
    assert named(typed) is None


@pytest.mark.parametrize(
    "typed",
    [
        "Malmö och Lund",  # two municipalities
        "i Malmö eller Lund",
        "Malmö och Stockholm",
        "vi sitter i Stockholm men jobbar i Uppsala",
        "vi har köpt mark i Lund",  # Mark is a municipality too; which one is meant is not certain
        "Kalmar län",  # a county, not its municipality
        "Uppsala län",
        "Stockholms län",
        "Götaland",  # a part of the country, not a typo of Gotland
        "Västra Götaland",
        "inte Stockholm",
        "habo",  # Håbo or Habo typed without å
        "Habo",
    ],
)
def test_an_ambiguous_answer_names_none(typed):
    assert named(typed) is None


@pytest.mark.parametrize("m", MUNICIPALITIES, ids=lambda m: m.code)
def test_every_municipality_is_found_however_it_is_written(m):
    genitive = m.name if m.name[-1] in "sxz" else m.name + "s"
    written = [m.name, m.name.upper(), f"{genitive} kommun", f"{m.name} kommun", f"vi finns i {m.name}"]
    as_written = None if m.name in FOLDED_TWINS and m.name.isascii() else m.name  # "Habo" may be Håbo without å
    assert [named(text) for text in written] == [as_written] * len(written)
    without_diacritics = None if m.name in FOLDED_TWINS else m.name
    assert [named(fold(m.name)), named(f"i {fold(genitive)} kommun")] == [without_diacritics] * 2


@pytest.mark.parametrize("m", [m for m in MUNICIPALITIES if len(fold(m.name)) >= 7], ids=lambda m: m.code)
def test_every_longer_name_survives_two_letters_swapped(m):
    folded = fold(m.name)
    # the first two different letters from the middle on: "norrkoping" -> "norrkopnig"
    i = next(i for i in range(len(folded) // 2, len(folded))
             if folded[i - 1] != folded[i] and " " not in folded[i - 1: i + 1])
    swapped = folded[: i - 1] + folded[i] + folded[i - 1] + folded[i + 1:]
    assert named(swapped) == m.name


def test_works_over_any_list_given():
    mine = (Municipality("0581", "Norrköping", "Östergötlands län"), Municipality("1280", "Malmö", "Skåne län"))
    assert find_municipality("i malmo", mine) == mine[1]
    assert find_municipality("Göteborg", mine) is None


@pytest.mark.parametrize("text, expected", [
    ("jag bor i Norrköping", "Norrköping"),
    ("vi finns i botkyrka och undrar om lönebidrag", "Botkyrka"),
    ("Vi håller till i Upplands Väsby kommun, hur gör vi?", "Upplands Väsby"),
    ("I live in Uppsala", "Uppsala"),
    ("we're based in Malmo", "Malmö"),
    ("min kommun är Lund", "Lund"),
    ("jag bor i norrkopnig", "Norrköping"),  # a typo
    ("vi vill starta ett café i Malmö", None),  # where a café is, not where the founder lives
    ("jag bor i en lägenhet", None),
    ("vi är i startfasen", None),
    ("I am in doubt", None),
])
def test_a_statement_of_where_one_lives_names_the_municipality(text, expected):
    found = stated_home(text, MUNICIPALITIES)
    assert (found.name if found else None) == expected
