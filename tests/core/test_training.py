"""The optimiser's parameter groups: only weight matrices of linear maps and convolutions decay."""

from __future__ import annotations

import pytest

from tokensel.core.training import param_groups
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import SequenceModel


@pytest.mark.parametrize(
    "spec, kwargs",
    [
        ({"mixer": "attention", "positional": "learned"}, {}),
        ({"mixer": "ssm", "filter": "s4d"}, {}),
        ({"mixer": "ssm", "filter": "fir"}, {"input_dim": 3}),
        ({"mixer": "gated_conv"}, {}),
        ({"mixer": "selective"}, {}),
    ],
)
def test_only_linear_weights_decay(spec, kwargs) -> None:
    model = SequenceModel(ModelConfig.from_params(spec, "m").replace(d_model=16), 8, 20, **kwargs)
    decay, no_decay = param_groups(model, 0.1)
    decayed = {name for name, p in model.named_parameters() if any(p is q for q in decay["params"])}
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert decayed and all(name.endswith("weight") for name in decayed)
    never = ("position", "embedding", "norm", "bias", "filter", "A_log", "taps", "skip")
    assert not [name for name in decayed if any(word in name for word in never)]
    assert "readout.weight" in decayed
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))
