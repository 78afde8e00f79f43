"""One Jinja2 environment for every HTML the bot makes: its public web pages (bot/templates: the plain page,
the one-click answer page, the officials' HTML mail) and the web console (bot/admin/templates). Autoescaping
is on everywhere and a missing value is an error, not an empty string."""

from __future__ import annotations

import jinja2

templates = jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.PackageLoader("bot", "templates"), jinja2.PackageLoader("bot", "admin/templates")]),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render(name: str, /, **context: object) -> str:
    return templates.get_template(name).render(**context)


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs (split at blank lines) of lines, for the templates' <p> and <br>."""
    return [block.split("\n") for block in text.strip().split("\n\n") if block.strip()]
