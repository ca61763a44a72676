"""Readable names and family colours of the benchmark's methods: every table, legend and sentence
of the efficiency page names a method through ``method_name`` and colours it through
``method_colours``, so the page reads like the others and never shows a params key.

A method's family is its mixer's family in the registry (``MIXERS``), so the SSM mixer wears the
SSM colour and SDPA the Transformer colour on this page as on every other. The bare FFT and filter
generation are parts of a mixer, not architectures: they have no family and take neutral greys.
"""

from __future__ import annotations

from tokensel.present import style
from tokensel.nn.families import readable_names
from tokensel.nn.filters import FILTERS
from tokensel.nn.mixers import MIXERS

FILTER_NAMES = {"fir": "FIR", "ssm": "dense SSM", "s4d": "S4D"}
_SSM, _ATTENTION = MIXERS["ssm"].family, MIXERS["attention"].family

# Method key -> (readable name, family or None).
METHODS: dict[str, tuple[str, str | None]] = {
    "fft_floor": ("bare FFT (floor)", None),
    **{f"ssm_mixer_{f}": (f"SSM mixer ({FILTER_NAMES[f]} filter, FFT)", _SSM) for f in FILTERS},
    "short_conv_ssm": ("SSM mixer with a short convolution", MIXERS["short_conv_ssm"].family),
    "gated_conv": ("gated convolution", MIXERS["gated_conv"].family),
    "selective": ("selective SSM (Mamba-1)", MIXERS["selective"].family),
    "ssd": ("Mamba-2 (SSD)", MIXERS["ssd"].family),
    "sdpa": ("SDPA attention", _ATTENTION),
    "naive_attention": ("naive attention (materialised softmax)", _ATTENTION),
    "ssm_block": ("SSM block (mixer + FNN)", _SSM),
    "transformer_block": ("Transformer block (attention + FNN)", _ATTENTION),
    **{f"filter_{f}": (f"filter generation ({FILTER_NAMES[f]})", None) for f in FILTERS},
}


GROUP_TITLES = {"mixer": "Sequence mixers", "block": "Full blocks (mixer + FNN)", "filter": "Filter generation only"}
TARGET_NAMES = {
    "control_two_passes": "known-answer control",
    "speedup_vs_sdpa": "speed-up against SDPA",
    "ratio_vs_fft_floor": "distance to the FFT floor",
    "filter_share": "filter generation's share",
    "memory_exponent": "memory exponent",
    "ssd_vs_ssm": "Mamba-2 against the SSM mixer",
    "sdpa_vs_ssd": "SDPA against Mamba-2",
    "ssd_throughput": "Mamba-2 training throughput",
}


def method_name(method: str) -> str:
    return METHODS[str(method)][0]


def target_name(target: str) -> str:
    return TARGET_NAMES[str(target)]


def ratio_name(numerator: str, denominator: str) -> str:
    return f"{method_name(numerator)} / {method_name(denominator)}"


def method_colours(methods, primary_filter: str) -> dict[str, str]:
    """Method -> colour for methods drawn together: its family's shades, the primary SSM mixer taking
    the family's full shade (as the full model does on the other pages) and the other members of the
    family lighter ones; methods of no family take distinct greys."""
    methods = sorted(map(str, methods), key=lambda m: m != f"ssm_mixer_{primary_filter}")
    colours, taken = {}, {}
    for method in methods:
        family = METHODS[method][1]
        shades = style.family_shades(family) if family else style.REFERENCE_GREYS[1:]
        colours[method] = shades[min(taken.get(family, 0), len(shades) - 1)]
        taken[family] = taken.get(family, 0) + 1
    return colours


def model_names(ds) -> dict[str, str]:
    """Throughput model key -> its readable family name, as the other pages name models."""
    return readable_names(ds["model"].values, ds["model_spec"].values)
