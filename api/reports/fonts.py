"""The fonts the PDF and the charts are drawn with, found offline.

Latin, Greek and Cyrillic text use DejaVu Sans, which matplotlib ships inside its own
package, so it is always there. Chinese needs a CJK font, which no PyPI package we use
ships: the first of `CJK_FAMILIES` installed on the machine (Debian's `fonts-noto-cjk`,
which `make install` puts in beside Chromium) is used. Without one, a character no font
has is drawn as `MISSING` and the PDF says so on its first page, rather than showing
nothing or a blank box without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
from fontTools.ttLib import TTFont
from matplotlib import font_manager

__all__ = ["CJK_FAMILIES", "MISSING", "Face", "cjk_face", "latin_face", "shown"]

#: Installed CJK fonts looked for, best first: Simplified Chinese faces also hold the
#: Traditional characters reviews use.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                "Noto Serif CJK SC", "AR PL UMing CN", "Droid Sans Fallback")
#: What stands for a character no font can draw (U+25A1 WHITE SQUARE, which DejaVu has).
MISSING = "\N{WHITE SQUARE}"


@dataclass(frozen=True, slots=True)
class Face:
    family: str
    path: Path
    index: int  # the face's number in a .ttc collection, 0 for a single font file


@cache
def latin_face() -> Face:
    return Face("DejaVu Sans", Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf", 0)


@cache
def cjk_face() -> Face | None:
    """The installed CJK font, regular weight; None when the machine has none."""
    found = {entry.name: entry for entry in font_manager.fontManager.ttflist
             if entry.weight in (400, "normal", "regular") and entry.style == "normal"}
    for family in CJK_FAMILIES:
        if family in found:
            entry = found[family]
            return Face(family, Path(entry.fname), int(getattr(entry, "index", 0)))
    return None


@cache
def _characters(face: Face) -> frozenset[int]:
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def _drawable() -> frozenset[int]:
    faces = [latin_face(), *filter(None, [cjk_face()])]
    return frozenset().union(*(_characters(face) for face in faces))


def shown(text: str) -> str:
    """`text` with every character that no font has replaced by `MISSING` (line breaks
    and spaces kept)."""
    drawable = _drawable()
    return "".join(c if ord(c) in drawable or c.isspace() else MISSING for c in text)
