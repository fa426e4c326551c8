"""Cluster-robust covariance (CR1, CR2) and small-sample degrees of freedom.

The estimators beside :func:`analysis.stats.models.fit_ols`; ``fit_ols(..., se="CR1"|"CR2",
cluster=codes, weights=w)`` calls :func:`cluster_covariance`.  Notation: ``X`` the
design (n x k), ``w`` the regression weights (ones for OLS), ``e = y - X b`` the
residuals, ``M = (X'WX)^{-1}``, clusters ``j = 1..G`` with blocks ``X_j, W_j, e_j``.

CR1 (Liang & Zeger 1986 with the usual finite-sample factor; equal to R
``sandwich::vcovCL(fit, cluster, type = "HC1")``):

.. math::

    V_{CR1} = \\frac{G}{G-1}\\frac{n-1}{n-k}\\, M \\Big(\\sum_j X_j'W_j e_j e_j' W_j X_j\\Big) M

CR2 (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018, working model ``Phi = I``;
equal to R ``clubSandwich::vcovCR(fit, cluster, type = "CR2")``, weighted fits
included):

.. math::

    V_{CR2} = M \\Big(\\sum_j X_j'W_j A_j e_j e_j' A_j W_j X_j\\Big) M, \\quad
    A_j = B_j^{-1/2}, \\quad B_j = I - H_{jj} - H_{jj}' + X_j M (X'W^2X) M X_j',

with ``H_jj = X_j M X_j' W_j`` (for OLS ``B_j = I - H_jj``).

Degrees of freedom (the convention of this package, documented in the README):

* CR1: ``t(G - 1)`` for every coefficient and linear combination and ``F(q, G - 1)``
  for Wald tests (Cameron & Miller 2015, Stata's convention; R's ``coeftest`` would
  use ``n - k``, which over-rejects with few clusters).
* CR2: the Satterthwaite degrees of freedom of each linear combination ``c'b``,
  ``nu = (tr P)^2 / ||P||_F^2`` with ``P_ij = p_i'p_j``, ``p_j = (I-H)_j' W_j A_j X_j M c``
  (Bell & McCaffrey 2002; ``clubSandwich::coef_test(test = "Satterthwaite")``), and
  the HTZ Wald test for ``q > 1`` constraints (Pustejovsky & Tipton 2018;
  ``clubSandwich::Wald_test(test = "HTZ")``).

The Satterthwaite quantities are computed from k x k per-cluster summaries, never from
n x n matrices: ``P = diag(d) + C'KC`` with ``C = [X_j'u_j; X_j'W_j u_j]_j``,
``u_j = A_j W_j X_j M c`` and ``K = [[M S M, -M], [-M, 0]]``, ``S = X'W^2X``, so one
degree of freedom costs O(G k^2).

References
----------
Bell, R. M., & McCaffrey, D. F. (2002). Bias reduction in standard errors for linear
regression with multi-stage samples. Survey Methodology, 28(2), 169-181.

Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust
variance estimation and hypothesis testing in fixed effects models. Journal of
Business & Economic Statistics, 36(4), 672-683. doi:10.1080/07350015.2016.1247004

Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust
inference. Journal of Human Resources, 50(2), 317-372.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .._errors import InputError

__all__ = ["CLUSTER_TYPES", "ClusterCovariance", "cluster_covariance", "cluster_codes"]

CLUSTER_TYPES = ("CR1", "CR2")
_CHUNK = 2_000_000          # floats per block when many contrasts are evaluated at once


def cluster_codes(values) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 for the cluster labels (any hashable values) and G.

    >>> cluster_codes(["b", "a", "b"])[0].tolist(), cluster_codes(["b", "a", "b"])[1]
    ([1, 0, 1], 2)
    """
    _, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return codes.astype(int), int(codes.max()) + 1 if codes.size else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterCovariance:
    """A cluster-robust covariance and what inference needs besides it.

    ``df(L)`` gives the degrees of freedom of each row of ``L`` (``G - 1`` for CR1,
    Satterthwaite for CR2); ``wald(L, b)`` the F test of ``L b = 0``.
    """

    se_type: str
    n_clusters: int
    vcov: np.ndarray = field(repr=False)
    _M: np.ndarray = field(repr=False, default=None)
    _K: np.ndarray = field(repr=False, default=None)
    _D: np.ndarray = field(repr=False, default=None)      # (G, k, k): T_j'T_j
    _C: np.ndarray = field(repr=False, default=None)      # (G, 2k, k): [X_j'T_j; X_j'W_j T_j]
    score_map: np.ndarray = field(repr=False, default=None)
    """(n, k), rows in data order: ``L V L' = sum_j (sum_{i in j} (score_map L')_i e_i)^2``
    (``sqrt(c) W_j X_j M`` for CR1, ``A_j W_j X_j M`` for CR2): the covariance is a
    quadratic form in the residuals, which the wild cluster bootstrap reuses."""

    def df(self, L: np.ndarray) -> np.ndarray:
        """Degrees of freedom of each linear combination (rows of ``L``)."""
        L = np.atleast_2d(np.asarray(L, dtype=float))
        if self.se_type == "CR1":
            return np.full(L.shape[0], float(self.n_clusters - 1))
        step = max(1, _CHUNK // max(1, self._C.shape[0] * self._C.shape[1]))
        out = [self._satterthwaite(L[i:i + step]) for i in range(0, L.shape[0], step)]
        return np.concatenate(out) if out else np.zeros(0)

    def _parts(self, L: np.ndarray):
        d = np.einsum("mk,gkm->mg", L, self._D @ L.T)
        C = np.einsum("gak,mk->mag", self._C, L)
        return d, C

    def _satterthwaite(self, L: np.ndarray) -> np.ndarray:
        d, C = self._parts(L)
        KC = np.einsum("ab,mbg->mag", self._K, C)
        diag_ckc = np.einsum("mag,mag->mg", C, KC)
        trace = d.sum(1) + diag_ckc.sum(1)
        N = np.einsum("mag,mbg->mab", C, C)
        KN = np.einsum("ab,mbc->mac", self._K, N)
        frob = (d ** 2).sum(1) + 2 * (d * diag_ckc).sum(1) + np.einsum("mab,mba->m", KN, KN)
        with np.errstate(divide="ignore", invalid="ignore"):
            return trace ** 2 / frob

    def _pair_parts(self, L: np.ndarray):
        """For rows l_s of L: ``E[s,t,g] = l_s' D_g l_t``, ``F[s,t,g] = (C_s'KC_t)_gg``,
        ``KN[s,t] = K C_s C_t'`` (so that P(l_s, l_t) = diag(E[s,t] + ...) + C_s'KC_t)."""
        E = np.einsum("sk,gkt->stg", L, self._D @ L.T)
        C = np.einsum("gak,sk->sag", self._C, L)
        KC = np.einsum("ab,sbg->sag", self._K, C)
        F = np.einsum("sag,tag->stg", C, KC)
        KN = np.einsum("sag,tcg->stac", KC, C)
        return E, F, KN

    def _omega(self, L: np.ndarray) -> np.ndarray:
        """Omega_st = tr P(l_s, l_t): the expected L V L' under the working model."""
        E, F, _ = self._pair_parts(L)
        return E.sum(-1) + F.sum(-1)

    def _htz_variance(self, L: np.ndarray) -> np.ndarray:
        """``Var[s, t] = sum_ij B_st,ij B_ts,ij + B_ss,ij B_tt,ij`` (clubSandwich's
        ``total_variance_mat``) for rows already standardised by Omega^{-1/2}."""
        E, F, KN = self._pair_parts(L)
        Et, Ft = E.transpose(1, 0, 2), F.transpose(1, 0, 2)
        a1 = (E * Et + E * Ft + Et * F).sum(-1) + np.einsum("stab,stba->st", KN, KN)
        dE, dF = np.einsum("ssg->sg", E), np.einsum("ssg->sg", F)
        a2 = (np.einsum("sg,tg->st", dE, dE) + np.einsum("sg,tg->st", dE, dF)
              + np.einsum("tg,sg->st", dE, dF) + np.einsum("stab,tsba->st", KN, KN))
        return a1 + a2

    def wald(self, L: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
        """F test of ``L b = 0``: ``(F, df_num, df_den, p)``.

        CR1: ``F = Q / q`` on ``(q, G - 1)``.  CR2: the HTZ test of Pustejovsky &
        Tipton (2018): ``nu = q (q + 1) / sum_st Var(Omega~_st)``, ``F = (nu - q + 1)
        / (nu q) Q`` on ``(q, nu - q + 1)``; for ``q = 1`` it is the Satterthwaite t test.
        """
        L = np.atleast_2d(np.asarray(L, dtype=float))
        q = L.shape[0]
        est = L @ b
        Q = float(est @ np.linalg.solve(L @ self.vcov @ L.T, est))
        if self.se_type == "CR1":
            df2 = float(self.n_clusters - 1)
            return Q / q, float(q), df2, float(stats.f.sf(Q / q, q, df2))
        vals, vecs = np.linalg.eigh(self._omega(L))
        Lt = (vecs / np.sqrt(vals)) @ vecs.T @ L       # Omega^{-1/2} L
        nu = q * (q + 1) / self._htz_variance(Lt).sum()
        df2 = nu - q + 1
        F = max((nu - q + 1) / nu, 0.0) * Q / q
        p = float(stats.f.sf(F, q, df2)) if df2 > 0 else float("nan")
        return F, float(q), float(df2), p


def cluster_covariance(X: np.ndarray, resid: np.ndarray, weights: np.ndarray | None,
                       codes: np.ndarray, M: np.ndarray, se: str) -> ClusterCovariance:
    """CR1 or CR2 covariance of a (weighted) least-squares fit.

    Parameters
    ----------
    X : ndarray (n, k)
        Design in the original (untransformed) scale.
    resid : ndarray (n,)
        ``y - X b`` (original scale).
    weights : ndarray (n,) or None
        Regression weights (``None``: OLS).
    codes : ndarray of int (n,)
        Cluster codes 0..G-1 (:func:`cluster_codes`).
    M : ndarray (k, k)
        ``(X'WX)^{-1}``.
    se : {"CR1", "CR2"}

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(6), np.arange(6.0)])
    >>> e = np.array([.5, -.2, .1, -.4, .3, -.3]); M = np.linalg.inv(X.T @ X)
    >>> cc = cluster_covariance(X, e, None, np.array([0, 0, 1, 1, 2, 2]), M, "CR1")
    >>> cc.n_clusters, cc.df(np.eye(2)).tolist()
    (3, [2.0, 2.0])
    """
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    G = int(codes.max()) + 1
    if G < 2:
        raise InputError("cluster-robust standard errors need at least two clusters; the "
                         "cluster column has one value in the rows analysed")
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    blocks = np.split(order, bounds)
    if se == "CR1":
        scores = np.stack([X[idx].T @ (w[idx] * resid[idx]) for idx in blocks])
        factor = G / (G - 1) * (n - 1) / (n - k)
        return ClusterCovariance(se_type="CR1", n_clusters=G,
                                 vcov=factor * M @ (scores.T @ scores) @ M,
                                 score_map=np.sqrt(factor) * (w[:, None] * X) @ M)
    return _cr2(X, resid, w, blocks, M)


def _cr2(X, resid, w, blocks, M) -> ClusterCovariance:
    k = X.shape[1]
    S = (X * (w ** 2)[:, None]).T @ X
    MSM = M @ S @ M
    scores, D, C = [], [], []
    score_map = np.zeros_like(X)
    for idx in blocks:
        Xj, wj, ej = X[idx], w[idx], resid[idx]
        XM = Xj @ M
        H = XM @ (Xj * wj[:, None]).T            # H_jj = X_j M X_j' W_j
        B = np.eye(len(idx)) - H - H.T + Xj @ MSM @ Xj.T
        A = _inv_sqrt(B)
        T = A @ (wj[:, None] * XM)               # T_j = A_j W_j X_j M
        score_map[idx] = T
        scores.append(Xj.T @ (wj * (A @ ej)))
        D.append(T.T @ T)
        C.append(np.vstack([Xj.T @ T, (Xj * wj[:, None]).T @ T]))
    scores = np.stack(scores)
    K = np.block([[MSM, -M], [-M, np.zeros((k, k))]])
    return ClusterCovariance(se_type="CR2", n_clusters=len(blocks),
                             vcov=M @ (scores.T @ scores) @ M, _M=M, _K=K,
                             _D=np.stack(D), _C=np.stack(C), score_map=score_map)


def _inv_sqrt(B: np.ndarray) -> np.ndarray:
    """Symmetric inverse square root; eigenvalues ~0 (a cluster that alone fixes a
    coefficient) get a zero, i.e. the Moore-Penrose version, as in clubSandwich."""
    vals, vecs = np.linalg.eigh((B + B.T) / 2)
    keep = vals > 1e-12 * max(1.0, float(vals.max()))
    inv = np.zeros_like(vals)
    inv[keep] = 1.0 / np.sqrt(vals[keep])
    return (vecs * inv) @ vecs.T
