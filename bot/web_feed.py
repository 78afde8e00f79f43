"""Officials' calendar feeds on the web server: GET <public address>/cal/<secret>.ics (text/calendar).

Outlook and Google subscribe to the address and fetch it again now and then (hourly asked for). What the feed
lists comes from booking/feed.py; the events are the invitations' (same UID, texts and time zone, from
booking/calendar.py). An unknown or replaced secret gets the 404 page; the log never shows a secret.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from booking.calendar import FeedItem, feed_ics

from .booking_texts import ORGANIZER, BookingTexts

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger(__name__)

FEED_ROUTE = "/cal/{secret:[A-Za-z0-9_-]+}.ics"


def feed_url(app: "App", secret: str) -> str:
    """The address an official subscribes to."""
    return f"{app.settings.web_base_url()}/cal/{secret}.ics"


async def official_feed_url(app: "App", official_id: str) -> str:
    """The official's feed address (its secret made now if needed); UnknownOfficial when there is no such one."""
    return feed_url(app, await app.feeds.secret(official_id))


async def feed_body(app: "App", official_id: str, lang: str, name: str) -> bytes:
    """The official's calendar feed as iCalendar bytes."""
    texts = BookingTexts(app)
    entries = await app.feeds.entries(official_id)
    snap = await app.booking.snapshot()
    items = [FeedItem(e.meeting, *texts.calendar_texts(e.meeting, lang), cancelled=e.cancelled,
                      participants=e.participants) for e in entries]
    return feed_ics(items, snap.officials, snap.organisations.values(),
                    name=app.catalogue.text(lang, "web.feed_name", name=name), lang=lang, now=app.clock.now(),
                    organizer=ORGANIZER)


def add_routes(web_app: web.Application, app: "App") -> None:
    async def feed(request: web.Request) -> web.Response:
        official = await app.feeds.official_for(request.match_info["secret"])
        if official is None:
            log.info("calendar feed: unknown or replaced address")
            raise web.HTTPNotFound()
        body = await feed_body(app, official.id, official.lang, official.name)
        return web.Response(body=body, content_type="text/calendar", charset="utf-8",
                            headers={"Content-Disposition": 'inline; filename="dukat-bord.ics"'})

    web_app.router.add_get(FEED_ROUTE, feed)
