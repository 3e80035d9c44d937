"""Page languages: English and Simplified Chinese, from one catalogue (:mod:`analysis.catalogue`).

English text is the message id (the way gettext works): code and notebooks say
``t("Are they staying?")`` and read naturally in English; the Chinese page looks the id up in the
catalogue. Placeholders are ``str.format`` fields: ``t("Active members, last {weeks} weeks", weeks=12)``.
A missing translation falls back to the English text (a page is never broken by it); a test reads every
message id in the package and the templates and fails on any without a Chinese entry.

Numbers follow the reader's convention: a change of a rate is in percentage points (百分点), dates read
``2026年6月29日`` in Chinese and ``29 Jun 2026`` in English, and large counts on cards read ``2.3万``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.catalogue import ZH

LANGS = ("en", "zh")
DEFAULT_LANGS = ("en", "zh")  # what a run renders unless told otherwise
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
LANG_NAME = {"en": "English", "zh": "简体中文"}


def check_lang(lang: Any) -> str:
    """``lang`` if it is a supported page language, else ValueError naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"page language {lang!r} is not supported; choose from {', '.join(LANGS)}")
    return str(lang)


MISSING_LOG = "ANALYSIS_I18N_MISSING"  # a file: message ids looked up without a translation are added


def lookup(msgid: str, lang: str, strict: bool = True) -> str:
    """The text of ``msgid`` in ``lang`` (English: the id itself; missing Chinese: the English). A
    missing id is appended to the file named by ``$ANALYSIS_I18N_MISSING`` when ``strict`` (the tests
    render every page in Chinese with it set, and fail on any)."""
    if lang == "en":
        return msgid
    text = ZH.get(msgid)
    if text is None:
        path = os.environ.get(MISSING_LOG)
        if strict and path and msgid.strip():
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(msgid.replace("\n", "\\n") + "\n")
        return msgid
    return text


@dataclass(frozen=True)
class Translator:
    """``t(msgid, **fields)``: the message in this page's language with its fields filled in."""

    lang: str = "en"

    def __call__(self, msgid: str, **fields: Any) -> str:
        text = lookup(msgid, self.lang)
        return text.format(**fields) if fields else text

    def maybe(self, value: Any) -> str:
        """A value that may be a word of the catalogue (a tier, ``all``) or a name from the data (a
        channel): translated when the catalogue has it, else unchanged."""
        return lookup(str(value), self.lang, strict=False)

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def join(self, items: list[str]) -> str:
        """``a, b and c`` / ``a、b和c``."""
        items = [str(i) for i in items]
        if len(items) <= 1:
            return "".join(items)
        if self.zh:
            return "、".join(items[:-1]) + "和" + items[-1]
        return ", ".join(items[:-1]) + " and " + items[-1]

    def day(self, value: Any) -> str:
        """A date in a sentence: ``29 Jun 2026`` / ``2026年6月29日``."""
        d = pd.Timestamp(value)
        return f"{d.year}年{d.month}月{d.day}日" if self.zh else f"{d.day} {d:%b %Y}"

    def span(self, start: Any, end: Any) -> str:
        """A range of days: ``22–28 Jun 2026`` / ``2026年6月22日至28日``."""
        a, b = pd.Timestamp(start), pd.Timestamp(end)
        if self.zh:
            if (a.year, a.month) == (b.year, b.month):
                return f"{self.day(a)}至{b.day}日"
            return f"{self.day(a)}至{self.day(b) if a.year != b.year else f'{b.month}月{b.day}日'}"
        if (a.year, a.month) == (b.year, b.month):
            return f"{a.day}–{self.day(b)}"
        return f"{self.day(a)} – {self.day(b)}"

    def count(self, value: float) -> str:
        """A count as a reader says it: ``23,456`` / ``2.3万`` (Chinese groups by 10⁴ and 10⁸)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self("n/a")
        v = float(value)
        if self.zh and abs(v) >= 1e8:
            return f"{v / 1e8:.1f}亿"
        if self.zh and abs(v) >= 1e4:
            return f"{v / 1e4:.1f}万"
        return f"{round(v):,}"

    def points(self, delta: float, decimals: int = 1) -> str:
        """A change of a rate (fractions in, points out): ``+4.0 pp`` / ``+4.0个百分点``."""
        if delta is None or (isinstance(delta, float) and math.isnan(delta)):
            return self("n/a")
        v = 100 * float(delta)
        return f"{v:+.{decimals}f}个百分点" if self.zh else f"{v:+.{decimals}f} pp"

    def yes_no(self, value: Any) -> str:
        return self("yes") if bool(value) else self("no")


def translator(lang: str = "en") -> Translator:
    """The translator of page language ``lang`` (``en`` or ``zh``)."""
    return Translator(check_lang(lang))
