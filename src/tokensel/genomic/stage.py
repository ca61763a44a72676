"""One DVC cell of the genomic experiment: every model, seed and control on one dataset.

A cell runs, in a pool of worker processes (``tokensel.core.engine.parallel_map``):

* on real data, the motif-insertion inputs (``tokensel.genomic.insertion``), scored by every run;
* the references: the baseline ladder (majority class, GC threshold, canonical k-mer k = 1..max_k,
  each C chosen on validation) and the
  known-answer motif model (the positive control), attributed like every model;
* for each model, seed ``seeds[0]`` at each of its dataset's learning rates; the rate with the
  lowest final validation loss is the model's rate (with one candidate, all runs start at once);
* the other seeds, and at ``control_seeds`` the two negative controls: the model trained on
  shuffled labels at that rate, and the parameter-randomisation control (Adebayo et al. 2018,
  arXiv 1810.03292): the same architecture with its random initial weights, never trained.

Every run is scored on the whole test split and attributed with every method on
the attributed inputs and their relocated copies (controls on the first ``control_examples``).
The result has dimensions (dataset, model, seed, control, ...) of length one in ``dataset``; runs
of other datasets merge with ``tokensel.core.runs.combine``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import xarray as xr

from tokensel.core.errors import TrainingDiverged
from tokensel.core.engine import parallel_map
from tokensel.genomic import importance_metrics as im
from tokensel.genomic.attribution import attribute
from tokensel.genomic.baselines import auroc, ladder
from tokensel.genomic.config import AttributionSettings, GenomicExperiment, GenomicTrain
from tokensel.genomic.dataset_specs import MotifOrderData
from tokensel.genomic.loading import insertion_inputs, load_task
from tokensel.genomic.data import AttributionSet, TaskData, first_inputs
from tokensel.genomic.insertion import InsertionSet, insertion_variables
from tokensel.genomic.models import MotifModel
from tokensel.genomic.train import initialised_classifier, predict_proba, train_classifier
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import count_parameters

# Runs per model and seed: trained; trained on shuffled labels; untrained (random weights).
TRAINED, SHUFFLED, RANDOMISED = "trained", "shuffled", "randomised"
CONTROLS = (SHUFFLED, RANDOMISED)
RUNS = (TRAINED, *CONTROLS)


def cells(experiment: GenomicExperiment) -> list[dict]:
    """The DVC matrix of ``genomic_train``: one cell per dataset."""
    return [{"dataset": name} for name in experiment.datasets]


def attribution_summary(model, attributed: AttributionSet, moved: AttributionSet, settings: AttributionSettings, shown: int) -> dict[str, tuple]:
    """Every importance measure of one model, as (dims, values) pairs over (method, ...)."""
    methods = settings.methods
    seconds, original, relocated = [], {}, {}
    for method in methods:
        started = time.process_time()
        original.update(attribute(model, attributed.tokens, attributed.labels, (method,), settings.ig_steps, settings.batch_size, settings.ism_positions))
        relocated.update(attribute(model, moved.tokens, moved.labels, (method,), settings.ig_steps, settings.batch_size, settings.ism_positions))
        seconds.append(time.process_time() - started)
    length = attributed.tokens.shape[1]
    k = min(settings.top_k, length)
    before = lambda m: original[m][moved.source]  # noqa: E731  the originals of the moved inputs
    per = lambda f: np.stack([f(m) for m in methods])  # noqa: E731
    normalised = lambda a: im.normalise(a[:shown]).astype(np.float32)  # noqa: E731
    named = {"method": list(methods)}
    return {
        "attribution_seconds": (("method",), np.array(seconds), named),
        "motif_auroc": (("method", "attributed"), per(lambda m: im.ground_truth_auroc(original[m], attributed.motif))),
        "mass_fraction_50": (("method", "attributed"), per(lambda m: im.mass_fraction(original[m], 0.5))),
        "follow_original": (("method", "attributed"), per(lambda m: im.top_k_share(original[m], attributed.motif))),
        "follow_moved": (("method", "moved"), per(lambda m: im.top_k_share(relocated[m], moved.motif))),
        "vacated_before": (("method", "moved"), per(lambda m: im.top_k_share(before(m), moved.vacated))),
        "vacated_after": (("method", "moved"), per(lambda m: im.top_k_share(relocated[m], moved.vacated))),
        "jaccard_index": (("method",), per(lambda m: im.input_dependence_index(im.pairwise_jaccard(original[m], k), length, k))),
        "importance_original": (("method", "shown", "position"), per(lambda m: normalised(before(m)))),
        "importance_moved": (("method", "shown", "position"), per(lambda m: normalised(relocated[m]))),
    }


def _train_and_attribute(
    data: TaskData, insertion: InsertionSet | None, model_config: ModelConfig, settings: GenomicTrain, attribution: AttributionSettings,
    steps: int, lr: float, seed: int, control: str, label: str, lr_key: str, sweep: bool,
) -> dict[str, Any]:
    if control == RANDOMISED:
        model, trained = initialised_classifier(model_config, data.train, settings, seed), None
    else:
        try:
            trained = train_classifier(model_config, data.train, data.val, settings, steps, lr, seed, control == SHUFFLED, label, lr_key)
        except TrainingDiverged:
            if not sweep:
                raise
            return {"diverged": True, "lr": lr}
        model = trained.model
    probabilities = predict_proba(model, data.test.sequences)
    attributed, moved = data.attributed, data.moved
    if control != TRAINED:
        attributed, moved = first_inputs(attributed, moved, attribution.control_examples)
    variables = {
        "lr": ((), lr),
        "steps": ((), 0 if trained is None else steps),
        "test_acc": ((), float((probabilities.argmax(1) == data.test.labels).mean())),
        "test_auroc": ((), auroc(data.test.labels, probabilities)),
        "n_params": ((), count_parameters(model)),
        "test_correct": (("test_example",), (probabilities.argmax(1) == data.test.labels).astype(np.int8)),
        **attribution_summary(model, attributed, moved, attribution, min(attribution.shown, len(moved))),
        **insertion_variables(model, insertion),
    }
    if trained is not None:
        variables.update({
            "train_seconds": ((), trained.cpu_seconds),
            "train_loss": (("log_step",), trained.train_loss, {"log_step": trained.log_steps}),
            "val_loss": (("eval_step",), trained.val_loss, {"eval_step": trained.eval_steps}),
            "val_acc": (("eval_step",), trained.val_acc, {"eval_step": trained.eval_steps}),
        })
    return {"diverged": False, "lr": lr, "variables": variables}


def _references(data: TaskData, insertion: InsertionSet | None, experiment: GenomicExperiment, positional: bool, motifs: tuple[str, ...]) -> dict[str, Any]:
    """The baseline ladder (scored on validation and test) and the known-answer motif model."""
    settings = experiment.baselines
    baselines = ladder(data.train, data.val, data.test, settings)
    known = MotifModel(motifs, data.test.seq_len, positional, data.train.num_classes).fit(data.train.sequences, data.train.labels, settings.max_iter)
    probabilities = predict_proba(known, data.test.sequences)
    shown = min(experiment.attribution.shown, len(data.moved))
    summary = attribution_summary(known, data.attributed, data.moved, experiment.attribution, shown)
    correct = lambda p, labels: p.argmax(1) == labels  # noqa: E731
    return {
        "baseline": [b.name for b in baselines],
        "variables": {
            "baseline_acc": (("baseline",), np.array([correct(b.test_probabilities, data.test.labels).mean() for b in baselines])),
            "baseline_val_acc": (("baseline",), np.array([correct(b.val_probabilities, data.val.labels).mean() for b in baselines])),
            "baseline_c": (("baseline",), np.array([b.c for b in baselines])),
            "baseline_auroc": (("baseline",), np.array([auroc(data.test.labels, b.test_probabilities) for b in baselines])),
            "baseline_correct": (("baseline", "test_example"), np.stack([correct(b.test_probabilities, data.test.labels) for b in baselines]).astype(np.int8)),
            "known_acc": ((), float((probabilities.argmax(1) == data.test.labels).mean())),
            **{f"known_{name}": value for name, value in summary.items()},
            **insertion_variables(known, insertion, "known_"),
        },
    }


def _job(kind: str, **kwargs: Any) -> dict[str, Any]:
    return _references(**kwargs) if kind == "references" else _train_and_attribute(**kwargs)


def _as_dataset(variables: dict[str, tuple], coords: dict[str, Any]) -> xr.Dataset:
    data_vars, extra = {}, dict(coords)
    for name, spec in variables.items():
        dims, values = spec[0], spec[1]
        if len(spec) == 3:
            extra.update(spec[2])
        data_vars[name] = (dims, values)
    return _indexed(xr.Dataset(data_vars, coords=extra))


def _indexed(ds: xr.Dataset) -> xr.Dataset:
    """Integer coordinates on every dimension without one, so runs with fewer examples (the
    controls) merge with the others by index, the missing entries NaN."""
    return ds.assign_coords({dim: np.arange(size) for dim, size in ds.sizes.items() if dim not in ds.coords})


def run(experiment: GenomicExperiment, dataset: str) -> xr.Dataset:
    """Every run of one dataset (module docstring), as one Dataset."""
    spec = experiment.dataset(dataset)
    data = load_task(spec)
    positional = isinstance(spec, MotifOrderData)
    insertion = insertion_inputs(spec, data)
    common = {"data": data, "insertion": insertion, "settings": experiment.train, "attribution": experiment.attribution}

    def training(model: str, seed: int, lr: float, control: str, sweep: bool) -> dict[str, Any]:
        return {
            "kind": "train", **common, "model_config": experiment.models[model], "steps": spec.steps[model], "lr": lr,
            "seed": seed, "control": control, "label": f"{dataset}/{model}/seed{seed}/{control}/lr{lr:g}",
            "lr_key": f"genomic.datasets.{dataset}.lrs.{model}", "sweep": sweep,
            "_key": (model, seed, control),
        }

    def rest(model: str, lr: float) -> list[dict]:
        later = [training(model, seed, lr, TRAINED, False) for seed in experiment.seeds[1:]]
        return later + [training(model, seed, lr, control, False) for seed in experiment.control_seeds for control in CONTROLS]

    first_seed = experiment.seeds[0]
    swept = {m: len(spec.lrs[m]) > 1 for m in experiment.models}
    jobs = [{"kind": "references", "data": data, "insertion": insertion, "experiment": experiment, "positional": positional, "motifs": spec.motifs, "_key": None}]
    for model in experiment.models:
        jobs += [training(model, first_seed, lr, TRAINED, swept[model]) for lr in spec.lrs[model]]
        if not swept[model]:
            jobs += rest(model, spec.lrs[model][0])
    results = _run_jobs(jobs)
    sweep_rows, chosen = _choose_learning_rates(experiment, results)
    later = [job for model in experiment.models if swept[model] for job in rest(model, chosen[model])]
    if later:
        results += _run_jobs(later)

    parts = []
    for key, result in results:
        if key is None:
            parts.append(_as_dataset(result["variables"], {"baseline": result["baseline"]}))
        elif not result["diverged"] and result["lr"] == chosen[key[0]]:
            model, seed, control = key
            part = _as_dataset(result["variables"], {})
            parts.append(part.expand_dims(model=[model], seed=[seed], control=[control]))
    ds = xr.merge(parts, join="outer", compat="no_conflicts")
    ds = ds.merge(_dataset_coords(data, experiment, spec.class_motifs, sweep_rows), join="outer")
    if insertion is not None:
        ds["insertion_target"] = (("inserted",), insertion.target.astype(np.int8))
    ds = ds.expand_dims(dataset=[dataset])
    ds["test_acc"].attrs["description"] = "accuracy on the held-out test split"
    ds["follow_moved"].attrs["description"] = "share of the top-k importance on the moved motif (k = motif bases)"
    return ds


def _run_jobs(jobs: list[dict]) -> list[tuple[Any, dict]]:
    # Longest runs first and the cheap ones (references, untrained controls) last, so that no worker idles at the end.
    jobs = sorted(jobs, key=lambda job: 0 if job.get("control") == RANDOMISED else -job.get("steps", 0))
    keys = [job.pop("_key") for job in jobs]
    return list(zip(keys, parallel_map(_job, jobs, desc="genomic runs")))


def _choose_learning_rates(experiment: GenomicExperiment, results) -> tuple[list[tuple[str, float, float, float]], dict[str, float]]:
    """(model, lr, final val loss, final val acc) of every first-seed trained run; model -> the lr
    with the lowest final validation loss."""
    rows, chosen = [], {}
    for key, result in results:
        if key is None or key[1] != experiment.seeds[0] or key[2] != TRAINED:
            continue
        if result["diverged"]:
            rows.append((key[0], result["lr"], np.inf, np.nan))
        else:
            variables = result["variables"]
            rows.append((key[0], result["lr"], float(variables["val_loss"][1][-1]), float(variables["val_acc"][1][-1])))
    for model in experiment.models:
        candidates = [r for r in rows if r[0] == model and np.isfinite(r[2])]
        if not candidates:
            raise TrainingDiverged(f"every learning rate of model '{model}' diverged; lower genomic.datasets.<name>.lrs.{model}.")
        chosen[model] = min(candidates, key=lambda r: r[2])[1]
    return rows, chosen


def _dataset_coords(data: TaskData, experiment: GenomicExperiment, class_motifs: dict[str, tuple[str, ...]], sweep_rows) -> xr.Dataset:
    """What every run of the dataset shares: the classes and their motifs, the labels of the test,
    attributed and moved inputs, the shown inputs, the LR sweep."""
    shown = min(experiment.attribution.shown, len(data.moved))
    models = list(experiment.models)
    n_candidates = max(sum(1 for r in sweep_rows if r[0] == m) for m in models)
    sweep = np.full((3, len(models), n_candidates), np.nan)
    for i, model in enumerate(models):
        for j, row in enumerate(sorted(r for r in sweep_rows if r[0] == model)):
            sweep[:, i, j] = row[1:]
    return _indexed(xr.Dataset(
        {
            "test_label": (("test_example",), data.test.labels.astype(np.int8)),
            "class_name": (("class",), list(data.test.class_names)),
            "class_motifs": (("class",), [", ".join(class_motifs[c]) for c in data.test.class_names]),
            "attributed_label": (("attributed",), data.attributed.labels.astype(np.int8)),
            "moved_label": (("moved",), data.moved.labels.astype(np.int8)),
            "moved_motif_fraction": (("moved",), data.moved.motif.mean(axis=1)),
            "shown_original": (("shown", "position"), data.attributed.tokens[data.moved.source[:shown]].astype(np.int8)),
            "shown_original_motif": (("shown", "position"), data.attributed.motif[data.moved.source[:shown]].astype(np.int8)),
            "shown_moved": (("shown", "position"), data.moved.tokens[:shown].astype(np.int8)),
            "shown_moved_motif": (("shown", "position"), data.moved.motif[:shown].astype(np.int8)),
            "sweep_lr": (("model", "candidate"), sweep[0]),
            "sweep_val_loss": (("model", "candidate"), sweep[1]),
            "sweep_val_acc": (("model", "candidate"), sweep[2]),
            "n_train": ((), len(data.train)),
            "n_val": ((), len(data.val)),
            "n_test": ((), len(data.test)),
            "n_attributed": ((), len(data.attributed)),
            "n_moved": ((), len(data.moved)),
        },
        coords={
            "model": models,
            "method": list(experiment.attribution.methods),
            "model_spec": (("model",), [experiment.models[m].to_json() for m in models]),
        },
    ))
