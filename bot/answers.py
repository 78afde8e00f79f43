"""Compose replies from an Understanding. Pure: used by the engine and by the stateless `ask`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from knowledge.followup import asks_amount, part_asked, size_decided
from knowledge.model import SERVICE_TOPICS, Authority, Bilingual, FaqEntry, Knowledge
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
# Entries that send the founder to the municipality: their answer also says whom to ask for there.
MUNICIPAL_CONTACT_ENTRIES = frozenset({"kontakta-kommunen", "naringslivsenhet", "arbetsmarknadsenhet"})


@dataclass(frozen=True)
class Operator:
    """Who runs this installation of the bot (DUKAT_OPERATOR_NAME, DUKAT_OPERATOR_URL); None where not set."""

    name: str | None = None
    url: str | None = None

    @classmethod
    def of(cls, settings: Any) -> "Operator":
        return cls(settings.operator_name, settings.operator_url)


def about_service(entry: FaqEntry) -> bool:
    """Whether the entry is about this service itself, answered for by its operator (not the municipality)."""
    return not SERVICE_TOPICS.isdisjoint(entry.topics)


def operator_authority(operator: Operator | None, t: T) -> Authority:
    """The operator as the authority responsible: its configured name and address, or "whoever runs this chat
    service" while neither is set."""
    operator = operator or Operator()
    name, does = operator.name or t("local.operator_unnamed"), t("local.operator_does")
    return Authority(id="operator", name=Bilingual(sv=name, en=name), responsible_for=Bilingual(sv=does, en=does),
                     website=operator.url)


def operator_note(operator: Operator | None, t: T) -> str | None:
    """How to find out who runs the service, while the installation names no operator at all."""
    return None if operator is not None and (operator.name or operator.url) else t("local.operator_ask")


def privacy_text(t: T, operator: Operator | None) -> str:
    """The privacy notice (/integritet): what is stored, and who is responsible for it here."""
    operator = operator or Operator()
    name = operator.name or t("local.operator_unnamed")
    who = (t("local.privacy_operator", name=name, url=operator.url) if operator.url
           else t("local.privacy_operator_unlinked", name=name))
    note = operator_note(operator, t)
    return f"{t('core.privacy')}\n\n{who}" + (f" {note}" if note else "")


def local_authority(authority_id: str, knowledge: Knowledge, text: str, t: T, home: Municipality | None = None) -> Authority:
    """The municipality's own entry when the text names one; for `kommun` and `region` the founder's own
    municipality (`home`) or, while unknown, "din kommun" without a link; else the generic authority."""
    generic = knowledge.authorities[authority_id]
    folded = f" {fold(text)} "
    for a in knowledge.authorities.values():
        if a.parent == authority_id and a.municipality and _spaced(a.municipality) in folded:
            return a
    if authority_id in HOME_AUTHORITIES:
        return home_authority(generic, t, home, knowledge)
    return generic


def home_authority(generic: Authority, t: T, home: Municipality | None,
                   knowledge: Knowledge | None = None) -> Authority:
    """`generic` (kommun or region) named as the founder's own: "Norrköpings kommun" with its website, "Region
    Östergötland" (linked only where the data has a link); "din kommun" / "din region" while unknown. A municipality
    with an entry of its own in `knowledge` (authorities.yaml, from the seeds) keeps what that entry says it does
    and its ASF unit."""
    if home is not None and generic.id == "kommun" and home.official:
        name, website = home.official, home.website
        generic = next((a for a in (knowledge.authorities.values() if knowledge else ())
                        if a.parent == "kommun" and a.municipality == home.name), generic)
    elif home is not None and generic.id == "region" and home.region:
        name, website = home.region, None
    else:
        name, website = t(f"home.your_{generic.id}"), None
    return generic.model_copy(update={"name": Bilingual(sv=name, en=name), "website": website})


def unit_note(authority: Authority, lang: str, t: T, home: Municipality | None) -> str | None:
    """Whom to ask for at a municipality the founder is sent to, when no seed names its ASF unit (a named unit is
    already in its authority line): its business office or labour-market unit, via its website; while the founder's
    municipality is unknown, where to look and how to tell it. None for any other authority."""
    if authority.asf_unit is not None or (authority.id != "kommun" and authority.parent != "kommun"):
        return None
    if authority.id == "kommun" and home is None:
        return t("local.ask_for_unit_home_unknown")
    name = authority.name.get(lang)
    if authority.website:
        return t("local.ask_for_unit", name=name, website=authority.website)
    return t("local.ask_for_unit_unlinked", name=name)


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


def _with_note(text: str, note: str | None) -> str:
    return f"{text}\n{note}" if note else text


def responsible_line(entry: FaqEntry, knowledge: Knowledge, lang: str, t: T, text: str = "",
                     home: Municipality | None = None, operator: Operator | None = None, contact: bool = False) -> str:
    """The "Ansvarig" line of an entry: its first authority, the founder's own municipality for `kommun`, or the
    operator for an entry about this service. `contact`: the founder is sent there, so say whom to ask for."""
    if about_service(entry):
        return _with_note(authority_line(operator_authority(operator, t), lang, t), operator_note(operator, t))
    responsible = local_authority(entry.authorities[0], knowledge, text, t, home)
    return _with_note(authority_line(responsible, lang, t), unit_note(responsible, lang, t, home) if contact else None)


def faq_reply(entry: FaqEntry, knowledge: Knowledge, lang: str, t: T, text: str = "", can_book: bool = False,
              home: Municipality | None = None, operator: Operator | None = None) -> Reply:
    """An FAQ answer with its responsible authority; `text` is what the user wrote (empty for a button)."""
    footer = responsible_line(entry, knowledge, lang, t, text, home, operator,
                              contact=entry.id in MUNICIPAL_CONTACT_ENTRIES)
    body = f"{answer_text(entry, lang, text)}\n\n{footer}"
    buttons = [[Button(t("faq.book_button"), BOOK_PAYLOAD)]] if can_book else []
    return Reply(body, buttons=buttons)


def routing_item(a: Authority, lang: str, t: T) -> str:
    if a.website:
        item = t("faq.routing_item", name=a.name.get(lang), what=a.responsible_for.get(lang), website=a.website)
    else:
        item = t("faq.routing_item_unlinked", name=a.name.get(lang), what=a.responsible_for.get(lang))
    if a.asf_unit is not None:
        item += "\n" + t("faq.asf_unit", unit=a.asf_unit.get(lang))
    return item


def _routing_items(authority_ids: tuple[str, ...] | list[str], knowledge: Knowledge, lang: str, t: T, text: str,
                   home: Municipality | None) -> list[str]:
    """One item per authority the founder is sent to; at a municipality, also whom to ask for there."""
    items = []
    for authority_id in authority_ids:
        a = local_authority(authority_id, knowledge, text, t, home)
        items.append(_with_note(routing_item(a, lang, t), unit_note(a, lang, t, home)))
    return items


def routing_reply(entry: FaqEntry, knowledge: Knowledge, lang: str, t: T, text: str = "",
                  home: Municipality | None = None, operator: Operator | None = None) -> Reply:
    lines = [t("faq.routing_intro", question=entry.question.get(lang))]
    if about_service(entry):
        lines.append(_with_note(routing_item(operator_authority(operator, t), lang, t), operator_note(operator, t)))
    else:
        lines += _routing_items(entry.authorities, knowledge, lang, t, text, home)
    lines.append(t("faq.routing_more", question=entry.question.get(lang)))
    return Reply("\n\n".join(lines), buttons=[[Button(t("faq.show_answer"), f"faq:{entry.id}")]])


def authority_routing_reply(authority_ids: tuple[str, ...], knowledge: Knowledge, lang: str, t: T, text: str,
                            home: Municipality | None = None) -> Reply:
    """A routing question whose subject matched no entry but clearly belongs to an authority."""
    lines = [t("faq.routing_authority_intro")] + _routing_items(authority_ids, knowledge, lang, t, text, home)
    return Reply("\n\n".join(lines))


def follow_up_unknown_reply(entry: FaqEntry, knowledge: Knowledge, u: Understanding, t: T,
                            home: Municipality | None = None, operator: Operator | None = None) -> Reply:
    """A follow-up the FAQ cannot answer: say so, name what it was about and who knows."""
    lang = u.lang
    footer = responsible_line(entry, knowledge, lang, t, u.text, home, operator, contact=True)
    text = t("faq.follow_up_unknown", subject=entry.question.get(lang)) + "\n\n" + footer
    return Reply(text, buttons=[[Button(t("faq.show_answer_again"), f"faq:{entry.id}")]])


def just_answered_reply(entry: FaqEntry, knowledge: Knowledge, u: Understanding, t: T, can_book: bool = False,
                        home: Municipality | None = None, operator: Operator | None = None) -> Reply:
    """A message that would get the answer just given again: the part of it asked for, or a short word that
    it was the answer just given, with who to ask and a meeting; the whole answer stays one button away."""
    lang = u.lang
    responsible = (operator_authority(operator, t) if about_service(entry)
                   else local_authority(entry.authorities[0], knowledge, u.text, t, home))
    part = part_asked(u.text, entry, lang)
    subject = entry.question.get(lang)
    if part:
        text = t("match.part_of_answer", subject=subject, part=part)
    elif asks_amount(u.text):
        # The answers give no sums that change (knowledge/data/faq): said so, with who decides and who knows.
        decided = size_decided(entry, lang)
        text = t("match.no_amounts_decided" if decided else "match.no_amounts", subject=subject, part=decided,
                 authority=responsible.name.get(lang))
    else:
        text = t("match.just_answered", subject=subject, authority=responsible.name.get(lang))
    offered = [knowledge.entries[i] for i in u.suggestions if i in knowledge.entries] if not part else []
    if offered:  # entries whose own question asks what this did ("Hur lång tid tar det att starta ett ASF?")
        text += "\n\n" + t("match.maybe_these")
    buttons = [[Button(other.question.get(lang), f"faq:{other.id}")] for other in offered]
    buttons.append([Button(t("match.whole_answer_again"), f"faq:{entry.id}")])
    if can_book:
        buttons.append([Button(t("faq.book_button"), BOOK_PAYLOAD)])
    footer = responsible_line(entry, knowledge, lang, t, u.text, home, operator,
                              contact=entry.id in MUNICIPAL_CONTACT_ENTRIES)
    return Reply(text + "\n\n" + footer, buttons=buttons)


def several_reply(items: list[Understanding], knowledge: Knowledge, lang: str, t: T, can_book: bool = False,
                  home: Municipality | None = None, operator: Operator | None = None) -> Reply:
    """Several questions in one message: each answered one after the other with its authority, in one
    reply; what was only suggested (or beyond the first three) comes as buttons."""
    parts = [t("faq.several_intro")]
    buttons: list[list[Button]] = []
    for u in items:
        entry = knowledge.entries.get(u.faq_id or "")
        if u.intent == "faq" and entry is not None:
            body = faq_reply(entry, knowledge, lang, t, u.text, home=home, operator=operator).text
        elif u.intent == "routing" and entry is not None:
            body = routing_reply(entry, knowledge, lang, t, u.text, home, operator).text
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
        contact = local_authority(u.authorities[0], knowledge, u.text, t, home)
        text += "\n\n" + t("faq.fallback_contact") + "\n" + _with_note(authority_line(contact, lang, t),
                                                                           unit_note(contact, lang, t, home))
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
            home: Municipality | None = None, operator: Operator | None = None) -> list[Reply]:
    """The replies for an understood message; `home` is the founder's municipality where known, `operator` who
    runs this installation where set."""
    lang = u.lang
    if u.intent == "faq" and u.faq_id in knowledge.entries:
        return [faq_reply(knowledge.entries[u.faq_id], knowledge, lang, t, u.text, can_book, home, operator)]
    if u.intent == "routing" and u.faq_id in knowledge.entries:
        return [routing_reply(knowledge.entries[u.faq_id], knowledge, lang, t, u.text, home, operator)]
    if u.intent == "routing" and u.authorities:
        return [authority_routing_reply(u.authorities, knowledge, lang, t, u.text, home)]
    if u.intent == "just_answered" and u.faq_id in knowledge.entries:
        return [just_answered_reply(knowledge.entries[u.faq_id], knowledge, u, t, can_book, home, operator)]
    if u.intent == "did_you_mean" and u.suggestions:
        return [suggestions_reply(u.suggestions, knowledge, lang, t)]
    simple = {
        "greeting": "core.greeting",
        "help": "core.help",
        "thanks": "core.thanks",
        "human": "core.human",
        "empty": "core.empty",
        "booking": "core.booking_hint" if can_book else "core.booking_unavailable",
        "my_meetings": "core.booking_hint" if can_book else "core.booking_unavailable",
        "cancel": "core.booking_hint" if can_book else "core.booking_unavailable",
    }
    if u.intent in simple:
        return [Reply(t(simple[u.intent]))]
    if u.intent == "privacy":
        return [Reply(privacy_text(t, operator))]
    if u.intent == "switch_language":
        return [Reply(t("core.language_switched"))]
    if u.intent == "who_does_what":
        return [overview_reply(knowledge, lang, t)]
    return [fallback_reply(u, knowledge, lang, t, can_book, home)]


