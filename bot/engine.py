"""The dialogue engine: one Incoming in, a list of Replies out, whatever the channel.

Features contribute small handler tables (commands, payloads, intents, flow steps, deep links);
the engine loads the user and their conversation state, dispatches, and saves the state.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from knowledge.followup import in_context
from knowledge.reading import Reading, TimeWish, option_number, read_reply
from knowledge.text import stopwords, tokens
from knowledge.understanding import Understanding, bare_intent, understand, understand_many

from .conversation import Context, Pending, pending_from
from .keyed_locks import KeyedLocks
from .messages import Button, Incoming, Reply
from .ratelimit import RateLimiter
from .roles import FOUNDER

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
Handler = Callable[["Turn", str], Awaitable[Optional[list[Reply]]]]
TimeHandler = Callable[["Turn", TimeWish], Awaitable[Optional[list[Reply]]]]
# Called with the write connection and the turn's replies inside the transaction that saves the turn, so
# a channel can keep the answer with the turn's effects (bot/channels/matrix.py: answered once).
Record = Callable[[Any, list[Reply]], Awaitable[None]]
# A message this short with no question mark, fitting none of a step's options, is a wrong answer to
# the step ("choose one of these"), not a question of its own.
SHORT_ANSWER_WORDS = 3
SEVERAL_MIN_WORDS = 14  # shorter messages without two question marks are read as one question

# Control characters, bidi overrides/isolates and zero-width characters are stripped from input.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def clean_text(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    # Cc: control characters; Cs: lone surrogates, which cannot even be stored
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Session:
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    stored: bool = field(default=False, compare=False)  # a row for it exists in the database

    def start(self, flow: str, step: str, **data: Any) -> None:
        self.flow, self.step, self.data = flow, step, dict(data)

    def clear(self) -> None:
        self.flow, self.step, self.data = None, None, {}


@dataclass
class User:
    address: str
    lang: str
    lang_explicit: bool
    recent_topics: list[str]
    is_new: bool = False
    pending: Pending | None = None  # the options the last reply showed
    context: Context | None = None  # what the last answer was about
    municipality: str | None = None  # the founder's own municipality, its kommunkod (bot/features/home.py)
    municipality_skipped: bool = False  # they chose not to say: not asked again

    @property
    def row_extras(self) -> tuple[str | None, str | None]:
        return (self.pending.to_json() if self.pending else None, self.context.to_json() if self.context else None)

    def remember_topics(self, topics: list[str]) -> None:
        """What the user just looked at goes last (pre-selected when booking); the ten most recent are kept."""
        self.recent_topics = ([t for t in self.recent_topics if t not in topics] + list(topics))[-10:]


@dataclass
class Turn:
    incoming: Incoming
    user: User
    session: Session
    now: datetime
    app: "App"
    understanding: Understanding | None = None
    understandings: list[Understanding] = field(default_factory=list)  # one per question, for intent "several"
    erased: bool = False  # set when the user's data was erased during this turn: save nothing
    asked_again: Pending | None = None  # the options this turn showed again after its answer

    @property
    def address(self) -> str:
        return self.user.address

    @property
    def lang(self) -> str:
        return self.user.lang

    def t(self, key: str, **params: object) -> str:
        return self.app.catalogue.text(self.user.lang, key, **params)


class Feature:
    """Base for engine features: fill the tables in __init__."""

    name = "feature"

    def __init__(self, app: "App") -> None:
        self.app = app
        self.commands: dict[str, Handler] = {}
        self.payloads: dict[str, Handler] = {}
        self.intents: dict[str, Handler] = {}
        self.steps: dict[str, Handler] = {}
        self.deep_links: dict[str, Handler] = {}
        # "<flow>.<step>" -> handler for a day and time typed in words at that step ("imorgon kl 10")
        self.time_steps: dict[str, TimeHandler] = {}
        # "<flow>:<meaning>" -> handler for a navigation word typed where no option shown means it ("tillbaka" at
        # the times, "börja om"); outside a flow "<payload prefix>:<meaning>" of the options last shown ("gd:cancel").
        # Called with the flow's step (or ""); returning None leaves the word to the engine.
        self.navigation: dict[str, Handler] = {}
        # payload prefix -> a button back to what the feature's options were about ("Tillbaka till guiden"), added
        # to an answer given while those options were shown outside a flow
        self.resume: dict[str, Callable[["Turn"], Awaitable[Button | None]]] = {}
        # "<flow>.<step>" -> the catalogue key that leads the step's question when it is asked again
        self.reask: dict[str, str] = {}
        # Read every free-text message outside a flow's step before it is answered ("jag bor i Norrköping" is kept);
        # what they return leads the reply, or is the reply when the message is understood as nothing else.
        self.notices: list[Callable[["Turn", str], Awaitable[list[Reply]]]] = []
        # payload -> the flow a press of it starts ("bk:start": "booking"); an answer given in passing while that
        # flow runs does not offer it: the flow's step, asked again below the answer, is the way back
        self.starts: dict[str, str] = {}
        # "/command" or payload prefix -> the role needed to use it (checked by the engine before dispatch)
        self.required_roles: dict[str, str] = {}


class Engine:
    def __init__(self, app: "App") -> None:
        self.app = app
        self.features: list[Feature] = []
        self._commands: dict[str, Handler] = {}
        self._payloads: dict[str, Handler] = {}
        self._intents: dict[str, Handler] = {}
        self._steps: dict[str, Handler] = {}
        self._deep_links: dict[str, Handler] = {}
        self._time_steps: dict[str, TimeHandler] = {}
        self._navigation: dict[str, Handler] = {}
        self._reask: dict[str, str] = {}
        self._resume: dict[str, Callable[[Turn], Awaitable[Button | None]]] = {}
        self._starts: dict[str, str] = {}
        self._required_roles: dict[str, str] = {}
        self._notices: list[Callable[[Turn, str], Awaitable[list[Reply]]]] = []
        self.user_locks: KeyedLocks[str] = KeyedLocks()
        self.rate_limiter = RateLimiter()

    def add_feature(self, feature: Feature) -> None:
        for table, own in (
            (self._commands, feature.commands),
            (self._payloads, feature.payloads),
            (self._intents, feature.intents),
            (self._steps, feature.steps),
            (self._deep_links, feature.deep_links),
            (self._time_steps, feature.time_steps),
            (self._navigation, feature.navigation),
            (self._reask, feature.reask),
            (self._resume, feature.resume),
            (self._starts, feature.starts),
        ):
            clash = set(table) & set(own)
            if clash:
                raise ValueError(f"{feature.name} redefines {sorted(clash)}")
            table.update(own)
        self._required_roles.update(getattr(feature, "required_roles", {}))
        self._notices.extend(feature.notices)
        self.features.append(feature)

    def intent_handler(self, intent: str) -> Handler | None:
        return self._intents.get(intent)

    def can_book(self) -> bool:
        return self.handles("bk")

    def handles(self, payload_prefix: str) -> bool:
        return payload_prefix in self._payloads

    async def handle(self, incoming: Incoming, record: Record | None = None) -> list[Reply]:
        """Answer one message or button press. Never raises for anything a user can send.

        One user's messages are handled one at a time. `record`, when given, is called once with the
        replies inside a write transaction: the one that saves the turn's state when the turn has any."""
        async with self.user_locks.hold(incoming.address):
            try:
                return await self._handle(incoming, record)
            except Exception:
                log.exception("engine failed on a %s message", incoming.channel)
                lang = await self._lang_of(incoming.address)
                replies = [Reply(self.app.catalogue.text(lang, "core.error"))]
            await self._record_alone(record, replies)
            return replies

    async def _handle(self, incoming: Incoming, record: Record | None) -> list[Reply]:
        users = self.app.users
        now = self.app.clock.now()
        user = await users.get_or_create(incoming.address, incoming.lang_hint, now)
        session = await users.load_session(incoming.address)
        if not self._presses_an_option(incoming, user, session, now):
            verdict = self.rate_limiter.take(incoming.address, now)
            if not verdict.allowed:  # refused, never dropped: the user is told it was not read
                key, params = ("flood.not_read", {"seconds": verdict.retry_after}) if verdict.repeated \
                    else ("core.slow_down", {})
                replies = [Reply(self.app.catalogue.text(user.lang, key, **params))]
                await self._record_alone(record, replies)
                return replies
        turn = Turn(incoming, user, session, now, self.app)
        replies = await self._dispatch(turn)
        if user.is_new and not turn.erased and not await self._is_staff(incoming.address):
            replies.insert(0, Reply(turn.t("core.first_contact")))
        if turn.erased:
            await self._record_alone(record, replies)
            return replies
        self._remember_options(turn, replies)
        also = (lambda conn: record(conn, replies)) if record is not None else None
        await users.save(turn.user, turn.session, now, also=also)
        return replies

    async def _is_staff(self, address: str) -> bool:
        """Officials and coordinators are never welcomed as founders, even on their first message."""
        return bool(await self.app.roles.roles_of(address) - {FOUNDER})

    async def _record_alone(self, record: Record | None, replies: list[Reply]) -> None:
        """`record` for a turn that saves nothing (refused, failed, or the user's data erased)."""
        if record is not None:
            async with self.app.db.transaction() as conn:
                await record(conn, replies)

    def _presses_an_option(self, incoming: Incoming, user: User, session: Session, now: datetime) -> bool:
        """A press of one of the options the user was just shown, by button or typed ("2", "ja", an option's
        text): answering a flow quickly is not flooding."""
        pending = user.pending
        if pending is None or not pending.fresh(now, self._step_key(session)):
            return False
        if incoming.payload is not None:
            return incoming.payload in {o.payload for o in pending.options}
        raw = incoming.text or ""
        text = clean_text(raw) if len(raw) <= MAX_MESSAGE_CHARS else ""
        if not text or text.startswith(("/", "!")):
            return False
        return read_reply(text, pending.options, now, accepts_time=pending.accepts_time).payload is not None

    def _step_key(self, session: Session) -> str | None:
        return f"{session.flow}.{session.step}" if session.flow else None

    def _remember_options(self, turn: Turn, replies: list[Reply]) -> None:
        """Keep the options these replies show; a turn without any ends the old ones unless the flow
        still waits at the same step."""
        step = self._step_key(turn.session)
        shown = pending_from(replies, turn.now, step, lambda key: key in self._time_steps, again=turn.asked_again)
        if shown is not None:
            turn.user.pending = shown
        elif turn.user.pending is not None and (step is None or turn.user.pending.step != step):
            turn.user.pending = None

    async def _dispatch(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        if incoming.payload is not None:
            return await self._press_in_flow(turn, incoming.payload)

        raw = incoming.text or ""
        if len(raw) > MAX_MESSAGE_CHARS * 4:
            return [Reply(turn.t("core.too_long", max=MAX_MESSAGE_CHARS))]
        text = clean_text(raw)
        if len(text) > MAX_MESSAGE_CHARS:
            return [Reply(turn.t("core.too_long", max=MAX_MESSAGE_CHARS))]
        if not text:
            return [Reply(turn.t("core.empty"))]

        if text.startswith(("/", "!")) and len(text) > 1:
            return await self._command(turn, text[1:])

        step_key = self._step_key(turn.session)
        pending = turn.user.pending
        if pending is not None and not pending.fresh(turn.now, step_key):
            pending = turn.user.pending = None
        # Outside a flow, a day and time alone ("imorgon kl 10", not a question) is read too: the time steps'
        # "" entry takes it.
        outside = step_key is None and "" in self._time_steps and "?" not in text
        reading = read_reply(text, pending.options if pending else [], turn.now,
                             accepts_time=bool(pending and pending.accepts_time) or outside)
        if reading.payload is not None:
            if self._thanks_for_an_offer(text, reading, pending, step_key):
                return [Reply(turn.t("core.thanks"))]
            return await self._press_in_flow(turn, reading.payload)
        if reading.kind == "time" and (step_key or "") in self._time_steps:
            assert reading.when is not None
            replies = await self._time_steps[step_key or ""](turn, reading.when)
            if replies is not None:
                return replies
        if reading.kind == "meaning":
            replies = await self._navigate(turn, reading, pending)
            if replies is not None:
                return replies
        if reading.kind == "meaning" and reading.meaning == "cancel" and step_key is not None:
            return self._meaning_alone(turn, reading, pending, step_key)  # "avbryt" is never an idea or a place
        if step_key in self._steps:  # a step that takes free text reads "ja" or "ok" itself
            replies = await self._steps[step_key](turn, text)
            if replies is not None:
                return replies
        if reading.kind == "meaning":
            return self._meaning_alone(turn, reading, pending, step_key)
        number = option_number(text) if step_key is None else None
        if number is not None:  # "3" where no option 3 is shown: never a question
            if pending is not None:
                turn.asked_again = pending
                return [Reply(turn.t("core.no_such_option", number=number), buttons=pending.reply().buttons)]
            return [Reply(turn.t("core.no_options", number=number))]

        notes = [r for notice in self._notices for r in await notice(turn, text)] if step_key is None else []
        u = self._understand(turn, text)
        if step_key is not None and pending is not None and self._step_key(turn.session) == step_key:
            return await self._aside(turn, text, u, pending, step_key)
        if notes and u.intent in ("fallback", "empty"):
            return notes  # "jag bor i Norrköping" says nothing else
        handler = self._intents.get(u.intent) or self._intents["fallback"]
        replies = await handler(turn, text) or []
        if pending is not None and turn.session.flow is None:
            await self._keep_a_way_back(turn, pending, replies)
        return notes + replies

    def _thanks_for_an_offer(self, text: str, reading: Reading, pending: Pending | None, step_key: str | None) -> bool:
        """ "ok tack" after an answer that offers a meeting without asking: thanks, not a yes to the offer."""
        return (step_key is None and reading.kind == "meaning" and reading.meaning == "yes" and pending is not None
                and not asks(pending.prompt) and bare_intent(text, self.app.knowledge.matcher) == "thanks")

    async def _keep_a_way_back(self, turn: Turn, pending: Pending, replies: list[Reply]) -> None:
        """A question answered while a feature's options were shown outside a flow (a guide step): the answer
        gets that feature's way back, unless the replies already lead somewhere of that feature."""
        shown = {b.payload.partition(":")[0] for r in replies for b in r.all_buttons()}
        for scope in pending.own_scopes:
            if scope in self._resume and scope not in shown and replies:
                button = await self._resume[scope](turn)
                if button is not None:
                    replies[-1].buttons.append([button])

    def _understand(self, turn: Turn, text: str) -> Understanding:
        knowledge = self.app.knowledge
        u = whole = understand(text, knowledge.current, knowledge.matcher, lang_hint=turn.user.lang)
        context = turn.user.context
        subject = context.entry_id if context is not None and context.fresh(turn.now) else None
        u = in_context(text, u, subject, knowledge.current, knowledge.matcher)
        if u.intent != "switch_language" and may_ask_several(text):
            items = understand_many(text, knowledge.current, knowledge.matcher, lang_hint=turn.user.lang, whole=whole)
            if len(items) > 1:
                turn.understandings = items
                u = Understanding(text, u.lang, "several")
        turn.understanding = u
        # A question about languages ("is there someone who speaks English?") is answered, not obeyed: the
        # switch_language handler decides whether it asked to switch.
        if (not turn.user.lang_explicit and u.intent != "switch_language" and u.lang != turn.user.lang
                and (clearly_in(text, u.lang, turn.user.lang) or self._nothing_says_the_language(turn))):
            turn.user.lang = u.lang
        if u.lang != turn.user.lang and u.intent != "switch_language":
            # Not switched: the answer is in the chat's language, all of it (not the entry's text in the
            # question's language under the chat's own labels).
            u = turn.understanding = replace(u, lang=turn.user.lang)
            turn.understandings = [replace(item, lang=turn.user.lang) for item in turn.understandings]
        return u

    def _nothing_says_the_language(self, turn: Turn) -> bool:
        """The first message of a chat whose channel gave no language (a terminal with no locale): the chat's
        language is only the default, so the message's own language, as detected, is the better guess ("what is
        lönebidrag?" is English with a Swedish term). A channel's hint (a Telegram app's language) stays."""
        hint = (turn.incoming.lang_hint or "")[:2].lower()
        return turn.user.is_new and hint not in ("sv", "en")

    async def _navigate(self, turn: Turn, reading: Reading, pending: Pending | None) -> list[Reply] | None:
        """A navigation word no option shown carries, handled by the flow (or, outside one, the feature whose
        options were last shown): "tillbaka" at the times goes back to the municipality."""
        session = turn.session
        if session.flow is not None:
            scopes = [session.flow]
        else:
            scopes = pending.own_scopes if pending is not None else []
        for scope in scopes:
            handler = self._navigation.get(f"{scope}:{reading.meaning}")
            if handler is not None:
                replies = await handler(turn, session.step or "")
                if replies is not None:
                    return replies
        return None

    def _meaning_alone(self, turn: Turn, reading: Reading, pending: Pending | None, step_key: str | None) -> list[Reply]:
        """"ja", "nästa", "avbryt" where no option shown means that."""
        if step_key is not None and reading.meaning == "cancel":
            turn.session.clear()
            return [Reply(turn.t("core.flow_cancelled"))]
        if pending is not None and step_key is not None:
            return [self._ask_again(turn, pending, self._reask_key(step_key))]
        if pending is not None and reading.meaning == "cancel":  # outside a flow: the options are let go
            turn.user.pending = None
            return [Reply(turn.t("core.options_dropped"))]
        if pending is not None and asks(pending.prompt):
            turn.asked_again = pending  # the options alone, not their whole message again
            return [Reply(turn.t("core.choose_option"), buttons=pending.reply().buttons)]
        if reading.meaning in ("yes", "no"):  # "ok tack" after an answer: nothing was asked
            thanked = bare_intent(turn.incoming.text or "", self.app.knowledge.matcher) == "thanks"
            return [Reply(turn.t("core.thanks" if thanked else "core.ack"))]
        return [Reply(turn.t("core.nothing_pending"))]

    def _reask_key(self, step_key: str) -> str:
        """A step that takes free text asks again; one with only options says to choose."""
        if step_key in self._reask:
            return self._reask[step_key]
        return "core.reask" if step_key in self._steps or step_key in self._time_steps else "core.choose_option"

    async def _aside(self, turn: Turn, text: str, u: Understanding, pending: Pending, step_key: str) -> list[Reply]:
        """A message in the middle of a flow that is not an answer to its step: a question is answered
        and the step asked again; anything else gets "choose one of these"."""
        if u.intent in ("fallback", "empty") and len(text.split()) <= SHORT_ANSWER_WORDS and "?" not in text:
            return [self._ask_again(turn, pending, self._reask_key(step_key))]
        if u.intent == "help":  # "vad ska jag skriva här?": how to answer this step
            help_key = f"{step_key}_help"
            return [self._ask_again(turn, pending, help_key if self.app.catalogue.has(help_key) else "core.step_help")]
        handler = self._intents.get(u.intent) or self._intents["fallback"]
        replies = await handler(turn, text) or []
        if (self._step_key(turn.session) == step_key and turn.asked_again is None
                and not self._shows_step(replies, pending)):
            self._drop_restarts(turn, replies)
            replies.append(self._ask_again(turn, pending, "core.back_to_flow"))
        return replies

    @staticmethod
    def _shows_step(replies: list[Reply], pending: Pending) -> bool:
        """Whether the replies end with the step's own options already ("boka möte" at the consent asks it anew)."""
        own = [o.payload for row in pending.rows[pending.own_from:] for o in row]
        return bool(replies) and [b.payload for b in replies[-1].all_buttons()] == own

    def _drop_restarts(self, turn: Turn, replies: list[Reply]) -> None:
        """An answer given in passing in a flow does not offer to start that flow ("Boka ett Dukat bord-möte" while
        booking): the step asked again after it is the way back."""
        flow = turn.session.flow
        for reply in replies:
            rows = [[b for b in row if self._starts.get(b.payload) != flow] for row in reply.buttons]
            reply.buttons = [row for row in rows if row]

    def _ask_again(self, turn: Turn, pending: Pending, lead_key: str) -> Reply:
        """The step's question and options again, remembered as the step's own (not the lead or an answer's buttons)."""
        turn.asked_again = pending
        return pending.reply(lead=turn.t(lead_key))

    async def _press_in_flow(self, turn: Turn, payload: str) -> list[Reply]:
        """A press; in a flow, one of the options an answer given in passing showed (a "menade du" suggestion)
        is answered and the flow's question asked again, as a question typed there would be."""
        step_key, pending = self._step_key(turn.session), turn.user.pending
        aside = (step_key is not None and pending is not None and pending.fresh(turn.now, step_key)
                 and payload in {o.payload for row in pending.rows[:pending.own_from] for o in row})
        replies = await self._press(turn, payload)
        if (aside and pending is not None and self._step_key(turn.session) == step_key and turn.asked_again is None
                and not self._shows_step(replies, pending)):
            self._drop_restarts(turn, replies)
            replies.append(self._ask_again(turn, pending, "core.back_to_flow"))
        return replies

    async def _press(self, turn: Turn, payload: str) -> list[Reply]:
        prefix, _, rest = payload.partition(":")
        handler = self._payloads.get(prefix)
        if handler is None:
            return [Reply(turn.t("core.unknown_button"))]
        refusal = await self._refusal(turn, prefix)
        if refusal:
            return refusal
        return await handler(turn, rest) or [Reply(turn.t("core.unknown_button"))]

    async def _command(self, turn: Turn, body: str) -> list[Reply]:
        name, _, args = body.partition(" ")
        name = name.split("@", 1)[0].lower()  # Telegram groups send /cmd@botname
        args = args.strip()
        if name == "start" and args:
            for prefix, handler in self._deep_links.items():
                if args.startswith(prefix):
                    return await handler(turn, args) or []
        handler = self._commands.get("/" + name)
        if handler is None:
            return [Reply(turn.t("core.unknown_command", command="/" + name))]
        refusal = await self._refusal(turn, "/" + name)
        if refusal:
            return refusal
        return await handler(turn, args) or []

    async def _refusal(self, turn: Turn, key: str) -> list[Reply] | None:
        """A polite refusal when `key` (command or payload prefix) needs a role the user does not have."""
        role = self._required_roles.get(key)
        if role is None or role in await self.app.roles.roles_of(turn.address):
            return None
        specific = f"roles.refused_{role}"
        return [Reply(turn.t(specific if self.app.catalogue.has(specific) else "roles.refused"))]

    async def _lang_of(self, address: str) -> str:
        try:
            return await self.app.users.lang_of(address) or self.app.settings.default_lang
        except Exception:
            return self.app.settings.default_lang


def asks(prompt: str) -> bool:
    """Whether a message with options asks something of the user ("Menade du något av det här?"), rather than
    offering them beside an answer (an answer's "Boka möte")."""
    lines = [line.strip() for line in prompt.strip().splitlines() if line.strip()]
    return bool(lines) and lines[-1].endswith(("?", ":"))


def may_ask_several(text: str) -> bool:
    """Worth splitting into questions: two question marks, or a message of some length."""
    return text.count("?") >= 2 or len(text.split()) >= SEVERAL_MIN_WORDS


def clearly_in(text: str, lang: str, current: str) -> bool:
    """Whether a whole message is written in `lang` rather than `current`: several function words of
    that language only and hardly any of the current one. A pasted code string or one foreign word is not."""
    words = tokens(text)
    if len(words) < 3:
        return False
    lists = stopwords()
    own = lists.get(lang, frozenset()) - lists.get(current, frozenset())  # type: ignore[call-overload]
    other = lists.get(current, frozenset()) - lists.get(lang, frozenset())  # type: ignore[call-overload]
    theirs = sum(w in own for w in words)
    ours = sum(w in other for w in words)
    return theirs >= 2 and theirs >= 3 * ours and theirs >= 0.25 * len(words)


_SAVE_USER = ("UPDATE users SET lang = ?, lang_explicit = ?, recent_topics = ?, last_seen = ?,"
              " undeliverable = 0, pending = ?, context = ?, municipality = ?, municipality_skipped = ? WHERE address = ?")


def _user_row(user: User, now: datetime) -> tuple:
    return (user.lang, int(user.lang_explicit), json.dumps(user.recent_topics[-10:]), now.isoformat(),
            *user.row_extras, user.municipality, int(user.municipality_skipped), user.address)


class UserStore:
    """Users and their conversation state (tables owned by the bot package)."""

    def __init__(self, db: Any, default_lang: str) -> None:
        self.db = db
        self.default_lang = default_lang

    async def get_or_create(self, address: str, lang_hint: str | None, now: datetime) -> User:
        row = await self.db.fetchone(
            "SELECT lang, lang_explicit, recent_topics, pending, context, municipality, municipality_skipped"
            " FROM users WHERE address = ?", (address,)
        )
        if row is not None:
            return User(address, row["lang"], bool(row["lang_explicit"]), json.loads(row["recent_topics"]),
                        pending=Pending.from_json(row["pending"]), context=Context.from_json(row["context"]),
                        municipality=row["municipality"], municipality_skipped=bool(row["municipality_skipped"]))
        lang = lang_hint[:2].lower() if lang_hint and lang_hint[:2].lower() in ("sv", "en") else self.default_lang
        stamp = now.isoformat()
        await self.db.execute(
            "INSERT OR IGNORE INTO users(address, lang, created_at, last_seen) VALUES (?, ?, ?, ?)",
            (address, lang, stamp, stamp),
        )
        return User(address, lang, False, [], is_new=True)

    async def load_session(self, address: str) -> Session:
        row = await self.db.fetchone("SELECT flow, step, data FROM sessions WHERE address = ?", (address,))
        if row is None:
            return Session()
        return Session(row["flow"], row["step"], json.loads(row["data"]), stored=True)

    async def save(self, user: User, session: Session, now: datetime,
                   also: Callable[[Any], Awaitable[None]] | None = None) -> None:
        """Save the user and the session; `also(conn)` runs in the same transaction."""
        if session.flow is None and not session.stored and also is None:  # most messages: one statement
            await self.db.execute(_SAVE_USER, _user_row(user, now))
            return
        async with self.db.transaction() as conn:
            await conn.execute(_SAVE_USER, _user_row(user, now))
            if also is not None:
                await also(conn)
            if session.flow is None:
                await conn.execute("DELETE FROM sessions WHERE address = ?", (user.address,))
            else:
                await conn.execute(
                    "INSERT INTO sessions(address, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(address) DO UPDATE SET flow = excluded.flow, step = excluded.step,"
                    " data = excluded.data, updated_at = excluded.updated_at",
                    (user.address, session.flow, session.step, json.dumps(session.data), now.isoformat()),
                )

    async def lang_of(self, address: str) -> str | None:
        row = await self.db.fetchone("SELECT lang FROM users WHERE address = ?", (address,))
        return row["lang"] if row else None

    async def mark_undeliverable(self, address: str, undeliverable: bool = True) -> None:
        await self.db.execute("UPDATE users SET undeliverable = ? WHERE address = ?", (int(undeliverable), address))

    async def is_undeliverable(self, address: str) -> bool:
        row = await self.db.fetchone("SELECT undeliverable FROM users WHERE address = ?", (address,))
        return bool(row and row["undeliverable"])
