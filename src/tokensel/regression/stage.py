"""One DVC cell of the regression experiment: one network over every order, seed and n, or the references.

A network cell first trains the tuning seed (the first seed) at every training-set size with every
learning rate and width of the grid, picks per (order, n) the pair with the smallest validation
risk, and trains the other seeds with that pair. Training sets are nested (prefixes of one sample),
and every random draw follows from the seed: the target g, the splits, the initialisation and the
minibatch order. The reference cell fits the oracle sieve and the k-NN baseline on the same splits.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tokensel.core.engine import parallel_map
from tokensel.nn.config import ModelConfig
from tokensel.regression.config import ORDERS, REFERENCES, ReferencesConfig, RegressionExperiment, TaskConfig, TrainConfig
from tokensel.regression.data import make_splits
from tokensel.regression.references import knn_no_gamma, oracle_sieve
from tokensel.regression.train import TrainResult, fit, scaled_width

RESULT_FIELDS = ("test_risk", "val_risk", "train_risk", "best_step", "steps_run", "step_cap", "seconds")
CURVE_FIELDS = {"steps": "curve_step", "train_loss": "curve_train_loss", "val_curve": "curve_val"}


def _splits(experiment: RegressionExperiment, order: str, seed: int):
    train = experiment.train
    return make_splits(experiment.task, order, experiment.n_train[-1], train.n_val, train.n_test, seed)


def _train_job(model_config: ModelConfig, task: TaskConfig, train: TrainConfig, splits, n: int, lr: float, seed: int, label: str) -> TrainResult:
    """One network fit. It gets only what it reads, so that its run-store key changes only with those."""
    return fit(model_config, task, train, splits.train.head(n), splits.val, splits.test, lr, seed, label)


def run_model(experiment: RegressionExperiment, model: str) -> xr.Dataset:
    """Train ``model`` on its orders, every seed and n; dims (model, order, seed, n_train, lr, d_model[, check])."""
    train, seeds, sizes = experiment.train, experiment.seeds, experiment.n_train
    orders = experiment.orders(model)
    splits = {(o, s): _splits(experiment, o, s) for o in orders for s in seeds}
    shape = (len(ORDERS), len(seeds), len(sizes), len(train.lrs), len(train.d_models))
    values = {name: np.full(shape, np.nan) for name in RESULT_FIELDS}
    curves = {name: np.full((*shape, train.n_evals), np.nan) for name in CURVE_FIELDS.values()}
    n_params = np.full(len(train.d_models), np.nan)

    def job(o: str, s: int, i: int, k: int, w: int) -> dict:
        n, lr, d_model = sizes[i], train.lrs[k], train.d_models[w]
        config = scaled_width(experiment.models[model], train.d_models[0], d_model)
        label = f"regression/{model}/{o}/seed={s}/n={n}/lr={lr:g}/d_model={d_model}"
        return dict(model_config=config, task=experiment.task, train=train, splits=splits[(o, s)], n=n, lr=lr, seed=s, label=label)

    def record(cells: list[tuple], results: list[TrainResult]) -> None:
        for (o, s, i, k, w), result in zip(cells, results):
            at = (ORDERS.index(o), seeds.index(s), i, k, w)
            for name in RESULT_FIELDS:
                values[name][at] = getattr(result, name)
            for name, variable in CURVE_FIELDS.items():
                curve = getattr(result, name)
                curves[variable][at][: len(curve)] = curve
            n_params[w] = result.n_params

    # Largest n first: the longest jobs start first and the pool's last jobs are short.
    by_size = range(len(sizes) - 1, -1, -1)
    tuning = [(o, seeds[0], i, k, w) for i in by_size for o in orders for k in range(len(train.lrs)) for w in range(len(train.d_models))]
    record(tuning, parallel_map(_train_job, [job(*c) for c in tuning], desc=f"{model} tuning seed"))
    if len(seeds) > 1:
        chosen = {}
        for o in orders:
            for i in range(len(sizes)):
                grid = values["val_risk"][ORDERS.index(o), 0, i]
                chosen[(o, i)] = np.unravel_index(int(np.nanargmin(grid)), grid.shape)
        rest = [(o, s, i, *chosen[(o, i)]) for i in by_size for o in orders for s in seeds[1:]]
        record(rest, parallel_map(_train_job, [job(*c) for c in rest], desc=f"{model} seeds"))

    cell = ("order", "seed", "n_train", "lr", "d_model")
    ds = xr.Dataset(
        {
            **{name: (cell, value) for name, value in values.items()},
            **{name: ((*cell, "check"), value) for name, value in curves.items()},
            "n_params": (("d_model",), n_params),
            "target_variance": (("seed",), [splits[(orders[0], s)].g.variance for s in seeds]),
        },
        coords={"order": list(ORDERS), "seed": list(seeds), "n_train": list(sizes), "lr": list(train.lrs), "d_model": list(train.d_models)},
    )
    # Variable-length strings: a fixed width inherited from one file could truncate longer names.
    ds = ds.expand_dims(model=np.array([model], dtype=object))
    ds = ds.assign_coords(model_spec=("model", [experiment.models[model].to_json()]))
    ds["test_risk"].attrs["description"] = "excess risk E(F_hat - F)^2 on the test split at the best-validation weights"
    ds["val_risk"].attrs["description"] = "MSE against noisy validation targets (picks the stopping step, lr and width)"
    ds["train_risk"].attrs["description"] = "excess risk on the training inputs at the best-validation weights"
    return ds


def _reference_job(task: TaskConfig, references: ReferencesConfig, n_train: tuple[int, ...], n_val: int, n_test: int, order: str, seed: int) -> dict:
    splits = make_splits(task, order, n_train[-1], n_val, n_test, seed)
    sieve = oracle_sieve(splits, n_train, references)
    knn = knn_no_gamma(task, splits, n_train, references)
    return {
        "sieve_risk": [f.risk for f in sieve], "sieve_basis": [f.size for f in sieve], "sieve_ridge": [f.ridge for f in sieve],
        "knn_risk": [f.risk for f in knn], "knn_k": [f.size for f in knn], "target_variance": splits.g.variance,
    }


def run_references(experiment: RegressionExperiment) -> xr.Dataset:
    """The oracle sieve and the k-NN baseline on every order's splits; dims (order, seed, n_train)."""
    orders, seeds = experiment.all_orders, experiment.seeds
    train = experiment.train
    jobs = [dict(task=experiment.task, references=experiment.references, n_train=experiment.n_train, n_val=train.n_val,
                 n_test=train.n_test, order=o, seed=s) for o in orders for s in seeds]
    results = parallel_map(_reference_job, jobs, desc="references")
    shape = (len(orders), len(seeds), len(experiment.n_train))
    names = ("sieve_risk", "sieve_basis", "sieve_ridge", "knn_risk", "knn_k")
    values = {name: np.array([r[name] for r in results], dtype=float).reshape(shape) for name in names}
    variance = np.array([r["target_variance"] for r in results]).reshape(shape[:2])[0]
    ds = xr.Dataset(
        {**{name: (("order", "seed", "n_train"), value) for name, value in values.items()}, "target_variance": (("seed",), variance)},
        coords={"order": list(orders), "seed": list(seeds), "n_train": list(experiment.n_train)},
    )
    ds["sieve_risk"].attrs["description"] = "excess risk of the oracle-Gamma sieve (true basis, true selected tokens)"
    ds["knn_risk"].attrs["description"] = "excess risk of k-NN on the raw window in position order (no Gamma)"
    return ds


def run(experiment: RegressionExperiment, model: str) -> xr.Dataset:
    """One DVC cell: a network from ``regression.models``, or ``references``."""
    return run_references(experiment) if model == REFERENCES else run_model(experiment, model)


def cells(experiment: RegressionExperiment) -> list[dict]:
    """The cells of ``regression_train``: one per model, and the references."""
    return [{"model": model} for model in experiment.models] + [{"model": REFERENCES}]
