"""All user-visible text, one catalogue per language (bot/locales/<lang>/*.yaml), Swedish default."""

from __future__ import annotations

import string
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML

LANGUAGES = ("sv", "en")
DEFAULT_LANG = "sv"


class CatalogueError(Exception):
    pass


class Catalogue:
    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self._texts = texts

    @classmethod
    def load(cls, root: Path | None = None) -> "Catalogue":
        root = root or Path(str(resources.files("bot") / "locales"))
        yaml = YAML(typ="safe")
        texts: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            merged: dict[str, str] = {}
            for path in sorted((root / lang).glob("*.yaml")):
                data = yaml.load(path.read_text(encoding="utf-8")) or {}
                for key, value in data.items():
                    if key in merged:
                        raise CatalogueError(f"{path}: key {key!r} defined twice")
                    merged[str(key)] = str(value).rstrip("\n")
            texts[lang] = merged
        return cls(texts)

    def keys(self, lang: str) -> set[str]:
        return set(self._texts.get(lang, {}))

    def has(self, key: str) -> bool:
        return key in self._texts[DEFAULT_LANG]

    def text(self, lang: str, key: str, /, **params: object) -> str:
        """The text for `key` in `lang` (Swedish when missing there), formatted with `params`."""
        template = self._texts.get(lang, {}).get(key) or self._texts[DEFAULT_LANG].get(key)
        if template is None:
            raise KeyError(f"catalogue has no text {key!r}")
        return template.format(**params) if params else template

    def placeholders(self, lang: str, key: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self._texts[lang][key]) if f}
