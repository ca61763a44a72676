"""The ``efficiency:`` section of the params file: lengths, shapes, timing policy and targets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import torch

from tokensel.core.params import (
    NonEmpty,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    build,
    check,
    load_config,
)
from tokensel.nn.config import ModelConfig
from tokensel.nn.filters import FILTERS

KEY = "efficiency"
Lengths = Annotated[tuple[PositiveInt, ...], NonEmpty()]
DTYPES = {"float32": torch.float32, "float64": torch.float64}
STATS = ("median", "q25", "q75", "iqr")
METHOD_GROUPS = {
    "fft_floor": "mixer",
    **{f"ssm_mixer_{f}": "mixer" for f in FILTERS},
    "sdpa": "mixer",
    "naive_attention": "mixer",
    "ssm_block": "block",
    "transformer_block": "block",
    **{f"filter_{f}": "filter" for f in FILTERS},
}


@dataclass(frozen=True)
class ThroughputConfig:
    """Training tokens/s of small whole models (the experiments' architectures, one width) at a few lengths.

    Steps are timed with the benchmark's warm-up and repeat policy, on one fixed random batch.
    """

    seq_lens: Lengths = (256, 1024, 4096)
    batch_size: PositiveInt = 8
    d_model: PositiveInt = 64
    vocab_size: PositiveInt = 16
    models: Annotated[dict[str, ModelConfig], NonEmpty()] = dataclasses.field(
        default_factory=lambda: {
            "ssm2_fnn1": ModelConfig.from_params({"mixer": "ssm", "n_layers": 2, "fnn_width": 128, "filter": "fir"}, "default"),
            "transformer2": ModelConfig.from_params(
                {"mixer": "attention", "n_layers": 2, "fnn_width": 128, "n_heads": 4, "positional": "sinusoidal"}, "default"
            ),
        }
    )

    def __post_init__(self) -> None:
        check(list(self.seq_lens) == sorted(set(self.seq_lens)), "seq_lens", f"must be strictly increasing, got {list(self.seq_lens)}")


@dataclass(frozen=True)
class EfficiencyConfig:
    """The ``efficiency:`` section of a params file (defaults: the CPU profile).

    ``n_heads`` defaults to 1: one head of dimension d_model is the fastest SDPA configuration
    we measured on CPU (1 to 8 heads at d_model 128, L up to 8192, 2 threads), so speed-ups of the
    SSM against it are conservative. The targets (ours) are checked at ``target_seq_len`` and
    ``share_seq_len``; a target at a length not on the grid is reported as not measured.
    """

    seq_lens: Lengths = (256, 512, 1024, 2048, 4096, 8192, 16384)
    batch_size: PositiveInt = 8
    d_model: PositiveInt = 128
    n_heads: PositiveInt = 1
    state_size: PositiveInt = 8
    fnn_depth: NonNegativeInt = 1
    fnn_width: PositiveInt = 256
    primary_filter: Literal["fir", "ssm", "s4d"] = "s4d"  # the SSM of the blocks and of the targets
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    dtype: Literal["float32", "float64"] = "float32"
    threads: PositiveInt = 2
    seed: int = 0
    warmup: PositiveInt = 1
    repeats: PositiveInt = 7
    min_repeats: PositiveInt = 3
    seconds_per_point: PositiveFloat = 3.0
    max_call_seconds: PositiveFloat = 8.0
    max_memory_gb: PositiveFloat = 4.0
    target_seq_len: PositiveInt = 8192
    share_seq_len: PositiveInt = 4096
    min_speedup_vs_sdpa: PositiveFloat = 7.0
    max_ratio_vs_fft_floor: PositiveFloat = 1.5
    max_filter_share: PositiveFloat = 0.25
    max_memory_exponent: PositiveFloat = 1.2
    throughput: ThroughputConfig = dataclasses.field(default_factory=ThroughputConfig)

    def __post_init__(self) -> None:
        check(list(self.seq_lens) == sorted(set(self.seq_lens)), "seq_lens", f"must be strictly increasing, got {list(self.seq_lens)}")
        check(self.d_model % self.n_heads == 0, "n_heads", f"({self.n_heads}) must divide d_model ({self.d_model})")
        check(self.min_repeats <= self.repeats, "min_repeats", f"({self.min_repeats}) exceeds efficiency.repeats ({self.repeats})")

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    @property
    def torch_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)


def from_params(section: Any, key: str = KEY) -> EfficiencyConfig:
    """The benchmark from the ``efficiency:`` mapping; every problem is raised at once with its key."""
    return build(EfficiencyConfig, section, key)


def load(params_file: str | Path = "params.yaml") -> EfficiencyConfig:
    """The ``efficiency:`` section of a params file, typed and validated."""
    return load_config(params_file, KEY, from_params)


def environment_problems(config: EfficiencyConfig) -> list[str]:
    if config.device == "cuda" and not torch.cuda.is_available():
        return [f"'{KEY}.device' is 'cuda' but this machine has no CUDA device; use 'auto' (GPU when there is one) or 'cpu'."]
    return []


def dry_run(section: dict) -> dict:
    """The same methods and shapes timed once each, with lengths cut off after a second's work."""
    return {
        **section, "warmup": 1, "repeats": 1, "min_repeats": 1, "seconds_per_point": 0.01, "max_call_seconds": 1.0,
    }
