"""One DVC cell of the genomic experiment: train one model on one dataset with one seed, score, attribute."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from tokensel.core.errors import ConfigError
from tokensel.genomic import attribution as attr
from tokensel.genomic import importance_metrics as im
from tokensel.genomic.baselines import classification_scores
from tokensel.genomic.config import GenomicExperiment
from tokensel.genomic.datasets import GenomicDataset
from tokensel.genomic.sequences import PAD_ID
from tokensel.genomic.train import predict_proba, train_classifier
from tokensel.nn.models import count_parameters


def attribution_subset(test: GenomicDataset, n_examples: int) -> np.ndarray:
    """Indices of the first ``n_examples`` test inputs without PAD (the test order is shuffled).

    PAD-free inputs keep every sparsity measure over the same number of real bases.
    """
    full = np.flatnonzero((test.sequences != PAD_ID).all(axis=1))[:n_examples]
    if full.size < 2:
        raise ConfigError(
            f"dataset '{test.name}': fewer than two test sequences without padding; attributions need "
            "full-length inputs. Fix: set the dataset's 'length' to the shortest sequence length with "
            "truncation 'center'."
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


def run(experiment: GenomicExperiment, dataset: str, model: str, seed: int) -> xr.Dataset:
    """Train one model on one dataset with one seed, score it, attribute, and summarise.

    The result has dimensions (dataset, model, seed) of length one, so run files combine with
    ``tokensel.genomic.combine``.
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
        model_spec=("model", [model_config.to_json()]),
        class_names=("dataset", [json.dumps(list(data.test.class_names))]),
        has_ground_truth=("dataset", [int(mask is not None)]),
    )
    ds["test_acc"].attrs["description"] = "accuracy on the held-out test split"
    ds["test_auroc"].attrs["description"] = "AUROC on the test split (one-vs-rest macro for >2 classes)"
    ds["importance"].attrs["description"] = "per-token attribution magnitude, normalised to sum 1 per example"
    ds["motif"].attrs["description"] = "1 on ground-truth motif bases (planted, scanned or fixed), else 0"
    return ds


def cells(experiment: GenomicExperiment) -> list[dict]:
    """The DVC matrix of ``genomic_train``: one cell per dataset x model x seed."""
    return [
        {"dataset": dataset, "model": model, "seed": seed}
        for dataset in experiment.datasets for model in experiment.models for seed in experiment.seeds
    ]
