"""The ``genomic:`` section of the params file: datasets, models, training, attributions, verdict.

::

    genomic:
      datasets:            # name -> spec; ``kind`` picks the source, other keys depend on it
        janggu: {kind: janggu}
        planted: {kind: planted, n_train: 4000, n_test: 800}
      models:              # name -> model entry (tokensel.nn.config.ModelConfig)
        ssm: {mixer: ssm, filter: s4d}
        transformer: {mixer: attention, positional: learned}
      seeds: [0, 1]
      train: {...}         # GenomicTrain
      attribution: {...}   # AttributionSettings
      baselines: {...}     # BaselineSettings
      verdict: {...}       # VerdictSettings

A run's ``seed`` sets the initialisation and the order of training batches; the train/test split
is fixed by each dataset's own ``split_seed``/``data_seed``, so every model and seed is scored, and
attributed, on the same test inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.core.params import (
    AtLeast,
    Between,
    Distinct,
    NonEmpty,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    Probability,
    build,
    check,
    load_config,
)
from tokensel.genomic.attribution import METHODS
from tokensel.genomic.datasets import (
    GenomicDataset,
    default_genomic_benchmarks_root,
    find_splice_data,
    janggu_resources_dir,
    load_genomic_benchmark,
    load_janggu_oct4_mafk,
    load_splice_junctions,
)
from tokensel.genomic.motifs import (
    JANGGU_MOTIFS,
    MAFK_MARE_HALF_SITE,
    OCT4_OCTAMER,
    motif_mask,
    plant_motifs,
)
from tokensel.nn.config import ModelConfig

KEY = "genomic"
Method = Literal["grad_norm", "grad_x_input", "integrated_gradients", "ism"]


@dataclass(frozen=True)
class TaskData:
    """Train and test splits, and a ground-truth mask of important test bases (None if unknown)."""

    train: GenomicDataset
    test: GenomicDataset
    test_mask: np.ndarray | None


def _union_motif_mask(sequences: np.ndarray, motifs: Mapping[str, str]) -> np.ndarray | None:
    if not motifs:
        return None
    masks = [motif_mask(sequences, consensus) for consensus in motifs.values()]
    return np.logical_or.reduce(masks)


@dataclass(frozen=True)
class JangguData:
    """janggu Oct4-vs-MafK ChIP-seq peaks (200 bp); ground truth = any motif in ``motifs``.

    The default motifs are the Oct4 octamer and the MARE half-site, which (unlike the rare full
    MARE palindrome) occurs in most MafK peaks of these files (counted with ``motif_mask``).
    """

    kind: Literal["janggu"] = "janggu"
    split_seed: int = 0
    test_fraction: Annotated[float, Between(0.01, 0.99)] = 0.2
    upstream_split: bool = False
    motifs: dict[str, str] = field(
        default_factory=lambda: {"oct4_octamer": OCT4_OCTAMER, "mare_half_site": MAFK_MARE_HALF_SITE}
    )

    def check_available(self) -> None:
        janggu_resources_dir()

    def load(self) -> TaskData:
        kwargs = dict(seed=self.split_seed, test_fraction=self.test_fraction, upstream_split=self.upstream_split)
        train, test = (load_janggu_oct4_mafk(split, **kwargs) for split in ("train", "test"))
        return TaskData(train, test, _union_motif_mask(test.sequences, self.motifs))


@dataclass(frozen=True)
class PlantedData:
    """Motif planting (``tokensel.genomic.plant_motifs``): the label is which motif was planted,
    at random positions and strands on GC-matched random background; the ground truth is exact."""

    kind: Literal["planted"] = "planted"
    n_train: PositiveInt = 4000
    n_test: Annotated[int, AtLeast(2)] = 800
    length: PositiveInt = 200
    gc: Probability = 0.42
    motifs: dict[str, str] = field(default_factory=lambda: dict(JANGGU_MOTIFS))
    n_per_seq: tuple[PositiveInt, ...] = (1, 2)
    data_seed: int = 0

    def __post_init__(self) -> None:
        check(len(self.n_per_seq) == 2 and self.n_per_seq[0] <= self.n_per_seq[1], "n_per_seq", f"must be [min, max] motifs per sequence, got {list(self.n_per_seq)}")

    def check_available(self) -> None:
        """Generated on the fly: nothing to find."""

    def load(self) -> TaskData:
        common = dict(length=self.length, motifs=self.motifs, gc=self.gc, n_per_seq=self.n_per_seq)
        # Distinct seeds per split: the two splits are independent draws from the same generator.
        train, _ = plant_motifs(self.n_train, seed=self.data_seed, split="train", **common)
        test, planted = plant_motifs(self.n_test, seed=self.data_seed + 1, split="test", **common)
        return TaskData(train, test, planted)


@dataclass(frozen=True)
class BenchmarkData:
    """A Genomic Benchmarks folder ``<root>/<name>/{train,test}/<class>/*.txt`` (not shipped here);
    ``motifs`` (optional) gives a ground-truth mask by motif scanning."""

    kind: Literal["genomic_benchmark"] = "genomic_benchmark"
    name: str = "human_nontata_promoters"
    root: str | None = None
    length: PositiveInt | None = None
    truncation: Literal["error", "end", "center"] = "error"
    motifs: dict[str, str] = field(default_factory=dict)

    def check_available(self) -> None:
        folder = Path(self.root).expanduser() if self.root else default_genomic_benchmarks_root()
        if not (folder / self.name / "train").is_dir():
            raise ConfigError(
                f"no Genomic Benchmarks folder '{folder / self.name}/train'; nothing is downloaded at run time. "
                "Put the dataset there (one .txt per sequence under <class>/), set 'root', or remove this dataset."
            )

    def load(self) -> TaskData:
        kwargs = dict(root=self.root, length=self.length, truncation=self.truncation)
        train, test = (load_genomic_benchmark(self.name, split, **kwargs) for split in ("train", "test"))  # type: ignore[arg-type]
        return TaskData(train, test, _union_motif_mask(test.sequences, self.motifs))


#: 0-based positions of the intron-exon boundary dinucleotides of the UCI splice data
#: (AG at 1-based 29-30 for acceptors, GT at 31-32 for donors).
SPLICE_BOUNDARY = (28, 29, 30, 31)


@dataclass(frozen=True)
class SpliceData:
    """UCI splice junctions (60 bp, 3 classes; Debian r-cran-mlbench); ground truth = the four
    boundary bases, the same positions in every input."""

    kind: Literal["splice"] = "splice"
    path: str | None = None
    split_seed: int = 0
    test_fraction: Annotated[float, Between(0.01, 0.99)] = 0.2

    def check_available(self) -> None:
        find_splice_data(self.path)

    def load(self) -> TaskData:
        kwargs = dict(path=self.path, seed=self.split_seed, test_fraction=self.test_fraction)
        train, test = (load_splice_junctions(split, **kwargs) for split in ("train", "test"))  # type: ignore[arg-type]
        mask = np.zeros(test.sequences.shape, dtype=bool)
        mask[:, list(SPLICE_BOUNDARY)] = True
        return TaskData(train, test, mask)


DATASET_KINDS: dict[str, type] = {
    "janggu": JangguData,
    "planted": PlantedData,
    "genomic_benchmark": BenchmarkData,
    "splice": SpliceData,
}


class DatasetSpec:
    """A dataset's params entry: ``kind`` picks the spec class, whose fields are the other keys."""

    @classmethod
    def from_params(cls, data: Any, key: str) -> JangguData | PlantedData | BenchmarkData | SpliceData:
        if not isinstance(data, Mapping):
            raise ConfigError(f"'{key}' must be a mapping with a 'kind' and its settings, got {data!r}.")
        kind = data.get("kind", key.rsplit(".", 1)[-1])
        if kind not in DATASET_KINDS:
            raise ConfigError(f"'{key}.kind' is '{kind}'; allowed kinds: {', '.join(DATASET_KINDS)}.")
        return build(DATASET_KINDS[kind], {**data, "kind": kind}, key)


@dataclass(frozen=True)
class GenomicTrain:
    """Optimisation of one classifier: AdamW, warm-up + cosine, random mini-batches with replacement.

    One learning rate for every model (no sweep: the CPU budget of the default profile).
    ``cpu_threads`` sets torch's intra-op threads on CPU. A stage trains one model, so its threads
    have the cores to themselves; the same seed and thread count give the same numbers.
    """

    steps: PositiveInt = 400
    batch_size: PositiveInt = 32
    lr: PositiveFloat = 2e-3
    weight_decay: NonNegativeFloat = 0.1
    warmup_fraction: Annotated[float, Between(0, 0.99)] = 0.05
    grad_clip: PositiveFloat = 1.0
    d_model: PositiveInt = 32
    log_every: PositiveInt = 50
    cpu_threads: PositiveInt = 1


@dataclass(frozen=True)
class AttributionSettings:
    """Attributions on the first ``n_examples`` PAD-free test inputs (the same for every run)."""

    n_examples: Annotated[int, AtLeast(2)] = 64  # pairs of examples are compared
    methods: Annotated[tuple[Method, ...], NonEmpty(), Distinct()] = METHODS
    ig_steps: Annotated[int, AtLeast(2)] = 16
    top_k: PositiveInt = 10
    batch_size: PositiveInt = 64


@dataclass(frozen=True)
class BaselineSettings:
    kmer: PositiveInt = 5
    c: PositiveFloat = 0.01
    max_iter: PositiveInt = 2000


@dataclass(frozen=True)
class VerdictSettings:
    """Our thresholds (the paper states none) for calling importance sparse and input-dependent.

    sparse: on average at most ``max_mass_fraction_50`` of the tokens carry half the importance
    (uniform importance: 0.5); input-dependent: the input-dependence index is at least
    ``min_input_dependence`` (0 = same top-k positions for every input, 1 = chance overlap).
    ``method`` is the attribution the verdict is read from; the others are shown alongside.
    A model counts only if its mean test accuracy beats the better of the GC-content and
    majority-class baselines by at least ``min_gain_over_baseline``: the attributions of a model
    that learnt nothing are no evidence.
    """

    method: Method = "ism"
    max_mass_fraction_50: Annotated[float, Between(0.001, 0.5)] = 0.15
    min_input_dependence: Probability = 0.5
    min_gain_over_baseline: Probability = 0.05


@dataclass(frozen=True)
class GenomicExperiment:
    datasets: Annotated[dict[str, DatasetSpec], NonEmpty()]
    models: Annotated[dict[str, ModelConfig], NonEmpty()]
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()]
    train: GenomicTrain = field(default_factory=GenomicTrain)
    attribution: AttributionSettings = field(default_factory=AttributionSettings)
    baselines: BaselineSettings = field(default_factory=BaselineSettings)
    verdict: VerdictSettings = field(default_factory=VerdictSettings)

    def __post_init__(self) -> None:
        check(
            self.verdict.method in self.attribution.methods, "verdict.method",
            f"('{self.verdict.method}') must be one of genomic.attribution.methods ({', '.join(self.attribution.methods)})",
        )

    def dataset(self, name: str) -> JangguData | PlantedData | BenchmarkData | SpliceData:
        if name not in self.datasets:
            raise ConfigError(f"Unknown dataset '{name}'; datasets under genomic.datasets: {', '.join(self.datasets)}.")
        return self.datasets[name]

    def model(self, name: str) -> ModelConfig:
        if name not in self.models:
            raise ConfigError(f"Unknown model '{name}'; models under genomic.models: {', '.join(self.models)}.")
        return self.models[name]


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
            spec.check_available()
        except ConfigError as error:
            problems.append(f"'{KEY}.datasets.{name}': {error}")
    return problems


def dry_run(section: dict) -> dict:
    """The same models and sequence lengths with the least work: 2 steps, one seed, few examples."""
    datasets = {
        name: {**spec, **({"n_train": 64, "n_test": 16} if spec.get("kind", name) == "planted" else {})}
        for name, spec in section["datasets"].items()
    }
    return {
        **section,
        "datasets": datasets,
        "seeds": section["seeds"][:1],
        "train": {**section.get("train", {}), "steps": 2, "log_every": 1},
        "attribution": {**section.get("attribution", {}), "n_examples": 2, "ig_steps": 2},
    }
