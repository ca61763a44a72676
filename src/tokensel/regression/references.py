"""Known-rate references, fitted on exactly the networks' splits.

* **Oracle-Gamma sieve**: least squares on the true trigonometric basis of g, given g's true input
  (the value coordinates of the truly selected tokens). Its truncation (a γ level set, i.e. a
  prefix of the basis) and ridge penalty are chosen on the validation split. It shows the rate
  the data permit; its slope is the experiment's positive control.
* **No-Gamma k-NN**: k-nearest-neighbour regression on the raw window in position order
  (V tokens x d coordinates, no sorting), k chosen on validation. It shows what ignoring the
  dynamic selection costs.

Both report the excess risk on the test split (clean targets). Fast paths fit every n at once
(Gram matrices accumulated over the nested training prefixes; one neighbour query for every k);
``sieve_fit_reference`` and ``knn_reference`` are their slow oracles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import KNeighborsRegressor, NearestNeighbors

from tokensel.regression.config import ReferencesConfig, TaskConfig
from tokensel.regression.data import Sample, Splits, windows
from tokensel.regression.smooth import TrigBasis, design_matrix

# The sieve fits at most one coefficient per this many training rows.
ROWS_PER_COEFFICIENT = 2
# Training rows per design-matrix chunk (8192 rows x 1024 functions = 64 MB).
ROW_CHUNK = 8192


@dataclass(frozen=True)
class ReferenceFit:
    """One reference at one n: test excess risk, and what validation chose (basis size and ridge, or k)."""

    risk: float
    size: int
    ridge: float


def _rows(sample: Sample) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """g's inputs, noisy and clean targets with one row per output position."""
    return sample.Z.reshape(-1, sample.Z.shape[-1]), sample.y.reshape(-1), sample.f.reshape(-1)


def sieve_candidates(basis: TrigBasis, n_rows: int, max_basis: int) -> np.ndarray:
    """Basis sizes the sieve may choose: whole γ level sets, at most ``max_basis`` and n_rows / 2."""
    sizes = basis.level_sizes()
    return sizes[(sizes <= max_basis) & (sizes * ROWS_PER_COEFFICIENT <= n_rows)]


def oracle_sieve(splits: Splits, n_train: tuple[int, ...], refs: ReferencesConfig) -> list[ReferenceFit]:
    """The oracle-Gamma sieve at every n (nested training prefixes), chosen on validation."""
    basis, per_seq = splits.g.basis, splits.train.Z.shape[1]
    k_max = int(sieve_candidates(basis, n_train[-1] * per_seq, refs.sieve_max_basis).max())
    freqs = basis.freqs[:k_max]
    Z, y, _ = _rows(splits.train)
    Zv, yv, _ = _rows(splits.val)
    Zt, _, ft = _rows(splits.test)
    Pv, Pt = design_matrix(freqs, Zv), design_matrix(freqs, Zt)
    gram, moment, done, fits = np.zeros((k_max, k_max)), np.zeros(k_max), 0, []
    for n in n_train:
        # Rows in chunks: the design matrix of the largest n would not fit in memory at paper scale.
        for start in range(done * per_seq, n * per_seq, ROW_CHUNK):
            rows = slice(start, min(start + ROW_CHUNK, n * per_seq))
            P = design_matrix(freqs, Z[rows])
            gram += P.T @ P
            moment += P.T @ y[rows]
        done = n
        best = None
        for k in sieve_candidates(basis, n * per_seq, refs.sieve_max_basis):
            for ridge in refs.ridges:
                coef = np.linalg.solve(gram[:k, :k] + ridge * np.eye(k), moment[:k])
                val = float(np.mean((Pv[:, :k] @ coef - yv) ** 2))
                if best is None or val < best[0]:
                    best = (val, int(k), ridge, coef)
        _, k, ridge, coef = best
        fits.append(ReferenceFit(risk=float(np.mean((Pt[:, :k] @ coef - ft) ** 2)), size=k, ridge=ridge))
    return fits


def sieve_fit_reference(splits: Splits, n: int, k: int, ridge: float) -> float:
    """Test risk of the ridge sieve with the first k basis functions on n sequences, by an augmented
    least-squares solve from scratch (the oracle for ``oracle_sieve`` at its chosen k and ridge)."""
    freqs = splits.g.basis.freqs[:k]
    Z, y, _ = _rows(splits.train.head(n))
    Zt, _, ft = _rows(splits.test)
    A = np.vstack([design_matrix(freqs, Z), np.sqrt(ridge) * np.eye(k)])
    coef = np.linalg.lstsq(A, np.concatenate([y, np.zeros(k)]), rcond=None)[0]
    return float(np.mean((design_matrix(freqs, Zt) @ coef - ft) ** 2))


def window_features(task: TaskConfig, sample: Sample) -> np.ndarray:
    """The raw window at every output position, in position order: (n * P, V * d)."""
    w = windows(sample.X.astype(np.float64), task.window)
    return w.reshape(-1, task.window * task.d)


def knn_no_gamma(task: TaskConfig, splits: Splits, n_train: tuple[int, ...], refs: ReferencesConfig) -> list[ReferenceFit]:
    """k-NN on the raw window at every n, k chosen on validation; one neighbour query per n."""
    Wv, Wt = window_features(task, splits.val), window_features(task, splits.test)
    yv, ft = splits.val.y.reshape(-1), splits.test.f.reshape(-1)
    fits = []
    for n in n_train:
        part = splits.train.head(n)
        W, y = window_features(task, part), part.y.reshape(-1)
        ks = [k for k in refs.knn_ks if k <= len(W)]
        index = NearestNeighbors(n_neighbors=max(ks), algorithm="brute").fit(W)

        def predictions(query: np.ndarray) -> np.ndarray:
            # Mean of the k nearest targets for every k at once: cumulative sums over neighbours.
            sums = np.cumsum(y[index.kneighbors(query, return_distance=False)], axis=1)
            return sums[:, np.asarray(ks) - 1] / np.asarray(ks)

        val = ((predictions(Wv) - yv[:, None]) ** 2).mean(axis=0)
        best = int(np.argmin(val))
        risk = float(np.mean((predictions(Wt)[:, best] - ft) ** 2))
        fits.append(ReferenceFit(risk=risk, size=ks[best], ridge=float("nan")))
    return fits


def knn_reference(task: TaskConfig, splits: Splits, n: int, k: int) -> float:
    """Test risk of scikit-learn's k-NN regressor with k neighbours on n sequences (the oracle)."""
    part = splits.train.head(n)
    model = KNeighborsRegressor(n_neighbors=k, algorithm="brute").fit(window_features(task, part), part.y.reshape(-1))
    return float(np.mean((model.predict(window_features(task, splits.test)) - splits.test.f.reshape(-1)) ** 2))
