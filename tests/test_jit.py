"""The compiled loops of :mod:`analysis.stats.jit` against numpy.

``nested_inverses`` must give the bits of the numpy implementation it replaced (kept
here, verbatim apart from its name, as the reference): the same operations in the same
order, on well-conditioned, rank-deficient, zero, NaN, infinite, negative and overflowing
matrices.  ``hc_sums`` against the textbook sums in numpy, 1e-13 relative (it sums in
case order, numpy's dot in blocks: they differ by rounding only).
"""
from __future__ import annotations

import numpy as np
import pytest

from analysis.stats.jit import hc_sums, nested_inverses

_PIVOT_TOL = 1e-10


# ----------------------------------------------------------------------------- reference
def numpy_nested_inverses(xtx: np.ndarray, sizes) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The numpy implementation the compiled loop replaced (kept as its reference): the
    inverse of every leading block ``xtx[:, :p, :p]``, ``p`` in ``sizes``,
    from one factorisation of the whole, bit for bit as separate calls would give.

    Every step works on each entry of the batch apart and column ``j`` of ``L``, ``L^{-1}``
    and the pivots use only the columns ``<= j``, so the leading ``p x p`` blocks of
    ``L`` and ``L^{-1}`` are those of the block's own factorisation, and
    ``(L^{-T} L^{-1})_ab = sum_{j >= max(a, b)} M_ja M_jb`` summed in ascending ``j`` up to
    ``p - 1`` is the block's inverse: it is read off the running sum after step ``p - 1``.
    Fits whose whole matrix is unusable (a zero or non-finite entry beyond the block)
    are factored again on the block alone.  Returns ``{p: (inverse (c, p, p), bad (c,))}``.
    """
    c, k, _ = xtx.shape
    d = np.diagonal(xtx, axis1=1, axis2=2)
    zero = ~(d > 0) | ~np.isfinite(d)
    s = np.sqrt(np.where(zero, 1.0, d)).T                       # (k, c)
    ss = s[:, None, :] * s[None, :, :]
    scaled = np.divide(xtx.transpose(1, 2, 0), ss, out=np.empty((k, k, c)))
    finite = np.isfinite(scaled)
    whole_bad = zero.any(axis=1) | ~finite.all(axis=(0, 1))
    if whole_bad.any():
        scaled[:, :, whole_bad] = np.eye(k)[:, :, None]
    L, piv = _cholesky(scaled)
    M = _lower_inverse(L)
    acc = np.zeros_like(M)                                      # (L^-1)' L^-1
    out = {}
    for j in range(k):
        acc[:j + 1, :j + 1] += M[j, :j + 1, None, :] * M[j, None, :j + 1, :]
        if j + 1 in sizes:
            out[j + 1] = _block_result(acc, ss, zero, finite, piv, whole_bad, j + 1)
    for p in out:                        # fits unusable as a whole: their own block alone
        again = whole_bad & ~out[p][1]
        if p < k and again.any():
            inv, bad = numpy_nested_inverses(xtx[again][:, :p, :p], (p,))[p]
            out[p][0][again], out[p][1][again] = inv, bad
    return out


def _block_result(acc, ss, zero, finite, piv, whole_bad, p):
    """The inverse and rank flags of the leading ``p x p`` block (see _nested_inverses);
    for ``p < k`` the fits in ``whole_bad`` that the block's own flags keep are redone."""
    c = acc.shape[2]
    bad = (zero[:, :p].any(axis=1) | ~finite[:p, :p].all(axis=(0, 1))
           | (piv[:p].min(axis=0) <= _PIVOT_TOL))
    if p == acc.shape[0]:
        bad |= whole_bad
    inv = np.empty((c, p, p))
    np.divide(acc[:p, :p], ss[:p, :p], out=inv.transpose(1, 2, 0))
    inv[bad] = np.nan
    return inv, bad


def _cholesky(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky ``A = L L'`` of a batch ``A (k, k, c)`` (unit diagonal), column by column
    (left-looking); returns ``L (k, k, c)`` and the pivots ``(k, c)``.  A pivot
    ``<= 1e-10`` (rank deficient) is replaced by 1 so that the factor stays finite."""
    k, _, c = A.shape
    L = np.zeros_like(A)
    piv = np.empty((k, c))
    for j in range(k):
        v = A[j:, j, :].copy()
        for p in range(j):          # elementwise over the batch: the same bits whatever c
            v -= L[j:, p, :] * L[j, p, :]
        piv[j] = v[0]
        v /= np.sqrt(np.where(v[0] > _PIVOT_TOL, v[0], 1.0))
        L[j:, j, :] = v
    return L, piv


def _lower_inverse(L: np.ndarray) -> np.ndarray:
    """``L^{-1}`` of a batch of lower-triangular ``L (k, k, c)``, row by row
    (forward substitution: ``M_ii = 1 / L_ii``, ``M_il = -M_ii sum_{l<=j<i} L_ij M_jl``)."""
    k, _, c = L.shape
    M = np.zeros_like(L)
    for i in range(k):
        d = 1.0 / L[i, i]
        row = M[i, :i, :]
        for j in range(i):
            row -= L[i, j, :] * M[j, :i, :]
        row *= d
        M[i, i, :] = d
    return M


# ----------------------------------------------------------------------------- tests
def _hostile_grams(rng, k: int, c: int = 300) -> np.ndarray:
    X = rng.standard_normal((60, k))
    X[:, 0] = 1.0
    C = rng.poisson(1.0, (c, 60)).astype(float)
    xtx = (C @ (X[:, :, None] * X[:, None, :]).reshape(60, k * k)).reshape(c, k, k)
    xtx[3, -1, :] = xtx[3, :, -1] = 0.0          # a zero column beyond every block
    xtx[4, 0, 0] = 0.0                            # a zero diagonal inside
    xtx[5, -1, -1] = np.nan                       # unusable beyond the block
    xtx[7, 0, -1] = np.inf
    xtx[8] = np.nan
    xtx[10] = -xtx[10]                            # negative diagonal
    xtx[11] *= 1e300                              # overflows when scaled back
    if k > 2:                                     # exact and scaled copies of column 1
        xtx[6, :, 2], xtx[6, 2, :] = xtx[6, :, 1], xtx[6, 1, :]
        xtx[9, :, 2], xtx[9, 2, :] = 3 * xtx[9, :, 1], 3 * xtx[9, 1, :]
        xtx[9, 2, 2] = 9 * xtx[9, 1, 1]
    return xtx


@pytest.mark.parametrize("k", [1, 2, 3, 4, 6, 10, 12])
def test_nested_inverses_equal_the_numpy_reference_bit_for_bit(k):
    rng = np.random.default_rng(k)
    xtx = _hostile_grams(rng, k)
    sizes = tuple(range(1, k + 1))
    with np.errstate(all="ignore"):
        want = numpy_nested_inverses(xtx, sizes)
    got = nested_inverses(xtx, sizes)
    for p in sizes:
        assert np.array_equal(got[p][0], want[p][0], equal_nan=True), p
        assert np.array_equal(got[p][1], want[p][1]), p
    assert got[k][1][[3, 5, 7, 8]].all() and not got[k][1][[0, 1, 2]].any()


def test_nested_inverses_of_some_sizes_and_an_empty_batch():
    rng = np.random.default_rng(3)
    xtx = _hostile_grams(rng, 8, c=40)
    got = nested_inverses(xtx, (3, 8, 5))
    assert sorted(got) == [3, 5, 8]
    with np.errstate(all="ignore"):
        want = numpy_nested_inverses(xtx, (3, 5, 8))
    for p in (3, 5, 8):
        assert np.array_equal(got[p][0], want[p][0], equal_nan=True)
    ok = ~got[8][1]
    eye = np.broadcast_to(np.eye(8), (ok.sum(), 8, 8))
    np.testing.assert_allclose(got[8][0][ok] @ xtx[ok], eye, atol=1e-9)
    empty = nested_inverses(np.zeros((0, 4, 4)), (4,))[4]
    assert empty[0].shape == (0, 4, 4) and empty[1].shape == (0,)


def _numpy_hc(W, u, lev, E, kind, n_eff, k):
    """The sums of hc_sums written out: sum_i c e^2 and sum_i c u^2 f(h) e^2 over the drawn
    cases, and whether a drawn case has leverage above 1 - 1e-10."""
    drawn = W > 0
    f = {"HC0": np.ones_like(lev), "HC1": np.ones_like(lev), "HC2": 1 / (1 - lev),
         "HC3": 1 / (1 - lev) ** 2,
         "HC4": (1 - lev) ** -np.minimum(4.0, n_eff[:, None] * lev / k)}[kind]
    g = np.where(drawn, W * u ** 2 * f, 0.0)
    rss = np.einsum("rn,mrn->mr", W, E ** 2)
    var = np.einsum("rn,mrn->mr", g, E ** 2)
    return rss, var, (drawn & (lev > 1 - 1e-10)).any(axis=1)


@pytest.mark.parametrize("kind", ["HC0", "HC1", "HC2", "HC3", "HC4"])
def test_hc_sums_equal_the_sums_written_out(kind):
    rng = np.random.default_rng(11)
    m, R, N, k = 2, 60, 37, 4.0
    W = rng.poisson(1.0, (R, N)).astype(float)
    W[0] = 1.0
    u, E = rng.standard_normal((R, N)), rng.standard_normal((m, R, N))
    lev = rng.uniform(0.0, 0.6, (R, N))
    undrawn = np.argmax(W[5] == 0)
    lev[5, undrawn] = 1.0                          # leverage 1 on an undrawn case: no weight
    drawn = np.argmax(W[6] > 0)
    lev[6, drawn] = 1.0                            # ... on a drawn one: HC2-HC4 undefined
    n_eff = W.sum(axis=1)
    rss, var, one = np.empty((m, R)), np.empty((m, R)), np.empty(R, dtype=bool)
    with np.errstate(all="ignore"):
        hc_sums(W, u, lev, E, kind, n_eff, k, rss, var, one)
        want = _numpy_hc(W, u, lev, E, kind, n_eff, k)
    np.testing.assert_allclose(rss, want[0], rtol=1e-13)
    finite = np.isfinite(want[1])
    np.testing.assert_allclose(var[finite], want[1][finite], rtol=1e-13)
    if kind in ("HC2", "HC3", "HC4"):
        assert np.array_equal(one, want[2]) and one[6] and not one[5]
        assert np.isfinite(var[:, 5]).all()
    else:
        assert not one.any() and np.isfinite(var).all()


def test_thresholds_agree_with_fastols():
    from analysis.stats import fastols, jit

    assert jit._LEV_ONE == fastols._LEVERAGE_ONE
    assert jit._PIVOT_TOL == _PIVOT_TOL
