"""The chart font: Latin text in DejaVu Sans (matplotlib's own), every CJK character in Noto Sans CJK SC.

The Noto font (SIL Open Font License 1.1) is a file inside the ``noto-cjk-sans-otc`` wheel, a dependency
of this package: nothing is installed on the system and nothing is downloaded at run time. Matplotlib
falls back glyph by glyph through ``font.family``, so a community named 北京读书会 renders in the same
chart as one named ``organic``, in both page languages.
"""

from __future__ import annotations

import functools

import matplotlib
from matplotlib import font_manager

CJK_FAMILY = "Noto Sans CJK SC"  # the Simplified Chinese face of the collection (Chinese glyph forms)
FAMILIES = ["DejaVu Sans", CJK_FAMILY]


@functools.cache
def cjk_font_file() -> str:
    """Path of the Noto Sans CJK collection shipped by the ``noto-cjk-sans-otc`` package."""
    import noto_cjk_sans_otc

    return str(noto_cjk_sans_otc.FONT_PATH)


def use_report_fonts() -> None:
    """Register the shipped CJK font with matplotlib (once), ahead of any system font of the same name so
    that every machine draws with the same file, and make the report families the default."""
    manager, path = font_manager.fontManager, cjk_font_file()
    if not any(e.fname == path for e in manager.ttflist):
        manager.addfont(path)
        ours = [e for e in manager.ttflist if e.fname == path]
        manager.ttflist = ours + [e for e in manager.ttflist if e.fname != path]  # ties go to the first
        font_manager._get_font.cache_clear()
        manager._findfont_cached.cache_clear()
    matplotlib.rcParams["font.family"] = FAMILIES
    matplotlib.rcParams["axes.unicode_minus"] = True
