"""Multicategorical focal predictors and moderators (3 to 10 groups).

A variable with ``g`` groups enters the model as ``g - 1`` code columns named
``<var>=<level>`` (one per non-reference level).  The coding matrix ``C`` (g x (g-1),
one row per level) is:

* **indicator** (dummy) coding: the reference row is all 0, level ``j`` has a 1 in
  its own column (R's ``contr.treatment``; PROCESS ``mcx/mcw = 1``);
* **effect** coding: as indicator, but the reference row is all -1 (R's ``contr.sum``
  with the reference last; PROCESS ``mcx/mcw = 3``): coefficients are deviations from
  the unweighted mean of the groups.

Every group quantity is a linear combination of the coefficients, so it goes through
:func:`analysis.stats.probing.linear_combination` with the fit's covariance and df:

* categorical moderator W, numeric X: the effect of X in group ``l`` is
  ``b_X + C[l] . d`` (``d`` the ``X:W=`` coefficients), differences between groups
  ``(C[l] - C[m]) . d``; the omnibus interaction test is the Wald F that ``d = 0``
  (the classical nested F under OLS, ``F(HCk)`` under HC, HTZ under CR2);
* categorical X, numeric W: the difference between group ``l`` and the reference at
  ``W = w`` is ``(C[l] - C[ref]) . (a + w d)``; the omnibus test of "no group
  differences at w" is the Wald F of the ``g - 1`` such rows, and the omnibus
  Johnson-Neyman boundaries are the values of w where that F equals its critical
  value (Hayes & Montoya 2017), solved numerically (bracketing on a grid, Brent's
  method to 1e-12 in w; the F at a boundary equals the critical F to 1e-8, tested).

Hayes, A. F., & Montoya, A. K. (2017). A tutorial on testing, visualizing, and probing
an interaction involving a multicategorical variable in linear regression analysis.
Communication Methods and Measures, 11(1), 1-30. doi:10.1080/19312458.2016.1271116
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._errors import InputError
from .probing import _region_pattern, linear_combination

__all__ = ["Categorical", "categorical_levels", "make_categorical", "omnibus_jn", "omnibus_test",
           "OmnibusJN", "effects_frame", "MAX_LEVELS"]

MAX_LEVELS = 10
SCHEMES = ("indicator", "effect")


@dataclass(frozen=True, slots=True, kw_only=True)
class Categorical:
    """A multicategorical variable: its levels (natural order), reference, coding and source."""

    name: str
    levels: tuple[str, ...]
    reference: str
    scheme: str = "indicator"
    source: str = "text"
    counts: tuple[int, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [f"{self.name}={lv}" for lv in self.levels if lv != self.reference]

    @property
    def others(self) -> list[str]:
        """The non-reference levels, in order (one code column each)."""
        return [lv for lv in self.levels if lv != self.reference]

    @property
    def matrix(self) -> np.ndarray:
        """Coding matrix, rows in ``levels`` order, columns in ``columns`` order."""
        others = [lv for lv in self.levels if lv != self.reference]
        C = np.zeros((len(self.levels), len(others)))
        for i, lv in enumerate(self.levels):
            if lv == self.reference:
                C[i] = -1.0 if self.scheme == "effect" else 0.0
            else:
                C[i, others.index(lv)] = 1.0
        return C

    def row(self, level: str) -> np.ndarray:
        return self.matrix[self.levels.index(level)]

    def coding_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.matrix, index=pd.Index(self.levels, name=self.name),
                            columns=self.columns)

    def to_dict(self) -> dict:
        return {"name": self.name, "levels": list(self.levels), "reference": self.reference,
                "scheme": self.scheme, "source": self.source, "columns": self.columns,
                "matrix": {lv: self.row(lv).tolist() for lv in self.levels},
                "n_per_level": dict(zip(self.levels, self.counts))}


def _format_number(v: float) -> str:
    return f"{v:g}"


def categorical_levels(col: pd.Series, name: str, *, numeric_codes: bool = False,
                       file: str | None = None) -> tuple[pd.Series, list[str]]:
    """Labels (string, missing kept) and levels in their natural order.

    Text levels are sorted alphabetically; numeric codes (``numeric_codes=True``)
    by value and labelled with their shortest form (``0.5``, ``1``, ``2``).  More
    than :data:`MAX_LEVELS` levels, or fewer than 3, are an :class:`InputError`.
    """
    if numeric_codes:
        values = pd.to_numeric(col, errors="coerce")
        bad = col.notna() & values.isna()
        if bad.any():
            raise InputError("is declared categorical with numeric codes but has text",
                             file=file, column=name, rows=(np.flatnonzero(bad) + 1).tolist())
        order = sorted(values.dropna().unique())
        labels = values.map(lambda v: None if pd.isna(v) else _format_number(float(v)))
        levels = [_format_number(float(v)) for v in order]
    else:
        labels = col.astype("string").str.strip()
        labels = labels.mask(labels == "")
        levels = sorted(labels.dropna().unique())
    if len(levels) > MAX_LEVELS:
        raise InputError(f"has {len(levels)} distinct values: a multicategorical variable may "
                         f"have at most {MAX_LEVELS} groups", file=file, column=name,
                         hint="merge levels, or treat the variable as numeric")
    if len(levels) < 2:
        raise InputError("has fewer than two groups", file=file, column=name)
    return labels.astype("string"), [str(lv) for lv in levels]


def make_categorical(name: str, labels: pd.Series, levels: list[str], *, reference: str | None,
                     scheme: str, source: str, min_size: int, file: str | None,
                     sensitive: bool = False) -> Categorical:
    """Check the reference and the group sizes (after listwise deletion) and build the coding."""
    if scheme not in SCHEMES:
        raise InputError(f"coding must be 'indicator' or 'effect', got {scheme!r}")
    if reference is None:
        reference = levels[0]
    if reference not in levels:
        shown = "" if sensitive else " " + ", ".join(repr(lv) for lv in levels)
        raise InputError(f"reference level {reference!r} is not one of the levels{shown}",
                         file=file, column=name)
    ordered = list(levels)
    counts = labels.value_counts()
    for lv in ordered:
        n = int(counts.get(lv, 0))
        if n < min_size:
            shown = f"fewer than {min_size}" if sensitive else str(n)
            which = "a level" if sensitive else f"level {lv!r}"     # a genotype/id value: withheld
            raise InputError(f"{which} has {shown} rows in the analysis; each group needs at "
                             f"least {min_size}", file=file, column=name,
                             hint="merge or drop rare levels (or lower --min-group-size)")
    return Categorical(name=name, levels=tuple(ordered), reference=reference, scheme=scheme,
                       source=source, counts=tuple(int(counts.get(lv, 0)) for lv in ordered))


# ------------------------------------------------------------ omnibus JN
@dataclass(frozen=True, slots=True, kw_only=True)
class OmnibusJN:
    """Where the omnibus test of group differences along the moderator changes significance.

    ``bounds`` are the moderator values with ``F(w) = F*(q, df(w))`` (Hayes & Montoya
    2017), searched over the observed range widened by three ranges on each side;
    ``significant_region`` describes the observed range as in
    :class:`analysis.stats.probing.JohnsonNeyman`.
    """

    moderator: str
    alpha: float
    se_type: str
    bounds: tuple[float, ...]
    in_range: tuple[bool, ...]
    significant_region: str
    observed_range: tuple[float, float]
    f_crit: tuple[float, ...]
    df_den: tuple[float, ...]
    share_below: tuple[float | None, ...]
    share_above: tuple[float | None, ...]

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in ((f, getattr(self, f)) for f in self.__slots__)}


def omnibus_rows(base: np.ndarray, slope: np.ndarray, w: float) -> np.ndarray:
    return base + w * slope


def omnibus_test(fit, base: np.ndarray, slope: np.ndarray, w: float) -> tuple[float, float, float, float]:
    """Wald F of "no group differences at W = w": rows ``base + w slope`` (q x k)."""
    return fit.wald(omnibus_rows(base, slope, w))


def omnibus_jn(fit, base: np.ndarray, slope: np.ndarray, moderator_data: np.ndarray, *,
               moderator: str, alpha: float, n_grid: int = 601) -> OmnibusJN:
    """Omnibus Johnson-Neyman boundaries (see the module docstring)."""
    from scipy.optimize import brentq

    w = np.asarray(moderator_data, dtype=float)
    lo, hi = float(w.min()), float(w.max())
    span = max(hi - lo, 1e-12)

    def gap(v: float) -> float:
        F, q, df2, _ = omnibus_test(fit, base, slope, v)
        return F - float(stats.f.ppf(1 - alpha, q, df2))

    grid = np.linspace(lo - 3 * span, hi + 3 * span, n_grid)
    values = np.array([gap(v) for v in grid])
    roots = []
    for k in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0):
        roots.append(float(brentq(gap, grid[k], grid[k + 1], xtol=1e-12,
                                  rtol=4 * np.finfo(float).eps)))
    in_range = tuple(bool(lo <= r <= hi) for r in roots)
    cuts = [lo] + [r for r, ok in zip(roots, in_range) if ok] + [hi]
    mids = [(a + b) / 2 for a, b in zip(cuts[:-1], cuts[1:])]
    sig = [omnibus_test(fit, base, slope, m)[3] < alpha for m in mids]
    tests = [omnibus_test(fit, base, slope, r) for r in roots]
    return OmnibusJN(
        moderator=moderator, alpha=alpha, se_type=fit.se_type, bounds=tuple(roots),
        in_range=in_range, significant_region=_region_pattern(sig), observed_range=(lo, hi),
        f_crit=tuple(float(stats.f.ppf(1 - alpha, t[1], t[2])) for t in tests),
        df_den=tuple(float(t[2]) for t in tests),
        share_below=tuple(float(np.mean(w < r)) if ok else None for r, ok in zip(roots, in_range)),
        share_above=tuple(float(np.mean(w > r)) if ok else None for r, ok in zip(roots, in_range)))


def effects_frame(fit, rows: np.ndarray, labels: list[str], **columns) -> pd.DataFrame:
    """``linear_combination`` of ``rows`` with leading design columns."""
    frame = linear_combination(fit, rows)
    for i, (key, values) in enumerate(columns.items()):
        frame.insert(i, key, values)
    frame.insert(0, "label", labels)
    return frame

