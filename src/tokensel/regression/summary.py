"""The results table at the top of the regression page, filled from the verdict parts and slopes."""

from __future__ import annotations

import pandas as pd

from tokensel.present.results import NOT_PUBLIC, ClaimResult, ResultsSummary
from tokensel.regression.analysis import OUR_QUESTION, Part, pre_asymptotic
from tokensel.regression.config import RegressionExperiment
from tokensel.regression.smooth import predicted_exponent

PAPER_RUNS_NONE = f"{NOT_PUBLIC}: a theorem (an upper bound up to poly-log factors); the paper runs no regression experiment"


def results_summary(parts: list[Part], slopes: pd.DataFrame, experiment: RegressionExperiment, cpu_seconds: float) -> ResultsSummary:
    by_name = {p.name: p for p in parts}
    sizes, n_seeds = experiment.fit_sizes, len(experiment.seeds)
    seeds = f"{n_seeds} seeds, {experiment.analysis.ci:.0%} seed-bootstrap intervals: "
    predicted = predicted_exponent(experiment.task)
    rows = (
        ClaimResult(f"SSM+FNN attains the rate n^(−2a†/(2a†+1)) = n^({predicted:.2f}) (Theorem 4.6)", PAPER_RUNS_NONE,
                    seeds + by_name["a"].text, by_name["a"].verdict),
        ClaimResult("SSM+FNN is comparable to the Transformer, which attains the same rate (Theorem 4.6 with Takakura & Suzuki 2023)",
                    PAPER_RUNS_NONE, seeds + by_name["b"].text, by_name["b"].verdict),
        ClaimResult("Ours, not the paper's: a second layer helps when the tokens must be selected, not when their order is fixed",
                    "not a claim of the paper", seeds + by_name[OUR_QUESTION].text, by_name[OUR_QUESTION].verdict),
    )
    sieve = slopes[(slopes.estimator == "oracle sieve") & (slopes.order == "dynamic")]
    sieve_slope = float(sieve.slope.iloc[0]) if len(sieve) else float("nan")
    regime = (f"The networks are pre-asymptotic at these n: their risk stays more than {experiment.analysis.level_ratio:g}× the oracle "
              "sieve's, so a fitted slope over this range says how fast they improve here, not the rate of the theorem."
              if pre_asymptotic(slopes, experiment) else
              f"The networks reach within {experiment.analysis.level_ratio:g}× the oracle sieve's risk, so their slopes are read as rates.")
    return ResultsSummary(
        rows=rows,
        setup=(f"A target drawn from the piecewise γ-smooth class (sequences of {experiment.task.seq_len} tokens, the top "
               f"{experiment.task.top_j} of each {experiment.task.window}-token window by importance); networks trained on nested sets of "
               f"n = {sizes[0]}–{sizes[-1]} sequences, {n_seeds} seeds, learning rate and width chosen on validation; an oracle sieve "
               "given the true selection and a k-NN without it fitted on the same splits."),
        easy=f"The oracle sieve shows the predicted slope ({sieve_slope:.2f} against {predicted:.2f}): the data carry the rate.",
        hard=regime,
        compute=f"Network training {cpu_seconds / 60:.1f} CPU-minutes (2 shared CPU cores; the references take seconds).",
    )
