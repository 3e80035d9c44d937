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
    """Register the CJK font with matplotlib (once) and make the report families the default."""
    if not any(e.name == CJK_FAMILY for e in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(cjk_font_file())
    matplotlib.rcParams["font.family"] = FAMILIES
    matplotlib.rcParams["axes.unicode_minus"] = True
