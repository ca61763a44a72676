"""The regression page's tables and prose, every number read from the results (the notebook only
displays them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.nn.config import ModelConfig
from tokensel.nn.families import readable_names
from tokensel.regression import analysis
from tokensel.regression.config import RegressionExperiment, TaskConfig
from tokensel.regression.smooth import a_dagger, predicted_exponent, trig_basis

PART_WORDS = {"a": "network against the oracle sieve", "b": "SSM+FNN against the Transformer",
              "c": "ours, beside the claim: two layers against one, by token order"}


def estimator_labels(nets: xr.Dataset) -> dict[str, str]:
    """Readable names of the networks (by family) and of the two references."""
    return {**readable_names(nets["model"].values, nets["model_spec"].values), analysis.SIEVE: analysis.SIEVE, analysis.KNN: analysis.KNN}


def target_text(task: TaskConfig) -> str:
    """The data law, the selection Γ, the margin, the smoothness and its predicted exponent, the noise."""
    others = "the other coordinate" if task.d == 2 else f"the other {task.d - 1} coordinates"
    return (
        f"Tokens x_t are uniform on [0,1]^{task.d}; sequences have {task.seq_len} tokens. The importance of a token is its "
        f"last coordinate. At each of the {task.n_outputs} positions t with a full window W_t = (x_(t−{task.window - 1}), …, x_t), "
        f"Γ sorts the window by decreasing importance and keeps the top J = {task.top_j} tokens; "
        f"F(X)_t = g({others} of each of those tokens, rank by rank). g never reads the importance "
        f"coordinate, so its input is uniform on [0,1]^{task.input_dim} under the data law. "
        f"**Margin**: a sequence is kept only if in every window consecutive sorted importances differ by at least "
        f"δ·j^(−β) = {task.delta:g}·j^(−{task.beta:g}) for ranks j = 1…J. "
        f"**Smoothness**: a_ij = {task.a0:g}·j^{task.alpha:g}·(1 + {task.kappa:g}(i − 1)) for coordinate i of the rank-j token "
        f"({task.smoothness} smoothness), so a† = {a_dagger(task):.3f} and the **predicted exponent is "
        f"−2a†/(2a†+1) = {predicted_exponent(task):.3f}**. g is a random trigonometric series whose frequency blocks s have norm ≈ 2^(−γ(s)) "
        f"(the boundary of the γ-smooth ball), truncated to its {trig_basis(task).n_basis} lowest-γ basis functions, "
        f"with its constant removed and scaled to unit variance. **Noise**: Y_t = F(X)_t + {task.sigma:g}·ξ, so σ²/Var F = {task.sigma**2:.2f}. "
        f"The fixed-order control feeds the same g the newest {task.top_j} tokens, x_t first. "
        f"Risk below is the test excess risk E(F̂ − F)² divided by Var F of each seed (= 1 − R²)."
    )


def verdict_text(parts, metrics: dict, experiment: RegressionExperiment) -> str:
    """The margins, the verdict with its claim, and one line per part (a), (b), (c)."""
    settings, sizes = experiment.analysis, experiment.fit_sizes
    return (
        f"Margins (ours): slope tolerance ±{settings.slope_tolerance:g}, level ratio {settings.level_ratio:g}×, gap ratio {settings.gap_ratio:g}. "
        f"Fit range n = {sizes[0]}–{sizes[-1]} ({len(sizes)} sizes), {len(experiment.seeds)} seeds, {settings.ci:.0%} seed-bootstrap intervals.\n\n"
        f"**The paper's claims: {metrics['verdict']}.** {metrics['claim']}\n\n"
        + "\n".join(f"- **({p.name}) {PART_WORDS[p.name]}: {p.verdict}.** {p.text}." for p in parts)
    )


def slope_table(slopes: pd.DataFrame, labels: dict[str, str], largest_n: int) -> pd.DataFrame:
    """Every estimator's slope with its interval, its risk at the largest n and that risk over the sieve's."""
    shown = slopes.assign(estimator=slopes["estimator"].map(labels))
    sieve_level = shown[shown["estimator"] == analysis.SIEVE].set_index("order")["risk_at_largest_n"]
    shown["× sieve at largest n"] = shown["risk_at_largest_n"] / shown["order"].map(sieve_level)
    shown = shown.rename(columns={"ci_low": "CI low", "ci_high": "CI high", "risk_at_largest_n": f"risk/Var F at n = {largest_n}",
                                  "r2_at_largest_n": "R²"})
    return shown.drop(columns=["seeds"])


def per_seed_table(risk: xr.DataArray, labels: dict[str, str], n: int) -> pd.DataFrame:
    """Every seed's risk at ``n``: one row per estimator and order, one column per seed."""
    per_seed = risk.sel(n_train=n).to_dataframe("risk").dropna().reset_index()
    per_seed["estimator"] = per_seed["estimator"].map(labels)
    return per_seed.pivot_table(index=["estimator", "order"], columns="seed", values="risk").reset_index()


def convergence(chosen: xr.Dataset, labels: dict[str, str], flat_tolerance: float) -> tuple[str, pd.DataFrame]:
    """How many chosen runs stopped early and end flat (one sentence), and the table behind it."""
    table = analysis.convergence_table(chosen, flat_tolerance)
    table["model"] = table["model"].map(labels)
    text = (f"{int(table['stopped early'].sum())} of {int(table['seeds'].sum())} chosen runs stopped before their step cap; "
            f"{int(table['flat at the end'].sum())} end on a flat validation curve (within {flat_tolerance:.0%}).")
    return text, table


def log_factor_text(sizes: tuple[int, ...]) -> str:
    """How far a poly-log factor (log n)^c moves a slope fitted over ``sizes``."""
    mid = float(np.exp(np.mean(np.log(sizes))))
    return (f"Over n = {sizes[0]}–{sizes[-1]} (geometric middle {mid:.0f}), a factor (log n)^c shifts the fitted slope by about "
            f"+{1 / np.log(mid):.2f}·c: c = 3 alone moves it by +{3 / np.log(mid):.2f}.")


def model_table(nets: xr.Dataset, labels: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"model": name, "family": labels[name], **ModelConfig.from_json(str(spec)).to_params()}
                         for name, spec in zip(nets["model"].values, nets["model_spec"].values)])


def configuration_text(experiment: RegressionExperiment, nets: xr.Dataset) -> str:
    train = experiment.train
    return (
        f"Training: AdamW (weight decay {train.weight_decay:g} on weight matrices), {train.warmup_fraction:.0%} warm-up then cosine decay "
        f"over a step cap of max({train.min_steps}, {train.max_epochs:g} epochs) at batch {train.batch_size}, gradient clip {train.grad_clip:g}, "
        f"{train.n_evals} validation checks per cap, stop after {train.patience} checks without improvement, best-validation weights scored. "
        f"Learning rates {list(train.lrs)} × widths d_model {list(train.d_models)} chosen per n on seed {experiment.seeds[0]}'s validation split "
        f"(below), reused by the other seeds. n ∈ {list(experiment.n_train)}; {train.n_val} validation and {train.n_test} test sequences. "
        f"Network training: {float(nets['seconds'].sum()) / 60:.1f} CPU-minutes in total."
    )


def choice_table(chosen: xr.Dataset, labels: dict[str, str]) -> pd.DataFrame:
    """The learning rate and width chosen per model, order and n."""
    choice = chosen[["lr", "d_model"]].to_dataframe().dropna().reset_index()
    choice["model"] = choice["model"].map(labels)
    return choice[["model", "order", "n_train", "lr", "d_model"]]
