"""The Japanese font for printed applications: Noto Sans JP (SIL OFL 1.1), shipped by the `pylopdf-fonts-jp`
package and found through importlib.resources, never on a system path.

The package carries the font with PostScript (CFF, CID-keyed) outlines. PDF writers embed such fonts with a
custom encoding CMap that several readers and text extractors decode one byte at a time, which garbles copy and
search once a document uses more than 255 different characters. So each document gets its own small TrueType
font: the outlines of exactly the characters it prints, converted to quadratic curves (fontTools cu2qu, within
one font unit), with an ordinary Unicode cmap. The PDF writer then embeds it as an Identity-H TrueType subset,
which every reader handles. The source font is read and parsed once per process (`source_font()`).

`printable()` turns any text into text this font can draw: characters it has no glyph for, control and
formatting characters (U+202E and friends included) become the geta mark 〓 — the usual Japanese stand-in for a
character that cannot be printed — so hostile or unusual input shows up on paper instead of disappearing or
crashing the writer; variation selectors are dropped so the base character prints.
"""

from __future__ import annotations

import functools
import io
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

FONT_PACKAGE = "pylopdf_fonts_jp"
FONT_FILE = "NotoSansJP-Regular.otf"
FAMILY = "NotoSansJP"
REPLACEMENT = "〓"
# Largest deviation of a converted curve from the original, in font units (1/1000 em): invisible in print.
CURVE_TOLERANCE = 1.0

_KEEP = frozenset("\n")
_AS_SPACE = frozenset("\t\u00a0")


@dataclass
class SourceFont:
    font: TTFont
    cmap: dict[int, str]
    lock: threading.Lock

    def has(self, char: str) -> bool:
        return ord(char) in self.cmap


@functools.cache
def source_font() -> SourceFont:
    """The parsed Noto Sans JP, once per process."""
    data = resources.files(FONT_PACKAGE).joinpath(FONT_FILE).read_bytes()
    font = TTFont(io.BytesIO(data), lazy=False)
    return SourceFont(font=font, cmap=dict(font.getBestCmap()), lock=threading.Lock())


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def printable(text: str) -> str:
    """`text` with only characters the font can draw (see the module docstring); line breaks are kept."""
    font = source_font()
    out = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n"):
        if char in _KEEP:
            out.append(char)
        elif char in _AS_SPACE:
            out.append(" ")
        elif _is_variation_selector(ord(char)):
            continue
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or not font.has(char):
            out.append(REPLACEMENT)
        else:
            out.append(char)
    return "".join(out)


def subset_ttf(chars: Iterable[str]) -> bytes:
    """A TrueType font with the glyphs of `chars` (each one the font has), plus .notdef and the space."""
    source = source_font()
    wanted = sorted({ord(char) for char in chars if source.has(char)} | {ord(" "), ord(REPLACEMENT)})
    with source.lock:  # the source's outlines are decompiled lazily; one thread at a time
        font = source.font
        glyph_set = font.getGlyphSet()
        hmtx = font["hmtx"]
        cmap = {code: source.cmap[code] for code in wanted}
        order = [".notdef", *sorted(set(cmap.values()) - {".notdef"}, key=font.getGlyphID)]
        glyphs = {}
        for name in order:
            pen = TTGlyphPen(None)
            glyph_set[name].draw(Cu2QuPen(pen, CURVE_TOLERANCE, reverse_direction=True))
            glyphs[name] = pen.glyph()
        advances = {name: hmtx[name][0] for name in order}
        head, hhea, os2, post = font["head"], font["hhea"], font["OS/2"], font["post"]
        builder = FontBuilder(head.unitsPerEm, isTTF=True)
        builder.setupGlyphOrder(order)
        builder.setupCharacterMap(cmap)
        builder.setupGlyf(glyphs)
        glyf = builder.font["glyf"]
        metrics = {}
        for name in order:
            glyph = glyf[name]
            glyph.recalcBounds(glyf)
            metrics[name] = (advances[name], getattr(glyph, "xMin", 0))
        builder.setupHorizontalMetrics(metrics)
        builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap)
        builder.setupNameTable({"familyName": "Noto Sans JP", "styleName": "Regular", "psName": "NotoSansJP-Regular"})
        builder.setupOS2(
            usWeightClass=os2.usWeightClass,
            fsType=os2.fsType,
            sTypoAscender=os2.sTypoAscender,
            sTypoDescender=os2.sTypoDescender,
            sTypoLineGap=os2.sTypoLineGap,
            usWinAscent=os2.usWinAscent,
            usWinDescent=os2.usWinDescent,
            sxHeight=getattr(os2, "sxHeight", 0),
            sCapHeight=getattr(os2, "sCapHeight", 0),
        )
        builder.setupPost(
            italicAngle=post.italicAngle,
            underlinePosition=post.underlinePosition,
            underlineThickness=post.underlineThickness,
        )
    output = io.BytesIO()
    builder.save(output)
    return output.getvalue()
