"""Batched least squares: thousands of small OLS fits at once, in bounded memory.

Bootstrap resamples of one dataset and simulated datasets of a power study share
a shape ``(n, k)``.  Fitting them one by one in a Python loop costs a few hundred
microseconds per fit; here every statistic of a whole chunk of fits is computed
with stacked numpy operations (no Python loop per fit):

.. math::

    b = (X'X)^{-1} X'y, \\qquad e = y - Xb, \\qquad
    h_i = x_i' (X'X)^{-1} x_i, \\qquad
    V_{\\mathrm{OLS}} = \\frac{e'e}{n-k} (X'X)^{-1}, \\qquad
    V_{\\mathrm{HC}} = (X'X)^{-1} \\Big(\\sum_i \\omega_i x_i x_i'\\Big) (X'X)^{-1}

with the per-observation weights :math:`\\omega_i` of
:func:`analysis.stats.models.hc_weights` (HC0-HC4: White 1980; MacKinnon & White 1985;
Cribari-Neto 2004).  Inference uses ``t(n - k)``, as :func:`analysis.stats.models.fit_ols`.

Bootstrap resamples are never gathered into a ``(B, n, k)`` array: a resample
is a vector of counts ``c`` (how often each case was drawn), and
:math:`X^{*\\prime} X^{*} = X' \\operatorname{diag}(c) X`, computed for a whole
chunk of resamples as one matrix product of the ``(B, n)`` count matrix with the
``(n, k^2)`` table of per-case outer products :math:`x_i x_i'`.  A case drawn
``c_i`` times contributes ``c_i`` identical residuals and leverages, so every
statistic above is a count-weighted sum (identical to refitting the gathered
resample; tested).

Rank deficiency (a resample without carriers of a term, a constant or collinear
column) is detected per fit from the pivots of a Cholesky factorisation of the
column-scaled cross-product matrix: pivot ``d_j`` is ``1 - R^2`` of column ``j``
on the columns before it (the squared ``|R_jj| / ||x_j||`` of a QR).  Fits with
``d_j <= 1e-10`` are flagged in ``rank_deficient`` and get NaN statistics.  The
threshold is looser than the QR check of :func:`~analysis.stats.models.fit_ols`
because cross-products square the condition number; a design that close to
collinearity has lost more than five significant digits anyway.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .._errors import InputError
from .models import hc_weights, normalise_se_type

__all__ = ["BatchFit", "batch_ols", "bootstrap_ols", "resample_indices",
           "resample_counts", "iter_resample_batches", "chunk_size_for"]

_LEVERAGE_ONE = 1.0 - 1e-10
_CACHE_BYTES = 16 * 2 ** 20


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True, slots=True, kw_only=True)
class BatchFit:
    """Results of ``B`` least-squares fits that share the shape ``(n, k)``.

    Attributes
    ----------
    params : ndarray, shape (B, k)
        Coefficients; NaN rows for rank-deficient fits.
    std_errors : dict of str -> ndarray (B, k)
        Standard errors per covariance type (``ols``, ``HC0``..``HC4``).
        HC2-HC4 are NaN for a fit with an observation of leverage 1.
    vcov : dict of str -> ndarray (B, k, k) or None
        Per-fit covariance matrices, kept only when asked for (``keep_vcov``).
    nobs, df_resid : int
        Observations per fit and residual degrees of freedom ``n - k``.
    rss : ndarray, shape (B,)
        Residual sums of squares.
    rank_deficient : ndarray of bool, shape (B,)
        Fits whose design is (numerically) rank deficient.
    combination : tuple or None
        ``(L, estimates (B, m), {se: std_errors (B, m)})`` when ``L`` was given to the fit.
    """

    params: np.ndarray = field(repr=False)
    std_errors: dict = field(repr=False)
    nobs: int
    df_resid: int
    rss: np.ndarray = field(repr=False)
    rank_deficient: np.ndarray = field(repr=False)
    vcov: dict | None = field(default=None, repr=False)
    combination: tuple | None = field(default=None, repr=False)
    _refit: Callable | None = field(default=None, repr=False, compare=False)

    @property
    def n_fits(self) -> int:
        return int(self.params.shape[0])

    def statistic(self, se: str = "ols", column: int | None = None) -> np.ndarray:
        """t statistics ``b / se(b)``: shape (B, k), or (B,) for one ``column``."""
        cols = slice(None) if column is None else column
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params[:, cols] / self.std_errors[normalise_se_type(se)][:, cols]

    def p_value(self, se: str = "ols", column: int | None = None) -> np.ndarray:
        """Two-sided p values from ``t(df_resid)``: shape (B, k), or (B,) for one ``column``."""
        return 2.0 * stats.t.sf(np.abs(self.statistic(se, column)), self.df_resid)

    def conf_int(self, se: str = "ols", alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """``1 - alpha`` t intervals ``b -/+ t* se(b)``: (low, high), each (B, k)."""
        half = stats.t.ppf(1.0 - alpha / 2.0, self.df_resid) * self.std_errors[normalise_se_type(se)]
        return self.params - half, self.params + half

    def linear_combination(self, L, se: str = "ols") -> tuple[np.ndarray, np.ndarray]:
        """Estimates and standard errors of ``L @ b`` for every fit.

        ``var(L b) = L V L'`` with the per-fit covariance ``V`` of type ``se``.
        Uses the combination computed during the fit if ``L`` matches, else the
        kept ``vcov``, else refits chunk by chunk (no ``(B, k, k)`` array stored).

        Returns
        -------
        estimate, std_error : ndarray, shape (B, m)
        """
        se = normalise_se_type(se)
        L = _as_l(L, self.params.shape[1])
        cached = self.combination
        if cached is not None and cached[0].shape == L.shape and np.array_equal(cached[0], L) \
                and se in cached[2]:
            return cached[1], cached[2][se]
        if self.vcov is not None and se in self.vcov:
            return self.params @ L.T, _combo_se(self.vcov[se], L)
        if self._refit is None:
            raise ValueError("this BatchFit cannot recompute covariances; fit with L= or keep_vcov=True")
        return self._refit(L, se)

    def to_frame(self, se: str = "ols"):
        """Long table ``fit, term_index, estimate, std_error, statistic, df, p_value``."""
        import pandas as pd

        se = normalise_se_type(se)
        B, k = self.params.shape
        return pd.DataFrame({
            "fit": np.repeat(np.arange(B), k), "term_index": np.tile(np.arange(k), B),
            "estimate": self.params.ravel(), "std_error": self.std_errors[se].ravel(),
            "statistic": self.statistic(se).ravel(), "df": float(self.df_resid),
            "p_value": self.p_value(se).ravel(),
        })

    def to_dict(self) -> dict:
        """Small JSON-safe summary (counts only; arrays stay in the object)."""
        return {"n_fits": self.n_fits, "nobs": self.nobs, "df_resid": self.df_resid,
                "n_rank_deficient": int(self.rank_deficient.sum()),
                "se_types": sorted(self.std_errors)}


# ----------------------------------------------------------------------------- resampling
def resample_indices(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Case-resampling indices, shape ``(n_boot, n)``: ``rng.integers(0, n, (n_boot, n))``.

    This is the draw :func:`scipy.stats.bootstrap` makes, and successive calls
    continue the same stream, so drawing in chunks gives the same indices as
    one draw.

    Examples
    --------
    >>> import numpy as np
    >>> resample_indices(3, 2, np.random.default_rng(0)).shape
    (2, 3)
    """
    return rng.integers(0, n, size=(int(n_boot), int(n)))


def resample_counts(idx: np.ndarray) -> np.ndarray:
    """How often each case occurs in each resample: ``(B, n)`` float counts.

    Examples
    --------
    >>> resample_counts(np.array([[0, 0, 2]])).tolist()
    [[2.0, 0.0, 1.0]]
    """
    B, n = idx.shape
    flat = (idx + (np.arange(B) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=B * n).reshape(B, n).astype(float)


def chunk_size_for(n: int, k: int, n_fits: int, max_memory_mb: float, *, gathered: bool) -> int:
    """Fits per chunk: a cache-sized working set, never above ``max_memory_mb``.

    A gathered chunk holds about ``3k + 8`` float arrays of length ``n`` per fit
    (design, ``X (X'X)^-1``, products, response, residuals, leverage, weights);
    a count-weighted chunk about 10 (counts, indices, residuals, leverage,
    weights and temporaries).  Chunks of about 16 MB keep those arrays in the
    processor cache between passes, which measured 2-8x faster than one big
    chunk; the memory budget caps the size whatever ``n``.

    Examples
    --------
    >>> chunk_size_for(200, 5, 5000, 256, gathered=False)
    953
    """
    per_fit = 8.0 * n * ((3 * k + 8) if gathered else 10) + 64.0 * k * k
    by_budget = (max_memory_mb * 2 ** 20) // per_fit
    by_cache = max(16.0, _CACHE_BYTES // per_fit)
    return int(max(1, min(n_fits, by_budget, by_cache)))


def iter_resample_batches(X: np.ndarray, y: np.ndarray, n_boot: int, rng: np.random.Generator,
                          chunk_size: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(idx, X[idx], y[idx])`` for ``chunk_size`` resamples at a time.

    Only one chunk of gathered designs ``(chunk, n, k)`` exists at once.
    """
    n = X.shape[0]
    for start in range(0, n_boot, chunk_size):
        idx = resample_indices(n, min(chunk_size, n_boot - start), rng)
        yield idx, X[idx], y[idx]


# ----------------------------------------------------------------------------- public fits
def batch_ols(X, y, *, se: Sequence[str] | str = ("ols",), L=None, keep_vcov: bool = False,
              chunk_size: int | None = None, max_memory_mb: float = 256) -> BatchFit:
    """Fit ``B`` least-squares models of the same shape at once.

    Parameters
    ----------
    X : ndarray, shape (B, n, k) or (n, k)
        Designs; a 2-D ``X`` is one design shared by every response in ``y``.
    y : ndarray, shape (B, n)
    se : str or sequence of str
        Covariance types to compute: any of ``ols``, ``HC0``..``HC4``.
    L : ndarray, shape (m, k), optional
        Linear combinations ``L @ b`` to estimate (with SEs) during the pass.
    keep_vcov : bool
        Keep the ``(B, k, k)`` covariance matrices.
    chunk_size : int, optional
        Fits per chunk; by default derived from ``max_memory_mb``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = np.stack([np.column_stack([np.ones(20), rng.normal(size=20)]) for _ in range(3)])
    >>> fit = batch_ols(X, X[:, :, 1] * 2.0 + 1.0, se=("ols", "HC3"))
    >>> np.round(fit.params, 6).tolist()
    [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]
    """
    X, y = _check_xy(X, y)
    B, n = y.shape
    k = X.shape[-1]
    se_types = _se_tuple(se)
    L = None if L is None else _as_l(L, k)
    size = chunk_size or chunk_size_for(n, k, B, max_memory_mb, gathered=True)

    def chunks(types, full):
        return (_fit_stacked(Xc, yc, types, full) for Xc, yc in _raw_chunks(X, y, size))

    def refit(L2, se2):
        return _collect_combos(chunks((se2,), True), _as_l(L2, k), se2, n - k)

    full = keep_vcov or L is not None
    return _assemble(chunks(se_types, full), n, k, se_types, L, keep_vcov, refit)


def bootstrap_ols(X, y, n_boot: int, *, rng: np.random.Generator, se: Sequence[str] | str = (),
                  L=None, keep_vcov: bool = False, chunk_size: int | None = None,
                  max_memory_mb: float = 256) -> BatchFit:
    """Fit every case-resample (pairs bootstrap) of one dataset without gathering it.

    Resample ``b`` uses the indices of :func:`resample_indices` drawn from
    ``rng`` (in chunks; the stream is the same as one draw), turned into case
    counts ``c``; then :math:`X^{*\\prime}X^{*} = X'\\operatorname{diag}(c)X` and
    :math:`X^{*\\prime}y^{*} = X'\\operatorname{diag}(c)y`.

    Parameters
    ----------
    X : ndarray, shape (n, k)
    y : ndarray, shape (n,)
    n_boot : int
    rng : numpy.random.Generator
    se, L, keep_vcov, chunk_size, max_memory_mb
        As for :func:`batch_ols`.  ``se=()`` (default) computes coefficients only.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(30), np.arange(30.0)])
    >>> fit = bootstrap_ols(X, 3.0 + 0.5 * X[:, 1], 4, rng=np.random.default_rng(0))
    >>> np.round(fit.params, 6).tolist()
    [[3.0, 0.5], [3.0, 0.5], [3.0, 0.5], [3.0, 0.5]]
    """
    X, y = _check_xy(X, np.asarray(y, dtype=float)[None, :])
    y = y[0]
    if X.ndim != 2:
        raise InputError("bootstrap_ols needs one design X of shape (n, k)")
    n, k = X.shape
    se_types = _se_tuple(se)
    L = None if L is None else _as_l(L, k)
    size = chunk_size or chunk_size_for(n, k, n_boot, max_memory_mb, gathered=False)
    state = rng.bit_generator.state
    tables = _case_tables(X, y)

    def chunks(gen, types):
        for start in range(0, n_boot, size):
            counts = resample_counts(resample_indices(n, min(size, n_boot - start), gen))
            yield _fit_counts(X, y, counts, tables, types)

    def refit(L2, se2):
        gen = np.random.Generator(type(rng.bit_generator)())
        gen.bit_generator.state = state
        return _collect_combos(chunks(gen, (se2,)), _as_l(L2, k), se2, n - k)

    return _assemble(chunks(rng, se_types), n, k, se_types, L, keep_vcov, refit)


# ----------------------------------------------------------------------------- kernels
def _fit_stacked(X: np.ndarray, y: np.ndarray, se_types: tuple[str, ...], full: bool) -> dict:
    """One chunk of gathered designs ``X (c, n, k)``, ``y (c, n)``.

    With ``full`` the HC meats ``X' diag(w) X`` are kept (for covariances);
    otherwise only the sandwich diagonals ``sum_i w_i q_ij^2`` with
    ``q_i = (X'X)^-1 x_i``, which need half the memory traffic.
    """
    c, n, k = X.shape
    Xt = np.swapaxes(X, 1, 2)
    inv, bad = _safe_inverse(Xt @ X)
    b = (inv @ (Xt @ y[:, :, None]))[:, :, 0]
    resid = (X @ b[:, :, None])[:, :, 0]
    np.subtract(y, resid, out=resid)                  # in place: fewer large temporaries
    out = {"b": b, "inv": inv, "bad": bad, "rss": np.einsum("cn,cn->c", resid, resid),
           "meats": {}, "diag": {}}
    hc = [s for s in se_types if s != "ols"]
    if hc:
        Q = X @ inv                                   # rows (X'X)^-1 x_i
        lev = np.einsum("cnk,cnk->cn", Q, X)
        Q2 = None if full else np.multiply(Q, Q, out=Q)
        for s in hc:
            omega = hc_weights(resid, lev, n, k, s)
            if full:
                out["meats"][s] = (Xt * omega[:, None, :]) @ X
            else:
                out["diag"][s] = (omega[:, None, :] @ Q2)[:, 0, :]
            (out["meats"] if full else out["diag"])[s][_lev_one(lev, s)] = np.nan
    return out


def _case_tables(X: np.ndarray, y: np.ndarray) -> dict:
    n, k = X.shape
    return {"Z": (X[:, :, None] * X[:, None, :]).reshape(n, k * k), "Xy": X * y[:, None]}


def _fit_counts(X, y, counts, tables, se_types) -> dict:
    """One chunk of resamples given as case counts ``(c, n)`` of a shared ``X (n, k)``."""
    c, n = counts.shape
    k = X.shape[1]
    Z = tables["Z"]
    inv, bad = _safe_inverse((counts @ Z).reshape(c, k, k))
    b = np.einsum("cij,cj->ci", inv, counts @ tables["Xy"])
    resid = y[None, :] - b @ X.T
    rss = np.einsum("cn,cn->c", counts * resid, resid)
    meats = {}
    hc = [s for s in se_types if s != "ols"]
    if hc:
        lev = (Z @ inv.reshape(c, k * k).T).T         # x_i' (X*'X*)^-1 x_i, shape (c, n)
        drawn = counts > 0
        for s in hc:
            omega = np.where(drawn, hc_weights(resid, lev, n, k, s), 0.0)
            meats[s] = ((counts * omega) @ Z).reshape(c, k, k)
            meats[s][_lev_one(np.where(drawn, lev, 0.0), s)] = np.nan
    return {"b": b, "inv": inv, "bad": bad, "rss": rss, "meats": meats, "diag": {}}


def _lev_one(lev: np.ndarray, se: str) -> np.ndarray:
    """Fits where HC2-HC4 are undefined (an observation with leverage 1)."""
    if se in {"HC2", "HC3", "HC4"}:
        return (lev > _LEVERAGE_ONE).any(axis=1)
    return np.zeros(lev.shape[0], dtype=bool)


def _safe_inverse(xtx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched ``(X'X)^{-1}`` with a per-fit rank check; deficient fits get NaN.

    The column-scaled matrix ``C = S^{-1} X'X S^{-1}`` (``S = diag(sqrt(x_j'x_j))``, unit
    diagonal) is factored ``C = L L'`` by a left-looking Cholesky, whose pivots
    ``L_jj^2`` are ``1 - R^2`` of column ``j`` on the columns before it, the quantity of
    the rank check (fits with a pivot ``<= 1e-10`` are rank deficient; such a pivot is
    replaced by 1 so that the factor stays finite); then
    ``(X'X)^{-1} = S^{-1} L^{-T} L^{-1} S^{-1}`` with ``L^{-1}`` by forward substitution
    (Golub & Van Loan 2013, sections 4.2 and 3.1).  A zero or non-finite diagonal, or
    a non-finite entry, makes the fit deficient.  Each matrix of the batch is computed
    on its own, in a compiled loop (:func:`analysis.stats.jit.nested_inverses`), so the
    bits do not depend on the batch.
    """
    k = xtx.shape[1]
    return _nested_inverses(xtx, (k,))[k]


def _nested_inverses(xtx: np.ndarray, sizes) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """:func:`_safe_inverse` of every leading block ``xtx[:, :p, :p]``, ``p`` in ``sizes``,
    from one factorisation of the whole, bit for bit as separate calls would give.

    Column ``j`` of ``L``, ``L^{-1}`` and the pivots use only the columns ``<= j``, so the
    leading ``p x p`` blocks of ``L`` and ``L^{-1}`` are those of the block's own
    factorisation, and ``(L^{-T} L^{-1})_ab = sum_{j >= max(a, b)} M_ja M_jb`` summed in
    ascending ``j`` up to ``p - 1`` is the block's inverse: it is read off the running
    sum after step ``p - 1``.  Matrices unusable as a whole (a zero or non-finite entry
    beyond the block) are factored again on the block alone.  Returns
    ``{p: (inverse (c, p, p), bad (c,))}``.
    """
    from .jit import nested_inverses

    return nested_inverses(xtx, sizes)


# ----------------------------------------------------------------------------- assembly
def _vcov(chunk: dict, se: str, df: int) -> np.ndarray:
    if se == "ols":
        return chunk["inv"] * (chunk["rss"] / df)[:, None, None]
    inv = chunk["inv"]
    return inv @ chunk["meats"][se] @ inv


def _combo_se(vcov: np.ndarray, L: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("mk,ckl,ml->cm", L, vcov, L))


# The kernels run inside these two drivers (the chunk generators are consumed
# here): deficient fits and leverage-1 cases become NaN on purpose.
@np.errstate(divide="ignore", invalid="ignore")
def _assemble(chunks, n, k, se_types, L, keep_vcov, refit) -> BatchFit:
    df = n - k
    parts: dict[str, list] = {"b": [], "rss": [], "bad": []}
    ses = {s: [] for s in se_types}
    vcovs = {s: [] for s in se_types}
    combos = {s: [] for s in se_types}
    for chunk in chunks:
        for key in parts:
            parts[key].append(chunk[key])
        for s in se_types:
            if s in chunk["diag"]:
                ses[s].append(np.sqrt(chunk["diag"][s]))
                continue
            v = _vcov(chunk, s, df)
            ses[s].append(np.sqrt(np.diagonal(v, axis1=1, axis2=2)))
            if keep_vcov:
                vcovs[s].append(v)
            if L is not None:
                combos[s].append(_combo_se(v, L))
    bad = np.concatenate(parts["bad"])
    params = np.concatenate(parts["b"])
    rss = np.concatenate(parts["rss"])
    params[bad] = np.nan
    rss[bad] = np.nan
    combination = None
    if L is not None:
        combination = (L, params @ L.T, {s: np.concatenate(combos[s]) for s in se_types})
    return BatchFit(params=params, std_errors={s: np.concatenate(v) for s, v in ses.items()},
                    nobs=n, df_resid=df, rss=rss, rank_deficient=bad,
                    vcov={s: np.concatenate(v) for s, v in vcovs.items()} if keep_vcov else None,
                    combination=combination, _refit=refit)


@np.errstate(divide="ignore", invalid="ignore")
def _collect_combos(chunks, L, se, df) -> tuple[np.ndarray, np.ndarray]:
    est, sev = [], []
    for chunk in chunks:
        b = chunk["b"].copy()
        b[chunk["bad"]] = np.nan
        est.append(b @ L.T)
        sev.append(_combo_se(_vcov(chunk, se, df), L))
    return np.concatenate(est), np.concatenate(sev)


def _raw_chunks(X, y, size):
    B, n = y.shape
    k = X.shape[-1]
    for start in range(0, B, size):
        stop = min(B, start + size)
        yield (X[start:stop] if X.ndim == 3 else np.broadcast_to(X, (stop - start, n, k)),
               y[start:stop])


# ----------------------------------------------------------------------------- checks
def _se_tuple(se) -> tuple[str, ...]:
    if isinstance(se, str):
        se = (se,)
    return tuple(dict.fromkeys(normalise_se_type(s) for s in se))


def _as_l(L, k: int) -> np.ndarray:
    L = np.atleast_2d(np.asarray(L, dtype=float))
    if L.ndim != 2 or L.shape[1] != k:
        raise InputError(f"linear combinations need {k} weights per row; got shape {L.shape}")
    return L


def _check_xy(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[None, :]
    if X.ndim not in (2, 3) or y.ndim != 2:
        raise InputError(f"batch_ols needs X of shape (B, n, k) or (n, k) and y of shape (B, n); "
                         f"got {X.shape} and {y.shape}")
    n, k = X.shape[-2:]
    if y.shape[1] != n or (X.ndim == 3 and X.shape[0] != y.shape[0]):
        raise InputError(f"X {X.shape} and y {y.shape} do not match")
    if n < k + 2:
        raise InputError(f"{n} rows is too few for a model with {k} parameters (need at least {k + 2})")
    # a sum is non-finite if any term is (or on overflow): then look element by element
    if not (np.isfinite(np.sum(X)) and np.isfinite(np.sum(y))) and \
            not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise InputError("X and y must be finite (drop missing rows before fitting)")
    return X, y
