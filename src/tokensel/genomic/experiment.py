"""The genomic experiment (paper §7): configuration, data, training and evaluation of one run.

Configuration comes from the ``genomic:`` section of a params file (:func:`load_genomic`)::

    genomic:
      datasets:            # name -> spec; ``kind`` picks the source, other keys depend on it
        janggu: {kind: janggu}
        planted: {kind: planted, n_train: 4000, n_test: 800}
      models:              # name -> tokensel.config.ModelConfig keys
        ssm: {mixer: ssm, filter: s4d}
        transformer: {mixer: attention, positional: learned}
      seeds: [0, 1]
      train: {...}         # GenomicTrain
      attribution: {...}   # AttributionSettings
      baselines: {...}     # BaselineSettings
      verdict: {...}       # VerdictSettings

Unknown keys anywhere are rejected with the closest valid key suggested. A run's ``seed`` sets
the initialisation and the order of training batches; the train/test split is fixed by each
dataset's own ``split_seed``/``data_seed``, so every model and seed is scored, and attributed, on
the same test inputs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np
import torch
import xarray as xr
from torch import nn
from tqdm.auto import tqdm

from tokensel.config import ModelConfig, fail_unknown_keys, from_mapping, read_section, require
from tokensel.genomic import attribution as attr
from tokensel.genomic import importance_metrics as im
from tokensel.genomic.baselines import classification_scores
from tokensel.genomic.classifier import GenomicClassifier
from tokensel.genomic.datasets import (
    GenomicDataset,
    load_genomic_benchmark,
    load_janggu_oct4_mafk,
    load_splice_junctions,
)
from tokensel.genomic.motifs import JANGGU_MOTIFS, MAFK_MARE_HALF_SITE, OCT4_OCTAMER, motif_mask, plant_motifs
from tokensel.genomic.sequences import PAD_ID
from tokensel.models import count_parameters
from tokensel.train import default_device, make_optimizer, optimization_step

# --------------------------------------------------------------------------- dataset specs


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
    MARE palindrome) occurs in most MafK peaks (research/genomic-data.md addendum).
    """

    kind: str = "janggu"
    split_seed: int = 0
    test_fraction: float = 0.2
    upstream_split: bool = False
    motifs: dict[str, str] = field(
        default_factory=lambda: {"oct4_octamer": OCT4_OCTAMER, "mare_half_site": MAFK_MARE_HALF_SITE}
    )

    def load(self) -> TaskData:
        kwargs = dict(seed=self.split_seed, test_fraction=self.test_fraction, upstream_split=self.upstream_split)
        train, test = (load_janggu_oct4_mafk(split, **kwargs) for split in ("train", "test"))
        return TaskData(train, test, _union_motif_mask(test.sequences, self.motifs))


@dataclass(frozen=True)
class PlantedData:
    """Motif planting (``tokensel.genomic.plant_motifs``): the label is which motif was planted,
    at random positions and strands on GC-matched random background; the ground truth is exact."""

    kind: str = "planted"
    n_train: int = 4000
    n_test: int = 800
    length: int = 200
    gc: float = 0.42
    motifs: dict[str, str] = field(default_factory=lambda: dict(JANGGU_MOTIFS))
    n_per_seq: tuple[int, int] = (1, 2)
    data_seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_per_seq", tuple(int(x) for x in self.n_per_seq))

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

    kind: str = "genomic_benchmark"
    name: str = "human_nontata_promoters"
    root: str | None = None
    length: int | None = None
    truncation: str = "error"
    motifs: dict[str, str] = field(default_factory=dict)

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

    kind: str = "splice"
    path: str | None = None
    split_seed: int = 0
    test_fraction: float = 0.2

    def load(self) -> TaskData:
        kwargs = dict(path=self.path, seed=self.split_seed, test_fraction=self.test_fraction)
        train, test = (load_splice_junctions(split, **kwargs) for split in ("train", "test"))  # type: ignore[arg-type]
        mask = np.zeros(test.sequences.shape, dtype=bool)
        mask[:, list(SPLICE_BOUNDARY)] = True
        return TaskData(train, test, mask)


DatasetSpec = Union[JangguData, PlantedData, BenchmarkData, SpliceData]
DATASET_KINDS: dict[str, type] = {
    "janggu": JangguData,
    "planted": PlantedData,
    "genomic_benchmark": BenchmarkData,
    "splice": SpliceData,
}

# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class GenomicTrain:
    """Optimisation of one classifier: AdamW, warm-up + cosine, random mini-batches with replacement.

    One learning rate for every model (no sweep: the CPU budget of the default profile).
    ``cpu_threads`` sets torch's intra-op threads on CPU. A stage trains one model, so its threads
    have the cores to themselves; the same seed and thread count give the same numbers.
    """

    steps: int = 400
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 0.1
    warmup_fraction: float = 0.05
    grad_clip: float = 1.0
    d_model: int = 32
    log_every: int = 50
    cpu_threads: int = 1

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "lr", "d_model", "log_every", "cpu_threads"):
            require(getattr(self, name) > 0, f"'genomic.train.{name}' must be positive, got {getattr(self, name)}.")
        require(self.weight_decay >= 0, "'genomic.train.weight_decay' must be >= 0.")
        require(0 <= self.warmup_fraction < 1, "'genomic.train.warmup_fraction' must be in [0, 1).")
        require(self.grad_clip > 0, "'genomic.train.grad_clip' must be positive.")


@dataclass(frozen=True)
class AttributionSettings:
    """Attributions on the first ``n_examples`` PAD-free test inputs (the same for every run)."""

    n_examples: int = 64
    methods: tuple[str, ...] = attr.METHODS
    ig_steps: int = 16
    top_k: int = 10
    batch_size: int = 64

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(self.methods))
        for method in self.methods:
            require(method in attr.METHODS, f"Unknown attribution method '{method}'; choose from {', '.join(attr.METHODS)}.")
        require(len(self.methods) > 0, "'genomic.attribution.methods' must list at least one method.")
        require(self.n_examples >= 2, "'genomic.attribution.n_examples' must be at least 2 (pairs are compared).")
        require(self.ig_steps >= 2, "'genomic.attribution.ig_steps' must be at least 2.")
        require(self.top_k >= 1 and self.batch_size >= 1, "'top_k' and 'batch_size' must be positive.")


@dataclass(frozen=True)
class BaselineSettings:
    kmer: int = 5
    c: float = 0.01
    max_iter: int = 2000


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

    method: str = "ism"
    max_mass_fraction_50: float = 0.15
    min_input_dependence: float = 0.5
    min_gain_over_baseline: float = 0.05

    def __post_init__(self) -> None:
        require(self.method in attr.METHODS, f"'genomic.verdict.method' must be one of {', '.join(attr.METHODS)}.")
        require(0 < self.max_mass_fraction_50 <= 0.5, "'max_mass_fraction_50' must be in (0, 0.5].")
        require(0 <= self.min_input_dependence <= 1, "'min_input_dependence' must be in [0, 1].")


@dataclass(frozen=True)
class GenomicExperiment:
    datasets: dict[str, DatasetSpec]
    models: dict[str, ModelConfig]
    seeds: tuple[int, ...]
    train: GenomicTrain
    attribution: AttributionSettings
    baselines: BaselineSettings
    verdict: VerdictSettings

    def dataset(self, name: str) -> DatasetSpec:
        require(name in self.datasets, f"Unknown dataset '{name}'; configured: {', '.join(self.datasets)}.")
        return self.datasets[name]

    def model(self, name: str) -> ModelConfig:
        require(name in self.models, f"Unknown model '{name}'; configured: {', '.join(self.models)}.")
        return self.models[name]


def _dataset_spec(name: str, data: Mapping[str, Any] | None) -> DatasetSpec:
    data = dict(data or {})
    kind = data.get("kind", name)
    require(
        kind in DATASET_KINDS,
        f"'genomic.datasets.{name}.kind' is '{kind}'; allowed kinds: {', '.join(DATASET_KINDS)}.",
    )
    return from_mapping(DATASET_KINDS[kind], {**data, "kind": kind}, f"genomic.datasets.{name}")


def genomic_from_mapping(data: Mapping[str, Any]) -> GenomicExperiment:
    """Validate the ``genomic:`` section and build the typed experiment."""
    require(isinstance(data, Mapping), "'genomic' must be a mapping.")
    valid = [f.name for f in dataclasses.fields(GenomicExperiment)]
    fail_unknown_keys("genomic", data, valid)
    for key in ("datasets", "models", "seeds"):
        require(key in data, f"'genomic.{key}' is missing from the params file.")
    datasets = {str(n): _dataset_spec(str(n), spec) for n, spec in dict(data["datasets"]).items()}
    models = {str(n): from_mapping(ModelConfig, spec, f"genomic.models.{n}") for n, spec in dict(data["models"]).items()}
    seeds = tuple(int(s) for s in data["seeds"])
    require(bool(datasets) and bool(models) and bool(seeds), "'genomic' needs at least one dataset, model and seed.")
    experiment = GenomicExperiment(
        datasets=datasets,
        models=models,
        seeds=seeds,
        train=from_mapping(GenomicTrain, data.get("train"), "genomic.train"),
        attribution=from_mapping(AttributionSettings, data.get("attribution"), "genomic.attribution"),
        baselines=from_mapping(BaselineSettings, data.get("baselines"), "genomic.baselines"),
        verdict=from_mapping(VerdictSettings, data.get("verdict"), "genomic.verdict"),
    )
    require(
        experiment.verdict.method in experiment.attribution.methods,
        f"'genomic.verdict.method' ({experiment.verdict.method}) must be one of 'genomic.attribution.methods'.",
    )
    return experiment


def load_genomic(path: str | Path) -> GenomicExperiment:
    """Read and validate the ``genomic:`` section of a params file."""
    return genomic_from_mapping(read_section(path, "genomic"))


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainedClassifier:
    model: GenomicClassifier
    loss_steps: np.ndarray  # (n_logs,) step at the end of each logging window
    train_loss: np.ndarray  # (n_logs,) mean training loss over the window
    seconds: float


def train_classifier(
    model_config: ModelConfig, data: GenomicDataset, settings: GenomicTrain, seed: int, label: str = ""
) -> TrainedClassifier:
    """Train a fresh classifier on ``data``; ``seed`` fixes initialisation and batch order."""
    device = default_device()
    if device.type == "cpu":
        torch.set_num_threads(settings.cpu_threads)
    torch.manual_seed(seed)
    model = GenomicClassifier(model_config, data.num_classes, settings.d_model, data.seq_len).to(device)
    optimizer, schedule = make_optimizer(model, settings.lr, settings.weight_decay, settings.steps, settings.warmup_fraction)
    sequences = torch.as_tensor(data.sequences, device=device)
    labels = torch.as_tensor(data.labels, device=device)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    model.train()
    steps, losses, window = [], [], []
    started = time.perf_counter()
    progress = tqdm(range(settings.steps), desc=label, leave=False, mininterval=5.0)
    for step in progress:
        index = torch.randint(0, len(data), (settings.batch_size,), generator=generator).to(device)
        loss = nn.functional.cross_entropy(model(sequences[index]), labels[index])
        optimization_step(model, loss, optimizer, schedule, settings.grad_clip, (label, step, settings.lr, "genomic.train.lr"))
        window.append(loss.item())
        if (step + 1) % settings.log_every == 0 or step + 1 == settings.steps:
            steps.append(step + 1)
            losses.append(float(np.mean(window)))
            window = []
            progress.set_postfix(loss=f"{losses[-1]:.3f}")
    return TrainedClassifier(model, np.asarray(steps), np.asarray(losses), time.perf_counter() - started)


@torch.no_grad()
def predict_proba(model: GenomicClassifier, sequences: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """(n, C) class probabilities."""
    model.eval()
    device = next(model.parameters()).device
    parts = [
        model(torch.as_tensor(sequences[i : i + batch_size], device=device)).softmax(-1).cpu().numpy()
        for i in range(0, len(sequences), batch_size)
    ]
    return np.concatenate(parts)


# --------------------------------------------------------------------------- one run


def attribution_subset(test: GenomicDataset, n_examples: int) -> np.ndarray:
    """Indices of the first ``n_examples`` test inputs without PAD (the test order is shuffled).

    PAD-free inputs keep every sparsity measure over the same number of real bases.
    """
    full = np.flatnonzero((test.sequences != PAD_ID).all(axis=1))[:n_examples]
    require(
        full.size >= 2,
        f"dataset '{test.name}': fewer than two test sequences without padding; attributions need "
        "full-length inputs. Fix: set the dataset's 'length' to the shortest sequence length with "
        "truncation 'center'.",
    )
    return full


def importance_summary(importance: np.ndarray, mask: np.ndarray | None, top_k: int) -> dict[str, np.ndarray | float]:
    """Every sparsity, input-dependence and ground-truth measure of one (n, L) importance array."""
    length = importance.shape[1]
    k = min(top_k, length)
    jaccard = im.pairwise_jaccard(importance, k)
    histogram = im.top1_histogram(importance)
    curves = im.sorted_curves(importance)
    gt = im.ground_truth_auroc(importance, mask) if mask is not None else np.full(len(importance), np.nan)
    return {
        "importance": im.normalise(importance),
        "mass_fraction_50": im.mass_fraction(importance, 0.5),
        "mass_fraction_90": im.mass_fraction(importance, 0.9),
        "gini": im.gini(importance),
        "motif_auroc": gt,
        "sorted_mean": curves.mean(0),
        "sorted_sd": curves.std(0),
        "top1_hist": histogram,
        "jaccard_pairs": jaccard,
        "jaccard_position_only": im.position_only_jaccard(importance, k),
        "jaccard_chance": im.chance_jaccard(length, k),
        "input_dependence": im.input_dependence_index(jaccard, length, k),
        "top1_entropy": im.entropy_bits(histogram),
        "top1_entropy_max": float(np.log2(min(len(importance), length))),
    }


_PER_EXAMPLE = ("mass_fraction_50", "mass_fraction_90", "gini", "motif_auroc")
_PER_RANK = ("sorted_mean", "sorted_sd")
_PER_METHOD = ("jaccard_pairs", "jaccard_position_only", "jaccard_chance", "input_dependence", "top1_entropy", "top1_entropy_max")


def run_cell(experiment: GenomicExperiment, dataset: str, model: str, seed: int) -> xr.Dataset:
    """Train one model on one dataset with one seed, score it, attribute, and summarise.

    The result has dimensions (dataset, model, seed) of length one, so run files combine with
    ``xr.combine_by_coords`` (``tokensel.results.combine``).
    """
    spec, model_config = experiment.dataset(dataset), experiment.model(model)
    data = spec.load()
    label = f"{dataset}/{model}/seed{seed}"
    trained = train_classifier(model_config, data.train, experiment.train, seed, label)
    probabilities = predict_proba(trained.model, data.test.sequences)
    accuracy, auroc = classification_scores(data.test.labels, probabilities)

    settings = experiment.attribution
    subset = attribution_subset(data.test, settings.n_examples)
    tokens, labels = data.test.sequences[subset], data.test.labels[subset]
    mask = data.test_mask[subset] if data.test_mask is not None else None
    summaries = {
        method: importance_summary(
            attr.attribute(trained.model, tokens, labels, method, settings.ig_steps, settings.batch_size), mask, settings.top_k
        )
        for method in tqdm(settings.methods, desc=f"{label} attributions", leave=False)
    }
    stack = lambda key: np.stack([summaries[m][key] for m in settings.methods])  # noqa: E731
    variables: dict[str, Any] = {
        "test_acc": ((), accuracy),
        "test_auroc": ((), auroc),
        "seconds": ((), trained.seconds),
        "n_params": ((), count_parameters(trained.model)),
        "train_loss": (("log_step",), trained.train_loss),
        "tokens": (("example", "position"), tokens.astype(np.int8)),
        "label": (("example",), labels.astype(np.int8)),
        "correct": (("example",), (probabilities[subset].argmax(1) == labels).astype(np.int8)),
        "motif": (("example", "position"), (mask if mask is not None else np.zeros(tokens.shape, bool)).astype(np.int8)),
        "importance": (("method", "example", "position"), stack("importance").astype(np.float32)),
        "top1_hist": (("method", "position"), stack("top1_hist")),
        **{key: (("method", "example"), stack(key)) for key in _PER_EXAMPLE},
        **{key: (("method", "rank"), stack(key)) for key in _PER_RANK},
        **{key: (("method",), stack(key)) for key in _PER_METHOD},
    }
    length = tokens.shape[1]
    ds = xr.Dataset(
        variables,
        coords={
            "method": list(settings.methods),
            "example": np.arange(len(subset)),
            "position": np.arange(length),
            "rank": np.arange(1, length + 1),
            "log_step": trained.loss_steps,
        },
    )
    ds = ds.expand_dims(dataset=[dataset], model=[model], seed=[int(seed)])
    ds = ds.assign_coords(
        model_spec=("model", [json.dumps(dataclasses.asdict(model_config), sort_keys=True)]),
        class_names=("dataset", [json.dumps(list(data.test.class_names))]),
        has_ground_truth=("dataset", [int(mask is not None)]),
    )
    ds["test_acc"].attrs["description"] = "accuracy on the held-out test split"
    ds["test_auroc"].attrs["description"] = "AUROC on the test split (one-vs-rest macro for >2 classes)"
    ds["importance"].attrs["description"] = "per-token attribution magnitude, normalised to sum 1 per example"
    ds["motif"].attrs["description"] = "1 on ground-truth motif bases (planted, scanned or fixed), else 0"
    return ds
