"""Tables for the report pages: no row index, no NaN, counts as integers, numbers to a few digits."""

from __future__ import annotations

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


def table(frame: pd.DataFrame, digits: int = 3, index: bool = False) -> HTML:
    """``frame`` as an HTML table: ``digits`` significant decimals, missing cells shown as a dash."""
    shown = readable(frame.reset_index() if index else frame)
    for column in shown.columns:  # to_html writes <NA>, not na_rep, for missing integers
        if isinstance(shown[column].dtype, pd.Int64Dtype) and shown[column].isna().any():
            shown[column] = shown[column].astype(object).where(shown[column].notna(), MISSING)
    html = shown.to_html(index=False, na_rep=MISSING, float_format=lambda v: f"{v:.{digits}f}", border=0, classes="result")
    return HTML(html)
