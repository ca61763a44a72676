"""Architecture families, the names reports group models by.

``family`` is fine-grained ("two-layer SSM+FNN", "SSM without FNN", "Transformer"); ``mixer_family``
is the mixer's own family ("SSM", "Transformer", ...). Both follow from a ``ModelConfig`` alone, so
every experiment names the same architecture the same way.
"""

from __future__ import annotations

from typing import Callable

from tokensel.nn.config import ModelConfig
from tokensel.nn.mixers import MIXERS

TRANSFORMER = "Transformer"
_LAYER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def mixer_family(config: ModelConfig) -> str:
    return MIXERS[config.mixer].family


def family(config: ModelConfig) -> str:
    base = mixer_family(config)
    if config.fnn_depth == 0:
        return f"{'attention' if base == TRANSFORMER else base} without FNN"
    if base == TRANSFORMER:
        return TRANSFORMER
    layers = _LAYER_WORDS.get(config.n_layers, str(config.n_layers))
    return f"{layers}-layer {base}+FNN"


SSM2_FNN = "two-layer SSM+FNN"
SSM1_FNN = "one-layer SSM+FNN"


def model_families(model_names, model_specs, naming: Callable[[ModelConfig], str] = family) -> dict[str, str]:
    """Model name -> family (``naming``: ``family`` or ``mixer_family``), from the names and
    ``model_spec`` JSON entries of a run Dataset."""
    return {str(name): naming(ModelConfig.from_json(str(spec))) for name, spec in zip(model_names, model_specs)}


def readable_names(model_names, model_specs) -> dict[str, str]:
    """Model name -> the name a legend or table shows: its family, with the FNN depth and then the
    filter added only where two models of one Dataset would otherwise read the same."""
    configs = {str(name): ModelConfig.from_json(str(spec)) for name, spec in zip(model_names, model_specs)}
    names = {name: family(c) for name, c in configs.items()}
    filter_of = lambda c: getattr(c.mixer_options, "filter", None)  # noqa: E731
    for detail in (lambda c: f"FNN depth {c.fnn_depth}", lambda c: f"{filter_of(c)} filter" if filter_of(c) else f"{c.n_layers} layers"):
        taken = list(names.values())
        names = {name: f"{label} ({detail(configs[name])})" if taken.count(label) > 1 else label for name, label in names.items()}
    return names
