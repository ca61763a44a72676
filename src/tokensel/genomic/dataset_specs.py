"""The datasets of the ``genomic:`` section (``genomic.datasets.<name>``): ``kind`` picks the spec
class, whose fields are the other keys. A spec only describes its data; ``tokensel.genomic.loading``
finds and loads it, so reading the params imports no data code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Mapping

from tokensel.core.errors import ConfigError
from tokensel.core.params import AtLeast, Between, Distinct, NonEmpty, NonNegativeInt, PositiveFloat, PositiveInt, build, check
from tokensel.genomic.motifs import MAFK_MARE_HALF_SITE, MAFK_T_MARE, OCT4_OCTAMER, parse_consensus

ORDER_CLASSES = ("second motif first", "first motif first")
JANGGU_CLASSES = ("MafK", "Oct4")

Steps = dict[str, PositiveInt]
LearningRates = dict[str, Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()]]


def _check_motifs(motifs: tuple[str, ...], key: str = "motifs") -> None:
    for motif in motifs:
        try:
            parse_consensus(motif)
        except ConfigError as error:
            check(False, key, str(error))


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

    @property
    def class_motifs(self) -> dict[str, tuple[str, ...]]:
        """Every class holds both motifs; only their order differs."""
        return {name: self.motifs for name in ORDER_CLASSES}


ClassMotifs = dict[str, Annotated[tuple[str, ...], NonEmpty()]]


@dataclass(frozen=True)
class RealData:
    """Real sequences, cut to their central ``length`` bases, GC-matched in ``gc_bins`` quantile bins
    per split, ``val_fraction`` of the training split held out. ``class_motifs`` names each class's
    motifs (scanned on both strands): per class, the first ``n_attributed_per_class`` test
    sequences that hold one are attributed with it as ground truth, and every one of them with
    exactly one occurrence is relocated. ``max_per_split`` keeps a random subset of at most that
    many sequences of each split before all this (a quick look at the shapes, as in the CPU dry run
    of the GPU profiles; never for a result); None keeps every sequence."""

    steps: Steps = field(default_factory=dict)
    lrs: LearningRates = field(default_factory=dict)
    length: PositiveInt = 100
    gc_bins: PositiveInt = 10
    val_fraction: Annotated[float, Between(0.01, 0.5)] = 0.1
    class_motifs: Annotated[ClassMotifs, NonEmpty()] = field(default_factory=dict)
    n_attributed_per_class: PositiveInt = 40
    n_inserted_per_class: NonNegativeInt = 100
    max_per_split: PositiveInt | None = None
    data_seed: int = 0

    def __post_init__(self) -> None:
        for name, motifs in self.class_motifs.items():
            _check_motifs(motifs, f"class_motifs.{name}")

    @property
    def motifs(self) -> tuple[str, ...]:
        """Every class's motifs, once each: what the known-answer model looks for."""
        return tuple(dict.fromkeys(m for motifs in self.class_motifs.values() for m in motifs))

    def per_class_motifs(self, class_names: tuple[str, ...], dataset: str) -> tuple[tuple[str, ...], ...]:
        missing = [c for c in class_names if c not in self.class_motifs]
        if missing:
            raise ConfigError(
                f"'class_motifs' of dataset '{dataset}' has no entry for class(es) {', '.join(missing)}; "
                f"give the motifs of every class ({', '.join(class_names)})."
            )
        return tuple(self.class_motifs[c] for c in class_names)


@dataclass(frozen=True)
class JangguData(RealData):
    """janggu's Oct4-vs-MafK ChIP-seq peaks (200 bp), pooled and split with ``test_fraction``."""

    kind: Literal["janggu"] = "janggu"
    test_fraction: Annotated[float, Between(0.05, 0.5)] = 0.2
    class_motifs: Annotated[ClassMotifs, NonEmpty()] = field(
        default_factory=lambda: {"Oct4": (OCT4_OCTAMER,), "MafK": (MAFK_MARE_HALF_SITE, MAFK_T_MARE)}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        check(
            sorted(self.class_motifs) == sorted(JANGGU_CLASSES), "class_motifs",
            f"must name the motifs of exactly the classes {', '.join(JANGGU_CLASSES)}, got {', '.join(self.class_motifs)}",
        )


@dataclass(frozen=True)
class BenchmarkData(RealData):
    """A Genomic Benchmarks folder ``<root>/<name>/{train,test}/<class>/*.txt`` (not shipped here);
    longer sequences are cut to the central ``length`` bases, shorter ones are refused."""

    kind: Literal["genomic_benchmark"] = "genomic_benchmark"
    name: str = "human_nontata_promoters"
    root: str | None = None


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
