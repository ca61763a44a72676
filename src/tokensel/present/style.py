"""One colour per model family on every page, looked up by the readable family name.

Shades follow the mixer (blues for SSMs, oranges for attention, greens for the gated convolution,
purples for the selective SSM, pinks for Mamba-2) and get lighter from the two-layer model with FNN
to one layer or no FNN, so a reader matches a line on one page to the same line on another without reading the legend.
References that are not networks (the oracle sieve, k-NN, FFT floor) stay in greys.
"""

from __future__ import annotations

import zlib

# Checked in this order: "selective SSM" contains "SSM", so it comes first.
_MIXER_SHADES = (
    ("selective SSM", ("#5e3c99", "#8e6cc4", "#b2abd2")),
    ("Mamba-2", ("#ae017e", "#f768a1", "#fbb4b9")),
    ("gated convolution", ("#1b7837", "#5aae61", "#a6dba0")),
    ("SSM", ("#08519c", "#4292c6", "#9ecae1")),
    ("Transformer", ("#d95f02", "#fdae6b", "#fdd0a2")),
    ("attention", ("#d95f02", "#fdae6b", "#fdd0a2")),
)
REFERENCE_GREYS = ("#000000", "#636363", "#969696", "#bdbdbd")


def _shade(label: str) -> int:
    """0 for the full model (two layers, with FNN), 1 for one layer, 2 for no FNN."""
    if "without FNN" in label:
        return 2
    if label.startswith("one-layer"):
        return 1
    return 0


def family_shades(family: str) -> tuple[str, ...]:
    """The shades of a family, full to light, for a page that shows several variants of one family."""
    return next((shades for mixer, shades in _MIXER_SHADES if mixer in family), REFERENCE_GREYS)


def family_colour(label: str) -> str:
    """The colour of a readable family name; names of no known mixer get a fixed grey by their text."""
    for mixer, shades in _MIXER_SHADES:
        if mixer in label:
            return shades[_shade(label)]
    return REFERENCE_GREYS[zlib.crc32(label.encode()) % len(REFERENCE_GREYS)]


def palette(labels) -> dict[str, str]:
    """Label -> colour for a plot's hue (seaborn's ``palette=``)."""
    return {str(label): family_colour(str(label)) for label in labels}
