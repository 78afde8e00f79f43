"""Unanswered questions are questions: the bot's own business (labels, numbers, yes/no, navigation, hostile
input) is never logged nor listed; grouping never puts a real question with such words; /obesvarade pages
through every group."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.messages import Incoming
from bot.reports import build_report, cluster_questions, content_words, unanswered_clusters
from bot.unanswered import (
    UnansweredLog,
    catalogue_labels,
    known_labels,
    looks_hostile,
    worth_logging,
)
from knowledge.reading import load_reply_words, only_answers_a_step
from knowledge.loader import load_knowledge
from knowledge.store import KnowledgeStore
from knowledge.text import fold

from .conftest import Chat

NOT_QUESTIONS = [
    "ja", "Ja!", "yes", "nej", "no", "ok tack", "nästa", "Nästa", "tillbaka", "hoppa över", "hoppa over", "klar",
    "avbryt", "börja om", "next", "back", "skip", "done", "cancel", "6", "2.", "nr 2", "  42  ", "?!", "👍", "...",
    "← Föregående steg", "Hoppa över", "<script>alert('x')</script>", "<img src=x onerror=alert(1)>",
    "1' OR '1'='1", "'; DROP TABLE meetings;--", "x UNION SELECT password FROM users",
    "fre 4 dec 10:30", "tis 10 mar 13:30", "Tue 10 Mar 13:30", "imorgon kl 10",  # a time button's label, a time typed
]
QUESTIONS = [
    "kan ja fa pengar till min glassbar", "hur startar jag en glassbar", "lönebidrag för kockar?", "asf",
    "can my dog work in the company?", "Is there support for ice cream bars?", "vad kostar en food truck",
    "Vad gäller för <30 anställda?",  # a less-than sign is not markup
    "vad kostar ett möte på fredag", "vad gäller på måndag?",
]


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_the_bots_own_business_is_not_worth_logging(text):
    assert not worth_logging(text, "sv", catalogue_labels())


@pytest.mark.parametrize("text", QUESTIONS)
def test_questions_are_worth_logging(text):
    assert worth_logging(text, "sv", catalogue_labels())


def test_the_reply_words_are_the_typed_readers_and_come_from_replies_yaml(tmp_path):
    own = tmp_path / "replies.yaml"
    own.write_text("meanings:\n  yes:\n    sv: [jajamänsan]\npoliteness:\n  sv: [vänligen]\n"
                   "numbers:\n  words:\n    2: [tvåan]\n", encoding="utf-8")
    words = load_reply_words(own)
    assert only_answers_a_step("jajamänsan vänligen", words) and only_answers_a_step("tvåan", words)
    assert not only_answers_a_step("jajamänsan", load_reply_words())  # not in the bundled lists
    assert all(only_answers_a_step(w) for w in ("ja", "nej", "hoppa over", "next", "cancel"))


def test_hostile_input_is_recognised_and_ordinary_questions_are_not():
    assert looks_hostile("<script>alert(1)</script>") and looks_hostile("1' OR '1'='1")
    assert not looks_hostile("Får man välja vilka som kommer?") and not looks_hostile("Vad gäller för <30 anställda?")


def test_button_labels_of_the_catalogue_and_faq_questions_are_labels(app):
    for key in ("guide.back_button", "guide.skip_button", "faq.book_button", "faq.none_of_these",
                "coordinator.clusters_next_page", "coordinator.confirm_button"):
        for lang in ("sv", "en"):
            assert not worth_logging(app.catalogue.text(lang, key), lang, catalogue_labels()), (key, lang)
    knowledge = load_knowledge()
    question = knowledge.entries["asf-vad-ar"].question.sv
    assert worth_logging(question, "sv", known_labels())  # the catalogue alone does not know the FAQ
    assert not worth_logging(question, "sv", known_labels(knowledge))
    assert not worth_logging(question.upper().rstrip("?"), "sv", known_labels(knowledge))  # folded


async def test_the_log_keeps_questions_and_drops_the_rest(app, clock):
    log = UnansweredLog(app.db, KnowledgeStore())
    kept = [text for text in [*NOT_QUESTIONS, *QUESTIONS, "Vad är ett arbetsintegrerande socialt företag (ASF)?"]
            if await log.record(text, None, clock.now(), lang="sv")]
    assert kept == QUESTIONS
    rows = await app.db.fetchall("SELECT text FROM unanswered ORDER BY id")
    assert [r["text"] for r in rows] == QUESTIONS


async def test_typed_junk_in_a_chat_is_not_logged_but_a_question_is(app):
    chat = Chat(app, "console:junk", pace=5)
    await chat.say("hej")
    for text in ("6", "<script>alert('x')</script> <img src=x onerror=alert(1)>", "1' OR '1'='1", "hoppa over",
                 "← Föregående steg", "Nästa sida →", "nästa", "yes"):
        await chat.say(text)
    await chat.say("kan ja fa pengar till min glassbar")
    rows = await app.db.fetchall("SELECT text FROM unanswered")
    assert [r["text"] for r in rows] == ["kan ja fa pengar till min glassbar"]


# --- grouping -------------------------------------------------------------------------------------------------


def rows_of(texts: list[tuple[str, str]]) -> list[dict]:
    return [{"id": i + 1, "text": t, "lang": lang, "created_at": f"2026-03-10T09:{i:02d}:00+00:00", "best_faq_id": None}
            for i, (t, lang) in enumerate(texts)]


def test_content_words_leave_out_stop_question_and_yes_no_words():
    assert content_words("kan ja fa pengar till mitt asf", "sv") == content_words("pengar asf", "sv")
    assert content_words("ja", "sv") == frozenset() and content_words("hur gör man?", "sv") == frozenset()


def test_a_real_question_never_joins_a_group_of_yes_no_or_short_words():
    rows = rows_of([("ja", "sv"), ("ja", "sv"), ("ja ja", "sv"), ("kan ja fa pengar till min glassbar", "sv"),
                    ("asf", "sv"), ("asf", "sv"), ("får man ha en hund på ett asf", "sv"),
                    ("vinstutdelning i ett asf", "sv"), ("pengar till glassbar", "sv"), ("hur gör man", "sv")])
    groups = {tuple(sorted(c.texts)) for c in cluster_questions(rows)}
    assert ("ja", "ja ja") in groups
    assert ("asf",) in groups  # its own group: "asf" alone seeds nothing that longer questions join
    assert ("kan ja fa pengar till min glassbar", "pengar till glassbar") in groups
    assert ("får man ha en hund på ett asf",) in groups and ("vinstutdelning i ett asf",) in groups
    assert ("hur gör man",) in groups


def test_similar_questions_with_typos_still_group():
    rows = rows_of([("hur startar jag en glassbar", "sv"), ("starta glasbar hur gör man", "sv"),
                    ("glassbaren starta", "sv"), ("kan min hund jobba i företaget", "sv"), ("får hunden jobba", "sv"),
                    ("how do I open an ice cream bar", "en"), ("open ice cream bar", "en")])
    assert sorted(c.count for c in cluster_questions(rows)) == [2, 2, 3]


async def test_junk_logged_before_the_filter_is_left_out_of_lists_and_reports(app, clock):
    for i, text in enumerate(["ja", "6", "← Föregående steg", "yes", "hur startar jag en glassbar",
                              "<script>alert(1)</script>"]):
        await app.db.execute("INSERT INTO unanswered(text, lang, created_at) VALUES (?, 'sv', ?)",
                             (text, (clock.now() + timedelta(minutes=i)).isoformat()))
    clusters = await unanswered_clusters(app.db)
    assert [c.texts for c in clusters] == [["hur startar jag en glassbar"]]
    day = clock.now().date()
    report = await build_report(app.db, day - timedelta(days=1), day + timedelta(days=1))
    assert report.top_clusters == [("hur startar jag en glassbar", 1)]


# --- /obesvarade pages through every group -----------------------------------------------------------------

SUBJECTS = ["glassbar", "hundar", "foodtruck", "bageri", "cykelverkstad", "frisörsalong", "second hand", "snickeri",
            "tvätteri", "catering", "trädgård", "städfirma", "kafé på bibliotek", "loppis", "syateljé", "bilvård",
            "keramik", "hunddagis", "fiskrökeri", "tryckeri"]


async def seed_groups(app, clock) -> None:
    for i, subject in enumerate(SUBJECTS):
        await app.db.execute("INSERT INTO unanswered(text, lang, created_at) VALUES (?, 'sv', ?)",
                             (f"hur startar jag {subject} som asf", (clock.now() + timedelta(minutes=i)).isoformat()))


@pytest.fixture
async def coordinator(app) -> Chat:
    await app.roles.grant("console:co")
    chat = Chat(app, "console:co", pace=20)
    await chat.say("hej")  # first contact is greeted in a reply of its own
    return chat


async def test_every_group_is_reachable_page_by_page(app, clock, coordinator):
    await seed_groups(app, clock)
    assert len(await unanswered_clusters(app.db)) == 20
    t = lambda key, **p: app.catalogue.text("sv", key, **p)  # noqa: E731
    await coordinator.say("/obesvarade")
    seen: list[str] = []
    for page in (1, 2, 3):
        text = coordinator.text()
        assert text.startswith(t("coordinator.clusters_heading", count=20, page=page, pages=3)), text
        groups = [b for b in coordinator.last[-1].all_buttons() if b.payload.startswith("co:c:")]
        assert len(groups) == (8 if page < 3 else 4)
        assert groups[0].label.startswith(f"{(page - 1) * 8 + 1}. ")
        seen += [b.payload for b in groups]
        labels = coordinator.buttons()
        assert (t("coordinator.clusters_previous_page") in labels) == (page > 1)
        assert (t("coordinator.clusters_next_page") in labels) == (page < 3)
        assert all(len(b.payload.encode()) <= 64 for b in coordinator.last[-1].all_buttons())
        if page < 3:
            await coordinator.press(t("coordinator.clusters_next_page"))
            assert coordinator.last[-1].replaces_pressed
    assert len(set(seen)) == 20
    await coordinator.press(t("coordinator.clusters_previous_page"))
    assert t("coordinator.clusters_heading", count=20, page=2, pages=3) in coordinator.text()
    await coordinator.press(coordinator.buttons()[0])  # the first group of page 2 opens
    assert "hur startar jag" in coordinator.text() and t("coordinator.cluster_dismiss_button") in coordinator.buttons()


async def test_a_page_number_out_of_range_shows_the_nearest_page(app, clock, coordinator):
    await seed_groups(app, clock)
    t = lambda key, **p: app.catalogue.text("sv", key, **p)  # noqa: E731
    await coordinator.say("/obesvarade 9")
    assert coordinator.text().startswith(t("coordinator.clusters_heading", count=20, page=3, pages=3))
    replies = await app.engine.handle(Incoming("console:co", payload="co:cp:0"))
    assert replies[0].text.startswith(t("coordinator.clusters_heading", count=20, page=1, pages=3))
    replies = await app.engine.handle(Incoming("console:co", payload="co:cp:x"))
    assert [r.text for r in replies] == [app.catalogue.text("sv", "core.unknown_button")]


async def test_the_english_command_pages_in_english(app, clock):
    await seed_groups(app, clock)
    await app.roles.grant("console:en")
    chat = Chat(app, "console:en", lang_hint="en", pace=20)
    await chat.say("hi")
    await chat.say("/unanswered")
    t = lambda key, **p: app.catalogue.text("en", key, **p)  # noqa: E731
    assert t("coordinator.clusters_heading", count=20, page=1, pages=3) in chat.text()
    assert t("coordinator.clusters_next_page") in chat.buttons()
    assert fold(t("coordinator.clusters_next_page")) in catalogue_labels()
