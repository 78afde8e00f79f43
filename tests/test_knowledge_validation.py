"""`dukat-bord faq check`: bundled data passes; each kind of broken file gives a precise message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from bot.cli import main
from knowledge.loader import KnowledgeError, check_knowledge, load_knowledge
from knowledge.store import KnowledgeStore


def run_check(directory: Path):
    return CliRunner().invoke(main, ["faq", "check", str(directory)], env={"DUKAT_LANG": "en"})


def first_faq_file(directory: Path) -> Path:
    return sorted((directory / "faq").glob("*.yaml"))[0]


def edit_first_entry(directory: Path, change) -> tuple[Path, str]:
    yaml = YAML()
    path = first_faq_file(directory)
    data = yaml.load(path.read_text(encoding="utf-8"))
    entry = data["entries"][0]
    change(entry, data)
    with path.open("w", encoding="utf-8") as f:
        yaml.dump(data, f)
    return path, str(entry["id"])


def test_bundled_knowledge_is_valid():
    result = CliRunner().invoke(main, ["faq", "check"])
    assert result.exit_code == 0, result.output
    knowledge = load_knowledge()
    assert len(knowledge.entries) >= 60
    for required in ("arbetsformedlingen", "forsakringskassan", "kommun", "coompanion", "tillvaxtverket", "verksamt",
                     "bolagsverket", "skatteverket", "samordningsforbund", "region", "esf", "skoopi", "arvsfonden"):
        assert required in knowledge.authorities


def test_bundled_entries_meet_the_content_rules():
    knowledge = load_knowledge()
    for entry in knowledge.entries.values():
        assert len(entry.alternates.sv) >= 3 and len(entry.alternates.en) >= 1, entry.id
        assert entry.authorities[0] in knowledge.authorities
    for authority in knowledge.authorities.values():
        if authority.id in ("kommun", "region"):  # the founder's own: no link to someone else (never skr.se)
            assert authority.website is None
        else:
            assert authority.website.startswith("https://"), authority.id


@pytest.mark.parametrize(
    "change, field, message",
    [
        (lambda e, d: e["authorities"].__setitem__(0, "hittepa"), "authorities", "unknown authority: hittepa"),
        (lambda e, d: e["answer"].pop("en"), "answer.en", "the language 'en' is missing"),
        (lambda e, d: e["answer"].__setitem__("sv", "   "), "answer.sv", "the text is empty"),
        (lambda e, d: e.__setitem__("reviewed", "2026-13-45"), "reviewed", "invalid date"),
        (lambda e, d: e["topics"].append("okant-amne"), "topics", "unknown topic: okant-amne"),
        (lambda e, d: e["alternates"]["sv"].append(str(d["entries"][1]["question"]["sv"]).upper()), "alternates.sv",
         "already belongs to entry"),
    ],
    ids=["unknown-authority", "missing-language", "empty-answer", "bad-date", "unknown-topic", "shared-phrasing"],
)
def test_each_broken_file_gives_its_message(knowledge_copy, change, field, message):
    path, entry_id = edit_first_entry(knowledge_copy, change)
    result = run_check(knowledge_copy)
    assert result.exit_code == 1
    matching = [line for line in result.output.splitlines() if message in line]
    assert matching, result.output
    assert any(path.name in line and field in line for line in matching), result.output
    if "already belongs" not in message:
        assert any(entry_id in line for line in matching), result.output


def test_duplicate_id_across_files(knowledge_copy):
    yaml = YAML()
    files = sorted((knowledge_copy / "faq").glob("*.yaml"))
    first = yaml.load(files[0].read_text(encoding="utf-8"))
    last = yaml.load(files[-1].read_text(encoding="utf-8"))
    clone = first["entries"][0]
    last["entries"].append(clone)
    with files[-1].open("w", encoding="utf-8") as f:
        yaml.dump(last, f)
    result = run_check(knowledge_copy)
    assert result.exit_code == 1
    assert f"| {clone['id']} | id | the id already exists" in result.output


def test_yaml_syntax_error_names_the_line(knowledge_copy):
    path = first_faq_file(knowledge_copy)
    path.write_text(path.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    result = run_check(knowledge_copy)
    assert result.exit_code == 1
    assert "invalid YAML on line" in result.output and path.name in result.output


def test_every_problem_is_listed_not_just_the_first(knowledge_copy):
    def two_problems(entry, data):
        entry["authorities"][0] = "hittepa"
        entry["reviewed"] = "igår"

    edit_first_entry(knowledge_copy, two_problems)
    _, problems = check_knowledge(knowledge_copy)
    assert {p.code for p in problems} >= {"unknown_authority", "bad_date"}


def test_start_up_on_a_broken_dir_fails_with_the_same_messages(knowledge_copy, tmp_path):
    edit_first_entry(knowledge_copy, lambda e, d: e["answer"].pop("sv"))
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(knowledge_copy)
    assert any(p.code == "missing_language" for p in info.value.problems)
    result = CliRunner().invoke(main, ["ask", "Vad är ett ASF?"], env={"DUKAT_KNOWLEDGE_DIR": str(knowledge_copy),
                                                                       "DUKAT_LANG": "en"})
    assert result.exit_code == 1
    assert "the language 'sv' is missing" in result.output


def test_failed_reload_keeps_the_previous_knowledge(knowledge_copy):
    store = KnowledgeStore(knowledge_copy)
    swaps = []
    store.after_reload.append(lambda: swaps.append(store.current))
    before = store.current
    edit_first_entry(knowledge_copy, lambda e, d: e["authorities"].__setitem__(0, "hittepa"))
    problems = store.reload()
    assert problems and store.current is before
    assert store.matcher.match("Vad är ett ASF?", "sv").candidates
    assert swaps == []  # listeners hear of swaps only
    edit_first_entry(knowledge_copy, lambda e, d: e["authorities"].__setitem__(0, before.entries[e["id"]].authorities[0]))
    assert store.reload() == [] and swaps == [store.current] and store.current is not before


# --- the start guide (knowledge/data/guide.yaml) -------------------------------------------------


def edit_guide(directory: Path, change) -> Path:
    yaml = YAML()
    path = directory / "guide.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data["steps"])
    with path.open("w", encoding="utf-8") as f:
        yaml.dump(data, f)
    return path


@pytest.mark.parametrize(
    "change, entry, field, message",
    [
        (lambda s: s[0]["faq"].append("finns-inte"), "ide", "faq", "unknown FAQ entry: finns-inte"),
        (lambda s: s[1]["authorities"].__setitem__(0, "hittepa"), "ar-det-asf", "authorities", "unknown authority: hittepa"),
        (lambda s: s[2]["topics"].append("okant"), "affarsplan", "topics", "unknown topic: okant"),
        (lambda s: s[0]["title"].pop("en"), "ide", "title.en", "the language 'en' is missing"),
        (lambda s: s[0]["ask"].__setitem__("sv", []), "ide", "ask.sv", "too few values"),
        (lambda s: s[3].__setitem__("id", s[0]["id"]), "ide", "id", "already exists"),
        (lambda s: s[0].__setitem__("reviewed", "igår"), "ide", "reviewed", "invalid date"),
        (lambda s: s[0].__setitem__("colour", "blå"), "ide", "colour", "unknown field"),
    ],
)
def test_a_broken_guide_step_is_reported(knowledge_copy, change, entry, field, message):
    edit_guide(knowledge_copy, change)
    result = run_check(knowledge_copy)
    assert result.exit_code == 1
    line = next((l for l in result.output.splitlines() if "guide.yaml" in l and f"| {field} |" in l), None)
    assert line is not None, result.output
    assert f"| {entry} |" in line and message in line


def test_a_guide_step_naming_a_retired_entry_or_an_invalid_step_with_a_bad_reference(knowledge_copy):
    path, entry_id = edit_first_entry(knowledge_copy, lambda e, d: e.__setitem__("retired", True))
    edit_guide(knowledge_copy, lambda s: (s[0]["faq"].append(entry_id), s[1]["title"].pop("sv"),
                                          s[1]["faq"].append("finns-inte")))
    _, problems = check_knowledge(knowledge_copy)
    found = {(p.entry, p.field, p.code) for p in problems}
    assert ("ide", "faq", "retired_faq") in found
    assert ("ar-det-asf", "title.sv", "missing_language") in found
    assert ("ar-det-asf", "faq", "unknown_faq") in found  # every problem listed, even in a step that failed the schema


def test_a_directory_without_a_guide_is_valid_and_has_no_guide(knowledge_copy):
    (knowledge_copy / "guide.yaml").unlink()
    result = run_check(knowledge_copy)
    assert result.exit_code == 0 and "0 start guide steps" in result.output
    assert load_knowledge(knowledge_copy).guide == ()
    edit = knowledge_copy / "guide.yaml"
    edit.write_text("steps: []\n", encoding="utf-8")
    assert run_check(knowledge_copy).exit_code == 1


def test_a_broken_guide_keeps_the_old_one_in_service(knowledge_copy):
    store = KnowledgeStore(knowledge_copy)
    steps = store.current.guide
    edit_guide(knowledge_copy, lambda s: s[0]["faq"].append("finns-inte"))
    assert [p.code for p in store.reload()] == ["unknown_faq"]
    assert store.current.guide == steps
