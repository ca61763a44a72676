"""The optimiser settings every experiment shares, as its params write them (no torch here, so
config modules stay light; ``tokensel.core.training`` builds the optimiser from them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from tokensel.core.params import Between, NonNegativeFloat, PositiveFloat


@dataclass(frozen=True)
class OptimConfig:
    """AdamW (decay on ``param_groups``' weights only), linear warm-up over ``warmup_fraction`` of
    the steps then cosine decay to zero, gradients clipped to norm ``grad_clip``.

    Every experiment's training section extends this class, so these keys sit beside the
    experiment's own training keys in the params file and are checked in one place."""

    weight_decay: NonNegativeFloat = 0.1
    warmup_fraction: Annotated[float, Between(0, 0.99)] = 0.05
    grad_clip: PositiveFloat = 1.0
