"""Compose replies from an Understanding. Pure: used by the engine and by the stateless `ask`."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from knowledge.followup import part_asked
from knowledge.model import Authority, Bilingual, FaqEntry, Knowledge
from knowledge.municipalities import Municipality
from knowledge.questions_form import is_yes_no_question
from knowledge.text import fold
from knowledge.understanding import Understanding

from .messages import Button, Reply

T = Callable[..., str]  # catalogue lookup bound to one language: t(key, **params)

BOOK_PAYLOAD = "bk:start"
MORE_BUTTONS = 4  # questions of a long message offered as buttons, beyond those answered


# Authorities that are the founder's own: shown as their municipality (or its region), "din kommun" while unknown.
HOME_AUTHORITIES = ("kommun", "region")


def local_authority(authority_id: str, knowledge: Knowledge, text: str, t: T, home: Municipality | None = None) -> Authority:
    """The municipality's own entry when the text names one; for `kommun` and `region` the founder's own
    municipality (`home`) or, while unknown, "din kommun" without a link; else the generic authority."""
    generic = knowledge.authorities[authority_id]
    folded = f" {fold(text)} "
    for a in knowledge.authorities.values():
        if a.parent == authority_id and a.municipality and _spaced(a.municipality) in folded:
            return a
    if authority_id in HOME_AUTHORITIES:
        return home_authority(generic, t, home)
    return generic


def home_authority(generic: Authority, t: T, home: Municipality | None) -> Authority:
    """`generic` (kommun or region) named as the founder's own: "Norrköpings kommun" with its website, "Region
    Östergötland" (linked only where the data has a link); "din kommun" / "din region" while unknown."""
    if home is not None and generic.id == "kommun" and home.official:
        name, website = home.official, home.website
    elif home is not None and generic.id == "region" and home.region:
        name, website = home.region, None
    else:
        name, website = t(f"home.your_{generic.id}"), None
    return generic.model_copy(update={"name": Bilingual(sv=name, en=name), "website": website})


def mentions_home(authority_ids: tuple[str, ...] | list[str]) -> bool:
    """Whether an answer naming these authorities names the founder's own municipality or region."""
    return any(a in HOME_AUTHORITIES for a in authority_ids)


@lru_cache(maxsize=4096)
def _spaced(name: str) -> str:
    """A place name folded, with a space on either side: found only as whole words."""
    return f" {fold(name)} "


def authority_line(authority: Authority, lang: str, t: T) -> str:
    if authority.website:
        line = t("faq.responsible", name=authority.name.get(lang), website=authority.website)
    else:
        line = t("faq.responsible_unlinked", name=authority.name.get(lang))
    if authority.asf_unit is not None:
        line += "\n" + t("faq.asf_unit", unit=authority.asf_unit.get(lang))
    return line


def answer_text(entry: FaqEntry, lang: str, text: str = "") -> str:
    """The entry's answer, opened by its yes/no lead ("Ja, i praktiken.") only when `text` asks a yes/no question."""
    body = entry.answer.get(lang)
    if entry.lead is not None and text and is_yes_no_question(text, lang):
        return f"{entry.lead.get(lang)} {body}"
    return body


def faq_reply(entry: FaqEntry, knowledge: Knowledge, lang: str, t: T, text: str = "", can_book: bool = False,
              home: Municipality | None = None) -> Reply:
    """An FAQ answer with its responsible authority; `text` is what the user wrote (empty for a button)."""
    responsible = local_authority(entry.authorities[0], knowledge, text, t, home)
    body = f"{answer_text(entry, lang, text)}\n\n{authority_line(responsible, lang, t)}"
    buttons = [[Button(t("faq.book_button"), BOOK_PAYLOAD)]] if can_book else []
    return Reply(body, buttons=buttons)


def routing_item(a: Authority, lang: str, t: T) -> str:
    if a.website:
        return t("faq.routing_item", name=a.name.get(lang), what=a.responsible_for.get(lang), website=a.website)
    return t("faq.routing_item_unlinked", name=a.name.get(lang), what=a.responsible_for.get(lang))


def routing_reply(entry: FaqEntry, knowledge: Knowledge, lang: str, t: T, text: str = "",
                  home: Municipality | None = None) -> Reply:
    lines = [t("faq.routing_intro", question=entry.question.get(lang))]
    for authority_id in entry.authorities:
        lines.append(routing_item(local_authority(authority_id, knowledge, text, t, home), lang, t))
    lines.append(t("faq.routing_more", question=entry.question.get(lang)))
    return Reply("\n\n".join(lines), buttons=[[Button(t("faq.show_answer"), f"faq:{entry.id}")]])


def authority_routing_reply(authority_ids: tuple[str, ...], knowledge: Knowledge, lang: str, t: T, text: str,
                            home: Municipality | None = None) -> Reply:
    """A routing question whose subject matched no entry but clearly belongs to an authority."""
    lines = [t("faq.routing_authority_intro")]
    for authority_id in authority_ids:
        lines.append(routing_item(local_authority(authority_id, knowledge, text, t, home), lang, t))
    return Reply("\n\n".join(lines))


def follow_up_unknown_reply(entry: FaqEntry, knowledge: Knowledge, u: Understanding, t: T,
                            home: Municipality | None = None) -> Reply:
    """A follow-up the FAQ cannot answer: say so, name what it was about and who knows."""
    lang = u.lang
    responsible = local_authority(entry.authorities[0], knowledge, u.text, t, home)
    text = t("faq.follow_up_unknown", subject=entry.question.get(lang)) + "\n\n" + authority_line(responsible, lang, t)
    return Reply(text, buttons=[[Button(t("faq.show_answer_again"), f"faq:{entry.id}")]])


def just_answered_reply(entry: FaqEntry, knowledge: Knowledge, u: Understanding, t: T, can_book: bool = False,
                        home: Municipality | None = None) -> Reply:
    """A message that would get the answer just given again: the part of it asked for, or a short word that
    it was the answer just given, with who to ask and a meeting; the whole answer stays one button away."""
    lang = u.lang
    responsible = local_authority(entry.authorities[0], knowledge, u.text, t, home)
    part = part_asked(u.text, entry, lang)
    subject = entry.question.get(lang)
    if part:
        text = t("match.part_of_answer", subject=subject, part=part)
    else:
        text = t("match.just_answered", subject=subject, authority=responsible.name.get(lang))
    buttons = [[Button(t("match.whole_answer_again"), f"faq:{entry.id}")]]
    if can_book:
        buttons.append([Button(t("faq.book_button"), BOOK_PAYLOAD)])
    return Reply(text + "\n\n" + authority_line(responsible, lang, t), buttons=buttons)


def several_reply(items: list[Understanding], knowledge: Knowledge, lang: str, t: T, can_book: bool = False,
                  home: Municipality | None = None) -> Reply:
    """Several questions in one message: each answered one after the other with its authority, in one
    reply; what was only suggested (or beyond the first three) comes as buttons."""
    parts = [t("faq.several_intro")]
    buttons: list[list[Button]] = []
    for u in items:
        entry = knowledge.entries.get(u.faq_id or "")
        if u.intent == "faq" and entry is not None:
            body = faq_reply(entry, knowledge, lang, t, u.text, home=home).text
        elif u.intent == "routing" and entry is not None:
            body = routing_reply(entry, knowledge, lang, t, u.text, home).text
        elif u.intent == "routing" and u.authorities:
            body = authority_routing_reply(u.authorities, knowledge, lang, t, u.text, home).text
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


def fallback_reply(u: Understanding, knowledge: Knowledge, lang: str, t: T, can_book: bool = False,
                   home: Municipality | None = None) -> Reply:
    text = t("faq.fallback")
    if u.authorities:
        text += "\n\n" + t("faq.fallback_contact") + "\n" + authority_line(
            local_authority(u.authorities[0], knowledge, u.text, t, home), lang, t
        )
    buttons = [[Button(t("faq.book_button"), BOOK_PAYLOAD)]] if can_book else []
    return Reply(text, buttons=buttons)


def overview_reply(knowledge: Knowledge, lang: str, t: T) -> Reply:
    """Who does what: every national/general authority in one compact list (its `in_short` line)."""
    items = [
        t("core.overview_item", name=a.name.get(lang), what=(a.in_short or a.responsible_for).get(lang), website=a.website)
        if a.website else
        t("core.overview_item_unlinked", name=a.name.get(lang), what=(a.in_short or a.responsible_for).get(lang))
        for a in knowledge.authorities.values()
        if a.parent is None
    ]
    return Reply(t("core.overview_intro") + "\n\n" + "\n".join(items) + "\n\n" + t("core.overview_more"))


def compose(u: Understanding, knowledge: Knowledge, t: T, can_book: bool = False,
            home: Municipality | None = None) -> list[Reply]:
    """The replies for an understood message; `home` is the founder's municipality where known."""
    lang = u.lang
    if u.intent == "faq" and u.faq_id in knowledge.entries:
        return [faq_reply(knowledge.entries[u.faq_id], knowledge, lang, t, u.text, can_book, home)]
    if u.intent == "routing" and u.faq_id in knowledge.entries:
        return [routing_reply(knowledge.entries[u.faq_id], knowledge, lang, t, u.text, home)]
    if u.intent == "routing" and u.authorities:
        return [authority_routing_reply(u.authorities, knowledge, lang, t, u.text, home)]
    if u.intent == "just_answered" and u.faq_id in knowledge.entries:
        return [just_answered_reply(knowledge.entries[u.faq_id], knowledge, u, t, can_book, home)]
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
    return [fallback_reply(u, knowledge, lang, t, can_book, home)]


