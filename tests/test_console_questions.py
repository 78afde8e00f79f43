"""Questions the bot could not answer, in the web console: every group paged, a group's page with the entry
the matcher suggests and a search for another, adding a group as phrasings (the bot then answers those
questions with that entry, through the real engine), ignoring a group, a new entry started from a group, bad
or stale group keys and unknown entries (a clear message, nothing changed), the bundled knowledge (not
writable: the page says how to make it editable, nothing changes)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.admin.questions import GROUPS_PER_PAGE
from bot.faq_service import fresh_phrasings as fresh_texts
from bot.app import build_app
from bot.catalogue import Catalogue
from bot.reports import unanswered_clusters
from bot.roles import COORDINATOR
from knowledge.loader import bundled_dir
from knowledge.store import KnowledgeStore
from tests.conftest import Chat
from tests.console_helpers import COORDINATOR_ADDRESS, coordinator_client, csrf_of, new_client, signed_in  # noqa: F401

CATALOGUE = Catalogue.load()
SV = lambda key, **p: CATALOGUE.text("sv", key, **p)  # noqa: E731
HTML = lambda key, **p: _escaped(SV(key, **p))  # noqa: E731

# Questions the FAQ does not answer (a horse is no employee), close to an entry the console then suggests: the matcher
# ranks "lonebidrag" just under the answer threshold for the häst pair. (A cat would not do: "katt" is taken for part
# of "skatt"; "kan min häst få lönebidrag" is answered, its entry having plain "kan vi få lönebidrag" phrasings.)
HAST = ["kan vi få stöd för att anställa en häst", "kan man få stöd för att anställa en häst"]
# ("vill starta en glassbar", a wish to start a business, now opens the start guide: no unanswered question)
GLASS = ["hur startar jag en glassbar", "starta glassbar hur gör man", "tips för att starta en glassbar"]
HUND = ["kan min hund jobba i företaget", "får hunden jobba"]
SUGGESTED = "lonebidrag"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


def snapshot(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*.yaml"))}


@pytest.fixture
async def app(settings, clock, knowledge_copy):
    """The bot on a writable copy of the knowledge (the console's coordinator_client signs in to this one)."""
    application = await build_app(settings, clock=clock, knowledge=KnowledgeStore(knowledge_copy))
    yield application
    await application.close()


async def ask(app, questions: list[str], who: str = "console:founder") -> None:
    """Founders ask through the real engine; what it cannot answer is logged as unanswered."""
    for n, question in enumerate(questions):
        chat = Chat(app, f"{who}-{n}", pace=20)
        await chat.say(question)


async def unhandled(app) -> int:
    return (await app.db.fetchone("SELECT COUNT(*) AS n FROM unanswered WHERE handled = 0"))["n"]


async def group_key(app, text: str) -> int:
    return next(c.key for c in await unanswered_clusters(app.db) if text in c.texts)


async def test_the_groups_largest_first_every_one_of_them_paged(app, coordinator_client):
    await ask(app, [*GLASS, *HUND, *HAST])
    words = ["zebror", "raketer", "ubåtar", "dinosaurier", "pyramider", "vulkaner", "kometer", "mammutar", "gejsrar",
             "karuseller", "fyrtorn", "ishotell", "väderkvarnar", "luftballonger", "hängmattor", "segelbåtar",
             "trumpeter", "harpor", "jonglörer", "fjärilar", "igelkottar", "flamingor", "kameler", "pingviner"]
    extra = [f"{a} med {b}?" for a, b in zip(words[::2], words[1::2])] * 2  # twelve groups of two
    extra += [f"{w} eller {w}kaka?" for w in ("tranbär", "lakrits", "kardemumma", "saffran", "vanilj", "mandel",
                                             "hjortron", "kanel", "nejlika", "ingefära")]
    for n, text in enumerate(extra):
        await app.db.execute("INSERT INTO unanswered(text, lang, created_at) VALUES (?, 'sv', ?)",
                             (text, f"2026-03-01T10:{n:02d}:00+00:00"))
    clusters = await unanswered_clusters(app.db)
    assert len(clusters) > GROUPS_PER_PAGE and clusters[0].count == 3  # the glass bar questions
    seen, page = [], 1
    while True:
        response = await coordinator_client.get(f"/admin/questions?page={page}")
        assert response.status == 200
        body = await response.text()
        seen += [int(k) for k in re.findall(r'<h2><a href="/admin/questions/(\d+)">', body)]
        if f'href="/admin/questions?page={page + 1}"' not in body:
            break
        page += 1
    assert page == 2 and HTML("admin.questions.page_of", page=2, pages=2) in body
    assert seen == [c.key for c in clusters]  # every group, largest first, in the order the chat lists them
    first = await (await coordinator_client.get("/admin/questions")).text()
    assert HTML("admin.questions.group_heading", count=3, language="sv") in first
    assert _escaped(GLASS[0]) in first
    # a page out of range shows the nearest one; a made-up page number the first
    assert seen[-1] in [int(k) for k in re.findall(r'/admin/questions/(\d+)"', await (await coordinator_client.get(
        "/admin/questions?page=99")).text())]
    assert (await coordinator_client.get("/admin/questions?page=x")).status == 200


async def test_no_unanswered_questions(coordinator_client):
    body = await (await coordinator_client.get("/admin/questions")).text()
    assert HTML("admin.questions.none") in body


async def test_a_group_added_as_phrasings_of_the_suggested_entry_is_answered_and_handled(app, coordinator_client,
                                                                                         knowledge_copy):
    await ask(app, [*HAST, *HUND])
    founder = Chat(app, "console:later", pace=20)
    await founder.say(HAST[0])
    assert app.knowledge.current.entries[SUGGESTED].answer.sv[:40] not in founder.text()
    key = await group_key(app, HAST[0])
    page = await (await coordinator_client.get(f"/admin/questions/{key}")).text()
    entry = app.knowledge.current.entries[SUGGESTED]
    assert _escaped(entry.question.sv) in page and f'name="entry" value="{SUGGESTED}"' in page
    for text in HAST:
        assert _escaped(text) in page
    response = await coordinator_client.post(f"/admin/questions/{key}/add",
                                             data={"csrf": await csrf_of(coordinator_client), "entry": SUGGESTED},
                                             allow_redirects=False)
    assert response.status == 303
    location = response.headers["Location"]
    assert urlsplit(location).path == "/admin/questions/added"
    assert set(HAST) <= set(app.knowledge.current.entries[SUGGESTED].alternates.sv)
    assert all(text in (knowledge_copy / app.knowledge.current.files[SUGGESTED]).read_text(encoding="utf-8")
               for text in HAST)
    done = await (await coordinator_client.get(location)).text()
    assert HTML("admin.questions.all_answered") in done
    assert done.count(SV("admin.questions.now_answered")) == len(HAST)
    # the running bot answers them now, with that entry
    for n, text in enumerate(HAST):
        chat = Chat(app, f"console:asker-{n}", pace=20)
        await chat.say(text)
        assert entry.answer.sv[:40] in chat.text(), text
    # the group is handled: gone from the list, the other group still there
    listing = await (await coordinator_client.get("/admin/questions")).text()
    assert _escaped(HAST[1]) not in listing and _escaped(HUND[0]) in listing
    history = await app.db.fetchone("SELECT editor, field FROM faq_history WHERE entry_id = ?", (SUGGESTED,))
    assert dict(history) == {"editor": COORDINATOR_ADDRESS, "field": "alternates.sv"}
    # the same key again: the group is gone, nothing more is written
    before = snapshot(knowledge_copy)
    again = await coordinator_client.post(f"/admin/questions/{key}/add",
                                          data={"csrf": await csrf_of(coordinator_client), "entry": SUGGESTED})
    assert again.status == 404 and HTML("admin.questions.gone_text") in await again.text()
    assert snapshot(knowledge_copy) == before


async def test_another_entry_found_by_search_and_only_new_phrasings_added(app, coordinator_client):
    await ask(app, HUND)
    key = await group_key(app, HUND[0])
    body = await (await coordinator_client.get(f"/admin/questions/{key}?q=vad+är+asf")).text()
    assert 'name="entry" value="asf-vad-ar"' in body and SV("admin.questions.add_here_button") in body
    nothing = await (await coordinator_client.get(f"/admin/questions/{key}?q=zzzqqq")).text()
    assert HTML("admin.questions.search_none", words="zzzqqq") in nothing
    entry = app.knowledge.current.entries["asf-vad-ar"]
    response = await coordinator_client.post(f"/admin/questions/{key}/add",
                                             data={"csrf": await csrf_of(coordinator_client), "entry": "asf-vad-ar"})
    assert response.status == 200
    assert HTML("admin.questions.added", count=2, question=entry.question.sv, id="asf-vad-ar") in await response.text()
    chat = Chat(app, "console:dog-owner", pace=20)
    await chat.say(HUND[1])
    assert entry.answer.sv[:40] in chat.text()
    # Rows logged before the change (by another process, say) group with a new question: only the question that
    # is not yet a phrasing is added (a phrasing twice would not pass validation).
    newer = "kan min hund jobba i företaget på fredagar"
    for text in (HUND[0], newer):
        await app.db.execute("INSERT INTO unanswered(text, lang, created_at) VALUES (?, 'sv', ?)",
                             (text, app.clock.now().isoformat()))
    key = await group_key(app, newer)
    assert HUND[0] in next(c for c in await unanswered_clusters(app.db) if c.key == key).texts
    response = await coordinator_client.post(f"/admin/questions/{key}/add",
                                             data={"csrf": await csrf_of(coordinator_client), "entry": "asf-vad-ar"})
    assert response.status == 200
    assert HTML("admin.questions.added", count=1, question=entry.question.sv, id="asf-vad-ar") in await response.text()
    alternates = app.knowledge.current.entries["asf-vad-ar"].alternates.sv
    assert alternates.count(HUND[0]) == 1 and newer in alternates
    assert await unhandled(app) == 0
    assert fresh_texts(app.knowledge.current, [HUND[0], entry.question.sv.upper(), "ny fråga", "Ny fråga?"], "sv") == \
        ["ny fråga"]
    # The page after adding asks the running matcher: with another entry named, the dog questions are answered
    # by asf-vad-ar, not by it, and a question nobody added is still unanswered.
    await ask(app, GLASS[:1], who="console:glass")
    ids = [r["id"] for r in await app.db.fetchall("SELECT id FROM unanswered WHERE text IN (?, ?)", (HUND[1], GLASS[0]))]
    body = await (await coordinator_client.get(f"/admin/questions/added?entry=moms&rows={ids[0]},{ids[1]}")).text()
    assert HTML("admin.questions.not_all_answered") in body and SV("admin.questions.now_answered") not in body
    assert HTML("admin.questions.answered_by_other", question=entry.question.sv, id="asf-vad-ar") in body
    assert SV("admin.questions.still_unanswered") in body


async def test_ignoring_a_group_marks_it_handled_and_changes_no_file(app, coordinator_client, knowledge_copy):
    await ask(app, [*GLASS, *HUND])
    before = snapshot(knowledge_copy)
    key = await group_key(app, GLASS[0])
    response = await coordinator_client.post(f"/admin/questions/{key}/ignore",
                                             data={"csrf": await csrf_of(coordinator_client)}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/admin/questions?ignored=3"
    body = await (await coordinator_client.get(response.headers["Location"])).text()
    assert HTML("admin.questions.ignored", count=3) in body and _escaped(GLASS[0]) not in body
    assert await unhandled(app) == len(HUND)
    assert snapshot(knowledge_copy) == before


async def test_a_new_entry_is_started_from_the_group_by_a_link(app, coordinator_client):
    await ask(app, GLASS)
    key = await group_key(app, GLASS[0])
    body = await (await coordinator_client.get(f"/admin/questions/{key}")).text()
    link = unescape(re.search(r'<a class="button" href="([^"]+)">' + re.escape(SV("admin.questions.new_entry")),
                              body).group(1))
    parts = urlsplit(link)
    assert parts.path == "/admin/faq/new"
    query = parse_qs(parts.query)
    cluster = next(c for c in await unanswered_clusters(app.db) if c.key == key)
    assert query["lang"] == ["sv"] and query["group"] == [str(key)]
    assert query["question"] == [cluster.texts[0]] and query["alternate"] == cluster.texts[1:]
    assert await unhandled(app) == len(GLASS)  # only a link: nothing handled yet


async def test_bad_or_stale_group_keys_and_unknown_entries_change_nothing(app, coordinator_client, knowledge_copy):
    await ask(app, HUND)
    key = await group_key(app, HUND[0])
    before = snapshot(knowledge_copy)
    csrf = await csrf_of(coordinator_client)
    for path in ("/admin/questions/abc", "/admin/questions/999999", "/admin/questions/99999999999999999999999"):
        response = await coordinator_client.get(path)
        assert response.status == 404 and HTML("admin.questions.gone_text") in await response.text(), path
        for action in ("add", "ignore"):
            response = await coordinator_client.post(f"{path}/{action}", data={"csrf": csrf, "entry": "asf-vad-ar"})
            assert response.status == 404 and HTML("admin.questions.gone_text") in await response.text()
    for entry in ("", "no-such-entry", "<b>x</b>"):
        response = await coordinator_client.post(f"/admin/questions/{key}/add", data={"csrf": csrf, "entry": entry})
        body = await response.text()
        assert response.status == 400 and HTML("admin.questions.unknown_entry", id=entry) in body
        assert "<b>x</b>" not in body
    # no CSRF token: refused before anything happens
    response = await coordinator_client.post(f"/admin/questions/{key}/ignore", data={})
    assert response.status == 403
    for path in ("/admin/questions/added?entry=asf-vad-ar&rows=999", "/admin/questions/added?entry=nope&rows=1",
                 "/admin/questions/added"):
        assert (await coordinator_client.get(path)).status == 404
    assert snapshot(knowledge_copy) == before and await unhandled(app) == len(HUND)
    assert await app.db.fetchone("SELECT 1 FROM faq_history") is None


async def test_the_bundled_knowledge_is_not_writable_the_page_says_how_and_nothing_changes(settings, clock,
                                                                                           knowledge_store):
    bundled = await build_app(settings, clock=clock, knowledge=knowledge_store)
    client = await new_client(bundled)
    try:
        await bundled.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
        await signed_in(client, bundled, COORDINATOR_ADDRESS)
        await ask(bundled, HAST)
        key = await group_key(bundled, HAST[0])
        before = snapshot(bundled_dir())
        page = await client.get(f"/admin/questions/{key}")
        text = await page.text()
        message = HTML("admin.questions.not_writable", dir=str(bundled_dir()))
        assert page.status == 200 and message in text and "DUKAT_KNOWLEDGE_DIR" in text
        assert SV("admin.questions.add_button") not in text
        response = await client.post(f"/admin/questions/{key}/add",
                                     data={"csrf": await csrf_of(client), "entry": SUGGESTED})
        assert response.status == 409 and message in await response.text()
        assert snapshot(bundled_dir()) == before
        assert await unhandled(bundled) == len(HAST)
        assert HAST[0] not in bundled.knowledge.current.entries[SUGGESTED].alternates.sv
    finally:
        await client.close()
        await bundled.close()
