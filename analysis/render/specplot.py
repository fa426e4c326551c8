"""The specification-curve figure (Simonsohn, Simmons & Nelson 2020, Fig. 2 layout).

Top panel: every specification's deciding estimate, sorted, with its
confidence interval; specifications significant in the predicted direction,
against it, and not significant in three colours; the median as a dashed
line.  Beneath it, the *dashboard*: one row per option of every dimension, a
tick under each specification that uses it, so a reader sees which choices
sit at the high and the low end of the curve.

The figure is drawn from the specification table alone (rendering never
recomputes statistics) and shows estimates only: no participant's value or
genotype.  Option names may come from a user's codebook, so every label goes
through :func:`analysis.sanitize.mpl_literal`.  Dense marks are rasterized so
the SVG stays small with thousands of specifications.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["specification_curve_figure", "null_distribution_figure"]

_COLOURS = {"predicted": "#1f5fa8", "against": "#c0392b", "positive": "#1f5fa8",
            "negative": "#c0392b", "not significant": "#9a9a9a"}
_LABELS = {"predicted": "significant, predicted direction", "against": "significant, opposite",
           "positive": "significant, positive", "negative": "significant, negative",
           "not significant": "not significant"}


def specification_curve_figure(specs, dimensions: Sequence[str], *, title: str | None = None,
                               estimate_label: str = "Deciding estimate",
                               assumption_note: str | None = None):
    """Specification curve with its dashboard of choices.

    Parameters
    ----------
    specs : pandas.DataFrame
        One row per specification: ``estimate, conf_low, conf_high, direction``
        and one column per entry of ``dimensions`` (the option used).
    dimensions : sequence of str
        Dashboard rows, top to bottom (dimensions with a single option are skipped).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .plots import _finish, _new_figure, _rc, _require
    from ..sanitize import mpl_literal

    frame = _require(specs, ("estimate", "conf_low", "conf_high", "direction"), "specs")
    dims = [d for d in dimensions if d in frame and frame[d].nunique() > 1]
    rows = [(d, opt) for d in dims for opt in dict.fromkeys(frame[d].astype(str))]
    # drawn at 12 significant digits: last-bit BLAS noise (batch sizes differ with --jobs)
    # must not move an axis limit, which would change the SVG's clip-path ids
    frame = frame.assign(**{c: _display_digits(frame[c])
                            for c in ("estimate", "conf_low", "conf_high")})
    frame = frame.sort_values("estimate", kind="mergesort").reset_index(drop=True)
    with _rc():
        fig = _new_figure((7.2, 2.9 + 0.16 * len(rows)))
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2.6, 0.16 * len(rows) + 0.3])
        _curve_panel(top, frame, estimate_label)
        _dashboard(bottom, frame, rows, mpl_literal)
        _finish(fig, None if title is None else mpl_literal(title), assumption_note)
    return fig


def _display_digits(values, digits: int = 12) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (display only).

    >>> _display_digits([0.1 + 0.2, -1234.5678901234567, float("nan")]).tolist()
    [0.3, -1234.56789012, nan]
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(np.isfinite(v) & (v != 0), np.floor(np.log10(np.abs(v))), 0.0)
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(np.isfinite(v), np.round(v * scale) / scale, v)


def _curve_panel(ax, frame, label: str) -> None:
    x = np.arange(len(frame))
    for direction, colour in _COLOURS.items():
        sel = (frame["direction"] == direction).to_numpy()
        if not sel.any():
            continue
        ax.vlines(x[sel], frame["conf_low"][sel], frame["conf_high"][sel], color=colour,
                  alpha=0.25, linewidth=0.6, rasterized=True)
        ax.scatter(x[sel], frame["estimate"][sel], s=4, color=colour, label=_LABELS[direction],
                   rasterized=True, zorder=3)
    ax.axhline(0.0, color="#444444", linewidth=0.8)
    ax.axhline(float(np.nanmedian(frame["estimate"])), color="#222222", linewidth=0.8,
               linestyle="--", label="median estimate")
    ax.set_ylabel(label)
    ax.legend(loc="upper left", fontsize=7, frameon=False)


def _dashboard(ax, frame, rows, literal) -> None:
    x = np.arange(len(frame))
    for i, (dim, opt) in enumerate(rows):
        sel = (frame[dim].astype(str) == opt).to_numpy()
        ax.scatter(x[sel], np.full(sel.sum(), i), marker="|", s=12, linewidths=0.5,
                   color="#333333", rasterized=True)
    ax.set_yticks(range(len(rows)), [literal(f"{d}: {o}") for d, o in rows], fontsize=6)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("Specifications, sorted by estimate")
    ax.set_xlim(-1, len(frame))


def null_distribution_figure(curve, *, title: str | None = None):
    """The joint test: each statistic's distribution over the null draws, observed value marked.

    ``curve`` is an :class:`analysis.study.multiverse.ClaimCurve`; its ``null`` holds the
    statistics of every draw and the observed ones, oriented as the test.
    """
    from .plots import _finish, _new_figure, _rc
    from ..sanitize import mpl_literal

    names = {"median": "median estimate", "share": "share significant",
             "stouffer": "Stouffer Z"}
    with _rc():
        fig = _new_figure((7.2, 2.4))
        for ax, (key, label) in zip(fig.subplots(1, 3), names.items()):
            values = np.asarray(curve.null[key], dtype=float)
            ax.hist(values[np.isfinite(values)], bins=30, color="#9a9a9a")
            ax.axvline(curve.null["observed"][key], color="#c0392b", linewidth=1.2,
                       label="observed")
            ax.set_xlabel(label)
        fig.axes[0].set_ylabel("null draws")
        fig.axes[0].legend(fontsize=7, frameon=False)
        _finish(fig, None if title is None else mpl_literal(title), None)
    return fig
