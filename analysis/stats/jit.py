"""Compiled loops (numba) where numpy would spend its time on call overhead or on
repeated passes over ``(draws, cases)`` arrays: the batched rank-checked inverses of
:mod:`analysis.stats.fastols` (:func:`nested_inverses`) and the multiverse's OLS and HC
sums over the cases (:func:`hc_sums`).

Imported only by the kernels that use it, not on the CLI's start-up path (numba's
first compilation takes about 5 s, once; the compiled code is cached beside this file,
as Python caches its bytecode, and loading it takes about a second per process).
Every function here is tested against a numpy reference in ``tests/test_jit.py``.
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["hc_sums", "nested_inverses"]

# fastols's thresholds, written here because numba freezes a module's globals into its
# cache, keyed on this file alone (tests/test_jit.py checks that the values agree)
_LEV_ONE = 1.0 - 1e-10


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _hc0(u: float, h: float, nk: float) -> float:
    return u * u


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _hc2(u: float, h: float, nk: float) -> float:
    return u * u / (1.0 - h)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _hc3(u: float, h: float, nk: float) -> float:
    z = u / (1.0 - h)
    return z * z


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _hc4(u: float, h: float, nk: float) -> float:
    return u * u * (1.0 - h) ** -min(4.0, nk * h)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _hc_sums(W, u, lev, E, weight, uses_lev, n_eff, k, rss, var, lev_one):
    """:func:`hc_sums` with the HC weight ``weight(u, h, n / k)`` inlined."""
    m, R, N = E.shape
    g = np.empty(N)
    for r in range(R):
        high = 0                       # drawn cases of leverage 1 (a count: it vectorises)
        if uses_lev:
            for i in range(N):
                high += (lev[r, i] > _LEV_ONE) & (W[r, i] > 0.0)
        lev_one[r] = high > 0
        nk = n_eff[r] / k
        for i in range(N):             # c_i u_i^2 f(h_i), shared by the outcomes
            g[i] = W[r, i] * weight(u[r, i], lev[r, i], nk)
        for j in range(m):
            s1 = 0.0
            s2 = 0.0
            for i in range(N):
                e2 = E[j, r, i] * E[j, r, i]
                s1 += W[r, i] * e2
                s2 += g[i] * e2
            if not np.isfinite(s2):    # an undrawn case of leverage 1 weighs nothing
                s2 = 0.0
                for i in range(N):
                    if W[r, i] > 0.0:
                        s2 += g[i] * (E[j, r, i] * E[j, r, i])
            rss[j, r] = s1
            var[j, r] = s2


def hc_sums(W, u, lev, E, kind: str, n_eff, k: float, rss, var, lev_one) -> None:
    """The residual sum of squares and the HC sandwich of one coefficient for every
    outcome and weight row, in one pass over the cases.

    With ``c = W[r]`` (case counts of draw ``r``, 0 for the cases it leaves out),
    ``e = E[j, r]`` (residuals of outcome ``j``), ``u = U[r]`` (``u_i = q_j' x_i``,
    ``q_j`` row ``j`` of ``(X'CX)^-1``) and ``h = lev[r]`` (leverages): fills
    ``rss[j, r] = sum_i c_i e_i^2`` and ``var[j, r] = sum_i c_i u_i^2 f(h_i) e_i^2``,
    HC0/HC1 ``f = 1``, HC2 ``1/(1-h)``, HC3 ``1/(1-h)^2``, HC4 ``(1-h)^-min(4, n h/k)``
    (MacKinnon & White 1985; Cribari-Neto 2004), summed in case order (HC1's factor
    ``n/(n-k)`` is left to the caller).  ``lev_one[r]``: a drawn case has leverage
    above ``1 - 1e-10`` (HC2-HC4 undefined; ``lev`` is read only for those).  A row
    whose sum is not finite is summed again over its drawn cases alone.

    Examples
    --------
    >>> W = np.array([[1.0, 2.0, 0.0]]); E = np.array([[[1.0, -1.0, 5.0]]])
    >>> U = np.array([[0.5, 0.5, 0.5]]); H = np.array([[0.5, 0.5, 1.0]])
    >>> rss, var, one = np.empty((1, 1)), np.empty((1, 1)), np.empty(1, bool)
    >>> hc_sums(W, U, H, E, "HC3", W.sum(1), 2.0, rss, var, one)
    >>> float(rss[0, 0]), float(var[0, 0]), bool(one[0])
    (3.0, 3.0, False)
    """
    _SUMS[kind](W, u, lev, E, n_eff, float(k), rss, var, lev_one)


# one compiled loop per HC type, its weight inlined (a function passed as an argument
# would be called through a pointer, and could not be cached)
@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sums_hc0(W, u, lev, E, n_eff, k, rss, var, lev_one):
    _hc_sums(W, u, lev, E, _hc0, False, n_eff, k, rss, var, lev_one)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sums_hc2(W, u, lev, E, n_eff, k, rss, var, lev_one):
    _hc_sums(W, u, lev, E, _hc2, True, n_eff, k, rss, var, lev_one)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sums_hc3(W, u, lev, E, n_eff, k, rss, var, lev_one):
    _hc_sums(W, u, lev, E, _hc3, True, n_eff, k, rss, var, lev_one)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _sums_hc4(W, u, lev, E, n_eff, k, rss, var, lev_one):
    _hc_sums(W, u, lev, E, _hc4, True, n_eff, k, rss, var, lev_one)


_SUMS = {"HC0": _sums_hc0, "HC1": _sums_hc0, "HC2": _sums_hc2, "HC3": _sums_hc3,
         "HC4": _sums_hc4}


# ----------------------------------------------------------------------------- inverses
_PIVOT_TOL = 1e-10


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _scale(A, n, s, C, zero):
    """``C = S^-1 A S^-1`` of the leading ``n x n`` block (``S = diag(sqrt(a_jj))``, 1 where
    ``a_jj`` is not positive or not finite: ``zero``); returns the first ``p`` at which
    the block ``C[:p, :p]`` holds a non-finite entry (``n + 1`` if none)."""
    for a in range(n):
        d = A[a, a]
        zero[a] = not (d > 0.0) or not np.isfinite(d)
        s[a] = np.sqrt(1.0 if zero[a] else d)
    first_bad = n + 1
    for a in range(n):
        for b in range(n):
            C[a, b] = A[a, b] / (s[a] * s[b])
            if not np.isfinite(C[a, b]):
                first_bad = min(first_bad, max(a, b) + 1)
    return first_bad


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _cholesky_inverse(C, n, L, M, piv):
    """Left-looking Cholesky ``C = L L'`` (a pivot ``<= 1e-10`` replaced by 1, so that the
    factor stays finite), then ``M = L^-1`` by forward substitution, in the order of
    operations of the numpy implementation this replaced (``tests/test_jit.py``), the
    terms that numpy adds as exact zeros (the upper triangle of ``M``) left out."""
    for j in range(n):
        for r in range(j, n):
            v = C[r, j]
            for p in range(j):
                v -= L[r, p] * L[j, p]
            L[r, j] = v
        piv[j] = L[j, j]
        root = np.sqrt(piv[j] if piv[j] > _PIVOT_TOL else 1.0)
        for r in range(j, n):
            L[r, j] /= root
    for i in range(n):
        d = 1.0 / L[i, i]
        for col in range(i):
            v = 0.0
            for j in range(col, i):
                v -= L[i, j] * M[j, col]
            M[i, col] = v * d
        M[i, i] = d
        for col in range(i + 1, n):
            M[i, col] = 0.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _block_bad(zero, first_bad, piv, p):
    """The rank flag of the leading ``p x p`` block: a zero or non-finite diagonal, a
    non-finite entry, or its smallest pivot ``<= 1e-10`` (NaN pivots propagate, as
    ``numpy.min`` does)."""
    low = piv[0]
    for j in range(p):
        if zero[j]:
            return True
        if np.isnan(piv[j]) or np.isnan(low):
            low = np.nan
        elif piv[j] < low:
            low = piv[j]
    return first_bad <= p or low <= _PIVOT_TOL


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _one_matrix(A, n, offs, flat, bad, c, s, C, L, M, piv, zero, acc):
    """The inverses of the wanted leading blocks ``p`` of ``A[:n, :n]`` (``offs[p - 1] >= 0``),
    written row-major to ``flat[c, offs[p - 1]:][:p * p]`` with the flag ``bad[c, p - 1]``;
    a matrix unusable as a whole (a zero or non-finite entry) has each block inverted
    on its own (:func:`_one_block`)."""
    first_bad = _scale(A, n, s, C, zero)
    whole_bad = first_bad <= n
    for a in range(n):
        whole_bad |= zero[a]
    if whole_bad:
        for p in range(1, n + 1):
            if offs[p - 1] >= 0:
                _one_block(A, p, offs, flat, bad, c, s, C, L, M, piv, zero, acc)
        return
    _cholesky_inverse(C, n, L, M, piv)
    for a in range(n):
        for b in range(n):
            acc[a, b] = 0.0
    for j in range(n):
        for a in range(j + 1):
            for b in range(j + 1):
                acc[a, b] += M[j, a] * M[j, b]
        p = j + 1
        if offs[j] >= 0:
            flag = _block_bad(zero, first_bad, piv, p)
            bad[c, p - 1] = flag
            for a in range(p):
                for b in range(p):
                    flat[c, offs[p - 1] + a * p + b] = (np.nan if flag else
                                                        acc[a, b] / (s[a] * s[b]))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _one_block(A, p, offs, flat, bad, c, s, C, L, M, piv, zero, acc):
    """Block ``p`` of a matrix unusable as a whole, on its own (NaN when the block itself
    has a zero or non-finite entry)."""
    first_bad = _scale(A, p, s, C, zero)
    flag = first_bad <= p
    for a in range(p):
        flag |= zero[a]
    if not flag:
        _cholesky_inverse(C, p, L, M, piv)
        for a in range(p):
            for b in range(p):
                v = 0.0
                for j in range(max(a, b), p):
                    v += M[j, a] * M[j, b]
                acc[a, b] = v
        flag = _block_bad(zero, first_bad, piv, p)
    bad[c, p - 1] = flag
    for a in range(p):
        for b in range(p):
            flat[c, offs[p - 1] + a * p + b] = np.nan if flag else acc[a, b] / (s[a] * s[b])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _nested(xtx, offs, flat, bad):
    n = xtx.shape[1]
    s, zero, piv = np.empty(n), np.empty(n, dtype=np.bool_), np.empty(n)
    C, L, M, acc = np.empty((n, n)), np.empty((n, n)), np.empty((n, n)), np.empty((n, n))
    for c in range(xtx.shape[0]):
        _one_matrix(xtx[c], n, offs, flat, bad, c, s, C, L, M, piv, zero, acc)


def nested_inverses(xtx: np.ndarray, sizes) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """``(X'X)^-1`` of every leading block ``xtx[:, :p, :p]``, ``p`` in ``sizes``, with a rank
    check, one matrix of the batch at a time (see
    :func:`analysis.stats.fastols._nested_inverses`, which documents the method; this is
    its compiled loop, the same operations in the same order).  Returns
    ``{p: (inverse (c, p, p), rank deficient (c,))}``, NaN for deficient fits.

    Examples
    --------
    >>> inv, bad = nested_inverses(np.array([[[4.0, 2.0], [2.0, 2.0]]]), (2,))[2]
    >>> inv[0].tolist(), bool(bad[0])
    ([[0.5, -0.5], [-0.5, 1.0]], False)
    """
    xtx = np.ascontiguousarray(xtx, dtype=float)
    c, n, _ = xtx.shape
    sizes = sorted(set(sizes))
    offs = np.full(n, -1, dtype=np.int64)
    total = 0
    for p in sizes:
        offs[p - 1] = total
        total += p * p
    flat = np.empty((c, total))
    bad = np.zeros((c, n), dtype=np.bool_)
    if c:
        _nested(xtx, offs, flat, bad)
    return {p: (flat[:, offs[p - 1]:offs[p - 1] + p * p].reshape(c, p, p),
                bad[:, p - 1].copy()) for p in sizes}
