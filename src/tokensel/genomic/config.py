"""The ``genomic:`` section of the params file.

::

    genomic:
      models:        # name -> model entry (tokensel.nn.config.ModelConfig): one per family
        ssm: {mixer: ssm, filter: s4d}
        transformer: {mixer: attention, positional: learned}
      datasets:      # name -> spec; ``kind`` picks the source, ``steps``/``lrs`` give each model's
        motif_order: {kind: motif_order, steps: {ssm: 400, ...}, lrs: {ssm: [0.01], ...}}
        janggu: {kind: janggu, length: 100, ...}
      seeds: [0, 1]           # trained models
      control_seeds: [0]      # shuffled-label models (the negative control)
      train: {...}            # GenomicTrain: shared by every run
      attribution: {...}      # AttributionSettings
      baselines: {...}        # BaselineSettings
      verdict: {...}          # VerdictSettings

A run's seed fixes the initialisation, the batch order and (for a control) the label permutation;
every dataset's splits are fixed by its own ``data_seed``, so every run is scored and attributed on
the same test inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from tokensel.core.errors import ConfigError
from tokensel.core.params import (
    AtLeast,
    Between,
    Distinct,
    NonEmpty,
    PositiveFloat,
    PositiveInt,
    build,
    check,
)
from tokensel.core.params_file import load_config
from tokensel.core.optim import OptimConfig
from tokensel.genomic.dataset_specs import Dataset, DatasetSpec
from tokensel.nn.config import ModelConfig

KEY = "genomic"
Method = Literal["grad_norm", "grad_x_input", "integrated_gradients", "ism"]
METHODS: tuple[Method, ...] = ("grad_norm", "grad_x_input", "integrated_gradients", "ism")


@dataclass(frozen=True)
class GenomicTrain(OptimConfig):
    """Shared by every run: AdamW with warm-up + cosine decay, random mini-batches with replacement.

    Every model (its width is its entry's ``d_model``) has the same k-mer stem: a causal convolution of
    ``stem_width`` bases over the base embeddings, then GELU (``tokensel.genomic.models``).
    Validation loss and accuracy are logged every ``eval_every`` steps; the learning rate of a
    model is the one (of its dataset's ``lrs``) with the lowest final validation loss.
    """

    batch_size: PositiveInt = 32
    stem_width: PositiveInt = 8
    log_every: PositiveInt = 25
    eval_every: PositiveInt = 100


@dataclass(frozen=True)
class AttributionSettings:
    """``methods`` are computed on every run; ``ig_steps`` points of the integrated-gradients path;
    ``top_k`` positions for the Jaccard overlap; negative controls are attributed on the first
    ``control_examples`` attributed and moved inputs; ``shown`` inputs keep their whole importance
    profile for the figures. ``ism_positions`` is for dry runs only: in-silico mutagenesis then
    mutates that many evenly spaced bases instead of all L and gives the others zero importance,
    which no result can use (null, the default: every base)."""

    methods: Annotated[tuple[Method, ...], NonEmpty(), Distinct()] = METHODS
    ig_steps: Annotated[int, AtLeast(2)] = 8
    top_k: PositiveInt = 10
    batch_size: PositiveInt = 64
    control_examples: Annotated[int, AtLeast(2)] = 32
    shown: PositiveInt = 2
    ism_positions: PositiveInt | None = None


@dataclass(frozen=True)
class BaselineSettings:
    """L2 logistic regression on canonical k-mer frequencies for k = 1..``max_k``; each k keeps
    the inverse strength of ``cs`` with the lowest validation log-loss."""

    max_k: Annotated[int, Between(1, 8)] = 6
    cs: Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()] = (0.001, 0.01, 0.1, 1.0)
    max_iter: PositiveInt = 3000


@dataclass(frozen=True)
class VerdictSettings:
    """Our thresholds (the paper states none); every verdict is read from ``method``.

    * learned: the seed-mean accuracy beats the best baseline (majority, GC, k-mer ladder) with
      the lower end of a paired bootstrap interval above zero;
    * the controls separate: known-answer model minus shuffled-label model, lower bootstrap bound
      above ``min_separation`` (motif AUROC, share of importance on the moved motif, and the
      mass fraction in the sparse direction);
    * sparse: half the importance on at most ``max_mass_fraction_50`` of the bases (uniform: 0.5);
    * input-dependent: after the motif moves, the top-k importance left on its old bases is at
      most ``max_vacated_retention`` of what was on them before;
    * follows the motif: at least ``min_follow`` of the top-k importance lands on the moved motif.
    """

    method: Method = "ism"
    max_mass_fraction_50: Annotated[float, Between(0.001, 0.5)] = 0.15
    max_vacated_retention: Annotated[float, Between(0, 1)] = 0.5
    min_follow: Annotated[float, Between(0, 1)] = 0.5
    min_separation: Annotated[float, Between(0, 1)] = 0.1
    n_boot: PositiveInt = 2000
    ci: Annotated[float, Between(0.5, 0.999)] = 0.95


@dataclass(frozen=True)
class GenomicExperiment:
    models: Annotated[dict[str, ModelConfig], NonEmpty()]
    datasets: Annotated[dict[str, DatasetSpec], NonEmpty()]
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()]
    control_seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()] = (0,)
    train: GenomicTrain = field(default_factory=GenomicTrain)
    attribution: AttributionSettings = field(default_factory=AttributionSettings)
    baselines: BaselineSettings = field(default_factory=BaselineSettings)
    verdict: VerdictSettings = field(default_factory=VerdictSettings)

    def __post_init__(self) -> None:
        check(
            self.verdict.method in self.attribution.methods, "verdict.method",
            f"('{self.verdict.method}') must be one of genomic.attribution.methods ({', '.join(self.attribution.methods)})",
        )
        for name, spec in self.datasets.items():
            for what in ("steps", "lrs"):
                given = getattr(spec, what)  # type: ignore[union-attr]
                missing = [m for m in self.models if m not in given]
                extra = [m for m in given if m not in self.models]
                check(not missing, f"datasets.{name}.{what}", f"has no entry for model(s) {', '.join(missing)}; give one per model in genomic.models")
                check(not extra, f"datasets.{name}.{what}", f"names model(s) {', '.join(extra)} that genomic.models does not define")

    def dataset(self, name: str) -> Dataset:
        if name not in self.datasets:
            raise ConfigError(f"Unknown dataset '{name}'; datasets under genomic.datasets: {', '.join(self.datasets)}.")
        return self.datasets[name]  # type: ignore[return-value]


def from_params(section: Any, key: str = KEY) -> GenomicExperiment:
    """The experiment from the ``genomic:`` mapping; every problem is raised at once with its key."""
    return build(GenomicExperiment, section, key)


def load(params_file: str | Path = "params.yaml") -> GenomicExperiment:
    """The ``genomic:`` section of a params file, typed and validated."""
    return load_config(params_file, KEY, from_params)


def environment_problems(config: GenomicExperiment) -> list[str]:
    """Each configured dataset whose files this machine lacks, with the fix."""
    from tokensel.genomic.loading import check_available  # the data code, only when a check is asked for

    problems = []
    for name, spec in config.datasets.items():
        try:
            check_available(spec)
        except ConfigError as error:
            problems.append(f"'{KEY}.datasets.{name}': {error}")
    return problems


DRY_RUN_SPLIT = 256
DRY_RUN_ISM_POSITIONS = 8


def dry_run(section: dict) -> dict:
    """The same models and sequence lengths with the least work: 2 steps, one seed and one
    learning rate per model, few inputs (real data: ``DRY_RUN_SPLIT`` sequences per split), and
    in-silico mutagenesis of ``DRY_RUN_ISM_POSITIONS`` bases per input: at L = 200 mutating every
    base took four fifths of the paper profile's dry run (about 430 of 540 s on 2 cores)."""
    def small(spec: dict) -> dict:
        out = {**spec, "steps": {m: 2 for m in spec.get("steps", {})}, "lrs": {m: list(v)[:1] for m, v in spec.get("lrs", {}).items()}}
        if spec.get("kind") == "motif_order":
            out.update({"n_train": 64, "n_val": 8, "n_test": 8, "n_attributed": 2, "n_moved": 1})
        else:
            out.update({"n_attributed_per_class": 1, "n_inserted_per_class": min(2, spec.get("n_inserted_per_class", 2)), "max_per_split": DRY_RUN_SPLIT})
        return out

    return {
        **section,
        "datasets": {name: small(spec) for name, spec in section["datasets"].items()},
        "seeds": section["seeds"][:1],
        "control_seeds": section.get("control_seeds", [0])[:1],
        "attribution": {**section.get("attribution", {}), "ig_steps": 2, "control_examples": 2, "shown": 1,
                        "ism_positions": DRY_RUN_ISM_POSITIONS},
        "baselines": {**section.get("baselines", {}), "max_k": 2, "cs": list(section.get("baselines", {}).get("cs", [1.0]))[:1], "max_iter": 50},
        "verdict": {**section.get("verdict", {}), "n_boot": 10},
    }
