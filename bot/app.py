"""Builds the application from configuration: database, knowledge, engine, features, notifier."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from knowledge.store import KnowledgeStore

from . import migrations as bot_migrations
from .catalogue import Catalogue
from .channels import telegram_store
from .channels.console import ConsoleOutbox
from .clock import Clock, SystemClock
from .config import Settings
from .db import Database, Migration
from .engine import Engine, UserStore
from .features.core import CoreFeature
from .features.faq import FaqFeature, UnansweredLog
from .features.privacy import PrivacyFeature
from .notify import Notifier
from .personal_data import BotPersonalData, PersonalData
from .retention import RetentionService

log = logging.getLogger(__name__)

# package name -> its migrations module; each package owns its tables.
MIGRATION_MODULES: dict[str, Any] = {"bot": bot_migrations, "telegram": telegram_store}
FEATURES: list[type] = [CoreFeature, FaqFeature, PrivacyFeature]


def all_migrations() -> list[Migration]:
    return [Migration(pkg, v, sql) for pkg, mod in MIGRATION_MODULES.items() for v, sql in mod.MIGRATIONS]


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
    engine: Engine = field(init=False)
    services: dict[str, Any] = field(default_factory=dict)
    background: list[Any] = field(default_factory=list)

    async def close(self) -> None:
        await self.db.close()


async def build_app(settings: Settings, clock: Clock | None = None, knowledge: KnowledgeStore | None = None) -> App:
    """Open the database (migrating it), load knowledge and wire every feature."""
    knowledge = knowledge or KnowledgeStore(settings.knowledge_dir)
    db = await Database.open(settings.db_path, all_migrations())
    users = UserStore(db, settings.default_lang)
    clock = clock or SystemClock()
    app = App(
        settings=settings,
        db=db,
        clock=clock,
        knowledge=knowledge,
        catalogue=Catalogue.load(),
        notifier=Notifier(on_undeliverable=users.mark_undeliverable),
        users=users,
        unanswered=UnansweredLog(db),
        outbox=ConsoleOutbox(db, clock),
        personal_data=PersonalData(db),
    )
    app.personal_data.register(BotPersonalData())
    app.background.append(RetentionService(app.personal_data, clock, settings.retention_days))
    app.notifier.register("console", app.outbox.deliver)
    app.engine = Engine(app)
    for feature in FEATURES:
        app.engine.add_feature(feature(app))
    return app
