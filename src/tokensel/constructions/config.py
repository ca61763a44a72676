"""The ``constructions:`` section of the params file as typed, validated dataclasses.

Nothing here trains except the bridge; every size is ours (the paper gives no sizes for its
constructions). The copy and recall sweeps run the shared token tasks (``tokensel.tasks``) at the
sizes below; each network is built for exactly the task it is scored on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from tokensel.constructions.encoding import binary_digits
from tokensel.core.params import (
    AtLeast, Between, Distinct, NonEmpty, NonNegativeFloat, PositiveFloat, PositiveInt, build, check,
)
from tokensel.core.optim import OptimConfig
from tokensel.core.params_file import load_config

KEY = "constructions"
PARTS = ("selection", "copy", "recall", "precision", "costs", "bridge")
Sizes = Annotated[tuple[PositiveInt, ...], NonEmpty(), Distinct()]
Part = Literal["selection", "copy", "recall", "precision", "costs", "bridge"]
Dtype = Literal["float32", "float64"]


@dataclass(frozen=True)
class SelectionConfig:
    """Lemma 3.3: every window U x key dimension d at ``margin``, and a margin sweep at one (U, d)."""

    windows: Sizes = (1, 2, 4, 8)
    key_dims: Sizes = (2, 4)
    value_dim: PositiveInt = 2
    margin: PositiveFloat = 0.1  # delta the networks are built for
    margin_sweep: Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()] = (0.05, 0.1, 0.2, 0.4)
    sweep_window: PositiveInt = 8
    sweep_key_dim: PositiveInt = 4
    n_sequences: PositiveInt = 64
    seq_len: PositiveInt = 64
    tolerance: PositiveFloat = 1e-3  # an output counts as right when within this of the target value
    seed: int = 0


@dataclass(frozen=True)
class TokenSweep:
    """Sizes of a token task: a length sweep (``sizes`` at ``length_vocab``), a vocabulary sweep
    (``vocab_sizes`` at ``vocab_sweep_size``) and ``joint`` extra (size, vocabulary) cells."""

    sizes: Sizes
    length_vocab: PositiveInt
    vocab_sizes: Sizes
    vocab_sweep_size: PositiveInt
    joint: tuple[Annotated[tuple[PositiveInt, ...], NonEmpty()], ...] = ()
    n_answers: PositiveInt = 4096  # answer tokens scored per cell, at least 4 examples
    seed: int = 0

    def cells(self) -> list[tuple[str, int, int]]:
        """(sweep, size, vocabulary) of every cell, in order."""
        return ([("length", k, self.length_vocab) for k in self.sizes]
                + [("vocabulary", self.vocab_sweep_size, v) for v in self.vocab_sizes]
                + [("joint", k, v) for k, v in self.joint])

    def __post_init__(self) -> None:
        check(all(len(cell) == 2 for cell in self.joint), "joint", "must list [size, vocab_size] pairs")


@dataclass(frozen=True)
class CopyConfig(TokenSweep):
    sizes: Sizes = (8, 32, 128)
    length_vocab: Annotated[int, AtLeast(2)] = 16
    vocab_sizes: Sizes = (16, 256, 4096)
    vocab_sweep_size: PositiveInt = 16
    digits: Sizes = (1, 2)  # digits per token; "binary" is ceil(log2 |W|), added by the costs part
    layers: Annotated[tuple[Literal[1, 2], ...], NonEmpty(), Distinct()] = (1, 2)


@dataclass(frozen=True)
class RecallConfig(TokenSweep):
    sizes: Sizes = (4, 8, 16)
    length_vocab: PositiveInt = 64
    vocab_sizes: Sizes = (16, 256, 4096)
    vocab_sweep_size: PositiveInt = 4
    n_queries: PositiveInt | Literal["all"] = "all"

    def __post_init__(self) -> None:
        super().__post_init__()
        for sweep, k, v in self.cells():
            check(v >= k, "vocab_sizes" if sweep == "vocabulary" else sweep if sweep == "joint" else "length_vocab",
                  f"has {v} keys for {k} pairs; keys are distinct, so the vocabulary must be at least the size")


@dataclass(frozen=True)
class PrecisionConfig:
    """Where float32 breaks: two-layer copy with one digit per token (the biggest numbers)."""

    sizes: Sizes = (16, 64)
    log2_vocab: Sizes = (10, 11, 12, 13)
    n_answers: PositiveInt = 2048
    seed: int = 0


@dataclass(frozen=True)
class CostsConfig:
    """Closed-form costs on a wide grid (no networks built): L = 2^3 .. 2^max_log2_length,
    |W| = 2^2 .. 2^max_log2_vocab; copy at ``copy_size`` / ``copy_vocab``, recall at ``recall_size`` /
    ``recall_vocab`` when the other axis sweeps."""

    max_log2_length: Annotated[int, AtLeast(5)] = 16
    max_log2_vocab: Annotated[int, AtLeast(5)] = 32
    copy_size: PositiveInt = 32
    copy_vocab: Annotated[int, AtLeast(2)] = 16
    recall_size: PositiveInt = 8
    recall_vocab: PositiveInt = 65536


@dataclass(frozen=True)
class BridgeConfig(OptimConfig):
    """Fine-tuning from the construction (noisy or not) and from scratch, at trained-model sizes."""

    copy_size: PositiveInt = 16
    copy_vocab: Annotated[int, AtLeast(2)] = 16
    copy_digits: PositiveInt = 4
    recall_size: PositiveInt = 4
    recall_vocab: PositiveInt = 4
    sigmas: Annotated[tuple[NonNegativeFloat, ...], NonEmpty(), Distinct()] = (0.0, 0.003, 0.01, 0.03)
    noise: Annotated[tuple[Literal["all", "support"], ...], NonEmpty(), Distinct()] = ("all",)
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()] = (0, 1)
    steps: PositiveInt = 300
    lr: PositiveFloat = 1e-3
    batch_size: PositiveInt = 32
    readout_scale: PositiveFloat = 4.0  # logit gaps of 4 to 8: a small loss at the construction
    n_test: PositiveInt = 512

    def __post_init__(self) -> None:
        check(self.recall_vocab >= self.recall_size, "recall_vocab", f"({self.recall_vocab}) must be at least recall_size ({self.recall_size})")
        check(self.copy_digits <= binary_digits(self.copy_vocab), "copy_digits",
              f"({self.copy_digits}) exceeds the {binary_digits(self.copy_vocab)} bits of a token index of copy_vocab {self.copy_vocab}")


@dataclass(frozen=True)
class VerdictConfig:
    """What counts as exact (accuracy on every scored answer) and as poly-logarithmic growth (a
    fit of log cost on log log x beats a power law on log x and the fitted power is at most
    ``max_power``)."""

    exact_accuracy: Annotated[float, Between(0.5, 1)] = 1.0
    max_power: PositiveFloat = 0.25


@dataclass(frozen=True)
class ConstructionsExperiment:
    parts: Annotated[tuple[Part, ...], NonEmpty(), Distinct()] = PARTS
    dtypes: Annotated[tuple[Dtype, ...], NonEmpty(), Distinct()] = ("float32", "float64")
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    copy: CopyConfig = field(default_factory=CopyConfig)
    recall: RecallConfig = field(default_factory=RecallConfig)
    precision: PrecisionConfig = field(default_factory=PrecisionConfig)
    costs: CostsConfig = field(default_factory=CostsConfig)
    bridge: BridgeConfig = field(default_factory=BridgeConfig)
    verdict: VerdictConfig = field(default_factory=VerdictConfig)


def from_params(section: Any, key: str = KEY) -> ConstructionsExperiment:
    """The experiment from the ``constructions:`` mapping; every problem is raised at once with its key."""
    return build(ConstructionsExperiment, section, key)


def load(params_file: str | Path = "params.yaml") -> ConstructionsExperiment:
    return load_config(params_file, KEY, from_params)


# Largest k and |W| a CPU dry run builds. A copy cell scores every string length 1..k and costs
# about k^4: its two cells at k = 128 took 95 of the paper profile's 104-second dry run (2 cores).
DRY_RUN_CAPS = {"copy": (64, 4096), "recall": (64, 4096)}


def dry_run(section: dict) -> dict:
    """Every part and dtype with the least work: one example or sequence per cell, 2 bridge steps.

    The sizes are capped (k <= 64, |W| <= 4096, windows <= 8, key dims <= 4):
    a construction's shapes are set by its sizes alone, and at paper scale one network holds
    gigabytes, more than a CPU dry run should allocate; the closed-form costs part runs unchanged.
    """
    out = {key: dict(value) if isinstance(value, dict) else value for key, value in section.items()}
    for name, (cap_k, cap_v) in DRY_RUN_CAPS.items():
        sweep = out.get(name, {})
        for axis, cap in (("sizes", cap_k), ("vocab_sizes", cap_v)):
            if axis in sweep:
                sweep[axis] = sorted({min(int(x), cap) for x in sweep[axis]})
        for axis, cap in (("length_vocab", cap_v), ("vocab_sweep_size", cap_k)):
            if axis in sweep:
                sweep[axis] = min(int(sweep[axis]), cap)
        sweep["joint"] = [[min(k, cap_k), min(v, cap_v)] for k, v in sweep.get("joint", [])]
        sweep["n_answers"] = 1
    selection = out.get("selection", {})
    for axis, cap in (("windows", 8), ("key_dims", 4)):
        if axis in selection:
            selection[axis] = sorted({min(int(x), cap) for x in selection[axis]})
    out["selection"] = {**selection, "n_sequences": 1}
    precision = out.get("precision", {})
    for axis, cap in (("sizes", 64), ("log2_vocab", 13)):
        if axis in precision:
            precision[axis] = sorted({min(int(x), cap) for x in precision[axis]})
    out["precision"] = {**precision, "n_answers": 1}
    out["bridge"] = {**out.get("bridge", {}), "steps": 2, "n_test": 8, "seeds": list(out.get("bridge", {}).get("seeds", [0]))[:1]}
    return out
