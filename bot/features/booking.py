"""Booking a Dukat bord meeting in chat, "mina möten", and the officials' answers.

Founder's flow (session flow "booking"): consent → topics → idea (optional) → municipality → times
("fler tider") → confirm → booked with an .ics file. Time buttons carry the start in epoch minutes
and the officials are chosen again when pressed, so stale buttons never book a taken time.
Payloads: `bk:` for founders, `mt:acc:<ref>:<version>` / `mt:dec:<ref>:<version>` for officials.

Buttons about a meeting carry the meeting's version (`Meeting.sequence`, raised by every change of time,
officials or state) where pressing an old one could do harm: an official's answer and the founder's
"yes, cancel". A press on an older version acts on nothing and shows the meeting as it is now.
Replies to officials' presses are in the official's language (`officials.lang`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import datetime, timedelta, timezone

from knowledge.municipalities import find_municipality, load_municipalities, municipality_alone
from knowledge.reading import WORDS, TimeWish, means_everything, read_several, read_time
from knowledge.text import tokens
from knowledge.understanding import MOVE, bare_intent, understand

from booking.model import (
    BookingError, InvalidRequest, Meeting, MeetingNotFound, NotAllowed, SameTime, SlotTaken, StaleVersion, TooManyMeetings,
)
from booking.service import IDEA_MAX_CHARS

from ..answers import BOOK_PAYLOAD
from ..booking_texts import BookingTexts, minutes
from ..engine import Feature, Turn, clean_text
from ..formatting import format_short, format_wish
from ..unanswered import looks_hostile, worth_logging
from ..messages import Button, Reply
from ..roles import OFFICIAL
from .home import home_of, remember_home

_REF = re.compile(r"^[A-Z2-9]{5}$")
_VERSION = re.compile(r"^\d{1,6}$")


def _ref_and_version(arg: str) -> tuple[str, int | None] | None:
    """'K7Q2A:3' -> ('K7Q2A', 3); 'K7Q2A' (a message from before versions) -> ('K7Q2A', None); junk -> None."""
    ref, colon, version = arg.partition(":")
    if not _REF.match(ref) or (colon and not _VERSION.match(version)):
        return None
    return ref, int(version) if colon else None


def _from_minutes(value: str) -> datetime | None:
    try:
        number = int(value)
    except ValueError:
        return None
    if not 0 < number < 10**8:  # absurd values (before 1970 or after year 2160) are refused
        return None
    return datetime.fromtimestamp(number * 60, tz=timezone.utc)


def wish_in(text: str, now: datetime) -> TimeWish | None:
    """The day and time a request ends with ("kan jag boka ett möte på fredag förmiddag?"), the longest such
    ending; a lone number ("... ett") is no time."""
    words = text.rstrip(" ?!.").split()
    for start in range(len(words)):
        tail = words[start:]
        if all(w.lower() in WORDS.number_words for w in tail):
            return None
        wish = read_time(" ".join(tail), now, WORDS.time)
        if wish is not None:
            return wish
    return None


@lru_cache(maxsize=1)
def _municipalities():
    return load_municipalities()


class BookingFeature(Feature):
    name = "booking"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.texts = BookingTexts(app)
        self.commands = {
            "/boka": self.start, "/book": self.start,
            "/mina": self.my_meetings, "/my": self.my_meetings, "/mina_moten": self.my_meetings,
            "/avboka": self.cancel_command, "/cancel": self.cancel_command,
            "/agenda": self.agenda,
        }
        self.intents = {"booking": self.start, "my_meetings": self.my_meetings, "cancel": self.cancel_command}
        self.payloads = {"bk": self.founder_button, "mt": self.official_button}
        self.steps = {"booking.idea": self.idea_text, "booking.municipality": self.municipality_text,
                      "booking.topics": self.topics_text}
        # "": a day and time typed outside any flow ("imorgon kl 10") is a wish for a meeting then
        self.time_steps = {"booking.times": self.time_wish, "booking.confirm": self.time_wish, "": self.book_at}
        self.navigation = {"booking:back": self.step_back, "booking:restart": self.restart}
        self.reask = {"booking.times": "booking.times_reask", "booking.topics": "booking.topics_help"}
        self.starts = {BOOK_PAYLOAD: "booking"}
        self.deep_links = {"boka": self.start, "book": self.start, "inv_": self.redeem}
        self.required_roles = {"/agenda": "official"}  # "official": linked to an active official (booking's provider)

    @property
    def service(self):
        return self.app.booking

    @property
    def municipalities(self):
        return _municipalities()

    # --- founder: the flow --------------------------------------------------------------------

    async def start(self, turn: Turn, _: str = "") -> list[Reply]:
        session, pending = turn.session, turn.user.pending
        if (session.flow == "booking" and session.step != "consent" and not session.data.get("move_ref")
                and pending is not None and pending.step == f"booking.{session.step}"):
            # Already booking ("boka möte" again, an answer's book button): go on from here, keep what was chosen.
            turn.asked_again = pending
            return [pending.reply(lead=turn.t("booking.in_progress"))]
        if not await self.service.can_book_more(turn.address):
            return [Reply(turn.t("booking.too_many", limit=self.service.rules.max_upcoming_per_founder))]
        turn.session.start("booking", "consent")
        wish = wish_in(turn.incoming.text, turn.now) if turn.incoming.text else None
        if wish is not None:  # "kan jag boka ett möte på fredag förmiddag?": the times will be near it
            turn.session.data["wish"] = [wish.start.isoformat(), wish.end.isoformat(), wish.exact]
        buttons = [[Button(turn.t("booking.consent_yes"), "bk:ok", "yes next"), self._cancel_button(turn)]]
        return [Reply(turn.t("booking.privacy"), buttons=buttons)]

    async def book_at(self, turn: Turn, wish: TimeWish) -> list[Reply] | None:
        """A day and time alone, outside a booking: a booking with the times near it."""
        return await self.start(turn)

    def _cancel_button(self, turn: Turn, no: bool = True) -> Button:
        """`no`: typing "nej" cancels, where the step asked a yes/no question (the consent), not elsewhere."""
        return Button(turn.t("booking.cancel_flow"), "bk:no", "cancel no" if no else "cancel")

    def _skip_idea_button(self, turn: Turn) -> Button:
        return Button(turn.t("booking.skip"), "bk:idea-", "skip next no done")

    def _no_municipality_button(self, turn: Turn) -> Button:
        return Button(turn.t("booking.municipality_any"), "bk:mun:-", "skip no next done")

    async def founder_button(self, turn: Turn, rest: str) -> list[Reply] | None:
        action, _, arg = rest.partition(":")
        if action == "start":
            return await self.start(turn)
        if action == "cx":
            return await self.ask_cancel(turn, arg)
        if action == "cxy":
            return await self.do_cancel(turn, arg)
        if action == "keep":
            return await self.keep(turn, arg)
        if action == "mv":
            return await self.start_move(turn, arg)
        if action == "re":
            return await self.rebook(turn, arg)
        session = turn.session
        if session.flow != "booking":
            return self.stale(turn)
        handler = {
            "ok": self.consented, "no": self.abandon, "tp": self.toggle_topic, "tpd": self.topics_done,
            "idea-": self.skip_idea, "mun": self.municipality_button, "t": self.pick_time, "more": self.more_times,
            "back": self.back_to_times, "yes": self.confirm, "gs": self.guide_share, "ed": self.edit,
        }.get(action)
        if handler is None:
            return None
        return await handler(turn, arg)

    async def step_back(self, turn: Turn, step: str) -> list[Reply] | None:
        """ "tillbaka" typed: the step before, with what was chosen kept (a move has no steps before its times)."""
        data = turn.session.data
        if data.get("move_ref"):
            return None
        if step == "idea" and data.pop("editing", None) and "start" in data:
            turn.session.step = "confirm"
            return await self.pick_time(turn, str(data["start"]))
        if step == "idea":
            turn.session.step = "topics"
            return [self._topics_reply(turn)]
        if step == "municipality":
            return [self._ask_idea(turn)]
        if step == "times":
            return self._ask_municipality(turn)
        pending = turn.user.pending
        if step in ("consent", "topics") and pending is not None and pending.step == f"booking.{step}":
            # Nothing before it: said so, as the guide does at its first step, with the step's options (Cancel
            # among them) again.
            turn.asked_again = pending
            return [pending.reply(lead=turn.t("booking.at_first_step", cancel=turn.t("booking.cancel_flow")))]
        return None

    async def restart(self, turn: Turn, _: str) -> list[Reply] | None:
        """ "börja om" typed: the booking from its first question, nothing kept (a move is not restarted)."""
        if turn.session.data.get("move_ref"):
            return None
        turn.session.clear()
        return await self.start(turn)

    def stale(self, turn: Turn) -> list[Reply]:
        return [Reply(turn.t("booking.stale_button"), buttons=[[Button(turn.t("booking.start_again"), "bk:start", "restart yes")]])]

    async def abandon(self, turn: Turn, _: str) -> list[Reply]:
        turn.session.clear()
        return [Reply(turn.t("booking.flow_cancelled"), replaces_pressed=True)]

    def _bookable(self) -> list[str]:
        return [t.id for t in self.app.knowledge.current.topics.values() if t.bookable]

    async def consented(self, turn: Turn, _: str) -> list[Reply]:
        bookable = self._bookable()
        turn.session.step = "topics"
        turn.session.data["topics"] = [t for t in dict.fromkeys(reversed(turn.user.recent_topics)) if t in bookable][:3]
        return [self._topics_reply(turn, replaces=True)]

    def _topics_reply(self, turn: Turn, replaces: bool = False) -> Reply:
        chosen = set(turn.session.data.get("topics", []))
        topics = self.app.knowledge.current.topics
        buttons = [
            [Button(turn.t("booking.topic_on" if tid in chosen else "booking.topic_off", label=topics[tid].label.get(turn.lang)),
                    f"bk:tp:{tid}")]
            for tid in self._bookable()
        ]
        buttons.append([Button(turn.t("booking.topics_done"), "bk:tpd", "done next"), self._cancel_button(turn, no=False)])
        return Reply(turn.t("booking.topics_prompt"), buttons=buttons, replaces_pressed=replaces)

    async def toggle_topic(self, turn: Turn, topic: str) -> list[Reply] | None:
        if topic not in self._bookable() or turn.session.step != "topics":
            return self.stale(turn) if topic in self._bookable() else None
        chosen = turn.session.data.setdefault("topics", [])
        if topic in chosen:
            chosen.remove(topic)
        else:
            chosen.append(topic)
        return [self._topics_reply(turn, replaces=True)]

    async def topics_text(self, turn: Turn, text: str) -> list[Reply] | None:
        """Several topics typed in one line ("företagsform och lokaler"): all of them chosen (one typed alone is a
        press of its button, which toggles it)."""
        if means_everything(text):  # "allt", "all of them"
            chosen = turn.session.data.setdefault("topics", [])
            chosen += [t for t in self._bookable() if t not in chosen]
            return [self._topics_reply(turn)]
        pending = turn.user.pending
        if pending is None:
            return None
        picked = read_several(text, [o for o in pending.options if o.payload.startswith("bk:tp:")])
        if not picked:
            return None
        chosen = turn.session.data.setdefault("topics", [])
        chosen += [t for t in (p.removeprefix("bk:tp:") for p in picked) if t in self._bookable() and t not in chosen]
        return [self._topics_reply(turn)]

    async def topics_done(self, turn: Turn, _: str) -> list[Reply]:
        if not turn.session.data.get("topics"):
            return [Reply(turn.t("booking.topics_needed")), self._topics_reply(turn)]
        if turn.session.data.pop("retopic", None):  # changed from the summary: idea and municipality kept
            return await self._offer_times(turn, replaces=True)
        return [self._ask_idea(turn, replaces=True)]

    def _ask_idea(self, turn: Turn, replaces: bool = False) -> Reply:
        turn.session.step = "idea"
        return Reply(turn.t("booking.idea_prompt"), buttons=[[self._skip_idea_button(turn)]], replaces_pressed=replaces)

    async def idea_text(self, turn: Turn, text: str) -> list[Reply] | None:
        if bare_intent(text, self.app.knowledge.matcher) is not None or ("?" in text and self._is_question(turn, text)):
            return None  # "var är jag?", "boka möte", "vad är ett ASF?": the engine answers, the idea still waits
        named = municipality_alone(clean_text(text), self.municipalities)
        if named is not None and not turn.session.data.get("editing"):  # answered the next question first
            turn.session.data["municipality"] = named.name
            remember_home(turn.user, named)
            return [Reply(turn.t("booking.idea_was_municipality", name=named.name)), *await self._offer_times(turn)]
        if len(text) > IDEA_MAX_CHARS:
            return [Reply(turn.t("booking.idea_too_long", max=IDEA_MAX_CHARS), buttons=[[self._skip_idea_button(turn)]])]
        if not worth_logging(text, turn.lang, self.app.unanswered.labels()):  # "2", "ja", a button's text
            return [Reply(turn.t("booking.idea_unclear"), buttons=[[self._skip_idea_button(turn)]])]
        turn.session.data["idea"] = text
        return await self._after_idea(turn)

    async def skip_idea(self, turn: Turn, _: str) -> list[Reply]:
        turn.session.data.pop("idea", None)
        return await self._after_idea(turn, replaces=True)

    async def _after_idea(self, turn: Turn, replaces: bool = False) -> list[Reply]:
        if turn.session.data.pop("editing", None) and "start" in turn.session.data:
            turn.session.step = "confirm"  # the time stays chosen: straight back to the summary
            return await self.pick_time(turn, str(turn.session.data["start"]))
        return self._ask_municipality(turn, replaces=replaces)

    async def edit(self, turn: Turn, what: str) -> list[Reply] | None:
        """From the summary: write the idea again, or give another municipality (which means new times)."""
        if turn.session.step != "confirm" or turn.session.data.get("move_ref"):
            return None
        if what == "idea":
            turn.session.data["editing"] = True
            return [self._ask_idea(turn, replaces=True)]
        if what == "mun":
            turn.session.data.pop("start", None)
            return self._ask_municipality(turn, replaces=True)
        if what == "topics":  # other topics may mean other officials: new times after them, the rest kept
            turn.session.data.pop("start", None)
            turn.session.data["retopic"] = True
            turn.session.step = "topics"
            return [self._topics_reply(turn, replaces=True)]
        return None

    def _ask_municipality(self, turn: Turn, replaces: bool = False) -> list[Reply]:
        turn.session.step = "municipality"
        buttons = [[self._no_municipality_button(turn)]]
        home = home_of(turn.user)
        if home is not None:  # told before (an answer's "Ange din kommun" or an earlier booking): one tap
            buttons.insert(0, [Button(turn.t("home.same_button", name=home.name), "bk:mun:=")])
        return [Reply(turn.t("booking.municipality_prompt"), buttons=buttons, replaces_pressed=replaces)]

    async def municipality_text(self, turn: Turn, text: str) -> list[Reply] | None:
        """A municipality in its official spelling ("norrkoping" is Norrköping); anything else is asked again
        or, when it is a question, answered by the engine while the flow waits here."""
        found = find_municipality(clean_text(text), self.municipalities)
        if found is not None:
            turn.session.data["municipality"] = found.name
            remember_home(turn.user, found)  # answers name it from now on, and the next booking offers it
            return await self._offer_times(turn)
        if len(text.split()) > 1 and self._is_question(turn, text):
            return None
        # "ja", "2", a button's text: no answer to the question, rather than a place not found
        unclear = not worth_logging(text, turn.lang, self.app.unanswered.labels()) and not looks_hostile(text)
        key = "booking.municipality_unclear" if unclear else "booking.municipality_unknown"
        return [Reply(turn.t(key), buttons=[[self._no_municipality_button(turn)]])]

    def _is_question(self, turn: Turn, text: str) -> bool:
        knowledge = self.app.knowledge
        u = understand(text, knowledge.current, knowledge.matcher, lang_hint=turn.lang)
        return u.intent != "fallback"

    async def municipality_button(self, turn: Turn, arg: str) -> list[Reply] | None:
        home = home_of(turn.user)
        if arg not in ("-", "=") or turn.session.step != "municipality" or (arg == "=" and home is None):
            return None
        turn.session.data["municipality"] = home.name if arg == "=" and home is not None else None
        return await self._offer_times(turn, replaces=True)

    async def _offer_times(self, turn: Turn, after: datetime | None = None, replaces: bool = False,
                           intro: str = "booking.times_prompt") -> list[Reply]:
        data = turn.session.data
        wish = data.pop("wish", None)
        if wish is not None and after is None:  # named when asking to book
            turn.session.step = "times"
            return await self.time_wish(turn, TimeWish(datetime.fromisoformat(wish[0]), datetime.fromisoformat(wish[1]),
                                                       bool(wish[2])))
        turn.session.step = "times"
        slots = self._not_current(turn, await self.service.offer(
            data.get("topics", []), data.get("municipality"), after=after, ignore_meeting_id=data.get("move_id"),
            limit=6 if data.get("move_from") else 5))[:5]
        days = self.service.rules.horizon_days
        if not slots:
            key = "booking.no_more_times" if after else "booking.no_times"
            if not after:
                turn.session.clear()
            return [Reply(turn.t(key, days=days))]
        return [self._times_reply(turn, slots, turn.t(intro), replaces)]

    @staticmethod
    def _not_current(turn: Turn, slots: list) -> list:
        """While moving, the meeting's own time is no choice."""
        current = turn.session.data.get("move_from")
        return [s for s in slots if minutes(s.start) != current]

    def _times_reply(self, turn: Turn, slots: list, intro: str, replaces: bool = False) -> Reply:
        buttons = [[Button(format_short(s.start, turn.lang), f"bk:t:{minutes(s.start)}")] for s in slots]
        # "nej" to the times shown: later ones
        buttons.append([Button(turn.t("booking.more_times"), f"bk:more:{minutes(slots[-1].start)}", "more next no"),
                        self._cancel_button(turn, no=False)])
        return Reply(intro, buttons=buttons, replaces_pressed=replaces)

    async def time_wish(self, turn: Turn, wish: TimeWish) -> list[Reply] | None:
        """ "imorgon kl 10", "nästa tisdag eftermiddag": the free times nearest to it."""
        data = turn.session.data
        if turn.session.step not in ("times", "confirm"):
            return None
        if data.get("move_from") and wish.start == wish.end and minutes(wish.start) == data["move_from"]:
            return await self._same_time(turn)
        turn.session.step = "times"
        slots = self._not_current(turn, await self.service.offer_near(
            data.get("topics", []), data.get("municipality"), wish.start, wish.end, ignore_meeting_id=data.get("move_id")))
        wished = format_wish(wish, turn.lang)
        if not slots:
            return await self._offer_times(turn, intro="booking.time_wish_none")
        inside = any(wish.start <= s.start <= wish.end for s in slots)
        key = "booking.time_wish_found" if inside else "booking.time_wish_nearest"
        return [self._times_reply(turn, slots, turn.t(key, wish=wished))]

    async def more_times(self, turn: Turn, arg: str) -> list[Reply] | None:
        after = _from_minutes(arg)
        if after is None or turn.session.step not in ("times", "confirm"):
            return None
        return await self._offer_times(turn, after=after, intro="booking.times_more_prompt")

    async def back_to_times(self, turn: Turn, _: str) -> list[Reply]:
        return await self._offer_times(turn, replaces=True)

    def _gone(self, turn: Turn, start) -> str:
        """Why a chosen time cannot be booked: too little notice left by now, or someone else took it."""
        return "booking.time_too_soon" if start < self.service.rules.earliest_start(turn.now) else "booking.time_gone"

    async def pick_time(self, turn: Turn, arg: str) -> list[Reply] | None:
        start = _from_minutes(arg)
        if start is None or turn.session.step not in ("times", "confirm"):
            return None
        data = turn.session.data
        if data.get("move_ref") and minutes(start) == data.get("move_from"):
            return await self._same_time(turn)
        slot = await self.service.slot_at(start, data.get("topics", []), data.get("municipality"), data.get("move_id"))
        if slot is None:
            return await self._offer_times(turn, intro=self._gone(turn, start))
        data["start"] = minutes(slot.start)
        data["officials"] = list(slot.official_ids)
        turn.session.step = "confirm"
        snap = await self.service.snapshot()
        people = self.texts.slot_people(slot, snap.organisations, turn.lang)
        time = self.texts.when(slot, turn.lang)  # type: ignore[arg-type]
        if data.get("move_ref"):
            text = turn.t("booking.confirm_move_prompt", ref=data["move_ref"], time=time, people=people)
            yes = turn.t("booking.confirm_move_yes")
        else:
            text = turn.t("booking.confirm_prompt", time=time, people=people,
                          topics=self.texts.topics(data.get("topics", []), turn.lang),
                          municipality=data.get("municipality") or turn.t("booking.no_municipality"),
                          idea=data.get("idea") or turn.t("booking.no_idea"))
            yes = turn.t("booking.confirm_yes")
        buttons = [[Button(yes, "bk:yes", "yes done")], [Button(turn.t("booking.other_time"), "bk:back", "back no")]]
        if not data.get("move_ref"):
            buttons.append([Button(turn.t("booking.edit_topics"), "bk:ed:topics"), Button(turn.t("booking.edit_idea"), "bk:ed:idea"),
                            Button(turn.t("booking.edit_municipality"), "bk:ed:mun")])
        return [Reply(text, buttons=buttons, replaces_pressed=True)]

    async def confirm(self, turn: Turn, _: str) -> list[Reply] | None:
        data = turn.session.data
        if turn.session.step != "confirm" or "start" not in data:
            return self.stale(turn)
        if not data.get("move_ref") and "share_guide" not in data and await self._has_guide(turn):
            turn.session.step = "confirm"
            buttons = [[Button(turn.t("booking.guide_share_yes"), "bk:gs:y", "yes"), Button(turn.t("booking.guide_share_no"), "bk:gs:n", "no")]]
            return [Reply(turn.t("booking.guide_share_prompt"), buttons=buttons, replaces_pressed=True)]
        return await self._book(turn)

    async def _has_guide(self, turn: Turn) -> bool:
        return bool(await self.app.guide.summary(turn.address, turn.lang))

    async def guide_share(self, turn: Turn, arg: str) -> list[Reply] | None:
        if arg not in ("y", "n") or turn.session.step != "confirm":
            return None
        turn.session.data["share_guide"] = arg == "y"
        return await self._book(turn)

    async def _book(self, turn: Turn) -> list[Reply]:
        data = turn.session.data
        start = _from_minutes(str(data["start"]))
        snap = await self.service.snapshot()
        by_id = {o.id: o for o in snap.officials}
        from booking.model import Slot

        try:
            slot = Slot(start, start + self.service.rules.duration, tuple(by_id[i] for i in data["officials"] if i in by_id))
            if data.get("move_ref"):
                meeting = await self.service.move(data["move_ref"], turn.address, slot)
            else:
                meeting = await self.service.book(
                    turn.address, slot, data.get("topics", []), data.get("municipality"), data.get("idea"),
                    lang=turn.lang, share_guide=bool(data.get("share_guide")),
                )
        except SlotTaken:
            return await self._offer_times(turn, intro=self._gone(turn, start))
        except SameTime:
            return await self._same_time(turn)
        except TooManyMeetings as exc:
            turn.session.clear()
            return [Reply(turn.t("booking.too_many", limit=exc.details.get("limit", self.service.rules.max_upcoming_per_founder)))]
        except (MeetingNotFound, NotAllowed):
            turn.session.clear()
            if data.get("move_ref"):
                return await self._not_changeable(turn, data["move_ref"])
            return [Reply(turn.t("booking.not_allowed"))]
        except InvalidRequest:
            return await self._offer_times(turn, intro=self._gone(turn, start))
        moved = bool(data.get("move_ref"))
        turn.session.clear()
        details = await self.service.details(meeting)
        people = self.texts.people(details, turn.lang)
        when = self.texts.when(meeting, turn.lang)
        if moved:
            text = turn.t("booking.moved", ref=meeting.ref, time=when, people=people)
        else:
            text = turn.t("booking.confirmed", ref=meeting.ref, time=when, people=people, place=self.texts.place(meeting, turn.lang))
        return [Reply(text, attachments=[self.texts.ics(details, turn.lang)], replaces_pressed=True)]

    # --- founder: my meetings, cancel, move ---------------------------------------------------

    async def my_meetings(self, turn: Turn, text: str = "") -> list[Reply]:
        meetings = await self.service.upcoming_for(turn.address)
        if not meetings and await self.service.is_official(turn.address):
            return await self.agenda(turn, "")
        if not meetings:
            return [Reply(turn.t("booking.my_none"))]
        if len(meetings) == 1 and self._asks_to_move(text):
            return await self._move_to(turn, meetings[0].ref, wish_in(text, turn.now))
        lines, buttons = [turn.t("booking.my_header")], []
        for m in meetings:
            details = await self.service.details(m)
            lines.append(turn.t("booking.my_line", ref=m.ref, time=self.texts.when(m, turn.lang),
                                state=turn.t(f"booking.state_{m.state}"), people=self.texts.people(details, turn.lang)))
            buttons.append([Button(turn.t("booking.move_button", ref=m.ref), f"bk:mv:{m.ref}"),
                            Button(turn.t("booking.cancel_button", ref=m.ref), f"bk:cx:{m.ref}")])
        return [Reply("\n".join(lines), buttons=buttons)]

    def _asks_to_move(self, text: str) -> bool:
        """ "flytta mötet till fredag", "I need to reschedule": a move asked for, not the list of meetings."""
        return any(h.label == MOVE for h in self.app.knowledge.matcher.intents.find(tokens(text)))

    async def _move_to(self, turn: Turn, ref: str, wish: TimeWish | None) -> list[Reply]:
        """The move of meeting `ref` started, with the times near the day and time asked for, if any."""
        replies = await self.start_move(turn, ref)
        if wish is not None and turn.session.step == "times":
            near = await self.time_wish(turn, wish)
            if near:
                return [replies[0], *near]
        return replies

    async def cancel_command(self, turn: Turn, args: str = "") -> list[Reply]:
        ref = args.strip().upper()
        if _REF.match(ref):
            return await self.ask_cancel(turn, ref)
        meetings = await self.service.upcoming_for(turn.address)
        if len(meetings) == 1:
            return await self.ask_cancel(turn, meetings[0].ref)
        return await self.my_meetings(turn)

    async def _own(self, turn: Turn, ref: str) -> Meeting | None:
        if not _REF.match(ref):
            return None
        try:
            meeting = await self.service.meeting(ref)
        except MeetingNotFound:
            return None
        return meeting if meeting.founder_address == turn.address else None

    def _already_cancelled(self, turn: Turn, ref: str) -> list[Reply]:
        return [Reply(turn.t("officials.founder_already_cancelled", ref=ref), replaces_pressed=True,
                      buttons=[[Button(turn.t("booking.start_again"), "bk:start", "yes restart")]])]

    async def _not_changeable(self, turn: Turn, ref: str) -> list[Reply]:
        """Why the founder's meeting `ref` cannot be kept, moved or cancelled any more."""
        meeting = await self._own(turn, ref)
        if meeting is None:
            return [Reply(turn.t("booking.not_found"))]
        if not meeting.active:
            return self._already_cancelled(turn, meeting.ref)
        return [Reply(turn.t("booking.not_allowed"))]

    def _changeable(self, turn: Turn, meeting: Meeting | None) -> bool:
        return meeting is not None and meeting.active and meeting.start > turn.now

    def _cancel_question(self, turn: Turn, meeting: Meeting, key: str = "booking.cancel_confirm") -> list[Reply]:
        buttons = [[Button(turn.t("booking.cancel_yes"), f"bk:cxy:{meeting.ref}:{meeting.sequence}", "yes"),
                    Button(turn.t("booking.cancel_no"), f"bk:keep:{meeting.ref}", "no")]]
        return [Reply(turn.t(key, ref=meeting.ref, time=self.texts.when(meeting, turn.lang)), buttons=buttons)]

    async def ask_cancel(self, turn: Turn, ref: str) -> list[Reply]:
        meeting = await self._own(turn, ref)
        if not self._changeable(turn, meeting):
            return await self._not_changeable(turn, ref)
        return self._cancel_question(turn, meeting)  # type: ignore[arg-type]

    async def do_cancel(self, turn: Turn, arg: str) -> list[Reply]:
        parsed = _ref_and_version(arg)
        if parsed is None:
            return [Reply(turn.t("booking.not_found"))]
        ref, version = parsed
        try:
            meeting = await self.service.cancel(ref, turn.address, version=0 if version is None else version)
        except MeetingNotFound:
            return [Reply(turn.t("booking.not_found"))]
        except NotAllowed:
            return await self._not_changeable(turn, ref)
        except StaleVersion as stale:
            now, seen = stale.meeting, stale.seen
            if seen is not None and (seen.start, seen.end) == (now.start, now.end):
                return await self.do_cancel(turn, f"{ref}:{now.sequence}")  # only the table changed: the question holds
            return self._cancel_question(turn, now, "officials.founder_changed_since")  # asked about another time
        details = await self.service.details(meeting)
        return [Reply(turn.t("booking.cancelled", ref=ref), attachments=[self.texts.ics(details, turn.lang, cancel=True)],
                      replaces_pressed=True)]

    async def keep(self, turn: Turn, ref: str) -> list[Reply]:
        """"Nej, behåll": true only while the meeting is still on."""
        if not ref:  # a question sent before buttons named their meeting: show what there is
            return await self.my_meetings(turn)
        meeting = await self._own(turn, ref)
        if not self._changeable(turn, meeting):
            return await self._not_changeable(turn, ref)
        return [Reply(turn.t("booking.kept", ref=ref, time=self.texts.when(meeting, turn.lang)),  # type: ignore[arg-type]
                      replaces_pressed=True)]

    async def start_move(self, turn: Turn, ref: str) -> list[Reply]:
        meeting = await self._own(turn, ref)
        if not self._changeable(turn, meeting):
            return await self._not_changeable(turn, ref)
        assert meeting is not None
        turn.session.start("booking", "times", topics=list(meeting.topics), municipality=meeting.municipality,
                           move_ref=meeting.ref, move_id=meeting.id, move_from=minutes(meeting.start))
        replies = await self._offer_times(turn)
        intro = Reply(turn.t("booking.move_prompt", ref=ref, time=self.texts.when(meeting, turn.lang)))
        return [intro, *replies]

    async def _same_time(self, turn: Turn) -> list[Reply]:
        """A move to the time the meeting already has: said plainly, nothing changes, the times again."""
        ref = turn.session.data.get("move_ref", "")
        meeting = await self._own(turn, ref)
        if not self._changeable(turn, meeting):
            turn.session.clear()
            return await self._not_changeable(turn, ref)
        assert meeting is not None
        turn.session.data["move_from"] = minutes(meeting.start)
        turn.session.data.pop("start", None)
        lead = Reply(turn.t("officials.founder_same_time", ref=meeting.ref, time=self.texts.when(meeting, turn.lang)))
        return [lead, *await self._offer_times(turn)]

    async def rebook(self, turn: Turn, arg: str) -> list[Reply] | None:
        """A time offered after a decline with no substitute: book anew with the old meeting's details."""
        ref, _, when = arg.partition(":")
        meeting = await self._own(turn, ref)
        if meeting is None:
            return [Reply(turn.t("booking.not_found"))]
        turn.session.start("booking", "times", topics=list(meeting.topics), municipality=meeting.municipality,
                           idea=meeting.idea)
        return await self.pick_time(turn, when)

    # --- officials ----------------------------------------------------------------------------

    async def _as_official(self, turn: Turn):
        """The linked official pressing or writing, or None. Their first contact is theirs, not a founder's:
        no newcomer's welcome, and their chat takes the official's language."""
        official = await self.service.official_by_address(turn.address)
        if official is not None and turn.user.is_new:
            turn.user.is_new = False
            turn.user.lang = official.lang
        return official

    async def redeem(self, turn: Turn, arg: str) -> list[Reply]:
        redeemed = await self.app.roles.redeem_invite(arg[len("inv_"):], turn.address, OFFICIAL)
        if redeemed is None:
            return [Reply(turn.t("booking.invite_invalid"))]
        snap = await self.service.snapshot()
        official = next(o for o in snap.officials if o.id == redeemed.subject)
        org = snap.organisations.get(official.organisation_id)
        turn.user.lang = official.lang
        turn.user.is_new = False
        return [Reply(turn.t("booking.linked", name=official.name, organisation=org.name if org else ""))]

    async def official_button(self, turn: Turn, rest: str) -> list[Reply] | None:
        action, _, arg = rest.partition(":")
        parsed = _ref_and_version(arg)
        if action not in ("acc", "dec") or parsed is None:
            return None
        ref, version = parsed
        official = await self._as_official(turn)
        lang = official.lang if official is not None else turn.lang

        def t(key: str, **params: object) -> str:
            return self.app.catalogue.text(lang, key, **params)

        try:
            # A message from before buttons carried versions showed the first version.
            meeting, outcome = await self.service.respond(turn.address, ref, accept=action == "acc",
                                                          version=0 if version is None else version)
        except StaleVersion as stale:
            assert official is not None
            return [await self.texts.outdated(stale, official, lang)]
        except MeetingNotFound:
            return [Reply(t("booking.not_your_meeting"))]
        except NotAllowed:
            return [Reply(t("booking.answer_not_allowed"))]
        return [Reply(await self.texts.answered(meeting, outcome, lang), replaces_pressed=outcome != "already")]

    async def agenda(self, turn: Turn, _: str = "") -> list[Reply]:
        official = await self._as_official(turn)
        if official is None or not official.active:
            return [Reply(turn.t("booking.officials_only"))]
        lang = official.lang

        def t(key: str, **params: object) -> str:
            return self.app.catalogue.text(lang, key, **params)

        now = turn.now
        meetings = await self.service.agenda(official.id, now - timedelta(hours=1), now + timedelta(days=60))
        if not meetings:
            return [Reply(t("booking.agenda_none"))]
        lines, buttons = [t("booking.agenda_header")], []
        for m in meetings:
            details = await self.service.details(m)
            state = next((p.state for p in details.participants if p.official_id == official.id), "invited")
            lines.append(t("booking.agenda_line", ref=m.ref, time=self.texts.when(m, lang),
                           topics=self.texts.topics(m.topics, lang), answer=t(f"booking.answer_{state}")))
            if state == "invited" and m.start > now:
                buttons += self.texts.official_buttons(m, lang)
        return [Reply("\n".join(lines), buttons=buttons)]


__all__ = ["BookingFeature", "BookingError"]
