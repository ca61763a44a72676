"""What a dataset spec (``tokensel.genomic.dataset_specs``) names, found and loaded: the task's
splits, its motif-insertion inputs, and whether this machine has the files at all."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.genomic.data import TaskData, motif_order_task, real_task
from tokensel.genomic.datasets import GenomicDataset
from tokensel.genomic.dataset_specs import BenchmarkData, Dataset, JangguData, MotifOrderData, RealData
from tokensel.genomic.insertion import InsertionSet, insertion_set
from tokensel.genomic.sources import default_genomic_benchmarks_root, janggu_resources_dir, load_genomic_benchmark, load_janggu_oct4_mafk


def check_available(spec: Dataset) -> None:
    """Raise ``ConfigError`` with the fix when this machine lacks the dataset's files."""
    if isinstance(spec, JangguData):
        janggu_resources_dir()
    elif isinstance(spec, BenchmarkData):
        folder = Path(spec.root).expanduser() if spec.root else default_genomic_benchmarks_root()
        if not (folder / spec.name / "train").is_dir():
            raise ConfigError(
                f"no Genomic Benchmarks folder '{folder / spec.name}/train'; nothing is downloaded at run time. "
                "Put the dataset there (one .txt per sequence under <class>/), set 'root', or remove this dataset."
            )


def splits(spec: RealData) -> tuple[GenomicDataset, GenomicDataset]:
    """The (train, test) sequences of a real dataset, before cutting and GC matching."""
    if isinstance(spec, JangguData):
        return tuple(load_janggu_oct4_mafk(split, seed=spec.data_seed, test_fraction=spec.test_fraction) for split in ("train", "test"))  # type: ignore[return-value]
    if isinstance(spec, BenchmarkData):
        return tuple(load_genomic_benchmark(spec.name, split, root=spec.root, length=spec.length, truncation="center") for split in ("train", "test"))  # type: ignore[return-value]
    raise TypeError(f"no loader for {type(spec).__name__}")


def _capped(spec: RealData, split: GenomicDataset) -> GenomicDataset:
    if spec.max_per_split is None or len(split.labels) <= spec.max_per_split:
        return split
    rows = np.random.default_rng(spec.data_seed).choice(len(split.labels), spec.max_per_split, replace=False)
    return split.subset(np.sort(rows))


def load_task(spec: Dataset) -> TaskData:
    """The dataset's train, validation and test splits with its attributed and relocated inputs."""
    if isinstance(spec, MotifOrderData):
        return motif_order_task(
            spec.n_train, spec.n_val, spec.n_test, spec.length, spec.motifs, spec.gc, spec.min_gap,  # type: ignore[arg-type]
            spec.n_attributed, spec.n_moved, spec.data_seed,
        )
    train, test = (_capped(spec, split) for split in splits(spec))
    per_class = spec.per_class_motifs(train.class_names, train.name)
    return real_task(train, test, spec.length, spec.gc_bins, spec.val_fraction, per_class, spec.n_attributed_per_class, spec.data_seed)


def insertion_inputs(spec: Dataset, data: TaskData) -> InsertionSet | None:
    """The motif-insertion inputs (``tokensel.genomic.insertion``) of the loaded task's test split;
    None for the motif-order task, whose every input holds both motifs."""
    if isinstance(spec, MotifOrderData) or spec.n_inserted_per_class == 0:
        return None
    per_class = spec.per_class_motifs(data.test.class_names, data.test.name)
    return insertion_set(data.test, per_class, spec.n_inserted_per_class, spec.data_seed)
