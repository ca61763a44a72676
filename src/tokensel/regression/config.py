"""The ``regression:`` section of the params file as typed, validated dataclasses.

The paper states Theorems 4.5 (approximation) and 4.6 (estimation) without an experiment; this
experiment is ours, and every default here is our documented choice (see ``profiles/default.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from tokensel.core.params import (
    AtLeast,
    Between,
    Distinct,
    NonEmpty,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    build,
    check,
)
from tokensel.core.optim import OptimConfig
from tokensel.core.params_file import load_config
from tokensel.nn.config import ModelConfig

KEY = "regression"
ORDERS = ("dynamic", "fixed")
# The run file (and DVC cell) of the known-rate references; no model may take this name.
REFERENCES = "references"


@dataclass(frozen=True)
class TaskConfig:
    """The piecewise γ-smooth target (``regression.task``).

    Tokens x_t are uniform on [0,1]^d. The importance of a token is its last coordinate,
    mu(x) = x_d; F(X)_t = g(Gamma(W_t)) reads the other d-1 coordinates of the top_j tokens of the
    window W_t = (x_{t-V+1}, ..., x_t), sorted by decreasing importance. g never reads the
    importance coordinate, so its input is uniform on [0,1]^((d-1) J) whatever the margin rejection
    keeps.

    Attributes:
        d: token dimension (one importance coordinate plus d-1 value coordinates).
        seq_len: tokens per sequence; outputs exist at the seq_len - window + 1 positions with a
            full window.
        window: V, tokens per window.
        top_j: J, tokens kept by Gamma.
        a0, alpha, kappa: smoothness a_ij = a0 * j^alpha * (1 + kappa (i-1)) of value coordinate i
            of the rank-j token (the most important token is the least smooth direction).
        smoothness: "mixed" (gamma(s) = sum a s) or "anisotropic" (gamma(s) = max a s).
        max_basis: g is the random series on the blocks of smallest gamma(s) that together hold at
            most this many basis functions; it must stay well above what the oracle sieve selects
            at the largest n, or the rate turns parametric.
        sigma: noise standard deviation; g has unit variance, so sigma^2 is the noise-to-signal ratio.
        delta, beta: the well-separatedness margin. A sequence is kept only if in every window
            mu_(j) - mu_(j+1) >= delta * j^(-beta) for j = 1..J (0 disables the rejection).
    """

    d: Annotated[int, AtLeast(2)] = 2
    seq_len: PositiveInt = 12
    window: PositiveInt = 4
    top_j: PositiveInt = 2
    a0: PositiveFloat = 1.0
    alpha: NonNegativeFloat = 1.0
    kappa: NonNegativeFloat = 0.5
    smoothness: Literal["mixed", "anisotropic"] = "mixed"
    max_basis: PositiveInt = 1024
    sigma: NonNegativeFloat = 0.5
    delta: NonNegativeFloat = 0.05
    beta: NonNegativeFloat = 0.0

    def __post_init__(self) -> None:
        check(
            self.window <= self.seq_len, "window",
            f"(V = {self.window}) exceeds seq_len = {self.seq_len}: no position would have a full window. Use window <= seq_len",
        )
        check(
            self.top_j <= self.window, "top_j",
            f"(J = {self.top_j}) exceeds window (V = {self.window}): Gamma keeps J of the V window tokens. Use top_j <= window",
        )

    @property
    def input_dim(self) -> int:
        """Dimension (d-1) * J of g's input."""
        return (self.d - 1) * self.top_j

    @property
    def n_outputs(self) -> int:
        """Output positions per sequence (those with a full window)."""
        return self.seq_len - self.window + 1


@dataclass(frozen=True)
class TrainConfig(OptimConfig):
    """Minibatch AdamW on a fixed training set, run until validation stops improving.

    The step cap is ``max(min_steps, max_epochs * n / batch)`` (capped again by ``max_steps``), so
    it grows with n; the validation risk is measured ``n_evals`` times over the cap, training stops
    after ``patience`` evaluations without improvement, and the best-validation weights are
    scored. Learning rate and width (``lrs`` x ``d_models``) are chosen per n on the validation
    split of the first seed (the tuning seed); the other seeds train with that choice. The widths
    searched here set every model's ``d_model`` (a model entry's own is not used), its FNN
    widened in proportion.
    """

    batch_size: PositiveInt = 64
    lrs: Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()] = (3e-3, 1e-2)
    d_models: Annotated[tuple[PositiveInt, ...], NonEmpty(), Distinct()] = (32,)
    max_epochs: PositiveFloat = 200.0
    min_steps: PositiveInt = 400
    max_steps: PositiveInt | None = None
    n_evals: PositiveInt = 40
    patience: PositiveInt = 10
    weight_decay: NonNegativeFloat = 0.01
    n_val: PositiveInt = 256
    n_test: PositiveInt = 512

    def step_cap(self, n: int) -> int:
        """Training steps allowed at n training sequences."""
        batches_per_epoch = n / min(self.batch_size, n)
        cap = max(self.min_steps, round(self.max_epochs * batches_per_epoch))
        return min(cap, self.max_steps) if self.max_steps else cap


@dataclass(frozen=True)
class ReferencesConfig:
    """Known-rate references on the networks' splits (``regression.references``).

    sieve_max_basis: the oracle sieve chooses its truncation among the first this-many basis
        functions (in gamma order; also at most half the training rows).
    ridges: ridge penalties the sieve chooses from on validation.
    knn_ks: neighbour counts the no-Gamma k-NN baseline chooses from on validation.
    """

    sieve_max_basis: PositiveInt = 256
    ridges: Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()] = (1e-3, 1e-1, 10.0)
    knn_ks: Annotated[tuple[PositiveInt, ...], NonEmpty(), Distinct()] = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass(frozen=True)
class AnalysisConfig:
    """How the report fits slopes and words its verdict (every margin is ours, not the paper's).

    fit_n_min / fit_n_max: the n range of the log-log fits (null = the ends of the grid).
    slope_tolerance: two slopes this close count as the same rate; also the margin within which
        the oracle sieve must match the predicted exponent to count as a working control.
    level_ratio: a network whose risk at the largest n is more than this times the sieve's has
        not reached the estimation regime there; its slope is then not read as a rate.
    gap_ratio: a risk ratio (one-layer / two-layer, SSM / Transformer) above this is a gap.
    flat_tolerance: a run has converged if the best validation risk of its last quarter of
        evaluations is within this relative margin of the best before.
    two_layer, one_layer, transformer: the models the three verdict parts compare.
    """

    fit_n_min: PositiveInt | None = None
    fit_n_max: PositiveInt | None = None
    n_boot: PositiveInt = 2000
    ci: Annotated[float, Between(0.5, 0.999)] = 0.95
    slope_tolerance: NonNegativeFloat = 0.1
    level_ratio: Annotated[float, AtLeast(1)] = 3.0
    gap_ratio: Annotated[float, AtLeast(1)] = 1.25
    flat_tolerance: NonNegativeFloat = 0.01
    two_layer: str = "ssm2_fnn"
    one_layer: str = "ssm1_fnn"
    transformer: str = "transformer"


@dataclass(frozen=True)
class RegressionExperiment:
    """The whole ``regression:`` section of a params file."""

    task: TaskConfig
    models: Annotated[dict[str, ModelConfig], NonEmpty()]
    n_train: Annotated[tuple[PositiveInt, ...], NonEmpty()]
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()]
    fixed_order: tuple[str, ...] = ()
    train: TrainConfig = field(default_factory=TrainConfig)
    references: ReferencesConfig = field(default_factory=ReferencesConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)

    def __post_init__(self) -> None:
        check(
            len(self.n_train) >= 2 and list(self.n_train) == sorted(set(self.n_train)), "n_train",
            f"must be at least two increasing sizes, got {list(self.n_train)}",
        )
        check(REFERENCES not in self.models, "models", f"'{REFERENCES}' names the reference run file; rename that model")
        for name in self.fixed_order:
            check(name in self.models, "fixed_order", f"names '{name}', which is not in regression.models ({', '.join(self.models)})")
        analysis = self.analysis
        for role in ("two_layer", "one_layer", "transformer"):
            name = getattr(analysis, role)
            check(name in self.models, f"analysis.{role}", f"names '{name}', which is not in regression.models ({', '.join(self.models)})")
        for name, model in self.models.items():
            for width in self.train.d_models:
                check(not (problem := model.width_problem(width)), "train.d_models", f"({width}) {problem} of '{name}'")
        check(len(self.fit_sizes) >= 2, "analysis", f"fit range keeps {list(self.fit_sizes)}; it needs >= 2 sizes of n_train")

    @property
    def fit_sizes(self) -> tuple[int, ...]:
        """The sizes of ``n_train`` inside the analysis fit range."""
        lo = self.analysis.fit_n_min or self.n_train[0]
        hi = self.analysis.fit_n_max or self.n_train[-1]
        return tuple(n for n in self.n_train if lo <= n <= hi)

    def orders(self, name: str) -> tuple[str, ...]:
        """The task orders model ``name`` is trained on."""
        return ORDERS if name in self.fixed_order else ORDERS[:1]

    @property
    def all_orders(self) -> tuple[str, ...]:
        return ORDERS if self.fixed_order else ORDERS[:1]


def from_params(section, key: str = KEY) -> RegressionExperiment:
    """The experiment from the ``regression:`` mapping; every problem is raised at once with its key."""
    return build(RegressionExperiment, section, key)


def load(params_file: str | Path = "params.yaml") -> RegressionExperiment:
    """The ``regression:`` section of a params file, typed and validated."""
    return load_config(params_file, KEY, from_params)


def dry_run(section: dict) -> dict:
    """The same target, widths and models with the least work: two steps, one seed, one learning
    rate, and only the smallest and largest n (the sizes change the amount of data, not any shape)."""
    train = section.get("train", {})
    return {
        **section,
        "seeds": section["seeds"][:1],
        "n_train": [section["n_train"][0], section["n_train"][-1]],
        "train": {**train, "min_steps": 2, "max_steps": 2, "n_evals": 1, "lrs": list(train.get("lrs", [1e-2]))[:1], "n_val": 8, "n_test": 8},
    }
