"""Saving figures for the reports.

Every experiment's plot functions end with ``save_figure``: it writes a PNG with stable bytes and
returns an ``IPython.display.Image`` of it, so a notebook cell that ends with the call shows the
figure (and nbconvert embeds it in the HTML report) whatever the matplotlib backend; the figure is
closed, so batch runs do not accumulate open figures.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Image


def save_figure(grid: sns.FacetGrid | plt.Figure, path: str | Path) -> Image:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = grid.figure if isinstance(grid, sns.FacetGrid) else grid
    # Fixed metadata keeps PNG bytes stable when the numbers do not change.
    figure.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return Image(filename=str(path))
