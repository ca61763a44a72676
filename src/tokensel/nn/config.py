"""``ModelConfig``: one network, as written under a ``models:`` entry of the params file.

A model's params entry is flat: the keys every model has (``mixer``, ``d_model``, ``n_layers``,
``fnn_depth``, ...) next to the keys of its mixer (``filter`` and ``window`` for ``ssm``, ``n_heads`` for
``attention``; see ``tokensel.nn.mixers``). ``ModelConfig.from_params`` splits them, so a key that
belongs to another mixer is reported as unknown for this one.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from tokensel.core.errors import ConfigError
from tokensel.core.params import (
    NonNegativeInt,
    PositiveInt,
    build,
    check,
    fields_of,
    unknown_key_problems,
)
from tokensel.nn.mixers import MIXERS


@dataclass(frozen=True)
class ModelConfig:
    """embedding -> ``n_layers`` x (mixer, FNN) -> readout, every layer ``d_model`` channels wide.

    ``fnn_depth`` is the number of hidden layers of the token-wise FNN after each mixer (0 removes
    it: the "mixer without FNN" ablation); ``pre_fnn`` adds the theory's FNN *before* each mixer as
    well; ``norm: none`` drops the LayerNorms (the constructions set weights for a norm-free net).
    """

    mixer: str = "ssm"
    d_model: PositiveInt = 64
    n_layers: PositiveInt = 2
    fnn_depth: NonNegativeInt = 1
    fnn_width: PositiveInt = 128
    pre_fnn: bool = False
    activation: Literal["gelu", "relu"] = "gelu"
    positional: Literal["none", "sinusoidal", "learned"] = "none"
    norm: Literal["layer", "none"] = "layer"
    mixer_options: Any = field(default=None, compare=True)

    def __post_init__(self) -> None:
        if self.mixer not in MIXERS:
            raise ConfigError(f"mixer '{self.mixer}' is unknown; registered mixers: {', '.join(MIXERS)}.")
        if self.mixer_options is None:
            object.__setattr__(self, "mixer_options", MIXERS[self.mixer].options())
        check(not (problem := self.width_problem(self.d_model)), "d_model", f"({self.d_model}) {problem}")

    @classmethod
    def from_params(cls, data: Any, key: str) -> ModelConfig:
        """Build from a flat params entry at dotted ``key``; every problem is named with its key."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"'{key}' must be a mapping of model settings, got {data!r}.")
        mixer = data.get("mixer", cls.mixer)
        if mixer not in MIXERS:
            raise ConfigError(f"'{key}.mixer' is '{mixer}'; registered mixers: {', '.join(MIXERS)}.")
        options_cls = MIXERS[mixer].options
        common = [name for name in fields_of(cls) if name != "mixer_options"]
        own = list(fields_of(options_cls))
        problems = unknown_key_problems(key, data, common + own)
        given = {k: v for k, v in data.items() if k in common}
        try:
            given["mixer_options"] = build(options_cls, {k: v for k, v in data.items() if k in own}, key)
        except ConfigError as error:
            problems += error.problems
        try:
            config = build(cls, given, key)
        except ConfigError as error:
            problems += error.problems
        if problems:
            raise ConfigError(problems)
        return config

    def to_params(self) -> dict[str, Any]:
        """The flat params entry that builds this config (the inverse of ``from_params``)."""
        common = {name: getattr(self, name) for name in fields_of(type(self)) if name != "mixer_options"}
        return {**common, **dataclasses.asdict(self.mixer_options)}

    def to_json(self) -> str:
        """The flat params entry as JSON: how run files record the model (``model_spec``)."""
        return json.dumps(self.to_params(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        return cls.from_params(json.loads(text), "model_spec")

    def option(self, name: str, default: Any = None) -> Any:
        """A mixer option, or ``default`` where this model's mixer has no such option."""
        return getattr(self.mixer_options, name, default)

    def width_problem(self, d_model: int) -> str | None:
        """Why this model cannot be built ``d_model`` wide (None when it can), worded to follow
        "(d_model) ": attention heads must divide the width, SSD heads of ``head_dim`` channels the
        expanded width. Checked once, when a config is made; a width search asks it first to
        name its own key."""
        heads, head_dim, expand = self.option("n_heads"), self.option("head_dim"), self.option("expand", 1)
        if heads is not None and d_model % heads:
            return f"must be divisible by the {heads} heads"
        if head_dim is not None and expand * d_model % head_dim:
            return f"times expand {expand} must be divisible by the head_dim {head_dim}"
        return None

    def replace(self, **changes: Any) -> ModelConfig:
        """A copy with common fields and mixer options changed by name (``FieldError`` if the
        copy cannot be built)."""
        own = {k: changes.pop(k) for k in list(changes) if k in fields_of(type(self.mixer_options))}
        options = dataclasses.replace(self.mixer_options, **own)
        return dataclasses.replace(self, mixer_options=options, **changes)
