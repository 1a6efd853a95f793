"""UI strings in English and Simplified Chinese, read from cnn/locales/<lang>.json.

Keys are dotted names ("lab.stride.help"); values may hold {placeholders} filled by `t`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
_LOCALES = Path(__file__).with_name("locales")


@cache
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}.")
    return json.loads((_LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def normalise_language(value: str | None) -> str:
    """A language code from a URL or a widget, falling back to English for anything unknown."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values) -> str:
    """The string for `key` in `lang`, with {placeholders} filled. English stands in for a missing key."""
    text = catalog(normalise_language(lang)).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE)[key]  # a KeyError here is a bug: the key exists nowhere
    return text.format(**values) if values else text
