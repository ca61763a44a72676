"""The ``efficiency:`` section of the params file: lengths, shapes, timing policy, targets and pairing."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import torch

from tokensel.core.params import (
    AtLeast,
    Between,
    NonEmpty,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    build,
    check,
)
from tokensel.core.params_file import load_config
from tokensel.nn.config import ModelConfig
from tokensel.nn.filters import FILTERS
from tokensel.nn.mixers.gated_conv import GatedConvOptions
from tokensel.nn.mixers.selective import SelectiveOptions
from tokensel.nn.mixers.ssd import SSDOptions

KEY = "efficiency"
Lengths = Annotated[tuple[PositiveInt, ...], NonEmpty()]
DTYPES = {"float32": torch.float32, "float64": torch.float64}
METHOD_GROUPS = {
    "fft_floor": "mixer",
    **{f"ssm_mixer_{f}": "mixer" for f in FILTERS},
    "short_conv_ssm": "mixer",
    "gated_conv": "mixer",
    "selective": "mixer",
    "ssd": "mixer",
    "sdpa": "mixer",
    "naive_attention": "mixer",
    "ssm_block": "block",
    "transformer_block": "block",
    **{f"filter_{f}": "filter" for f in FILTERS},
}


def _increasing(lengths: tuple[int, ...]) -> None:
    check(list(lengths) == sorted(set(lengths)), "seq_lens", f"must be strictly increasing, got {list(lengths)}")


@dataclass(frozen=True)
class ThroughputConfig:
    """Training tokens/s of small whole models (the experiments' architectures, each its own ``d_model``) at a few lengths.

    Steps are timed with the benchmark's warm-up and repeats, on one fixed random batch.
    """

    seq_lens: Lengths = (256, 1024, 4096)
    batch_size: PositiveInt = 8
    vocab_size: PositiveInt = 16
    models: Annotated[dict[str, ModelConfig], NonEmpty()] = dataclasses.field(
        default_factory=lambda: {
            "ssm2_fnn1": ModelConfig.from_params({"mixer": "ssm", "n_layers": 2, "fnn_width": 128, "filter": "fir"}, "default"),
            "transformer2": ModelConfig.from_params(
                {"mixer": "attention", "n_layers": 2, "fnn_width": 128, "n_heads": 4, "positional": "sinusoidal"}, "default"
            ),
            "selective2_fnn1": ModelConfig.from_params({"mixer": "selective", "n_layers": 2, "fnn_width": 128}, "default"),
            "ssd2_fnn1": ModelConfig.from_params({"mixer": "ssd", "n_layers": 2, "fnn_width": 128}, "default"),
        }
    )

    def __post_init__(self) -> None:
        _increasing(self.seq_lens)


@dataclass(frozen=True)
class TargetConfig:
    """The targets (ours, set from earlier CPU measurements; the paper reports no timings).

    At ``seq_len``: SDPA at least ``min_speedup_vs_sdpa`` times slower than the SSM mixer, and the
    SSM mixer at most ``max_ratio_vs_fft_floor`` times the bare FFT; at ``share_seq_len``: filter
    generation at most ``max_filter_share`` of the SSM mixer's time; over the upper half of the
    grid: the SSM mixer's memory exponent below ``max_memory_exponent``.
    """

    seq_len: PositiveInt = 8192
    share_seq_len: PositiveInt = 4096
    min_speedup_vs_sdpa: PositiveFloat = 7.0
    max_ratio_vs_fft_floor: PositiveFloat = 1.5
    max_filter_share: PositiveFloat = 0.25
    max_memory_exponent: PositiveFloat = 1.2


@dataclass(frozen=True)
class SSDAimsConfig:
    """The aims for the Mamba-2 (SSD) mixer (ours; not part of the paper's verdict). Paired like
    the targets: at ``seq_len`` the ``ssd`` mixer at most ``max_ratio_vs_ssm`` times the SSM mixer;
    at ``sdpa_seq_len`` SDPA slower than it (ratio above 1, and at longer lengths SDPA only falls
    further behind); and, paired by throughput round at ``throughput_seq_len``, the training
    throughput of ``ssd_model`` at least ``min_throughput_vs_selective`` times ``selective_model``'s."""

    seq_len: PositiveInt = 8192
    max_ratio_vs_ssm: PositiveFloat = 3.0
    sdpa_seq_len: PositiveInt = 2048
    throughput_seq_len: PositiveInt = 1024
    min_throughput_vs_selective: PositiveFloat = 4.0
    ssd_model: str = "ssd2_fnn1"
    selective_model: str = "selective2_fnn1"


@dataclass(frozen=True)
class PairingConfig:
    """How each target ratio is timed: its two methods alternately in one process (A B, B A, ...),
    one pair per round across all comparisons, so every ratio is sampled over the whole
    measurement; ``pairs_per_block`` consecutive rounds form a block, ``blocks`` blocks in all. The
    interval (``confidence``) rests on the block medians, so load that drifts during the
    measurement widens it while a single disturbed pair does not.

    A target is met or missed only when the interval clears it by more than ``margin`` (relative):
    the same ratio moved that much between runs minutes apart on one shared 2-core machine (SSM
    mixer / bare FFT at L = 8192, one thread: 1.44 to 1.64 over six runs, while each run's own
    interval was about +-4%), so closer calls are undecided.

    The known-answer control times two passes of the bare FFT against one in the same way: the
    ratio is 2 by construction, and its interval must lie within a factor ``1 + control_tolerance``
    of 2, or the timings cannot support a verdict.
    """

    blocks: Annotated[int, AtLeast(2)] = 4
    pairs_per_block: PositiveInt = 3
    confidence: Annotated[float, Between(0.5, 0.999)] = 0.95
    margin: Annotated[float, Between(0.0, 1.0)] = 0.10
    control_tolerance: Annotated[float, Between(0.0, 1.0)] = 0.20


@dataclass(frozen=True)
class EfficiencyConfig:
    """The ``efficiency:`` section of a params file (defaults: the CPU profile).

    ``n_heads`` defaults to 1: one head of dimension d_model is the fastest SDPA configuration
    we measured on CPU (1 to 8 heads at d_model 128, L up to 8192, 2 threads), so speed-ups of the
    SSM against it are conservative. ``threads`` defaults to 1: the timings then measure the work
    itself; with two threads on a busy machine, threads waiting for each other at every small
    operation moved the ratios between methods by up to 2x. ``paired_threads`` are further thread
    counts at which every paired comparison (the control, the targets and the Mamba-2 aims) is timed
    again in the same run, right after the measurement at ``threads``: how the ratios move with
    threads is seen beside the results, which rest on ``threads``. ``state_size`` is N of the SSM mixers' filters;
    ``gated_conv``, ``selective`` and ``ssd`` are the options of the input-dependent mixers
    (``ssd``: heads of 64 channels, Mamba-2's choice). Every sweep
    point is one warm-up pass (which also counts memory) and ``repeats`` timed passes, taken in
    rounds across all methods at one length. A point whose pass would take more than
    ``max_call_seconds`` (extrapolated from the previous length; CPU seconds on a CPU, wall
    seconds on a GPU) or ``max_memory_gb`` is skipped, with every longer length of its method.
    """

    seq_lens: Lengths = (256, 512, 1024, 2048, 4096, 8192)
    batch_size: PositiveInt = 4
    d_model: PositiveInt = 128
    n_heads: PositiveInt = 1
    state_size: PositiveInt = 8
    fnn_depth: NonNegativeInt = 1
    fnn_width: PositiveInt = 256
    primary_filter: Literal["fir", "ssm", "s4d"] = "s4d"  # the SSM of the blocks and of the targets
    gated_conv: GatedConvOptions = GatedConvOptions()
    selective: SelectiveOptions = SelectiveOptions()
    ssd: SSDOptions = SSDOptions(head_dim=64)
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    dtype: Literal["float32", "float64"] = "float32"
    threads: PositiveInt = 1
    paired_threads: tuple[PositiveInt, ...] = (2,)
    seed: int = 0
    warmup: PositiveInt = 1
    repeats: Annotated[int, AtLeast(2)] = 3
    max_call_seconds: PositiveFloat = 4.0
    max_memory_gb: PositiveFloat = 4.0
    targets: TargetConfig = TargetConfig()
    ssd_aims: SSDAimsConfig = SSDAimsConfig()
    pairs: PairingConfig = PairingConfig()
    throughput: ThroughputConfig = dataclasses.field(default_factory=ThroughputConfig)

    def __post_init__(self) -> None:
        _increasing(self.seq_lens)
        check(self.threads not in self.paired_threads and len(set(self.paired_threads)) == len(self.paired_threads), "paired_threads",
              f"must be distinct thread counts other than threads ({self.threads}), got {list(self.paired_threads)}")
        check(self.d_model % self.n_heads == 0, "n_heads", f"({self.n_heads}) must divide d_model ({self.d_model})")
        for name in ("seq_len", "share_seq_len"):
            length = getattr(self.targets, name)
            check(length in self.seq_lens, "targets", f"{name} ({length}) must be one of seq_lens {list(self.seq_lens)}")
        inner = self.ssd.expand * self.d_model
        check(inner % self.ssd.head_dim == 0, "ssd", f"head_dim ({self.ssd.head_dim}) must divide expand * d_model ({inner})")
        aims = self.ssd_aims
        for name in ("seq_len", "sdpa_seq_len"):
            length = getattr(aims, name)
            check(length in self.seq_lens, "ssd_aims", f"{name} ({length}) must be one of seq_lens {list(self.seq_lens)}")
        check(aims.throughput_seq_len in self.throughput.seq_lens, "ssd_aims",
              f"throughput_seq_len ({aims.throughput_seq_len}) must be one of throughput.seq_lens {list(self.throughput.seq_lens)}")
        for name in ("ssd_model", "selective_model"):
            model = getattr(aims, name)
            check(model in self.throughput.models, "ssd_aims", f"{name} '{model}' must be one of throughput.models {list(self.throughput.models)}")

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
    """The same methods and shapes timed twice each, with lengths cut off after a second's work."""
    pairs = {**section.get("pairs", {}), "blocks": 2, "pairs_per_block": 1}
    return {**section, "warmup": 1, "repeats": 2, "max_call_seconds": 1.0, "pairs": pairs}
