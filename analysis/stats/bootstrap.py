"""Case-resampling bootstrap intervals for linear combinations of OLS coefficients.

Every row of ``L`` is a quantity ``theta = L_r @ b``: a coefficient itself
(``L_r = e_j``) or a conditional effect (``e_X + w e_XW``, the simple slope of X
at moderator value w).  Cases ``(x_i, y_i)`` are resampled with replacement
(the pairs bootstrap, Efron & Tibshirani 1993, ch. 9.5; Freedman 1981), every
resample is refitted by :func:`analysis.stats.fastols.bootstrap_ols` (no loop per
resample), and two intervals are formed from the ``B`` bootstrap estimates
:math:`\\theta^*_b`:

* **percentile**: the ``alpha/2`` and ``1 - alpha/2`` quantiles of
  :math:`\\theta^*` (Efron & Tibshirani 1993, eq. 13.5);
* **BCa** (Efron 1987, doi:10.1080/01621459.1987.10478410; Efron & Tibshirani
  1993, eqs. 14.9-14.15): the quantiles at

  .. math::

      \\alpha_{1,2} = \\Phi\\Big(z_0 + \\frac{z_0 + z_{\\alpha/2, 1-\\alpha/2}}
                      {1 - a (z_0 + z_{\\alpha/2, 1-\\alpha/2})}\\Big), \\qquad
      z_0 = \\Phi^{-1}\\big(\\#\\{\\theta^*_b < \\hat\\theta\\} / B\\big), \\qquad
      a = \\frac{\\sum_i U_i^3}{6 (\\sum_i U_i^2)^{3/2}},

  with :math:`U_i = \\bar\\theta_{(\\cdot)} - \\theta_{(-i)}` from the jackknife.
  Ties :math:`\\theta^*_b = \\hat\\theta` (to 1e-9 relative, so that
  rounding cannot split exact ties) count one half in :math:`z_0`, and
  quantiles are linear interpolations, as in :func:`scipy.stats.bootstrap`,
  which gives the same numbers on the same resamples when nothing ties
  (tested; scipy counts only bit-exact ties).  The
  leave-one-out coefficients come in closed form, without ``n`` refits:
  :math:`b_{(-i)} = b - (X'X)^{-1} x_i e_i / (1 - h_i)` (Belsley, Kuh & Welsch
  1980, eq. 2.17).

Resamples whose design is rank deficient (e.g. no carrier of a genotype in the
resample) cannot be fitted; they are dropped and counted in ``n_failed``.
``seed`` feeds :func:`numpy.random.default_rng`: same seed, same numbers.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr, ndtri

from .._errors import InputError
from .fastols import bootstrap_ols

__all__ = ["BootstrapResult", "bootstrap_linear", "bca_levels", "jackknife_linear"]

_TIE_RTOL = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class BootstrapResult:
    """Bootstrap intervals of ``L @ b``, one entry per row of ``L``.

    ``boot_conf_low/high`` are the ``boot_method`` (BCa) interval, ``pct_*``
    the percentile interval; ``boot_std_error`` is the standard deviation of
    the bootstrap estimates (``ddof=1``).  ``n_boot`` resamples were drawn,
    ``n_failed`` of them were rank deficient and dropped.
    """

    labels: tuple[str, ...]
    estimate: np.ndarray = field(repr=False)
    boot_std_error: np.ndarray = field(repr=False)
    boot_conf_low: np.ndarray = field(repr=False)
    boot_conf_high: np.ndarray = field(repr=False)
    pct_conf_low: np.ndarray = field(repr=False)
    pct_conf_high: np.ndarray = field(repr=False)
    bias_correction: np.ndarray = field(repr=False)
    acceleration: np.ndarray = field(repr=False)
    boot_method: str = "BCa"
    n_boot: int
    n_failed: int
    alpha: float
    seed: int | None
    distribution: np.ndarray = field(repr=False)

    _COLUMNS = ("estimate", "boot_std_error", "boot_conf_low", "boot_conf_high",
                "pct_conf_low", "pct_conf_high")

    def to_frame(self):
        """``label, estimate, boot_std_error, boot_conf_low, boot_conf_high, boot_method,
        pct_conf_low, pct_conf_high, n_boot, n_failed``."""
        import pandas as pd

        frame = pd.DataFrame({"label": list(self.labels)})
        for name in self._COLUMNS[:4]:
            frame[name] = getattr(self, name)
        frame["boot_method"] = self.boot_method
        for name in self._COLUMNS[4:]:
            frame[name] = getattr(self, name)
        frame["n_boot"] = self.n_boot
        frame["n_failed"] = self.n_failed
        return frame

    def to_dict(self) -> dict:
        """JSON-safe: one record per label plus the settings (NaN -> None)."""
        rows = [{"label": lab, **{c: _json(getattr(self, c)[i]) for c in self._COLUMNS}}
                for i, lab in enumerate(self.labels)]
        return {"boot_method": self.boot_method, "n_boot": self.n_boot,
                "n_failed": self.n_failed, "alpha": self.alpha, "seed": self.seed,
                "effects": rows}


def bootstrap_linear(X, y, L, *, n_boot: int = 5000, seed: int | None = 0, alpha: float = 0.05,
                     labels: Sequence[str] | None = None, chunk_size: int | None = None,
                     max_memory_mb: float = 256) -> BootstrapResult:
    """Pairs-bootstrap percentile and BCa intervals of ``L @ b``.

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Design, intercept included by the caller.
    y : ndarray, shape (n,)
    L : ndarray, shape (m, k) or (k,)
        Rows are the linear combinations to bootstrap.
    n_boot : int
        Number of resamples (PROCESS's default is 5000).
    seed : int or None
        Seed for :func:`numpy.random.default_rng`.
    alpha : float
        Intervals have ``1 - alpha`` nominal coverage.
    labels : sequence of str, optional
        One per row of ``L`` (default ``L1``, ``L2``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=50)
    >>> X = np.column_stack([np.ones(50), x])
    >>> res = bootstrap_linear(X, 1 + 2 * x + rng.normal(size=50), [0, 1], n_boot=999, seed=1)
    >>> bool(res.boot_conf_low[0] < 2 < res.boot_conf_high[0]), res.n_failed
    (True, 0)
    """
    X, y, L, labels = _check(X, y, L, labels, n_boot, alpha)
    estimate, jack = jackknife_linear(X, y, L)
    fit = bootstrap_ols(X, y, n_boot, rng=np.random.default_rng(seed), chunk_size=chunk_size,
                        max_memory_mb=max_memory_mb)
    ok = ~fit.rank_deficient
    draws = fit.params[ok] @ L.T
    if draws.shape[0] < 2:
        raise InputError(f"only {draws.shape[0]} of {n_boot} bootstrap resamples could be fitted",
                         hint="the design has too few carriers of some term to bootstrap")
    levels, z0, accel = bca_levels(draws, estimate, jack, alpha)
    bca = np.array([_quantiles(draws[:, j], levels[j]) for j in range(L.shape[0])])
    pct = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0).T
    return BootstrapResult(labels=labels, estimate=estimate, boot_std_error=draws.std(axis=0, ddof=1),
                           boot_conf_low=bca[:, 0], boot_conf_high=bca[:, 1],
                           pct_conf_low=pct[:, 0], pct_conf_high=pct[:, 1],
                           bias_correction=z0, acceleration=accel, n_boot=int(n_boot),
                           n_failed=int((~ok).sum()), alpha=float(alpha),
                           seed=None if seed is None else int(seed), distribution=draws)


def jackknife_linear(X: np.ndarray, y: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full-sample ``L @ b`` and the ``n`` leave-one-out values ``L @ b_(-i)`` in closed form.

    :math:`b_{(-i)} = b - (X'X)^{-1} x_i e_i / (1 - h_i)` (Belsley, Kuh &
    Welsch 1980, eq. 2.17).  A case with leverage 1 has no leave-one-out fit:
    its row is NaN (and the BCa acceleration becomes NaN).

    Returns
    -------
    estimate : ndarray, shape (m,)
    jack : ndarray, shape (n, m)
    """
    q, r = np.linalg.qr(X)
    diag = np.abs(np.diag(r))
    if np.any(diag <= 1e-9 * np.linalg.norm(X, axis=0)):
        raise InputError("the model is not estimable: a column is constant or collinear",
                         hint="drop or recode that variable")
    b = np.linalg.solve(r, q.T @ y)
    resid = y - X @ b
    lev = np.einsum("ij,ij->i", q, q)
    r_inv = np.linalg.solve(r, np.eye(X.shape[1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(lev < 1.0 - 1e-10, resid / (1.0 - lev), np.nan)
    loo = b[None, :] - (X @ (r_inv @ r_inv.T)) * scale[:, None]
    return L @ b, loo @ L.T


def bca_levels(draws: np.ndarray, estimate: np.ndarray, jack: np.ndarray,
               alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BCa quantile levels ``(m, 2)``, bias correction ``z0 (m,)``, acceleration ``a (m,)``.

    ``z0 = Phi^-1(share of draws below the estimate, ties counting half)``
    (ties: within 1e-9 of the estimate, relative to ``max(|estimate|, sd)``);
    ``a = sum U^3 / (6 (sum U^2)^1.5)`` with ``U_i = mean(jack) - jack_i``
    (Efron & Tibshirani 1993, eqs. 14.14-14.15).

    Examples
    --------
    >>> import numpy as np
    >>> lv, z0, a = bca_levels(np.array([[0.], [1.], [2.], [3.]]), np.array([1.5]),
    ...                        np.array([[1.], [2.], [3.]]), 0.10)
    >>> np.round(lv, 4).tolist(), z0.tolist(), a.tolist()
    ([[0.05, 0.95]], [0.0], [0.0])
    """
    share = _share_below(draws, estimate)
    z0 = ndtri(share)
    u = jack.mean(axis=0) - jack
    with np.errstate(divide="ignore", invalid="ignore"):
        accel = (u ** 3).sum(axis=0) / (6.0 * ((u ** 2).sum(axis=0)) ** 1.5)
    z = ndtri(np.array([alpha / 2.0, 1.0 - alpha / 2.0]))
    num = z0[:, None] + z[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        levels = ndtr(z0[:, None] + num / (1.0 - accel[:, None] * num))
    return levels, z0, accel


def _share_below(draws: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Share of draws below the estimate; ties count one half.

    Draws within ``1e-9`` (relative to ``max(|estimate|, sd)``) of the estimate are
    ties: with few carriers of a genotype many resamples reproduce the estimate
    exactly in theory, and rounding must not decide which side they fall on.
    """
    scale = np.maximum(np.abs(estimate), draws.std(axis=0))
    tol = _TIE_RTOL * np.where(scale > 0, scale, 1.0)
    below = (draws < estimate - tol).sum(axis=0)
    ties = (np.abs(draws - estimate) <= tol).sum(axis=0)
    return (below + 0.5 * ties) / draws.shape[0]


def _quantiles(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    if not np.all(np.isfinite(levels)):
        return np.full(2, np.nan)
    return np.quantile(values, levels)


def _check(X, y, L, labels, n_boot, alpha):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    L = np.atleast_2d(np.asarray(L, dtype=float))
    if X.ndim != 2 or y.shape != (X.shape[0],) or L.ndim != 2 or L.shape[1] != X.shape[1]:
        raise InputError(f"bootstrap needs X (n, k), y (n,) and L (m, k); got {X.shape}, "
                         f"{y.shape} and {L.shape}")
    if int(n_boot) < 2 or not 0.0 < alpha < 1.0:
        raise InputError(f"need n_boot >= 2 and 0 < alpha < 1; got {n_boot} and {alpha}",
                         hint="PROCESS uses 5000 resamples")
    labels = tuple(labels) if labels is not None else tuple(f"L{i + 1}" for i in range(L.shape[0]))
    if len(labels) != L.shape[0]:
        raise InputError(f"{len(labels)} labels for {L.shape[0]} linear combinations")
    return X, y, L, labels


def _json(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
