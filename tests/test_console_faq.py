"""The FAQ and the start guide's steps in the web console (/admin/faq, /admin/guide), through aiohttp's test client
on the bot's real web application, a real database file and a writable copy of the knowledge: search, an entry in
both languages with the chat's answer, edit → problems or diff → save (live at once), conflicts, history and
revert, reviewed today, retiring, new entries (from unanswered questions too), and the bundled knowledge that
cannot be edited."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.app import build_app
from bot.catalogue import Catalogue
from bot.faq_service import FaqEditing
from bot.messages import Incoming
from bot.reports import unanswered_clusters
from bot.roles import COORDINATOR
from knowledge.editing import GUIDE_PREFIX, KnowledgeEditor, set_text
from knowledge.store import KnowledgeStore
from tests.console_helpers import COORDINATOR_ADDRESS, coordinator_client, csrf_of, new_client, signed_in  # noqa: F401

CATALOGUE = Catalogue.load()
ENTRY = "asf-vad-ar"
STEP = "ide"


def sv(key: str, **params) -> str:
    return CATALOGUE.text("sv", key, **params)


def esc(text: str) -> str:
    """As the pages escape (markupsafe writes an apostrophe as &#39;)."""
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def snapshot(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text(encoding="utf-8") for p in sorted(directory.rglob("*.yaml"))}


@pytest.fixture
async def capp(settings, clock, knowledge_copy):
    application = await build_app(settings, clock=clock, knowledge=KnowledgeStore(knowledge_copy))
    await application.roles.grant(COORDINATOR_ADDRESS, COORDINATOR)
    yield application
    await application.close()


@pytest.fixture
async def client(capp):
    c = await new_client(capp)
    await signed_in(c, capp, COORDINATOR_ADDRESS)
    yield c
    await c.close()


async def page(client, path: str, status: int = 200) -> str:
    response = await client.get(path)
    body = await response.text()
    assert response.status == status, (path, response.status, body[:500])
    return body


def form_fields(body: str) -> dict[str, str]:
    """The values of a page's first entry form: inputs and textareas by name (the way a browser sends them)."""
    fields: dict[str, str] = {}
    for match in re.finditer(r'<input type="(?:text|date|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"', body):
        fields[match.group(1)] = html.unescape(match.group(2))
    for match in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        fields[match.group(1)] = html.unescape(match.group(2))
    return fields


async def edit_form(client, entry_id: str = ENTRY, kind: str = "faq") -> dict[str, str]:
    return form_fields(await page(client, f"/admin/{kind}/{entry_id}/edit"))


async def history_rows(app) -> int:
    return (await app.db.fetchone("SELECT COUNT(*) AS n FROM faq_history"))["n"]


def ids_in_list(body: str) -> set[str]:
    table = body.split('id="entries"')[1].split("</table>")[0] if 'id="entries"' in body else ""
    return set(re.findall(r'href="/admin/faq/([a-z0-9-]+)"', table))


# --- the list and an entry ---------------------------------------------------------------------------


async def test_search_by_text_topic_authority_and_stale(capp, client, clock):
    knowledge = capp.knowledge.current
    everything = ids_in_list(await page(client, "/admin/faq"))
    assert everything == set(knowledge.entries) and len(everything) > 50
    # Free text in the answer, in a phrasing, or the id.
    entry = knowledge.entries[ENTRY]
    word = "lönebidrag"
    hits = ids_in_list(await page(client, f"/admin/faq?q={word}"))
    assert hits and hits < everything
    assert all(word in (" ".join([*e.phrasings("sv"), *e.phrasings("en"), e.answer.sv, e.answer.en, e.id])).lower()
               for e in (knowledge.entries[i] for i in hits))
    assert ids_in_list(await page(client, f"/admin/faq?q={entry.alternates.sv[0]}")) >= {ENTRY}
    assert ENTRY in ids_in_list(await page(client, f"/admin/faq?q={ENTRY}"))
    assert ids_in_list(await page(client, "/admin/faq?q=zzzxxqq")) == set()
    # Topic and authority.
    topic = "finansiering"
    by_topic = ids_in_list(await page(client, f"/admin/faq?topic={topic}"))
    assert by_topic == {e.id for e in knowledge.entries.values() if topic in e.topics} and by_topic < everything
    by_authority = ids_in_list(await page(client, "/admin/faq?authority=skatteverket"))
    assert by_authority == {e.id for e in knowledge.entries.values() if "skatteverket" in e.authorities}
    assert by_authority and by_authority < everything
    # Stale: reviewed longer ago than DUKAT_STALE_MONTHS (12).
    assert ids_in_list(await page(client, "/admin/faq?stale=1")) == set()
    clock.advance(datetime(2027, 12, 1, 9, 0, tzinfo=timezone.utc) - clock.now())
    await signed_in(client, capp, COORDINATOR_ADDRESS)  # a session ends after a day idle
    stale = ids_in_list(await page(client, "/admin/faq?stale=1"))
    assert stale == {e.id for e in knowledge.entries.values() if e.reviewed.isoformat() < "2026-12-01"}
    assert stale and stale < everything


async def test_an_entry_in_both_languages_with_the_chat_answer(capp, client):
    entry = capp.knowledge.current.entries[ENTRY]
    body = await page(client, f"/admin/faq/{ENTRY}")
    assert 'class="columns"' in body
    for lang in ("sv", "en"):
        assert esc(entry.question.get(lang)) in body
        assert esc(entry.answer.get(lang)) in body
        for alternate in entry.alternates.get(lang):
            assert esc(alternate) in body
    assert esc(entry.source) in body and entry.reviewed.isoformat() in body
    # The preview is what the chat sends when the entry's button is pressed (the engine's own path).
    for lang in ("sv", "en"):
        replies = await capp.engine.handle(Incoming(f"console:founder-{lang}", payload=f"faq:{ENTRY}", lang_hint=lang))
        answer = capp.knowledge.current.entries[ENTRY].answer.get(lang)
        (reply,) = [r for r in replies if answer in r.text]
        shown = body.split(f'class="preview" lang="{lang}">')[1].split("</div>")[0]
        assert shown == esc(reply.text), lang
    preview = body.split('class="preview"')
    assert len(preview) == 3  # one per language


async def test_every_page_answers(capp, client):
    for path in ("/admin/faq", f"/admin/faq/{ENTRY}", f"/admin/faq/{ENTRY}/edit", f"/admin/faq/{ENTRY}/history",
                 f"/admin/faq/{ENTRY}/retire", "/admin/faq/new", "/admin/guide", f"/admin/guide/{STEP}",
                 f"/admin/guide/{STEP}/edit", f"/admin/guide/{STEP}/history"):
        await page(client, path)
    for path in ("/admin/faq/no-such-entry", "/admin/faq/no-such-entry/edit", "/admin/guide/no-such-step"):
        body = await page(client, path, status=404)
        assert esc(sv("admin.faq.unknown", id=path.split("/")[3])) in body
    # "Back to the form" from the diff page shows the form with what was typed, writing nothing.
    fields = await edit_form(client)
    fields.update(csrf=await csrf_of(client, f"/admin/faq/{ENTRY}/edit"), **{"answer.en": "Typed, not saved."})
    response = await client.post(f"/admin/faq/{ENTRY}/edit?back=1", data=fields)
    assert response.status == 200 and form_fields(await response.text())["answer.en"] == "Typed, not saved."
    assert await history_rows(capp) == 0


# --- editing -----------------------------------------------------------------------------------------


async def test_edit_shows_a_diff_then_saves_live_and_keeps_history(capp, client, knowledge_copy):
    fields = await edit_form(client)
    old = fields["answer.sv"]
    assert old == capp.knowledge.current.entries[ENTRY].answer.sv
    fields["answer.sv"] = old + " Ny mening om kooperativ."
    fields["csrf"] = await csrf_of(client, f"/admin/faq/{ENTRY}/edit")
    before = snapshot(knowledge_copy)
    response = await client.post(f"/admin/faq/{ENTRY}/edit", data=fields)
    body = await response.text()
    assert response.status == 200 and sv("admin.faq.diff_title") in body
    assert "<ins>kooperativ.</ins>" in body or "kooperativ." in body.split("<ins>")[1]
    assert snapshot(knowledge_copy) == before and await history_rows(capp) == 0  # a diff writes nothing
    saved = form_fields(body.split('/save"')[1])
    saved["csrf"] = fields["csrf"]
    response = await client.post(f"/admin/faq/{ENTRY}/save", data=saved, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"].endswith(f"/admin/faq/{ENTRY}?saved=1")
    assert capp.knowledge.current.entries[ENTRY].answer.sv == old + " Ny mening om kooperativ."  # live at once
    assert KnowledgeEditor(knowledge_copy).entry(ENTRY)["answer"]["sv"].endswith(" Ny mening om kooperativ.")
    row = await capp.db.fetchone("SELECT entry_id, editor, before, after FROM faq_history")
    assert row["entry_id"] == ENTRY and row["editor"] == COORDINATOR_ADDRESS
    assert json.loads(row["after"])["answer"]["sv"].endswith("kooperativ.")
    # Only the answer changed in the file: the rest of it is as it was.
    changed = [name for name, text in snapshot(knowledge_copy).items() if before[name] != text]
    assert changed == ["faq/01_asf_start.yaml"]


@pytest.mark.parametrize("field, value, message", [
    ("answer.sv", "   ", ("problems.empty_text", {})),
    ("authorities", "skatteverket, mars-myndigheten", ("problems.unknown_authority", {"id": "mars-myndigheten"})),
    ("topics", "", ("problems.too_few", {"min": "1"})),
    ("reviewed", "2026-13-45", ("problems.bad_date", {"value": "2026-13-45"})),
    ("alternates.sv", "bara en", ("problems.too_few", {"min": "3"})),
])
async def test_bad_input_changes_nothing_and_says_why(capp, client, knowledge_copy, field, value, message):
    fields = await edit_form(client)
    fields[field] = value
    fields["csrf"] = await csrf_of(client, f"/admin/faq/{ENTRY}/edit")
    before = snapshot(knowledge_copy)
    for path in (f"/admin/faq/{ENTRY}/edit", f"/admin/faq/{ENTRY}/save"):
        response = await client.post(path, data=fields, allow_redirects=False)
        body = await response.text()
        assert response.status == 400, (path, response.status)
        assert esc(sv(message[0], **message[1])) in body, body[body.find("problems"):][:600]
        assert 'class="problems"' in body and 'name="answer.sv"' in body  # next to the form, the text kept
    assert snapshot(knowledge_copy) == before and await history_rows(capp) == 0


async def test_someone_elses_save_in_between_is_shown_not_overwritten(capp, client, knowledge_copy):
    fields = await edit_form(client)
    fields["csrf"] = await csrf_of(client, f"/admin/faq/{ENTRY}/edit")
    fields["answer.sv"] = "Mitt svar från webben."
    # Someone else (the chat uses the same service) saves the entry meanwhile.
    editing = FaqEditing(capp)
    version = await editing.version(ENTRY)
    await editing.update("console:someone-else", ENTRY, version, "answer.sv",
                         lambda node: set_text(node, "answer", "sv", "Deras svar från chatten."))
    for path in (f"/admin/faq/{ENTRY}/edit", f"/admin/faq/{ENTRY}/save"):
        response = await client.post(path, data=fields, allow_redirects=False)
        body = await response.text()
        assert response.status == 409, (path, response.status)
        assert esc(sv("admin.faq.conflict_text", id=ENTRY)) in body
        theirs = body.split(esc(sv("admin.faq.conflict_theirs")))[1].split(esc(sv("admin.faq.conflict_yours")))[0]
        assert "chatten." in theirs  # their change, shown
    # A one-button change (reviewed today) with the old version is refused the same way.
    response = await client.post(f"/admin/faq/{ENTRY}/reviewed", data={"csrf": fields["csrf"], "version": fields["version"]})
    assert response.status == 409 and esc(sv("admin.faq.conflict_text", id=ENTRY)) in await response.text()
    assert capp.knowledge.current.entries[ENTRY].answer.sv == "Deras svar från chatten."
    assert "Mitt svar" not in (knowledge_copy / "faq" / "01_asf_start.yaml").read_text(encoding="utf-8")
    assert await history_rows(capp) == 1


async def test_markup_in_an_answer_is_shown_escaped(capp, client):
    fields = await edit_form(client)
    fields["csrf"] = await csrf_of(client, f"/admin/faq/{ENTRY}/edit")
    fields["answer.sv"] = "Svar med <script>alert(1)</script> och <b>fet</b> text."
    response = await client.post(f"/admin/faq/{ENTRY}/save", data=fields, allow_redirects=False)
    assert response.status == 303
    for path in (f"/admin/faq/{ENTRY}", f"/admin/faq/{ENTRY}/history", f"/admin/faq/{ENTRY}/edit"):
        body = await page(client, path)
        assert "<script>" not in body and "<b>fet" not in body, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, path
    body = await page(client, f"/admin/faq/{ENTRY}")
    preview = body.split('class="preview" lang="sv">')[1].split("</div>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; och &lt;b&gt;fet&lt;/b&gt;" in preview


async def test_history_shows_diffs_and_reverts(capp, client, knowledge_copy):
    original = capp.knowledge.current.entries[ENTRY].answer.sv
    before = KnowledgeEditor(knowledge_copy).entry(ENTRY)
    fields = await edit_form(client)
    fields["csrf"] = await csrf_of(client, f"/admin/faq/{ENTRY}/edit")
    fields["answer.sv"] = "Helt nytt svar."
    assert (await client.post(f"/admin/faq/{ENTRY}/save", data=fields, allow_redirects=False)).status == 303
    body = await page(client, f"/admin/faq/{ENTRY}/history")
    assert "<ins>Helt nytt svar.</ins>" in body and f"<del>{esc(original)}</del>" in body
    hid = re.search(r'/revert/(\d+)"', body).group(1)
    version = form_fields(body.split(f"/revert/{hid}")[1])["version"]
    response = await client.post(f"/admin/faq/{ENTRY}/revert/{hid}", data={"csrf": fields["csrf"], "version": version},
                                 allow_redirects=False)
    assert response.status == 303 and "reverted=" in response.headers["Location"]
    assert capp.knowledge.current.entries[ENTRY].answer.sv == original
    assert KnowledgeEditor(knowledge_copy).entry(ENTRY) == before  # (its long lines may be folded anew)
    assert await history_rows(capp) == 2
    # Reverting with an old version (the entry changed since the page was shown) is refused.
    response = await client.post(f"/admin/faq/{ENTRY}/revert/{hid}", data={"csrf": fields["csrf"], "version": version})
    assert response.status == 409 and await history_rows(capp) == 2
    # An unknown change number.
    response = await client.post(f"/admin/faq/{ENTRY}/revert/999", data={"csrf": fields["csrf"], "version": version})
    assert response.status == 404


async def test_reviewed_today_and_retire(capp, client, clock):
    csrf = await csrf_of(client, f"/admin/faq/{ENTRY}")
    body = await page(client, f"/admin/faq/{ENTRY}")
    version = form_fields(body.split("/reviewed")[1])["version"]
    clock.advance(timedelta(days=400))
    await signed_in(client, capp, COORDINATOR_ADDRESS)  # a session ends after a day idle
    csrf = await csrf_of(client, f"/admin/faq/{ENTRY}")
    response = await client.post(f"/admin/faq/{ENTRY}/reviewed", data={"csrf": csrf, "version": version},
                                 allow_redirects=False)
    assert response.status == 303
    assert capp.knowledge.current.entries[ENTRY].reviewed == (clock.now().date())
    # Retire: a confirmation page, then the entry leaves the active list (as /faq_... retire in the chat).
    body = await page(client, f"/admin/faq/{ENTRY}/retire")
    version = form_fields(body)["version"]
    response = await client.post(f"/admin/faq/{ENTRY}/retire", data={"csrf": csrf, "version": version},
                                 allow_redirects=False)
    assert response.status == 303
    assert ENTRY not in capp.knowledge.current.entries and ENTRY in capp.knowledge.current.retired
    listing = await page(client, "/admin/faq")
    assert ENTRY not in ids_in_list(listing) and f"/admin/faq/{ENTRY}\"" in listing.split('id="retired"')[1]


# --- new entries --------------------------------------------------------------------------------------

NEW = {
    "question.sv": "Kan ett socialt företag sälja glass?", "question.en": "Can a social enterprise sell ice cream?",
    "answer.sv": "Ja, det går bra.", "answer.en": "Yes, that is fine.",
    "alternates.sv": "sälja glass socialt företag\nglassförsäljning i ett asf\nfår vi sälja glass",
    "alternates.en": "selling ice cream", "authorities": "skatteverket", "topics": "starta",
    "source": "https://www.skatteverket.se", "reviewed": "2026-03-10", "lead.sv": "", "lead.en": "",
}


async def test_new_entry_prefilled_from_the_query(client):
    body = await page(client, "/admin/faq/new?lang=en&question=Can+I+sell+ice+cream%3F&alternate=ice+cream+sales"
                              "&alternate=selling+ice+cream")
    fields = form_fields(body)
    assert fields["question.en"] == "Can I sell ice cream?"
    assert fields["alternates.en"] == "ice cream sales\nselling ice cream"
    assert fields["question.sv"] == ""


async def test_new_entry_from_a_group_marks_the_group_handled(capp, client, knowledge_copy):
    start = capp.clock.now()
    for i, text in enumerate(["hur startar jag en glassbar", "starta glassbar hur gör man", "vill starta en glassbar",
                              "glassbaren starta"]):
        await capp.db.execute("INSERT INTO unanswered(text, lang, created_at) VALUES (?, 'sv', ?)",
                              (text, (start + timedelta(minutes=i)).isoformat()))
    (cluster,) = await unanswered_clusters(capp.db)
    body = await page(client, f"/admin/faq/new?group={cluster.key}")
    fields = form_fields(body)
    assert fields["group"] == str(cluster.key) and fields["question.sv"] == "glassbaren starta"
    assert fields["alternates.sv"].split("\n") == ["vill starta en glassbar", "starta glassbar hur gör man",
                                                   "hur startar jag en glassbar"]
    data = {**NEW, "question.sv": fields["question.sv"], "alternates.sv": fields["alternates.sv"],
            "csrf": fields["csrf"], "version": fields["version"], "group": fields["group"], "id": ""}
    # Bad input first: nothing made, the group still open.
    response = await client.post("/admin/faq/new", data={**data, "topics": "glass"})
    assert response.status == 400 and esc(sv("problems.unknown_topic", id="glass")) in await response.text()
    response = await client.post("/admin/faq/new", data=data)
    body = await response.text()
    assert response.status == 200 and sv("admin.faq.diff_title") in body
    assert len(await unanswered_clusters(capp.db)) == 1 and await history_rows(capp) == 0
    saved = form_fields(body.split('/new/save"')[1])
    saved["csrf"] = data["csrf"]
    response = await client.post("/admin/faq/new/save", data=saved, allow_redirects=False)
    assert response.status == 303, await response.text()
    entry_id = response.headers["Location"].split("/admin/faq/")[1].split("?")[0]
    assert capp.knowledge.current.entries[entry_id].question.sv == "glassbaren starta"
    assert await unanswered_clusters(capp.db) == []
    handled = await capp.db.fetchall("SELECT handled FROM unanswered")
    assert [r["handled"] for r in handled] == [1, 1, 1, 1]
    assert (knowledge_copy / "faq" / "90_koordinatorer.yaml").exists()


async def test_new_entry_with_a_taken_id_is_refused(capp, client, knowledge_copy):
    csrf = await csrf_of(client, "/admin/faq/new")
    before = snapshot(knowledge_copy)
    response = await client.post("/admin/faq/new/save", data={**NEW, "id": ENTRY, "csrf": csrf, "version": "none"})
    assert response.status == 400 and esc(sv("admin.faq.exists", id=ENTRY)) in await response.text()
    assert snapshot(knowledge_copy) == before


# --- the bundled knowledge ------------------------------------------------------------------------------


async def test_the_bundled_knowledge_is_shown_and_explained_not_edited(app, coordinator_client):  # noqa: F811
    client = coordinator_client
    explained = esc(sv("admin.faq.not_writable", dir="X")).split("X")[0]
    assert "dukat-bord faq copy" in sv("admin.faq.not_writable") and "DUKAT_KNOWLEDGE_DIR" in sv("admin.faq.not_writable")
    assert ids_in_list(await page(client, "/admin/faq"))
    body = await page(client, f"/admin/faq/{ENTRY}")
    assert 'class="preview"' in body and explained in body
    csrf = await csrf_of(client, f"/admin/faq/{ENTRY}")
    for path in (f"/admin/faq/{ENTRY}/edit", f"/admin/faq/{ENTRY}/retire", "/admin/faq/new", f"/admin/guide/{STEP}/edit"):
        response = await client.get(path)
        assert response.status == 409 and explained in await response.text(), path
    for path in (f"/admin/faq/{ENTRY}/edit", f"/admin/faq/{ENTRY}/save", f"/admin/faq/{ENTRY}/reviewed",
                 f"/admin/faq/{ENTRY}/retire", "/admin/faq/new", "/admin/faq/new/save", f"/admin/faq/{ENTRY}/revert/1",
                 f"/admin/guide/{STEP}/save"):
        response = await client.post(path, data={"csrf": csrf, **NEW, "version": "x"})
        assert response.status == 409 and explained in await response.text(), path
    assert await history_rows(app) == 0


# --- the start guide's steps -------------------------------------------------------------------------------


async def test_guide_steps_list_show_edit_and_revert(capp, client, knowledge_copy):
    steps = capp.knowledge.current.guide
    listing = await page(client, "/admin/guide")
    for step in steps:
        assert f'href="/admin/guide/{step.id}"' in listing and esc(step.title.sv) in listing
    step = capp.knowledge.current.guide_step(STEP)
    body = await page(client, f"/admin/guide/{STEP}")
    assert 'class="columns"' in body and esc(step.title.en) in body and esc(step.body.sv) in body
    before = snapshot(knowledge_copy)
    step_before = KnowledgeEditor(knowledge_copy).entry(GUIDE_PREFIX + STEP)
    fields = await edit_form(client, STEP, "guide")
    fields["csrf"] = await csrf_of(client, f"/admin/guide/{STEP}/edit")
    # Bad input: a step needs a title.
    response = await client.post(f"/admin/guide/{STEP}/edit", data={**fields, "title.en": ""})
    assert response.status == 400 and esc(sv("problems.empty_text")) in await response.text()
    fields["body.sv"] = step.body.sv + " Läs också kommunens sida."
    response = await client.post(f"/admin/guide/{STEP}/edit", data=fields)
    body = await response.text()
    assert response.status == 200 and "<ins>" in body and snapshot(knowledge_copy) == before
    saved = form_fields(body.split('/save"')[1])
    saved["csrf"] = fields["csrf"]
    response = await client.post(f"/admin/guide/{STEP}/save", data=saved, allow_redirects=False)
    assert response.status == 303
    assert capp.knowledge.current.guide_step(STEP).body.sv.endswith("kommunens sida.")
    history = await page(client, f"/admin/guide/{STEP}/history")
    hid = re.search(r'/revert/(\d+)"', history).group(1)
    version = form_fields(history.split(f"/revert/{hid}")[1])["version"]
    response = await client.post(f"/admin/guide/{STEP}/revert/{hid}", data={"csrf": fields["csrf"], "version": version},
                                 allow_redirects=False)
    assert response.status == 303
    # The step is as it was (the editor may fold its long lines differently).
    assert KnowledgeEditor(knowledge_copy).entry(GUIDE_PREFIX + STEP) == step_before
    assert capp.knowledge.current.guide_step(STEP) == step
