"""Derived search columns: pinyin initials (拼音首字母) and the 1-2-character grams of a name."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
MAX_INITIALS = 64


def initials(text: str) -> str:
    """Lower-case pinyin initials of the Han characters only: 阿莫西林胶囊(0.25g) → amxljn.

    Digits, Latin letters and punctuation are kept out so a specification in the name never leaks in.
    """
    han = "".join(_HAN.findall(text or ""))
    if not han:
        return ""
    return "".join(lazy_pinyin(han, style=Style.FIRST_LETTER, errors="ignore")).lower()[:MAX_INITIALS]


def name_grams(*names: str) -> list[str]:
    """Every distinct 1- and 2-character substring of the names (lower-cased), for 1-2-character queries.

    Trigram indexes cannot serve a pattern shorter than three characters, and such queries are common
    in Chinese (感冒, 钙片); a GIN index on this array answers them by containment.
    """
    grams: set[str] = set()
    for name in names:
        text = re.sub(r"\s+", "", (name or "").lower())
        grams.update(text)
        grams.update(text[i : i + 2] for i in range(len(text) - 1))
    return sorted(grams)
