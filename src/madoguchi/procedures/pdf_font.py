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
import logging
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

FONT_PACKAGE = "pylopdf_fonts_jp"
FONT_FILE = "NotoSansJP-Regular.otf"
FAMILY = "NotoSansJP"
REPLACEMENT = "〓"
# Largest deviation of a converted curve from the original, in font units (1/1000 em): invisible in print.
CURVE_TOLERANCE = 1.0

# fontTools logs every subset it makes (the PDF writer subsets once more) at INFO, glyph lists and all: that
# would put a line of glyph names per printed application into the production log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

_KEEP = frozenset("\n")
_AS_SPACE = frozenset("\t\u00a0")


# Converted glyphs kept per process (name → compiled TrueType glyph, advance): kana, digits and common kanji
# recur in every document. Bounded, so a stream of documents in rare characters cannot grow it without end;
# the whole font is about 17,000 glyphs of roughly 1 KB each.
GLYPH_CACHE_SIZE = 8000


@dataclass(frozen=True)
class TrueTypeGlyph:
    data: bytes  # compiled, bounds included
    advance: int
    x_min: int
    points: int
    contours: int


@dataclass
class SourceFont:
    font: TTFont
    cmap: dict[int, str]
    lock: threading.Lock
    glyphs: OrderedDict[str, TrueTypeGlyph] = field(default_factory=OrderedDict)

    def has(self, char: str) -> bool:
        return ord(char) in self.cmap

    def truetype_glyph(self, name: str) -> TrueTypeGlyph:
        """The glyph converted to TrueType outlines, compiled. Call under `lock`."""
        cached = self.glyphs.get(name)
        if cached is not None:
            self.glyphs.move_to_end(name)
            return cached
        pen = TTGlyphPen(None)
        self.font.getGlyphSet()[name].draw(Cu2QuPen(pen, CURVE_TOLERANCE, reverse_direction=True))
        glyph = pen.glyph()
        glyph.recalcBounds(None)
        contours = max(glyph.numberOfContours, 0)
        entry = TrueTypeGlyph(
            data=glyph.compile(None, recalcBBoxes=False),
            advance=self.font["hmtx"][name][0],
            x_min=getattr(glyph, "xMin", 0),
            points=len(glyph.coordinates) if contours else 0,
            contours=contours,
        )
        self.glyphs[name] = entry
        if len(self.glyphs) > GLYPH_CACHE_SIZE:
            self.glyphs.popitem(last=False)
        return entry


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
    with source.lock:  # the source's outlines are decompiled lazily, and the cache is shared: one at a time
        cmap = {code: source.cmap[code] for code in wanted}
        order = [".notdef", *sorted(set(cmap.values()) - {".notdef"}, key=source.font.getGlyphID)]
        compiled = {name: source.truetype_glyph(name) for name in order}
    head, hhea, os2, post = (source.font[tag] for tag in ("head", "hhea", "OS/2", "post"))
    builder = FontBuilder(head.unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    # The glyf table by hand: FontBuilder.setupGlyf wants expanded glyphs, these are compiled already.
    builder.font["loca"] = newTable("loca")
    glyf = builder.font["glyf"] = newTable("glyf")
    glyf.glyphs = {name: Glyph(glyph.data) for name, glyph in compiled.items()}
    glyf.glyphOrder = order
    builder.setupHorizontalMetrics({name: (glyph.advance, glyph.x_min) for name, glyph in compiled.items()})
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
    # The glyphs are compiled already, bounds included: recompiling them is most of the cost of a subset. So
    # nothing is recalculated on save; the font's box is the source's (it contains every glyph) and maxp
    # gets its maxima here.
    builder.font.recalcBBoxes = False
    for attribute in ("xMin", "yMin", "xMax", "yMax"):
        setattr(builder.font["head"], attribute, getattr(head, attribute))
    maxp = builder.font["maxp"]
    maxp.maxPoints = max(glyph.points for glyph in compiled.values())
    maxp.maxContours = max(glyph.contours for glyph in compiled.values())
    output = io.BytesIO()
    builder.save(output)
    return output.getvalue()
