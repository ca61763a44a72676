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
from typing import Annotated, Any, Literal, Mapping

from tokensel.core.errors import ConfigError
from tokensel.core.params import (
    AtLeast,
    Between,
    Distinct,
    NonEmpty,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    build,
    check,
    load_config,
)
from tokensel.genomic.data import TaskData, motif_order_task, real_task
from tokensel.genomic.motifs import MAFK_MARE_HALF_SITE, MAFK_T_MARE, OCT4_OCTAMER, parse_consensus
from tokensel.genomic.sources import default_genomic_benchmarks_root, janggu_resources_dir, load_genomic_benchmark, load_janggu_oct4_mafk
from tokensel.nn.config import ModelConfig

KEY = "genomic"
Method = Literal["grad_norm", "grad_x_input", "integrated_gradients", "ism"]
METHODS: tuple[Method, ...] = ("grad_norm", "grad_x_input", "integrated_gradients", "ism")
Steps = dict[str, PositiveInt]
LearningRates = dict[str, Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()]]


def _check_motifs(motifs: tuple[str, ...]) -> None:
    for motif in motifs:
        try:
            parse_consensus(motif)
        except ConfigError as error:
            check(False, "motifs", str(error))


@dataclass(frozen=True)
class MotifOrderData:
    """The motif-order task (``tokensel.genomic.data``): label = whether ``motifs[0]`` comes first."""

    kind: Literal["motif_order"] = "motif_order"
    steps: Steps = field(default_factory=dict)
    lrs: LearningRates = field(default_factory=dict)
    n_train: PositiveInt = 3000
    n_val: Annotated[int, AtLeast(2)] = 256
    n_test: Annotated[int, AtLeast(2)] = 500
    length: PositiveInt = 100
    motifs: Annotated[tuple[str, ...], NonEmpty()] = (OCT4_OCTAMER, MAFK_T_MARE)
    gc: Annotated[float, Between(0.05, 0.95)] = 0.42
    min_gap: NonNegativeInt = 10
    n_attributed: Annotated[int, AtLeast(2)] = 32
    n_moved: PositiveInt = 32
    data_seed: int = 0

    def __post_init__(self) -> None:
        check(len(self.motifs) == 2, "motifs", f"must name exactly two motifs (first, second), got {list(self.motifs)}")
        _check_motifs(self.motifs)
        longest = sum(max(len(v) for v in parse_consensus(m)) for m in self.motifs)
        check(longest + self.min_gap <= self.length, "length", f"must hold both motifs and the gap ({longest} + {self.min_gap} bases), got {self.length}")
        check(self.n_attributed <= self.n_test, "n_attributed", f"must not exceed n_test ({self.n_test}), got {self.n_attributed}")
        check(self.n_moved <= self.n_attributed, "n_moved", f"must not exceed n_attributed ({self.n_attributed}): moved inputs are copies of attributed ones")

    def check_available(self) -> None:
        """Generated on the fly: nothing to find."""

    def load(self) -> TaskData:
        return motif_order_task(
            self.n_train, self.n_val, self.n_test, self.length, self.motifs, self.gc, self.min_gap,  # type: ignore[arg-type]
            self.n_attributed, self.n_moved, self.data_seed,
        )


@dataclass(frozen=True)
class RealData:
    """Real sequences, cut to their central ``length`` bases, GC-matched in ``gc_bins`` quantile bins
    per split, ``val_fraction`` of the training split held out; ground truth = any of ``motifs``
    (scanned on both strands). The first ``n_attributed`` motif-bearing test sequences are attributed."""

    steps: Steps = field(default_factory=dict)
    lrs: LearningRates = field(default_factory=dict)
    length: PositiveInt = 100
    gc_bins: PositiveInt = 10
    val_fraction: Annotated[float, Between(0.01, 0.5)] = 0.1
    motifs: Annotated[tuple[str, ...], NonEmpty()] = (OCT4_OCTAMER, MAFK_MARE_HALF_SITE, MAFK_T_MARE)
    n_attributed: Annotated[int, AtLeast(2)] = 150
    n_moved: PositiveInt = 32
    data_seed: int = 0

    def __post_init__(self) -> None:
        _check_motifs(self.motifs)
        check(self.n_moved <= self.n_attributed, "n_moved", f"must not exceed n_attributed ({self.n_attributed}): moved inputs are copies of attributed ones")

    def load(self) -> TaskData:
        train, test = self.splits()
        return real_task(train, test, self.length, self.gc_bins, self.val_fraction, self.motifs, self.n_attributed, self.n_moved, self.data_seed)


@dataclass(frozen=True)
class JangguData(RealData):
    """janggu's Oct4-vs-MafK ChIP-seq peaks (200 bp), pooled and split with ``test_fraction``."""

    kind: Literal["janggu"] = "janggu"
    test_fraction: Annotated[float, Between(0.05, 0.5)] = 0.2

    def check_available(self) -> None:
        janggu_resources_dir()

    def splits(self):
        return tuple(load_janggu_oct4_mafk(split, seed=self.data_seed, test_fraction=self.test_fraction) for split in ("train", "test"))  # type: ignore[arg-type]


@dataclass(frozen=True)
class BenchmarkData(RealData):
    """A Genomic Benchmarks folder ``<root>/<name>/{train,test}/<class>/*.txt`` (not shipped here);
    longer sequences are cut to the central ``length`` bases, shorter ones are refused."""

    kind: Literal["genomic_benchmark"] = "genomic_benchmark"
    name: str = "human_nontata_promoters"
    root: str | None = None

    def check_available(self) -> None:
        folder = Path(self.root).expanduser() if self.root else default_genomic_benchmarks_root()
        if not (folder / self.name / "train").is_dir():
            raise ConfigError(
                f"no Genomic Benchmarks folder '{folder / self.name}/train'; nothing is downloaded at run time. "
                "Put the dataset there (one .txt per sequence under <class>/), set 'root', or remove this dataset."
            )

    def splits(self):
        return tuple(load_genomic_benchmark(self.name, split, root=self.root, length=self.length, truncation="center") for split in ("train", "test"))  # type: ignore[arg-type]


DATASET_KINDS: dict[str, type] = {"motif_order": MotifOrderData, "janggu": JangguData, "genomic_benchmark": BenchmarkData}
Dataset = MotifOrderData | JangguData | BenchmarkData


class DatasetSpec:
    """A dataset's params entry: ``kind`` picks the spec class, whose fields are the other keys."""

    @classmethod
    def from_params(cls, data: Any, key: str) -> Dataset:
        if not isinstance(data, Mapping):
            raise ConfigError(f"'{key}' must be a mapping with a 'kind' and its settings, got {data!r}.")
        kind = data.get("kind", key.rsplit(".", 1)[-1])
        if kind not in DATASET_KINDS:
            raise ConfigError(f"'{key}.kind' is '{kind}'; allowed kinds: {', '.join(DATASET_KINDS)}.")
        return build(DATASET_KINDS[kind], {**data, "kind": kind}, key)


@dataclass(frozen=True)
class GenomicTrain:
    """Shared by every run: AdamW with warm-up + cosine decay, random mini-batches with replacement.

    Every model is ``d_model`` wide with the same k-mer stem: a causal convolution of
    ``stem_width`` bases over the base embeddings, then GELU (``tokensel.genomic.models``).
    Validation loss and accuracy are logged every ``eval_every`` steps; the learning rate of a
    model is the one (of its dataset's ``lrs``) with the lowest final validation loss.
    """

    batch_size: PositiveInt = 32
    weight_decay: NonNegativeFloat = 0.1
    warmup_fraction: Annotated[float, Between(0, 0.99)] = 0.05
    grad_clip: PositiveFloat = 1.0
    d_model: PositiveInt = 32
    stem_width: PositiveInt = 8
    log_every: PositiveInt = 25
    eval_every: PositiveInt = 100


@dataclass(frozen=True)
class AttributionSettings:
    """``methods`` are computed on every run; ``ig_steps`` points of the integrated-gradients path;
    ``top_k`` positions for the Jaccard overlap; negative controls are attributed on the first
    ``control_examples`` attributed and moved inputs; ``shown`` inputs keep their whole importance
    profile for the figures."""

    methods: Annotated[tuple[Method, ...], NonEmpty(), Distinct()] = METHODS
    ig_steps: Annotated[int, AtLeast(2)] = 8
    top_k: PositiveInt = 10
    batch_size: PositiveInt = 64
    control_examples: Annotated[int, AtLeast(2)] = 32
    shown: PositiveInt = 2


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
    problems = []
    for name, spec in config.datasets.items():
        try:
            spec.check_available()  # type: ignore[union-attr]
        except ConfigError as error:
            problems.append(f"'{KEY}.datasets.{name}': {error}")
    return problems


def dry_run(section: dict) -> dict:
    """The same models and sequence lengths with the least work: 2 steps, one seed and one
    learning rate per model, few inputs."""
    def small(spec: dict) -> dict:
        out = {**spec, "steps": {m: 2 for m in spec.get("steps", {})}, "lrs": {m: list(v)[:1] for m, v in spec.get("lrs", {}).items()}}
        out.update({"n_attributed": 2, "n_moved": 1})
        if spec.get("kind") == "motif_order":
            out.update({"n_train": 64, "n_val": 8, "n_test": 8})
        return out

    return {
        **section,
        "datasets": {name: small(spec) for name, spec in section["datasets"].items()},
        "seeds": section["seeds"][:1],
        "control_seeds": section.get("control_seeds", [0])[:1],
        "attribution": {**section.get("attribution", {}), "ig_steps": 2, "control_examples": 2, "shown": 1},
        "baselines": {**section.get("baselines", {}), "max_k": 2, "cs": list(section.get("baselines", {}).get("cs", [1.0]))[:1], "max_iter": 50},
        "verdict": {**section.get("verdict", {}), "n_boot": 10},
    }
