"""Builds the application from configuration: database, knowledge, engine, features, notifier, and the
background work on one scheduler (reminders, retention, the coordinators' weekly messages, the knowledge
file watch), which `start_background()` starts once the channels are up."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from booking import migrations as booking_migrations
from booking.busy_service import BusyService
from booking.feed import CalendarFeeds
from booking.personal_data import BookingPersonalData
from booking.reminders import ReminderService
from booking.rules import load_rules
from booking.model import MAIL_PREFIX
from booking.service import BookingService
from knowledge.store import KnowledgeStore

from . import guide as guide_module
from . import migrations as bot_migrations
from . import roles as roles_module
from .admin import sessions as web_sessions
from .booking_texts import BookingTexts
from .calendars import CalendarJobs, sources_loader
from .catalogue import Catalogue
from .channels import mail_queue, matrix_store, telegram_store
from .channels.email import EmailChannel, sender_address, transport_for
from .channels.mail_queue import MailQueue
from .channels.console import ConsoleFiles, ConsoleOutbox
from .clock import STOCKHOLM, Clock, SystemClock
from .config import Settings
from .coordinator_jobs import CoordinatorJobs
from .db import Database, Migration
from .engine import Engine, UserStore
from .features import coordinator as coordinator_module
from .features.booking import BookingFeature
from .features.coordinator import CoordinatorFeature
from .features.core import CoreFeature
from .features.faq import FaqFeature
from .features.guide import GuideFeature
from .features.home import HomeFeature
from .features.official import OfficialFeature
from .features.privacy import PrivacyFeature
from .features.web_console import WebConsoleFeature
from .knowledge_watch import KnowledgeWatch
from .notify import Notifier
from .personal_data import BotPersonalData, PersonalData
from .reports import QuestionLog
from .retention import RetentionService
from .roles import OFFICIAL, Roles, RolesPersonalData
from .scheduler import Scheduler
from .signing import AnswerLinks, signing_key
from .unanswered import UnansweredLog

log = logging.getLogger(__name__)

# package name -> its migrations module; each package owns its tables. A module's MIGRATIONS run after those
# of the packages named in its DEPENDS (e.g. the tables its foreign keys refer to); see bot.db.migration_order.
MIGRATION_MODULES: dict[str, Any] = {"bot": bot_migrations, "telegram": telegram_store, "booking": booking_migrations,
                                     "roles": roles_module, "coordinator": coordinator_module,
                                     "matrix": matrix_store, "guide": guide_module, "mail": mail_queue,
                                     "web": web_sessions}
FEATURES: list[type] = [CoreFeature, FaqFeature, PrivacyFeature, BookingFeature, OfficialFeature,
                       CoordinatorFeature, GuideFeature, HomeFeature, WebConsoleFeature]


def all_migrations() -> list[Migration]:
    return [Migration(pkg, v, sql, after=tuple(getattr(mod, "DEPENDS", ())))
            for pkg, mod in MIGRATION_MODULES.items() for v, sql in mod.MIGRATIONS]


@dataclass
class App:
    settings: Settings
    db: Database
    clock: Clock
    knowledge: KnowledgeStore
    catalogue: Catalogue
    notifier: Notifier
    users: UserStore
    unanswered: UnansweredLog
    outbox: ConsoleOutbox
    personal_data: PersonalData
    roles: Roles
    scheduler: Scheduler
    engine: Engine = field(init=False)
    knowledge_watch: KnowledgeWatch = field(init=False)
    coordinator_jobs: CoordinatorJobs = field(init=False)
    booking: BookingService = field(init=False)
    reminders: ReminderService = field(init=False)
    feeds: CalendarFeeds = field(init=False)  # officials' calendar feed secrets and what the feeds list
    busy: BusyService = field(init=False)  # officials' busy times from their own calendars
    calendar_jobs: CalendarJobs = field(init=False)
    guide: guide_module.GuideService = field(init=False)
    question_log: QuestionLog = field(init=False)  # day, language, outcome, entry of each question: no identity
    mail: EmailChannel = field(init=False)  # the notifier's "mail:" route (officials told by e-mail)
    mail_queue: MailQueue = field(init=False)  # sends queued mails through SMTP or into .eml files
    answer_links: AnswerLinks = field(init=False)  # signed one-click answer links (bot/web_answers.py)
    # Started in order by start_background (each catches up, then adds its jobs), the scheduler last.
    background: list[Any] = field(default_factory=list)

    async def start_background(self) -> None:
        """Start the background services, then the scheduler. Call once the channels are up: what is due at
        start-up is sent at once and needs the channels' routes in the notifier."""
        for service in self.background:
            await service.start()

    async def stop_background(self) -> None:
        """Stop the scheduler first (no new job; running ones finish), then the services. Before the channels."""
        for service in reversed(self.background):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", type(service).__name__)

    async def close(self) -> None:
        await self.db.close()


async def build_app(settings: Settings, clock: Clock | None = None, knowledge: KnowledgeStore | None = None) -> App:
    """Open the database (migrating it), load knowledge and wire every feature."""
    knowledge = knowledge or KnowledgeStore(settings.knowledge_dir)
    db = await Database.open(settings.db_path, all_migrations())
    try:
        return await _wire(settings, db, clock, knowledge)
    except BaseException:
        await db.close()  # its worker thread would otherwise keep the process from exiting
        raise


async def _wire(settings: Settings, db: Database, clock: Clock | None, knowledge: KnowledgeStore) -> App:
    users = UserStore(db, settings.default_lang)
    clock = clock or SystemClock()
    app = App(
        settings=settings,
        db=db,
        clock=clock,
        knowledge=knowledge,
        catalogue=Catalogue.load(),
        notifier=Notifier(on_undeliverable=users.mark_undeliverable, is_undeliverable=users.is_undeliverable),
        users=users,
        unanswered=UnansweredLog(db, knowledge=knowledge),
        outbox=ConsoleOutbox(db, clock),
        personal_data=PersonalData(db),
        roles=Roles(db, clock),
        scheduler=Scheduler(STOCKHOLM),
    )
    app.personal_data.register(BotPersonalData())
    app.personal_data.register(RolesPersonalData())
    app.personal_data.register(web_sessions.WebLoginPersonalData())
    app.personal_data.register(guide_module.GuidePersonalData())
    app.personal_data.register(ConsoleFiles(settings.outbox_dir()))
    app.guide = guide_module.GuideService(app, guide_module.GuideStore(db))
    app.question_log = QuestionLog(db)
    app.background.append(RetentionService(app.personal_data, clock, settings.retention_days, app.scheduler))
    app.notifier.register("console", app.outbox.deliver)
    await _wire_booking(app)
    _wire_mail(app)
    app.engine = Engine(app)
    for feature in FEATURES:
        app.engine.add_feature(feature(app))
    app.coordinator_jobs = CoordinatorJobs(app)
    app.knowledge_watch = KnowledgeWatch(app)
    app.background += [app.coordinator_jobs, app.knowledge_watch, app.scheduler]
    return app


async def _wire_booking(app: App) -> None:
    """The booking service, its messages, reminders and personal data; demo officials in an empty database."""
    from booking.demo import load_demo_if_empty

    rules = load_rules(app.settings.booking_rules)
    texts = BookingTexts(app)
    app.busy = BusyService(app.db, app.clock, rules, sources_loader(app))
    service = BookingService(app.db, app.clock, rules, on_notices=texts.send_notices, busy=app.busy)
    reminders = ReminderService(app.db, app.clock, rules.tz, texts.send_reminder, texts.send_digest, app.scheduler)
    service.on_change = reminders.changed
    app.booking = service
    app.reminders = reminders
    app.feeds = CalendarFeeds(app.db, app.clock)
    app.calendar_jobs = CalendarJobs(app, texts)
    app.background += [reminders, app.calendar_jobs]
    app.personal_data.register(BookingPersonalData(service))
    app.roles.register_provider(OFFICIAL, service.is_official)
    app.roles.register_linker(OFFICIAL, service.official_exists, service.link_official)
    if app.settings.demo_officials:
        knowledge = app.knowledge.current
        await load_demo_if_empty(app.db, topics=knowledge.topics, authorities=knowledge.authorities)


def _wire_mail(app: App) -> None:
    """E-mail to officials: the notifier's "mail" route, the queue that sends (SMTP, or .eml files without a
    server) as a background service, and the signed answer links its mails carry."""
    settings = app.settings
    app.answer_links = AnswerLinks(lambda: signing_key(settings.data_dir), settings.web_base_url())
    sender = sender_address(settings)
    app.mail = EmailChannel(app, app.answer_links, sender)
    app.mail_queue = MailQueue(app.db, app.clock, transport_for(settings), sender, app.scheduler,
                               on_undeliverable=app.mail.tell_coordinators)
    app.mail.queue = app.mail_queue
    app.notifier.register(MAIL_PREFIX, app.mail.deliver)
    app.background.append(app.mail_queue)

