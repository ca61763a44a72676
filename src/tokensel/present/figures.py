"""Saving figures for the reports.

Every experiment's plot functions end with ``save_figure``: it writes a PNG with stable bytes and
returns an HTML ``<img>`` of it with alternative text saying what the figure shows, so a notebook
cell that ends with the call shows the figure (and nbconvert embeds it in the HTML report, which
stays a single self-contained file) whatever the matplotlib backend. The figure is closed, so batch
runs do not accumulate open figures. Plots whose error bars seaborn bootstraps pass ``seed=0``, and
strip plots draw inside ``fixed_jitter``: the same results give the same bytes.
"""

from __future__ import annotations

import base64
import html
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from IPython.display import HTML


@contextmanager
def fixed_jitter(seed: int = 0) -> Iterator[None]:
    """Seaborn's strip plots jitter points with NumPy's global generator: seed it while one is drawn
    (and restore it after), so the same results draw the same picture."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def save_figure(grid: sns.FacetGrid | plt.Figure, path: str | Path, alt: str) -> HTML:
    """Save ``grid`` as a PNG at ``path``; ``alt`` says what the figure shows, for readers who cannot see it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = grid.figure if isinstance(grid, sns.FacetGrid) else grid
    # Fixed metadata keeps PNG bytes stable when the numbers do not change.
    figure.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return HTML(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}" style="max-width:100%">')
