"""One DVC cell of the regression experiment: one model and seed over every n, learning rate and order.

The model is trained on nested training sets of every size in ``n_train`` (samples are
prefix-consistent), at every learning rate of a small sweep, on the dynamic-order task and, for
the control models, on the fixed-order task; the width sweep (approximation) runs at the largest
n. Every random draw follows from the seed: the target g, the splits, the initialisation and the
minibatch order.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tokensel.core.training import parallel_map
from tokensel.nn.config import ModelConfig
from tokensel.regression.config import ORDERS, RegressionExperiment
from tokensel.regression.data import make_splits
from tokensel.regression.train import fit, scaled_width


def run(experiment: RegressionExperiment, model: str, seed: int) -> xr.Dataset:
    """Train ``model`` for one seed on every n, learning rate and order, plus its width sweep.

    Dimensions of the result: (model, seed, order, n_train, lr, eval_step) for the estimation
    curves, (model, seed, width, eval_step) for the width sweep. Cells a model does not run (the
    fixed order, the width sweep) are NaN, so every run file has the same shape and
    ``xr.combine_by_coords`` stacks them over model and seed.
    """
    config = experiment.model(model)
    train = experiment.train
    n_max = experiment.n_train[-1]
    n_steps = len(train.eval_steps)

    shape = (len(ORDERS), len(experiment.n_train), len(train.lrs))
    curves = {name: np.full((*shape, n_steps), np.nan) for name in ("train_loss", "val_risk", "test_risk")}
    seconds = np.full(shape, np.nan)
    widths = experiment.width_sweep.d_models
    width_curves = {name: np.full((len(widths), n_steps), np.nan) for name in ("width_val_risk", "width_test_risk")}
    width_params = np.full(len(widths), np.nan)

    sweep = model in experiment.width_sweep.models
    splits = {order: make_splits(experiment.task_for(order), n_max, train.n_val, train.n_test, seed) for order in experiment.orders(model)}

    def job(order: str, n: int, lr: float, label: str, config: ModelConfig = config, d_model: int | None = None) -> dict:
        return dict(config=config, task=experiment.task_for(order), train=train, splits=splits[order], n=n, lr=lr, seed=seed, label=label, d_model=d_model)

    cells = [(order, i, k) for order in splits for i in range(len(experiment.n_train)) for k in range(len(train.lrs))]
    jobs = [job(order, experiment.n_train[i], train.lrs[k], f"regression/{model}/{order}/n={experiment.n_train[i]}/seed={seed}") for order, i, k in cells]
    runs = parallel_map(fit, jobs, desc=f"{model}/seed={seed}")
    for (order, i, k), run in zip(cells, runs):
        o = ORDERS.index(order)
        for name in curves:
            curves[name][o, i, k] = getattr(run, name)
        seconds[o, i, k] = run.seconds
    n_params = runs[0].n_params

    if sweep:
        # The width sweep reuses the learning rate that validation chose at the largest n.
        o = ORDERS.index("dynamic")
        k_best = int(np.nanmin(curves["val_risk"][o, -1], axis=-1).argmin())
        # The run at the base width already is the sweep's point there (same seed, data and lr).
        others = [width for width in widths if width != train.d_model]
        width_jobs = [
            job("dynamic", n_max, train.lrs[k_best], f"regression/{model}/width={width}/seed={seed}", scaled_width(config, train.d_model, width), width)
            for width in others
        ]
        width_runs = dict(zip(others, parallel_map(fit, width_jobs, desc=f"{model}/seed={seed} widths")))
        for w, width in enumerate(widths):
            if width in width_runs:
                run = width_runs[width]
                width_curves["width_val_risk"][w], width_curves["width_test_risk"][w] = run.val_risk, run.test_risk
                width_params[w] = run.n_params
            else:
                width_curves["width_val_risk"][w] = curves["val_risk"][o, -1, k_best]
                width_curves["width_test_risk"][w] = curves["test_risk"][o, -1, k_best]
                width_params[w] = n_params

    cell = ("order", "n_train", "lr")
    ds = xr.Dataset(
        {
            **{name: ((*cell, "eval_step"), value) for name, value in curves.items()},
            "seconds": (cell, seconds),
            "n_params": ((), n_params),
            **{name: (("width", "eval_step"), value) for name, value in width_curves.items()},
            "width_n_params": ("width", width_params),
        },
        coords={
            "order": list(ORDERS),
            "n_train": list(experiment.n_train),
            "lr": list(train.lrs),
            "eval_step": list(train.eval_steps),
            "width": list(widths),
        },
    )
    # Variable-length (object) strings: a fixed-width dtype in one file's encoding can truncate
    # longer model names when files are combined and written again.
    ds = ds.expand_dims(model=np.array([model], dtype=object), seed=[seed])
    ds = ds.assign_coords(model_spec=("model", [config.to_json()]))
    ds["val_risk"].attrs["description"] = "MSE against noisy validation targets (selects lr and stopping step)"
    ds["test_risk"].attrs["description"] = "excess risk: mean over valid positions of (F_hat - F)^2, fresh test split"
    ds["width_test_risk"].attrs["description"] = "excess risk at the largest n_train, per embedding width"
    return ds


def cells(experiment: RegressionExperiment) -> list[dict]:
    """The DVC matrix of ``regression_train``: one cell per model x seed."""
    return [{"model": model, "seed": seed} for model in experiment.models for seed in experiment.seeds]
