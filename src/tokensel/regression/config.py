"""The ``regression:`` section of the params file as typed, validated dataclasses.

The paper states Theorems 4.5 (approximation) and 4.6 (estimation) without an experiment; this
experiment is ours. Every default here is our documented choice.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from tokensel.core.params import (
    Between,
    Distinct,
    NonEmpty,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    build,
    check,
    load_config,
)
from tokensel.nn.config import ModelConfig

KEY = "regression"
ORDERS = ("dynamic", "fixed")


@dataclass(frozen=True)
class RegressionTaskConfig:
    """Parameters of the piecewise gamma-smooth regression task (``regression.task``).

    Attributes:
        d: token dimension d (>= 2 when ``importance == "sine"``).
        seq_len: number of tokens per sequence (>= window).
        window: V, tokens per window W_t (V <= seq_len).
        top_j: J, tokens kept by Gamma (J <= V).
        a0: scale of the smoothness, a_{ij} = a0 * j^alpha * (1 + kappa (i-1)).
        alpha: growth of the smoothness with the importance rank j.
        kappa: growth of the smoothness with the token dimension i.
        smoothness: "mixed" (gamma(s) = sum a_k s_k) or "anisotropic" (max a_k s_k).
        t_max: truncation level T_max of the trigonometric series (blocks with gamma(s) < T_max).
            ``None`` picks the largest level that keeps at most ``max_basis`` basis functions.
        max_basis: ceiling on the number of basis functions; protects against a t_max that would
            build an enormous series (the count grows like 2^{T_max / a-dagger}).
        sigma: noise standard deviation.
        importance: mu, "linear" (mu(x) = x_1) or "sine" (mu(x) = x_1/2 + sin(2 pi x_2)/4).
        context_dependent: if True, mu(X)_j = mu(x_j) + CONTEXT_WEIGHT * mu(x_{j-1}).
        delta: well-separatedness margin; sequences with a window whose sorted gaps violate
            mu_(j) - mu_(j+1) >= delta * j^{-beta} (j = 1..J) are resampled. 0 disables it.
        beta: polynomial decay of the required gap with the rank.
        fixed_order: control task: g is applied to (x_t, x_{t-1}, ..., x_{t-J+1}) with no sorting.
        b_f: B_f, the sup-norm of g after rescaling.
        n_sup_points: Monte-Carlo points used to estimate sup |g| before rescaling.
    """

    d: PositiveInt = 2
    seq_len: PositiveInt = 32
    window: PositiveInt = 8
    top_j: PositiveInt = 3
    a0: PositiveFloat = 1.0
    alpha: NonNegativeFloat = 1.0
    kappa: NonNegativeFloat = 0.5
    smoothness: Literal["mixed", "anisotropic"] = "mixed"
    t_max: PositiveFloat | None = None
    max_basis: PositiveInt = 256
    sigma: NonNegativeFloat = 0.1
    importance: Literal["linear", "sine"] = "linear"
    context_dependent: bool = False
    delta: NonNegativeFloat = 0.0
    beta: NonNegativeFloat = 1.0
    fixed_order: bool = False
    b_f: PositiveFloat = 1.0
    n_sup_points: PositiveInt = 16384

    def __post_init__(self) -> None:
        check(
            self.window <= self.seq_len, "window",
            f"(V = {self.window}) exceeds seq_len = {self.seq_len}: no position would have a full window. Use window <= seq_len",
        )
        check(
            self.top_j <= self.window, "top_j",
            f"(J = {self.top_j}) exceeds window (V = {self.window}): Gamma keeps J of the V window tokens. Use top_j <= window",
        )
        check(
            not (self.importance == "sine" and self.d < 2), "importance",
            f"'sine' uses x_2 and needs d >= 2, got d = {self.d}. Use importance 'linear' or d >= 2",
        )

    @property
    def input_dim(self) -> int:
        """Dimension d*J of g's input."""
        return self.d * self.top_j


@dataclass(frozen=True)
class RegressionTrainConfig:
    """Minibatch AdamW on a fixed training set; ``lrs`` is swept and chosen on validation.

    ``steps`` is the same for every n, so a small training set is seen for many epochs; the
    stopping step is chosen on the validation split among the ``eval_every`` checkpoints, the
    SGD stand-in for the theorem's complexity choice T ~ log n / (2 a-dagger + 1).
    """

    steps: PositiveInt = 300
    batch_size: PositiveInt = 32
    lrs: Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()] = (1e-3, 3e-3)
    weight_decay: NonNegativeFloat = 0.01
    warmup_fraction: Annotated[float, Between(0, 0.99)] = 0.05
    grad_clip: PositiveFloat = 1.0
    eval_every: PositiveInt = 50
    n_val: PositiveInt = 256
    n_test: PositiveInt = 1024
    d_model: PositiveInt = 16

    @property
    def eval_steps(self) -> tuple[int, ...]:
        """Checkpoints at which validation and test risks are recorded (always including the last)."""
        return tuple(sorted({*range(self.eval_every, self.steps + 1, self.eval_every), self.steps}))


@dataclass(frozen=True)
class WidthSweepConfig:
    """Approximation study (Theorem 4.5): train at the largest n with embedding widths ``d_models``.

    The FNN width scales with d_model in the ratio the model has at ``train.d_model``, so the
    architecture keeps its shape while its parameter count grows.
    """

    models: tuple[str, ...] = ()
    d_models: Annotated[tuple[PositiveInt, ...], Distinct()] = ()

    def __post_init__(self) -> None:
        check(not self.models or len(self.d_models) >= 2, "d_models", "needs at least two widths when width_sweep.models is set")


@dataclass(frozen=True)
class FixedOrderConfig:
    """Control: these models are also trained on F_fix(X)_t = g(x_t, ..., x_{t-J+1}) (no sorting)."""

    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisConfig:
    """How the report fits slopes and words its verdict (margins are ours, not the paper's).

    fit_n_min / fit_n_max: the n range of the log-log fit (null = the ends of the grid); the
    truncated g has finitely many parameters, so the curve eventually flattens or turns
    parametric, and the fitted range must be stated.
    slope_tolerance: two slopes within this of each other count as "the same rate".
    gap_ratio: one-layer risk / two-layer risk at the largest n above this counts as a gap.
    """

    fit_n_min: PositiveInt | None = None
    fit_n_max: PositiveInt | None = None
    n_boot: PositiveInt = 2000
    ci: Annotated[float, Between(0.01, 0.999)] = 0.95
    slope_tolerance: NonNegativeFloat = 0.15
    gap_ratio: Annotated[float, Between(1, 1e9)] = 1.25


@dataclass(frozen=True)
class RegressionExperiment:
    """The whole ``regression:`` section of a params file."""

    task: RegressionTaskConfig
    models: Annotated[dict[str, ModelConfig], NonEmpty()]
    n_train: Annotated[tuple[PositiveInt, ...], NonEmpty()]
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()]
    train: RegressionTrainConfig = field(default_factory=RegressionTrainConfig)
    width_sweep: WidthSweepConfig = field(default_factory=WidthSweepConfig)
    fixed_order: FixedOrderConfig = field(default_factory=FixedOrderConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)

    def __post_init__(self) -> None:
        check(
            len(self.n_train) >= 2 and list(self.n_train) == sorted(set(self.n_train)), "n_train",
            f"must be at least two increasing sizes, got {list(self.n_train)}",
        )
        for section, names in (("width_sweep", self.width_sweep.models), ("fixed_order", self.fixed_order.models)):
            for name in names:
                check(name in self.models, f"{section}.models", f"names '{name}', which is not in regression.models ({', '.join(self.models)})")
        for name, model in self.models.items():
            widths = (self.train.d_model, *(self.width_sweep.d_models if name in self.width_sweep.models else ()))
            for width in widths:
                n_heads = model.option("n_heads")
                check(n_heads is None or width % n_heads == 0, f"models.{name}.n_heads", f"= {n_heads} does not divide d_model = {width}")
        check(len(self.fit_sizes) >= 2, "analysis", f"fit range keeps {list(self.fit_sizes)}; it needs >= 2 sizes of n_train")

    @property
    def fit_sizes(self) -> tuple[int, ...]:
        """The sizes of ``n_train`` inside the analysis fit range."""
        lo = self.analysis.fit_n_min or self.n_train[0]
        hi = self.analysis.fit_n_max or self.n_train[-1]
        return tuple(n for n in self.n_train if lo <= n <= hi)

    def model(self, name: str) -> ModelConfig:
        return self.models[name]

    def orders(self, name: str) -> tuple[str, ...]:
        """The task orders model ``name`` is trained on."""
        return ORDERS if name in self.fixed_order.models else ORDERS[:1]

    def task_for(self, order: str) -> RegressionTaskConfig:
        return dataclasses.replace(self.task, fixed_order=order == "fixed")


def from_params(section, key: str = KEY) -> RegressionExperiment:
    """The experiment from the ``regression:`` mapping; every problem is raised at once with its key."""
    return build(RegressionExperiment, section, key)


def load(params_file: str | Path = "params.yaml") -> RegressionExperiment:
    """The ``regression:`` section of a params file, typed and validated."""
    return load_config(params_file, KEY, from_params)


def dry_run(section: dict) -> dict:
    """The same target, sample sizes and models with the least work: 2 steps, one seed and learning rate."""
    train = section.get("train", {})
    return {
        **section,
        "seeds": section["seeds"][:1],
        "train": {**train, "steps": 2, "eval_every": 1, "lrs": list(train.get("lrs", [1e-3]))[:1], "n_val": 8, "n_test": 8},
    }
