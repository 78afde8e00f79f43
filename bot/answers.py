"""Compose replies from an Understanding. Pure: used by the engine and by the stateless `ask`."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from knowledge.model import Authority, FaqEntry, Knowledge
from knowledge.questions_form import is_yes_no_question
from knowledge.text import fold
from knowledge.understanding import Understanding

from .messages import Button, Reply

T = Callable[..., str]  # catalogue lookup bound to one language: t(key, **params)

BOOK_PAYLOAD = "bk:start"
MORE_BUTTONS = 4  # questions of a long message offered as buttons, beyond those answered


def local_authority(authority_id: str, knowledge: Knowledge, text: str) -> Authority:
    """The municipality's own entry when the text names one, else the generic authority."""
    generic = knowledge.authorities[authority_id]
    folded = f" {fold(text)} "
    for a in knowledge.authorities.values():
        if a.parent == authority_id and a.municipality and _spaced(a.municipality) in folded:
            return a
    return generic


@lru_cache(maxsize=4096)
def _spaced(name: str) -> str:
    """A place name folded, with a space on either side: found only as whole words."""
    return f" {fold(name)} "


def authority_line(authority: Authority, lang: str, t: T) -> str:
    line = t("faq.responsible", name=authority.name.get(lang), website=authority.website)
    if authority.asf_unit is not None:
        line += "\n" + t("faq.asf_unit", unit=authority.asf_unit.get(lang))
    return line


def answer_text(entry: FaqEntry, lang: str, text: str = "") -> str:
    """The entry's answer, opened by its yes/no lead ("Ja, i praktiken.") only when `text` asks a yes/no question."""
    body = entry.answer.get(lang)
    if entry.lead is not None and text and is_yes_no_question(text, lang):
        return f"{entry.lead.get(lang)} {body}"
    return body


def faq_reply(entry: FaqEntry, knowledge: Knowledge, lang: str, t: T, text: str = "", can_book: bool = False) -> Reply:
    """An FAQ answer with its responsible authority; `text` is what the user wrote (empty for a button)."""
    responsible = local_authority(entry.authorities[0], knowledge, text)
    body = f"{answer_text(entry, lang, text)}\n\n{authority_line(responsible, lang, t)}"
    buttons = [[Button(t("faq.book_button"), BOOK_PAYLOAD)]] if can_book else []
    return Reply(body, buttons=buttons)


def routing_reply(entry: FaqEntry, knowledge: Knowledge, lang: str, t: T, text: str = "") -> Reply:
    lines = [t("faq.routing_intro", question=entry.question.get(lang))]
    for authority_id in entry.authorities:
        a = local_authority(authority_id, knowledge, text)
        lines.append(t("faq.routing_item", name=a.name.get(lang), what=a.responsible_for.get(lang), website=a.website))
    lines.append(t("faq.routing_more", question=entry.question.get(lang)))
    return Reply("\n\n".join(lines), buttons=[[Button(t("faq.show_answer"), f"faq:{entry.id}")]])


def authority_routing_reply(authority_ids: tuple[str, ...], knowledge: Knowledge, lang: str, t: T, text: str) -> Reply:
    """A routing question whose subject matched no entry but clearly belongs to an authority."""
    lines = [t("faq.routing_authority_intro")]
    for authority_id in authority_ids:
        a = local_authority(authority_id, knowledge, text)
        lines.append(t("faq.routing_item", name=a.name.get(lang), what=a.responsible_for.get(lang), website=a.website))
    return Reply("\n\n".join(lines))


def follow_up_unknown_reply(entry: FaqEntry, knowledge: Knowledge, u: Understanding, t: T) -> Reply:
    """A follow-up the FAQ cannot answer: say so, name what it was about and who knows."""
    lang = u.lang
    responsible = local_authority(entry.authorities[0], knowledge, u.text)
    text = t("faq.follow_up_unknown", subject=entry.question.get(lang)) + "\n\n" + authority_line(responsible, lang, t)
    return Reply(text, buttons=[[Button(t("faq.show_answer_again"), f"faq:{entry.id}")]])


def several_reply(items: list[Understanding], knowledge: Knowledge, lang: str, t: T, can_book: bool = False) -> Reply:
    """Several questions in one message: each answered one after the other with its authority, in one
    reply; what was only suggested (or beyond the first three) comes as buttons."""
    parts = [t("faq.several_intro")]
    buttons: list[list[Button]] = []
    for u in items:
        entry = knowledge.entries.get(u.faq_id or "")
        if u.intent == "faq" and entry is not None:
            body = faq_reply(entry, knowledge, lang, t, u.text).text
        elif u.intent == "routing" and entry is not None:
            body = routing_reply(entry, knowledge, lang, t, u.text).text
        elif u.intent == "routing" and u.authorities:
            body = authority_routing_reply(u.authorities, knowledge, lang, t, u.text).text
        elif u.intent == "did_you_mean":
            buttons += _entry_buttons(u.suggestions[:MORE_BUTTONS], knowledge, lang)
            continue
        else:
            continue
        parts.append(t("faq.several_item", question=u.text.strip(), answer=body))
    if buttons:
        parts.append(t("faq.several_more"))
    if can_book:
        buttons.append([Button(t("faq.book_button"), BOOK_PAYLOAD)])
    return Reply("\n\n".join(parts), buttons=buttons)


def _entry_buttons(ids: tuple[str, ...], knowledge: Knowledge, lang: str) -> list[list[Button]]:
    """One button a row for each entry, labelled with its question."""
    return [[Button(knowledge.entries[i].question.get(lang), f"faq:{i}")] for i in ids if i in knowledge.entries]


def suggestions_reply(ids: tuple[str, ...], knowledge: Knowledge, lang: str, t: T) -> Reply:
    buttons = _entry_buttons(ids, knowledge, lang)
    buttons.append([Button(t("faq.none_of_these"), "faq:-")])
    return Reply(t("faq.did_you_mean"), buttons=buttons)


def fallback_reply(u: Understanding, knowledge: Knowledge, lang: str, t: T, can_book: bool = False) -> Reply:
    text = t("faq.fallback")
    if u.authorities:
        text += "\n\n" + t("faq.fallback_contact") + "\n" + authority_line(
            local_authority(u.authorities[0], knowledge, u.text), lang, t
        )
    buttons = [[Button(t("faq.book_button"), BOOK_PAYLOAD)]] if can_book else []
    return Reply(text, buttons=buttons)


def overview_reply(knowledge: Knowledge, lang: str, t: T) -> Reply:
    """Who does what: every national/general authority in one compact list (its `in_short` line)."""
    items = [
        t("core.overview_item", name=a.name.get(lang), what=(a.in_short or a.responsible_for).get(lang), website=a.website)
        for a in knowledge.authorities.values()
        if a.parent is None
    ]
    return Reply(t("core.overview_intro") + "\n\n" + "\n".join(items) + "\n\n" + t("core.overview_more"))


def compose(u: Understanding, knowledge: Knowledge, t: T, can_book: bool = False) -> list[Reply]:
    """The replies for an understood message, without any conversation state."""
    lang = u.lang
    if u.intent == "faq" and u.faq_id in knowledge.entries:
        return [faq_reply(knowledge.entries[u.faq_id], knowledge, lang, t, u.text, can_book)]
    if u.intent == "routing" and u.faq_id in knowledge.entries:
        return [routing_reply(knowledge.entries[u.faq_id], knowledge, lang, t, u.text)]
    if u.intent == "routing" and u.authorities:
        return [authority_routing_reply(u.authorities, knowledge, lang, t, u.text)]
    if u.intent == "did_you_mean" and u.suggestions:
        return [suggestions_reply(u.suggestions, knowledge, lang, t)]
    simple = {
        "greeting": "core.greeting",
        "help": "core.help",
        "thanks": "core.thanks",
        "human": "core.human",
        "privacy": "core.privacy",
        "empty": "core.empty",
        "booking": "core.booking_hint" if can_book else "core.booking_unavailable",
        "my_meetings": "core.booking_hint" if can_book else "core.booking_unavailable",
        "cancel": "core.booking_hint" if can_book else "core.booking_unavailable",
    }
    if u.intent in simple:
        return [Reply(t(simple[u.intent]))]
    if u.intent == "switch_language":
        return [Reply(t("core.language_switched"))]
    if u.intent == "who_does_what":
        return [overview_reply(knowledge, lang, t)]
    return [fallback_reply(u, knowledge, lang, t, can_book)]


