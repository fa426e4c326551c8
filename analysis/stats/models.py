"""Ordinary least squares with classical and HC0-HC4 covariance matrices.

This is the one regression routine of the package: the moderation probe, the
Study 1 and Study 2 model families and the reference tests all go through
:func:`fit_ols`.  Designs are numpy arrays with named columns, built from
column names as data; no formula string is ever parsed.

Inference uses the t distribution with the residual degrees of freedom for
every covariance type, HC types included, as PROCESS and R's
``lmtest::coeftest(vcov = sandwich::vcovHC)`` do.

References
----------
MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent
covariance matrix estimators with improved finite sample properties.
Journal of Econometrics, 29(3), 305-325. (HC1-HC3)

Cribari-Neto, F. (2004). Asymptotic inference under heteroskedasticity of
unknown form. Computational Statistics & Data Analysis, 45(2), 215-233. (HC4)

Demmel, J., Grigori, L., Hoemmen, M., & Langou, J. (2012). Communication-optimal
parallel and sequential QR and LU factorizations. SIAM Journal on Scientific
Computing, 34(1), A206-A239. (TSQR, the QR of designs with >= ``TALL_QR_ROWS`` rows)

Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent
standard errors in the linear regression model. The American Statistician,
54(3), 217-224.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats

from .._errors import InputError

__all__ = ["SE_TYPES", "OLSFit", "design_matrix", "fit_ols", "hc_weights", "inference_frame"]

SE_TYPES = ("ols", "HC0", "HC1", "HC2", "HC3", "HC4", "CR1", "CR2")
_RANK_TOL = 1e-9
#: Designs with at least this many rows are factored by blocked TSQR (:func:`_tsqr`);
#: smaller ones, every sample of the reference report and of the R/statsmodels reference
#: tests among them, keep LAPACK's Householder QR bit for bit.  Whole fit at 20,000 x 8:
#: 5 ms Householder, 1.3 ms TSQR (too little to matter); at 1,000,000 x 8: 520 ms, 50 ms.
TALL_QR_ROWS = 20_000


def design_matrix(columns) -> np.ndarray:
    """The ``n x k`` design from its columns: 1-D arrays of length ``n`` or 2-D blocks of
    columns, as for ``np.column_stack``.

    Exactly ``np.column_stack`` below :data:`TALL_QR_ROWS` rows (its memory layout too, on
    which BLAS's summation order depends), so every small design and its arithmetic stay
    as they were; column-major from there on, where each column is written in one
    contiguous pass (``np.column_stack`` of 1-D columns writes row-major, every column
    with a stride of ``k`` values: four times slower at 1,000,000 x 8).

    >>> design_matrix([np.ones(3), np.arange(3.0)]).tolist()
    [[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]
    """
    blocks = [np.asarray(c, dtype=float) for c in columns]
    if not blocks or blocks[0].shape[0] < TALL_QR_ROWS:
        return np.column_stack(blocks)
    cols = [col for b in blocks for col in (b.T if b.ndim == 2 else [b])]
    X = np.empty((blocks[0].shape[0], len(cols)), order="F")
    for j, col in enumerate(cols):
        X[:, j] = col
    return X


def normalise_se_type(se: str) -> str:
    """Accept ``ols``/``OLS``/``nonrobust`` and ``hc3``/``HC3``; return canonical spelling."""
    key = str(se).strip()
    if key.lower() in {"ols", "nonrobust", "classical", "none"}:
        return "ols"
    if key.upper() in SE_TYPES:
        return key.upper()
    raise InputError(f"unknown standard-error type {se!r}; choose one of {', '.join(SE_TYPES)}")


def hc_weights(resid: np.ndarray, leverage: np.ndarray, n: int, k: int, se: str) -> np.ndarray:
    r"""Per-observation weights :math:`\omega_i` of the sandwich :math:`(X'X)^{-1} X' \Omega X (X'X)^{-1}`.

    .. math::

        \text{HC0: } e_i^2 \qquad \text{HC1: } \tfrac{n}{n-k} e_i^2 \qquad
        \text{HC2: } \tfrac{e_i^2}{1-h_i} \qquad \text{HC3: } \tfrac{e_i^2}{(1-h_i)^2}
        \qquad \text{HC4: } \tfrac{e_i^2}{(1-h_i)^{\delta_i}},\;
        \delta_i = \min(4, n h_i / k)

    Examples
    --------
    >>> import numpy as np
    >>> hc_weights(np.array([1.0, -2.0]), np.array([0.5, 0.5]), n=2, k=1, se="HC3").tolist()
    [4.0, 16.0]
    """
    e2 = resid ** 2
    if se == "HC0":
        return e2
    if se == "HC1":
        return e2 * n / (n - k)
    one_minus_h = 1.0 - leverage
    if se == "HC2":
        return e2 / one_minus_h
    if se == "HC3":
        return e2 / one_minus_h ** 2
    if se == "HC4":
        delta = np.minimum(4.0, n * leverage / k)
        return e2 / one_minus_h ** delta
    raise ValueError(f"not an HC type: {se}")


@dataclass(frozen=True, slots=True, kw_only=True)
class OLSFit:
    """A fitted linear model: coefficients, covariance and fit statistics.

    Attributes
    ----------
    terms : tuple of str
        Column names of the design, in order (``Intercept`` first when present).
    params : ndarray, shape (k,)
        Least-squares coefficients.
    vcov : ndarray, shape (k, k)
        Covariance of ``params`` under ``se_type``.
    se_type : str
        ``ols`` or ``HC0``..``HC4``.
    nobs, df_resid : int
        Number of observations and residual degrees of freedom ``n - k``.
    rss, tss : float
        Residual and (centred) total sum of squares.
    alpha : float
        Level used for confidence intervals (``1 - alpha`` coverage).
    weighted : bool
        Weighted least squares (``rss``/``tss`` are then weighted sums).
    n_effective : float or None
        Kish's effective sample size ``(sum w)^2 / sum w^2`` of a weighted fit.
    cluster : ClusterCovariance or None
        For CR1/CR2: the number of clusters and the degrees-of-freedom machinery
        (:mod:`analysis.stats.covariance`).
    """

    terms: tuple[str, ...]
    params: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    se_type: str
    nobs: int
    df_resid: int
    rss: float
    tss: float
    alpha: float = 0.05
    weighted: bool = False
    n_effective: float | None = None
    cluster: object = field(default=None, repr=False)

    def df_for(self, L) -> np.ndarray:
        """Degrees of freedom of each linear combination ``L b`` (rows of ``L``):
        ``df_resid`` for OLS/HC, ``G - 1`` for CR1, Satterthwaite for CR2."""
        L = np.atleast_2d(np.asarray(L, dtype=float))
        if self.cluster is None:
            return np.full(L.shape[0], float(self.df_resid))
        return self.cluster.df(L)

    def wald(self, L) -> tuple[float, float, float, float]:
        """F test of ``L b = 0`` under this fit's covariance: ``(F, df_num, df_den, p)``.

        OLS/HC: ``F = b'L'(L V L')^{-1} L b / q`` on ``(q, df_resid)``; CR1 on
        ``(q, G - 1)``; CR2 the HTZ test (:meth:`analysis.stats.covariance.ClusterCovariance.wald`).
        """
        L = np.atleast_2d(np.asarray(L, dtype=float))
        if self.cluster is not None:
            return self.cluster.wald(L, self.params)
        est = L @ self.params
        q = L.shape[0]
        F = float(est @ np.linalg.solve(L @ self.vcov @ L.T, est)) / q
        return F, float(q), float(self.df_resid), float(stats.f.sf(F, q, self.df_resid))

    @property
    def r2(self) -> float:
        return 1.0 - self.rss / self.tss

    @property
    def r2_adj(self) -> float:
        return 1.0 - (1.0 - self.r2) * (self.nobs - 1) / self.df_resid

    @property
    def sigma(self) -> float:
        """Residual standard error, sqrt(RSS / df)."""
        return float(np.sqrt(self.rss / self.df_resid))

    def index(self, term: str) -> int:
        try:
            return self.terms.index(term)
        except ValueError:
            raise KeyError(f"term {term!r} not in model terms {list(self.terms)}") from None

    def permuted(self, order, terms) -> OLSFit:
        """The same fit with its columns in ``order`` (new column ``i`` = old ``order[i]``)
        under the names ``terms``.  Least squares is equivariant under a permutation of the
        design's columns: ``b`` and ``V`` are permuted, RSS, TSS and df are unchanged, nothing
        is refitted.  Not for CR1/CR2 fits (their cluster summaries live in the design's basis).
        """
        if self.cluster is not None:
            raise ValueError("a cluster-robust fit cannot be permuted; refit it")
        order = np.asarray(order, dtype=int)
        if sorted(order.tolist()) != list(range(len(self.terms))) or len(terms) != order.size:
            raise ValueError(f"{order.tolist()} is not a permutation of the {len(self.terms)} terms")
        return replace(self, terms=tuple(terms), params=self.params[order],
                       vcov=self.vcov[np.ix_(order, order)])

    def to_frame(self):
        """Coefficient table: ``term, estimate, std_error, statistic, df, p_value, conf_low, conf_high``."""
        se = np.sqrt(np.diag(self.vcov))
        frame = inference_frame(self.params, se, self.df_for(np.eye(len(self.terms))), self.alpha)
        frame.insert(0, "term", list(self.terms))
        return frame


def inference_frame(estimate, std_error, df, alpha: float):
    """t-based inference table from estimates and standard errors (``df`` scalar or per row).

    Returns a DataFrame with ``estimate, std_error, statistic, df, p_value,
    conf_low, conf_high``: ``statistic = estimate / std_error``, two-sided p
    from ``t(df)`` and the ``1 - alpha`` interval ``estimate +/- t* std_error``.
    """
    import pandas as pd

    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    df = np.broadcast_to(np.asarray(df, dtype=float), est.shape)
    tcrit = stats.t.ppf(1.0 - alpha / 2.0, df)
    return pd.DataFrame({
        "estimate": est,
        "std_error": se,
        "statistic": t,
        "df": np.array(df),
        "p_value": 2.0 * stats.t.sf(np.abs(t), df),
        "conf_low": est - tcrit * se,
        "conf_high": est + tcrit * se,
    })


def fit_ols(X: np.ndarray, y: np.ndarray, terms: tuple[str, ...] | list[str], *,
            se: str = "ols", alpha: float = 0.05, weights: np.ndarray | None = None,
            cluster: np.ndarray | None = None) -> OLSFit:
    """Fit ``y = X b + e`` by (weighted) least squares (QR) with the chosen covariance.

    The QR is LAPACK's Householder below :data:`TALL_QR_ROWS` rows and blocked TSQR of
    ``[X y]`` from there on (:func:`_tsqr`: equally backward stable, ``Q`` never formed,
    about ten times faster at a million rows).

    Parameters
    ----------
    X : ndarray, shape (n, k)
        Design matrix, intercept column included by the caller.
    y : ndarray, shape (n,)
    terms : sequence of str
        Names of the columns of ``X``.
    se : {"ols", "HC0", "HC1", "HC2", "HC3", "HC4", "CR1", "CR2"}
        CR1/CR2 need ``cluster`` (:mod:`analysis.stats.covariance`).
    alpha : float
        For confidence intervals.
    weights : ndarray (n,), optional
        Positive regression weights: WLS, ``b = (X'WX)^{-1} X'Wy`` (R ``lm(weights=)``);
        HC types equal ``sandwich::vcovHC`` on the weighted fit.
    cluster : ndarray of int (n,), optional
        Cluster codes 0..G-1 (:func:`analysis.stats.covariance.cluster_codes`).

    Raises
    ------
    InputError
        If ``n < k + 2``, ``X`` is rank deficient (names the collinear term),
        or an HC2-HC4 covariance meets an observation with leverage 1.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), [0., 1., 2., 3.]])
    >>> fit = fit_ols(X, np.array([1., 3., 5., 7.1]), ["Intercept", "x"])
    >>> np.round(fit.params, 3).tolist()
    [0.98, 2.03]
    """
    se = normalise_se_type(se)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    terms = tuple(terms)
    if n < k + 2:
        raise InputError(f"{n} complete rows is too few for a model with {k} parameters "
                         f"(need at least {k + 2})")
    if (se in {"CR1", "CR2"}) != (cluster is not None):
        raise InputError(f"standard-error type {se} "
                         + ("needs a cluster column" if cluster is None
                            else "ignores clusters: choose CR1 or CR2 with a cluster column"))
    sw = None if weights is None else np.sqrt(np.asarray(weights, dtype=float))
    Xs, ys = (X, y) if sw is None else (X * sw[:, None], y * sw)
    qr = _checked_qr(Xs, ys, terms)
    params = np.linalg.solve(qr.r, qr.qty)
    resid_s = ys - Xs @ params
    r_inv = np.linalg.solve(qr.r, np.eye(k))
    xtx_inv = r_inv @ r_inv.T
    rss = float(resid_s @ resid_s)
    resid = resid_s if sw is None else y - X @ params
    vcov, clus = _covariance(se, X, Xs, qr, resid, resid_s, weights, cluster, xtx_inv, rss)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    ybar = float(w @ y / w.sum())
    return OLSFit(terms=terms, params=params, vcov=vcov, se_type=se, nobs=n,
                  df_resid=n - k, rss=rss, tss=float(w @ (y - ybar) ** 2), alpha=alpha,
                  weighted=weights is not None, cluster=clus,
                  n_effective=None if weights is None else float(w.sum() ** 2 / (w @ w)))


@dataclass(frozen=True, slots=True)
class _ThinQR:
    """``X = Q R`` and ``Q'y``.  Householder keeps its explicit ``Q``; TSQR never forms
    ``Q`` (``n x k``) and gets leverages from ``X`` and ``R`` block by block."""

    r: np.ndarray
    qty: np.ndarray
    q: np.ndarray | None = None
    x: np.ndarray | None = None

    def leverage(self) -> np.ndarray:
        """Diagonal of the hat matrix, ``h_i = ||q_i||^2`` with ``q_i = x_i R^{-1}``
        (a triangular solve per block of rows: row-wise backward stable)."""
        if self.q is not None:
            return np.einsum("ij,ij->i", self.q, self.q)
        from scipy.linalg import solve_triangular

        out = np.empty(self.x.shape[0])
        for rows in _row_blocks(*self.x.shape):
            q = solve_triangular(self.r, self.x[rows].T, trans="T", check_finite=False)
            out[rows] = np.einsum("ij,ij->j", q, q)
        return out


def _checked_qr(X: np.ndarray, y: np.ndarray, terms: tuple[str, ...]) -> _ThinQR:
    """QR of the design and ``Q'y``; a constant or collinear column is an :class:`InputError`.

    Designs with at least :data:`TALL_QR_ROWS` rows are factored by blocked TSQR
    (:func:`_tsqr`), smaller ones by LAPACK's Householder QR (``numpy.linalg.qr``).
    """
    if X.shape[0] >= TALL_QR_ROWS:
        qr = _tsqr(X, y)
        norms = np.linalg.norm(qr.r, axis=0)        # ||x_j|| = ||R e_j|| since Q'Q = I
    else:
        q, r = np.linalg.qr(X)
        qr, norms = _ThinQR(r=r, qty=q.T @ y, q=q), np.linalg.norm(X, axis=0)
    # |R_jj| is the length of column j orthogonal to the columns before it.
    diag = np.abs(np.diag(qr.r))
    bad = np.flatnonzero((norms == 0) | (diag <= _RANK_TOL * norms) | ~np.isfinite(diag))
    if bad.size:
        j = int(bad[0])
        before = ", ".join(terms[:j]) or "nothing"
        raise InputError(f"the model is not estimable: term {terms[j]!r} is constant or perfectly "
                         f"collinear with {before}", hint="drop or recode that variable")
    return qr


def _tsqr(X: np.ndarray, y: np.ndarray) -> _ThinQR:
    """``R`` and ``Q'y`` of a tall design from the R factor of ``[X y]`` (:func:`tall_r`):
    ``R_aug = [[R, Q'y], [0, +-||y - Xb||]]`` (Golub & Van Loan 2013, section 5.3.3), so
    ``Q`` (``n x k``) is never formed."""
    k = X.shape[1]
    r_aug = tall_r(X, y)
    return _ThinQR(r=r_aug[:k, :k], qty=r_aug[:k, k], x=X)


def tall_r(X: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """The upper-triangular R factor of a tall ``[X y]`` (or ``X``) by TSQR, one block of
    rows at a time.

    Sequential (flat-tree) TSQR: ``R = qr([R_prev; block])`` over blocks of rows sized for
    the cache, each a LAPACK Householder QR (``dgeqrf``) of a ``(p + b) x p`` matrix
    (Demmel, Grigori, Hoemmen & Langou 2012, SIAM J. Sci. Comput. 34(1), A206-A239,
    doi:10.1137/080731992: backward stable like Householder QR of the whole matrix, for
    any condition number; R equal to it up to the signs of its rows).  One read of ``X``,
    no ``n``-sized array written.  Used by :func:`fit_ols` from :data:`TALL_QR_ROWS` rows
    and by the susceptibility models (:mod:`analysis.study.susceptibility`).
    """
    from scipy.linalg.lapack import dgeqrf

    n, k = X.shape
    p = k + (y is not None)
    r_aug = None
    for rows in _row_blocks(n, p):
        top = 0 if r_aug is None else p
        block = np.empty((top + rows.stop - rows.start, p), order="F")
        if top:
            block[:top] = r_aug
        block[top:, :k] = X[rows]
        if y is not None:
            block[top:, k] = y[rows]
        qr, _, _, info = dgeqrf(block, overwrite_a=True)
        if info != 0:                                    # pragma: no cover (LAPACK argument error)
            raise RuntimeError(f"LAPACK dgeqrf failed (info={info})")
        r_aug = np.triu(qr[:p])
    return r_aug


#: Bytes per block of rows in :func:`tall_r` and the leverages: 8,192 values, so that every
#: LAPACK / BLAS call on a block stays below OpenBLAS's multithreading threshold (gemv:
#: ``m n < 9,216``).  Above it each of the thousands of small calls wakes a second thread,
#: which costs more than the work whenever the other core is busy (1,000,000 x 8 with two
#: busy cores: 35 ms at 910 rows per block, 0.13-1.6 s at 3,640 rows).
_BLOCK_BYTES = 1 << 16


def _row_blocks(n: int, k: int):
    """Slices of consecutive rows, each about :data:`_BLOCK_BYTES` of an ``n x k`` array."""
    step = max(256, _BLOCK_BYTES // (8 * k))
    return (slice(start, min(start + step, n)) for start in range(0, n, step))


def _covariance(se, X, Xs, qr, resid, resid_s, weights, cluster, xtx_inv, rss):
    """Covariance of the coefficients: classical, HC0-HC4 (on the sqrt(w)-scaled
    design, = sandwich::vcovHC of a weighted lm), or CR1/CR2 (analysis.stats.covariance)."""
    n, k = X.shape
    if se == "ols":
        return xtx_inv * (rss / (n - k)), None
    if se in {"CR1", "CR2"}:
        from .covariance import cluster_covariance
        clus = cluster_covariance(X, resid, weights, np.asarray(cluster), xtx_inv, se)
        return clus.vcov, clus
    leverage = qr.leverage() if se in {"HC2", "HC3", "HC4"} else None
    if leverage is not None and np.any(leverage > 1 - 1e-10):
        raise InputError(f"{se} standard errors are undefined: an observation has leverage 1 "
                         "(it alone determines a coefficient)", hint="use --se HC0 or HC1")
    omega = hc_weights(resid_s, leverage, n, k, se)
    meat = (Xs * omega[:, None]).T @ Xs
    return xtx_inv @ meat @ xtx_inv, None
