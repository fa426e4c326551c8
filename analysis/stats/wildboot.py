"""Wild cluster bootstrap of linear combinations ``L b`` (null imposed or not).

For each row ``c`` of ``L`` (a coefficient, a conditional effect), the bootstrap
t statistic uses the fit's own cluster-robust covariance (CR1 or CR2):

* **null imposed** (WCR, the default; Cameron, Gelbach & Miller 2008; MacKinnon &
  Webb 2017): the restricted estimate ``b_r = b - M c (c'Mc)^{-1} c'b`` (WLS
  restricted least squares, ``M = (X'WX)^{-1}``) gives residuals ``e_r``;
  ``y* = X b_r + v_g e_r`` with one weight ``v_g`` per cluster;
  ``t* = c'b* / se*(c'b*)`` and the p value is ``#{|t*| >= |t|} / B``.  No interval
  (an interval would need test inversion).
* **null not imposed** (WCU): ``y* = X b + v_g e``, ``t* = (c'b* - c'b) / se*``,
  p value ``#{|t*| >= |t|} / B`` and the bootstrap-t interval
  ``[c'b - q*_{1-a/2} se, c'b - q*_{a/2} se]``.

Weights ``v_g``: Rademacher (+-1 with probability 1/2) or Webb's six-point
distribution (+-sqrt(1/2), +-1, +-sqrt(3/2)), recommended with fewer than about 12
clusters (Webb 2023).  With Rademacher weights and ``2^G <= B`` every sign vector is
enumerated once (the exact distribution, as in Roodman et al.'s ``boottest``).

Each bootstrap covariance is a quadratic form in the bootstrap residuals (the
adjustment matrices of CR2 depend on X only), so all B replicates are computed in
matrix form, without refits: ``b* = b_0 + M X'W (v * e)``, ``e* = (I - H)(v * e)``.

References
----------
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements
for inference with clustered errors. Review of Economics and Statistics, 90(3), 414-427.

Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors.
Canadian Journal of Economics, 56(3), 839-858.

Roodman, D., MacKinnon, J. G., Nielsen, M. O., & Webb, M. D. (2019). Fast and wild:
bootstrap inference in Stata using boottest. The Stata Journal, 19(1), 4-60.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from .._errors import InputError
from .probing import _records

__all__ = ["WildBootstrap", "wild_cluster_bootstrap", "wild_draws"]

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True, slots=True, kw_only=True)
class WildBootstrap:
    """Wild cluster bootstrap p values (and, without the null imposed, intervals)."""

    labels: tuple[str, ...]
    frame: object = field(repr=False)
    n_boot: int
    weights: str
    null_imposed: bool
    enumerated: bool
    seed: int | None

    def to_frame(self):
        return self.frame.copy()

    def to_dict(self) -> dict:
        return {"n_boot": self.n_boot, "weights": self.weights, "null_imposed": self.null_imposed,
                "enumerated": self.enumerated, "seed": self.seed, "rows": _records(self.frame)}


def wild_draws(n_clusters: int, n_boot: int, kind: str, seed: int | None) -> tuple[np.ndarray, bool]:
    """(B, G) cluster weights and whether they enumerate all Rademacher sign vectors."""
    if kind not in {"rademacher", "webb"}:
        raise InputError(f"wild bootstrap weights must be 'rademacher' or 'webb', got {kind!r}")
    if kind == "rademacher" and 2 ** n_clusters <= n_boot:
        return np.array(list(product([1.0, -1.0], repeat=n_clusters))), True
    rng = np.random.default_rng(seed)
    if kind == "rademacher":
        return rng.choice([-1.0, 1.0], size=(n_boot, n_clusters)), False
    return rng.choice(_WEBB, size=(n_boot, n_clusters)), False


def wild_cluster_bootstrap(fit, X, y, weights, codes, L, *, labels: Sequence[str],
                           n_boot: int = 9999, kind: str = "rademacher", impose_null: bool = True,
                           seed: int | None = None, draws: np.ndarray | None = None) -> WildBootstrap:
    """Wild cluster bootstrap-t for each row of ``L`` (see the module docstring).

    ``fit`` is the :class:`analysis.stats.models.OLSFit` of ``X, y`` (weights, clusters
    ``codes`` 0..G-1) with a CR1 or CR2 covariance; ``draws`` (B, G) overrides the
    random cluster weights (for tests).
    """
    import pandas as pd

    if fit.cluster is None:
        raise InputError("the wild cluster bootstrap needs a cluster column (--cluster)")
    if draws is None:
        if n_boot < 99:
            raise InputError(f"--wild-bootstrap needs at least 99 replicates (got {n_boot})")
        draws, enumerated = wild_draws(fit.cluster.n_clusters, n_boot, kind, seed)
    else:
        enumerated = False
    L = np.atleast_2d(np.asarray(L, dtype=float))
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    M = np.linalg.inv((X * w[:, None]).T @ X)
    proj = M @ (X * w[:, None]).T                      # b = proj @ y
    V = draws[:, codes].T                              # (n, B): v_g(i)
    rows = []
    for c in L:
        rows.append(_one(fit, X, y, proj, V, codes, c, impose_null, M))
    frame = pd.DataFrame(rows)
    frame.insert(0, "label", list(labels))
    if not impose_null:
        q = frame.pop("_q")
        est, se = frame["estimate"].to_numpy(), frame["std_error"].to_numpy()
        lo_q = np.array([np.quantile(v, 1 - fit.alpha / 2) for v in q])
        hi_q = np.array([np.quantile(v, fit.alpha / 2) for v in q])
        frame["wild_conf_low"], frame["wild_conf_high"] = est - lo_q * se, est - hi_q * se
    else:
        frame = frame.drop(columns="_q")
    return WildBootstrap(labels=tuple(labels), frame=frame, n_boot=int(draws.shape[0]),
                         weights=kind, null_imposed=impose_null, enumerated=enumerated, seed=seed)


def _one(fit, X, y, proj, V, codes, c, impose_null, M) -> dict:
    b = fit.params
    est = float(c @ b)
    se = float(np.sqrt(c @ fit.vcov @ c))
    if impose_null:
        b0 = b - M @ c * (est / float(c @ M @ c))
    else:
        b0 = b
    e0 = y - X @ b0
    ystar = (X @ b0)[:, None] + V * e0[:, None]        # (n, B)
    bstar = proj @ ystar                               # (k, B)
    estar = ystar - X @ bstar
    a = fit.cluster.score_map @ c                      # (n,)
    G = fit.cluster.n_clusters
    sums = np.zeros((G, estar.shape[1]))
    np.add.at(sums, codes, a[:, None] * estar)
    se_star = np.sqrt((sums ** 2).sum(0))
    t = est / se
    tstar = (c @ bstar - (0.0 if impose_null else est)) / se_star
    return {"estimate": est, "std_error": se, "statistic": t,
            "wild_p_value": float(np.mean(np.abs(tstar) >= abs(t) - 1e-12 * abs(t))),
            "_q": tstar}
