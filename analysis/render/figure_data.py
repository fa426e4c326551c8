"""Aggregates that let a figure show the data without exposing anyone.

A simple-slope plot should show the data behind its lines, but a scatter of
persons would show each participant's genotype next to their scores.  These
functions reduce the data to **binned means**: within each genotype group the
moderator (an attachment style) is cut at its quantiles into bins of at least
``min_group_size`` people, and each bin gives the mean moderator value, the
mean outcome and the head count.  No bin edge, minimum or maximum (an
individual's value) is returned, and a group with fewer than ``min_group_size``
people gives no bin at all.

The figures (:mod:`analysis.render.plots`) only draw these frames; they compute
nothing.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> d = pd.DataFrame({"w": rng.normal(size=95), "y": rng.normal(size=95),
...                   "g": np.r_[np.zeros(60), np.ones(35)]})
>>> b = binned_means(d, outcome="y", moderator="w", group="g", min_group_size=10, max_bins=5)
>>> b.groupby("group")["n"].agg(["count", "sum", "min"]).to_dict("list")
{'count': [5, 3], 'sum': [60, 35], 'min': [12, 11]}
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["binned_means", "study2_binned_means"]

BINNED_COLUMNS = ("group", "bin", "moderator_mean", "outcome_mean", "n")


def _bin_sizes(n: int, min_size: int, max_bins: int) -> list[int]:
    """Sizes of near-equal consecutive bins, each >= ``min_size``."""
    k = max(1, min(max_bins, n // min_size))
    base, extra = divmod(n, k)
    return [base + (1 if i < extra else 0) for i in range(k)]


def _group_bins(x: np.ndarray, y: np.ndarray, min_size: int, max_bins: int) -> list[dict]:
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    bins, start = [], 0
    for size in _bin_sizes(len(xs), min_size, max_bins):
        stop = start + size
        # ties at a cut stay together: move the cut past equal moderator values
        while 0 < stop < len(xs) and xs[stop] == xs[stop - 1]:
            stop += 1
        if stop > start:
            bins.append((start, min(stop, len(xs))))
        start = stop
        if start >= len(xs):
            break
    if len(bins) > 1 and bins[-1][1] - bins[-1][0] < min_size:  # a short tail joins its neighbour
        bins[-2:] = [(bins[-2][0], bins[-1][1])]
    return [{"moderator_mean": float(xs[a:b].mean()), "outcome_mean": float(ys[a:b].mean()),
             "n": int(b - a)} for a, b in bins]


def binned_means(data: pd.DataFrame, *, outcome: str, moderator: str, group: str,
                 min_group_size: int = 10, max_bins: int = 10,
                 labels: Mapping | None = None) -> pd.DataFrame:
    """Mean outcome in quantile bins of the moderator, per group; every bin >= ``min_group_size``.

    Parameters
    ----------
    data : DataFrame
        Per-person rows (never leave the process); rows missing any of the
        three columns are dropped.
    outcome, moderator, group : str
        Column names.
    min_group_size : int
        Smallest bin (and smallest group shown); the codebook's ``min_group_size``.
    max_bins : int
        At most this many bins per group (deciles by default).
    labels : dict, optional
        Group value -> display name (e.g. ``{1: "7R carrier", 0: "non-carrier"}``).

    Returns
    -------
    DataFrame
        ``group, bin, moderator_mean, outcome_mean, n`` (aggregates only).
    """
    if min_group_size < 2:
        raise ValueError("min_group_size must be at least 2")
    sub = data[[outcome, moderator, group]].dropna()
    rows = []
    for value, part in sub.groupby(group, sort=True):
        if len(part) < min_group_size:
            continue
        name = labels.get(value, value) if labels else value
        for k, b in enumerate(_group_bins(part[moderator].to_numpy(float),
                                          part[outcome].to_numpy(float),
                                          min_group_size, max_bins), start=1):
            rows.append({"group": name, "bin": k, **b})
    return pd.DataFrame(rows, columns=list(BINNED_COLUMNS))


def study2_binned_means(frame: pd.DataFrame, *, outcomes: Sequence[str], genes: Mapping[str, str],
                        styles: Sequence[str], group_labels: Mapping[str, Mapping],
                        min_group_size: int = 10, max_bins: int = 10) -> pd.DataFrame:
    """:func:`binned_means` for every outcome x gene x style, carrier coding.

    ``genes``: gene -> carrier column (1 = carrier); ``group_labels``: gene ->
    ``{0: non-carrier name, 1: carrier name}`` (:data:`analysis.study.families.GROUP_LABELS`).
    Returns the long frame with ``outcome, gene, style`` in front.
    """
    parts = []
    for outcome in outcomes:
        for gene, col in genes.items():
            for style in styles:
                if not {outcome, col, style} <= set(frame.columns):
                    continue
                b = binned_means(frame, outcome=outcome, moderator=style, group=col,
                                 min_group_size=min_group_size, max_bins=max_bins,
                                 labels=group_labels[gene])
                b.insert(0, "style", style)
                b.insert(0, "gene", gene)
                b.insert(0, "outcome", outcome)
                parts.append(b)
    cols = ["outcome", "gene", "style", *BINNED_COLUMNS]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
