"""Tables for the report pages: no row index, no NaN, counts as integers with thousands separators,
numbers to a few digits, yes/no rather than Python booleans."""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import HTML

MISSING = "–"


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with whole-number float columns as integers (a seed count of 2, not 2.0)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and values.dropna().apply(float.is_integer).all() and values.notna().any():
            out[column] = values.astype("Int64")
    return out


def number(value: float, digits: int = 3) -> str:
    """``digits`` decimals below 1,000; whole numbers with thousands separators from there on."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}f}"


def significant(value: float, figures: int = 3) -> str:
    """``figures`` significant figures (14,400 rather than 14,374.2 or 1.44e+04), with thousands separators."""
    rounded = float(f"{value:.{figures}g}")
    return f"{rounded:g}" if abs(rounded) < 10**figures else f"{rounded:,.0f}"


def _cell(value, digits: int, figures: int | None = None) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return significant(float(value), figures) if figures else number(float(value), digits)
    return str(value)


def table(frame: pd.DataFrame, digits: int = 3, index: bool = False, names: dict[str, str] | None = None,
          figures: int | None = None) -> HTML:
    """``frame`` as an HTML table: numbers by ``number`` (or to ``figures`` significant figures),
    booleans as yes/no, missing cells as a dash;
    ``names`` replaces params keys (model names) by readable names, in headers and cells alike."""
    shown = readable(frame.reset_index() if index else frame)
    shown = shown.astype(object).apply(lambda column: column.map(lambda v: _cell(v, digits, figures)))
    if names:
        shown = shown.rename(columns=lambda c: names.get(str(c), c)).apply(lambda column: column.map(lambda v: names.get(v, v)))
    return HTML(shown.to_html(index=False, border=0, classes="result"))
