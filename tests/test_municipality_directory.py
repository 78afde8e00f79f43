"""The municipality directory: official names, regions, websites and samordningsförbund as data, found again by
code or name, and checked by `dukat-bord faq check`."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.catalogue import Catalogue
from knowledge.loader import check_knowledge
from knowledge.municipalities import (
    MUNICIPALITIES_FILE,
    check_municipalities,
    get_municipality,
    load_municipalities,
)

ROOT = Path(__file__).resolve().parents[1]
MUNICIPALITIES = load_municipalities()
BY_NAME = {m.name: m for m in MUNICIPALITIES}
DATA = YAML(typ="safe").load(MUNICIPALITIES_FILE.read_text(encoding="utf-8"))


# --- the data -------------------------------------------------------------------------------------------


def test_every_municipality_has_an_official_name_and_its_countys_one_region():
    regions: dict[str, set[str]] = defaultdict(set)
    for m in MUNICIPALITIES:
        assert m.official and m.region, m.name
        regions[m.county].add(m.region)
    assert len(regions) == 21
    assert all(len(names) == 1 for names in regions.values()), regions
    assert len({m.region for m in MUNICIPALITIES}) == 21


@pytest.mark.parametrize(
    "name, official, region, website",
    [
        ("Norrköping", "Norrköpings kommun", "Region Östergötland", "https://www.norrkoping.se"),
        ("Göteborg", "Göteborgs stad", "Västra Götalandsregionen", "https://goteborg.se"),
        ("Malmö", "Malmö stad", "Region Skåne", "https://malmo.se"),
        ("Stockholm", "Stockholms stad", "Region Stockholm", "https://www.stockholm.se"),
        ("Gotland", "Region Gotland", "Region Gotland", "https://www.gotland.se"),
        ("Falun", "Falu kommun", "Region Dalarna", "https://www.falun.se"),
        ("Orust", "Orust kommun", "Västra Götalandsregionen", "https://www.orust.se"),
        ("Håbo", "Håbo kommun", "Region Uppsala", "https://www.habo.se"),
        ("Habo", "Habo kommun", "Region Jönköpings län", "https://www.habokommun.se"),
        ("Eskilstuna", "Eskilstuna kommun", "Region Sörmland", "https://www.eskilstuna.se"),
        ("Västerås", "Västerås stad", "Region Västmanland", "https://www.vasteras.se"),
        ("Halmstad", "Halmstads kommun", "Region Halland", "https://www.halmstad.se"),
        ("Kiruna", "Kiruna kommun", "Region Norrbotten", None),  # three sources, three hosts: not verified
    ],
)
def test_known_entries(name, official, region, website):
    m = BY_NAME[name]
    assert (m.official, m.region, m.website) == (official, region, website)


def test_the_fourteen_that_call_themselves_stad():
    assert sorted(m.name for m in MUNICIPALITIES if m.official.endswith(" stad")) == sorted([
        "Borås", "Göteborg", "Haparanda", "Helsingborg", "Landskrona", "Lidingö", "Malmö", "Mölndal", "Solna",
        "Stockholm", "Sundbyberg", "Trollhättan", "Vaxholm", "Västerås"])


def test_websites_are_https_addresses_of_a_host_and_no_two_share_one():
    websites = [m.website for m in MUNICIPALITIES if m.website]
    assert all(re.fullmatch(r"https://[a-z0-9.-]+\.se", w) for w in websites), websites
    assert len(set(websites)) == len(websites)


def test_samordningsforbund_where_a_source_names_the_members():
    by_forbund: dict[str, set[str]] = defaultdict(set)
    for m in MUNICIPALITIES:
        if m.samordningsforbund:
            by_forbund[m.samordningsforbund].add(m.name)
    assert by_forbund["Samordningsförbundet Huddinge Botkyrka Salem"] == {"Huddinge", "Botkyrka", "Salem"}
    assert by_forbund["Samordningsförbundet Östra Södertörn"] == {"Haninge", "Nynäshamn", "Tyresö"}
    assert by_forbund["Samordningsförbund Gävleborg"] == {m.name for m in MUNICIPALITIES
                                                          if m.county == "Gävleborgs län"}
    assert BY_NAME["Norrköping"].samordningsforbund is None  # no source says which: left out


def test_the_file_header_tells_the_coverage_the_data_has():
    header = MUNICIPALITIES_FILE.read_text(encoding="utf-8").split("\nmunicipalities:")[0]
    for field in ("official", "region", "website", "samordningsforbund"):
        have = sum(1 for m in MUNICIPALITIES if getattr(m, field))
        assert re.search(rf"# {field} \({have} of 290[;)]", header), field


# --- finding one again ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["0581", "Norrköping", "norrköping", "Norrköpings kommun", " NORRKÖPINGS KOMMUN "])
def test_get_municipality_by_code_name_or_official_name(key):
    assert get_municipality(key) == BY_NAME["Norrköping"]


@pytest.mark.parametrize("key, name", [("Falu kommun", "Falun"), ("Region Gotland", "Gotland"),
                                       ("Göteborgs stad", "Göteborg"), ("0643", "Habo"), ("Håbo", "Håbo")])
def test_get_municipality_irregular_names(key, name):
    assert get_municipality(key).name == name


@pytest.mark.parametrize("key", ["", "0000", "norrkoping kommun", "Norrköpings län", "nkpg"])
def test_get_municipality_reads_no_guesses(key):
    assert get_municipality(key) is None


# --- the check ------------------------------------------------------------------------------------------


def entry(data: dict, code: str) -> dict:
    return next(item for item in data["municipalities"] if item["code"] == code)


def test_the_bundled_directory_has_no_problem():
    assert check_municipalities(DATA, "municipalities.yaml") == []


@pytest.mark.parametrize(
    "change, code, field, problem",
    [
        (lambda d: d["municipalities"].pop(), None, "municipalities", "municipality_count"),
        (lambda d: entry(d, "0580").update(code="0581"), "0581", "code", "municipality_repeated"),
        (lambda d: entry(d, "0580").update(name="Norrköping", official="Norrköpings kommun"), "0581", "name",
         "municipality_repeated"),
        (lambda d: entry(d, "0580").update(code="580"), "580", "code", "municipality_bad_code"),
        (lambda d: entry(d, "0580").update(region="Region Stockholm"), "0580", "region",
         "municipality_region_mismatch"),
        (lambda d: entry(d, "0581").update(website="http://www.norrkoping.se"), "0581", "website",
         "municipality_bad_website"),
        (lambda d: entry(d, "0581").update(website="www.norrkoping.se"), "0581", "website",
         "municipality_bad_website"),
        (lambda d: entry(d, "0581").update(website="https://"), "0581", "website", "municipality_bad_website"),
        (lambda d: entry(d, "0581").update(website=None), "0581", "website", "municipality_bad_website"),
        (lambda d: entry(d, "0581").update(official="Linköpings kommun"), "0581", "official",
         "municipality_official_name"),
        (lambda d: entry(d, "2080").update(official="Falun kommun"), None, None, None),  # contains the name: fine
        (lambda d: entry(d, "0581").pop("region"), "0581", "region", "missing_field"),
        (lambda d: entry(d, "0581").pop("official"), "0581", "official", "missing_field"),
        (lambda d: entry(d, "0581").pop("website"), None, None, None),  # a website may be left out
        (lambda d: d.pop("municipalities"), None, "municipalities", "expected_list"),
    ],
)
def test_each_broken_entry_gives_its_problem(change, code, field, problem):
    data = copy.deepcopy(DATA)
    change(data)
    problems = check_municipalities(data, "municipalities.yaml")
    if problem is None:
        assert problems == []
        return
    assert [(p.entry, p.field, p.code) for p in problems] == [(code, field, problem)], problems


def test_every_problem_the_check_gives_has_a_text_in_both_languages():
    catalogue = Catalogue.load()
    codes = {"municipality_count", "municipality_repeated", "municipality_bad_code", "municipality_region_mismatch",
             "municipality_bad_website", "municipality_official_name", "missing_field", "expected_list",
             "invalid_value"}
    for lang in ("sv", "en"):
        assert {f"problems.{code}" for code in codes} <= catalogue.keys(lang)


def break_copy(knowledge_copy: Path) -> Path:
    """Norrköping's website over http and Linköping in the wrong region, edited as a person would: in the text."""
    path = knowledge_copy / "municipalities.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('website: "https://www.norrkoping.se"', 'website: "http://www.norrkoping.se"')
    text = text.replace('name: "Linköping", official: "Linköpings kommun", county: "Östergötlands län", '
                        'region: "Region Östergötland"',
                        'name: "Linköping", official: "Linköpings kommun", county: "Östergötlands län", '
                        'region: "Region Stockholm"')
    assert text != path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, code: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if f'code: "{code}"' in line)


def test_check_knowledge_reports_a_broken_directory_at_its_lines(knowledge_copy):
    path = break_copy(knowledge_copy)
    knowledge, problems = check_knowledge(knowledge_copy)
    assert knowledge is None
    assert sorted((p.file, p.entry, p.field, p.code) for p in problems) == [
        (f"{path}:{line_of(path, '0580')}", "0580", "region", "municipality_region_mismatch"),
        (f"{path}:{line_of(path, '0581')}", "0581", "website", "municipality_bad_website"),
    ]


def test_a_directory_without_municipalities_is_still_valid(knowledge_copy):
    (knowledge_copy / "municipalities.yaml").unlink()
    knowledge, problems = check_knowledge(knowledge_copy)
    assert problems == [] and knowledge is not None


def faq_check(directory: Path, lang: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DUKAT_LANG": lang}
    env.pop("DUKAT_KNOWLEDGE_DIR", None)
    return subprocess.run([sys.executable, "-m", "bot", "faq", "check", str(directory)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)


def test_faq_check_command_lists_each_problem_and_fails(knowledge_copy):
    path = break_copy(knowledge_copy)
    result = faq_check(knowledge_copy, "en")
    assert result.returncode == 1
    assert f"{path}:{line_of(path, '0581')} | 0581 | website | the website must be an https address with a host " \
           "name: http://www.norrkoping.se" in result.stderr, result.stderr
    assert f"{path}:{line_of(path, '0580')} | 0580 | region | Östergötlands län belongs to Region Östergötland " \
           "(as with 0509), not Region Stockholm" in result.stderr, result.stderr
    swedish = faq_check(knowledge_copy, "sv")
    assert swedish.returncode == 1
    assert "webbplatsen ska vara en https-adress med ett värdnamn: http://www.norrkoping.se" in swedish.stderr


def test_faq_check_command_passes_the_bundled_directory(tmp_path):
    result = faq_check(ROOT / "knowledge" / "data", "en")
    assert result.returncode == 0, result.stderr
