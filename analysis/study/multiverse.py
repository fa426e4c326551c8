"""The multiverse of each claim: every specification's estimate, the curve, the joint test.

For every published claim (S1a-S2d) the grid of :mod:`analysis.study.specgrid` is
expanded into specifications (genotype coding x scoring x covariate set x SE
type x outlier rule x sample rule [x loci in Study 1] [x member model for the
S2c/S2d families]); each is fitted, giving the deciding estimate (Study 1: the
carrier difference; Study 2: the gene x style product term) with its SE, t, p
and CI.  Summaries: median estimate, share significant in the predicted
direction and against it, share showing equivalence (TOST, null claims) and a
variance decomposition of the estimates over the dimensions.

Joint inference (Simonsohn, Simmons & Nelson 2020, Nature Human Behaviour
4:1208-1214, doi:10.1038/s41562-020-0912-z)
------------------------------------------------------------------------
Null method: **null-imposed pairs bootstrap**, as Simonsohn et al. propose.
For each specification the deciding term's estimated effect is removed from
the outcome, ``y* = y - b_j x_j`` (for an interaction: the fitted product term
removed, main effects and covariates kept), so the deciding coefficient of
``y*`` is exactly 0; then the *same* resampled rows (one vector of case counts
per draw over the rows of the data file, drawn once per dataset) are used for
every specification, each specification keeping the rows it analyses.  Why not
a Freedman-Lane residual permutation of the reduced model: specifications
differ in their analysis samples (listwise deletion of different variables,
the sample rule, removed outliers), and only a resample given as case counts
over the whole file can be shared across different samples; the bootstrap
also keeps the heteroskedasticity the HC3 specifications guard against.

Because ``x_j`` is a column of the design, the fit of a draw to ``y*`` equals
the fit to ``y`` with ``b_j`` subtracted from the deciding coefficient and
identical residuals (so identical SEs): ``b*_j = b_dj - b_j``.  Every
specification is therefore one count-weighted batched fit of the observed
data and all draws at once (:func:`weighted_fits`: ``X'diag(c)X`` for all
draws as one product of the count matrix with the per-case outer products, as
:func:`analysis.stats.fastols.bootstrap_ols`).  The outlier rule is applied once to
the observed data (it defines the specification's sample); a draw's degrees
of freedom are its own resample size minus ``k``.

Joint statistics, each compared with its distribution over the draws, ``p =
(1 + #{draws at least as extreme}) / (1 + draws)`` (Phipson & Smyth 2010):
the median estimate, the number of significant specifications, and Stouffer's
``Z = sum_i z_i / sqrt(K)`` with ``z_i = sign(t_i) Phi^-1(1 - p_i / 2)``.  For a
positive claim all three are one-sided in the predicted direction (counting
only specifications significant in that direction), as in Simonsohn et al.;
for a null claim two-sided (``|median|``, significant in either direction,
``|Z|``), since any effect contradicts it.
"""
from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from .._errors import InputError
from .specdata import StudyVariants, apply_outlier_rule, spec_design
from .specgrid import DIMENSIONS, SpecGrid, applicable_options, enumerate_specs

__all__ = ["NULL_METHOD", "weighted_fits", "ClaimCurve", "MultiverseResult", "plan_claim",
           "run_multiverse", "influence_sentences", "draw_counts"]

NULL_METHOD = ("null-imposed pairs bootstrap (Simonsohn, Simmons & Nelson 2020): the deciding "
               "term's estimate removed from the outcome, the same resampled rows for every "
               "specification")
_STREAM = 1206                 # spawn-key prefix of the multiverse's random streams
_SPEC_COLS = ["term", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
              "conf_high", "n"]


# ----------------------------------------------------------------------------- kernel
@np.errstate(divide="ignore", invalid="ignore")
def weighted_fits(X: np.ndarray, ys: np.ndarray, W: np.ndarray, column: int,
                  se_types: Sequence[str] = ("ols",), xtx: np.ndarray | None = None) -> dict:
    """Count-weighted least squares of several outcomes on one design, for many weight rows.

    Row ``r`` of ``W`` (shape ``(R, N)``) weights the cases of fit ``r``: a 0/1 mask
    for the observed data, case counts times the mask for a bootstrap draw.  With
    ``c = W[r]``: ``b = (X'CX)^-1 X'Cy``, ``e = y - Xb``, ``n = sum c``, OLS
    ``var(b_j) = [(X'CX)^-1]_jj e'Ce / (n - k)``, and the HC sandwich
    ``var(b_j) = sum_i c_i w_i (q_j' x_i)^2`` with ``q_j`` row ``j`` of
    ``(X'CX)^-1`` and the weights ``w_i`` of :func:`analysis.stats.models.hc_weights`
    at leverage ``h_i = x_i'(X'CX)^-1 x_i`` (identical to refitting the gathered
    resample, as in :func:`analysis.stats.fastols.bootstrap_ols`).  Rank-deficient fits
    (checked as in :mod:`analysis.stats.fastols`) give NaN.

    Returns ``{"estimate": (m, R), "se": {type: (m, R)}, "df": (R,)}`` for the
    ``m`` outcomes in ``ys`` and coefficient ``column``.  ``xtx``: the ``(R, k, k)``
    cross products ``X'CX`` when already known (a sub-block of a wider design's).

    Examples
    --------
    >>> X = np.column_stack([np.ones(5), np.arange(5.0)])
    >>> out = weighted_fits(X, np.array([[1.0, 3.0, 5.0, 7.0, 9.5]]), np.ones((1, 5)), 1)
    >>> round(float(out["estimate"][0, 0]), 3), float(out["df"][0])
    (2.1, 3.0)
    """
    return _weighted_fits(X, ys, W, column, se_types, xtx, W.sum(axis=1))


@np.errstate(divide="ignore", invalid="ignore")
def _weighted_fits(X, ys, W, column, se_types, xtx, n_eff, inv=None) -> dict:
    """:func:`weighted_fits` given ``n_eff = W.sum(axis=1)`` (shared by the designs fitted
    with the same weights); ``inv``: ``(X'CX)^-1`` when already known
    (:func:`_invert_batch`).

    All outcomes at once: ``b = (X'CX)^-1 X'Cy`` per weight row and the residuals
    ``e = y - Xb`` as products; the variances as sums over the cases in one compiled
    pass per HC type (:func:`analysis.stats.jit.hc_sums`: ``rss = sum_i c_i e_i^2`` and
    ``var_HC = sum_i c_i u_i^2 f(h_i) e_i^2`` with ``u_i = q_j' x_i``, ``q_j`` row ``j``
    of ``(X'CX)^-1``, and the leverages ``h_i = x_i'(X'CX)^-1 x_i`` from the
    ``k(k+1)/2`` distinct entries of the symmetric inverse, one product).
    """
    from ..stats.fastols import _safe_inverse
    from ..stats.jit import hc_sums

    R, N = W.shape
    k = X.shape[1]
    if inv is None:
        if xtx is None:
            xtx = (W @ (X[:, :, None] * X[:, None, :]).reshape(N, k * k)).reshape(R, k, k)
        inv, _ = _safe_inverse(xtx)
    df = n_eff - k
    Y = np.atleast_2d(ys)
    m = Y.shape[0]
    xty = W @ (X[None, :, :] * Y[:, :, None])                      # (m, R, k)
    b = (inv @ xty[..., None])[..., 0]
    # residuals e = y - Xb as one product per outcome: [1, -b] @ [y, X]'
    coef = np.concatenate([np.ones((m, R, 1)), -b], axis=2)
    E = coef @ np.concatenate([Y[:, None, :], np.broadcast_to(X.T, (m, k, N))], axis=1)
    u = inv[:, column, :] @ X.T
    hc = [s for s in dict.fromkeys(se_types) if s != "ols"]
    lev = u                                    # not read by HC0/HC1
    if {"HC2", "HC3", "HC4"} & set(hc):
        iu, ju, twice = _upper(k)
        lev = (inv[:, iu, ju] * twice) @ (X[:, iu] * X[:, ju]).T
    rss, ses = np.empty((m, R)), {}
    for s in hc or ["HC0"]:                    # OLS alone: rss from HC0's pass
        var, lev_one = np.empty((m, R)), np.empty(R, dtype=bool)
        hc_sums(W, u, lev, E, s, n_eff, k, rss, var, lev_one)
        if s == "HC1":
            var *= n_eff / df
        var[:, lev_one] = np.nan
        ses[s] = np.sqrt(var)
    if "ols" in se_types:
        ses["ols"] = np.sqrt(inv[:, column, column] * rss / df)
    return {"estimate": b[:, :, column], "se": {s: ses[s] for s in se_types}, "df": df}


@functools.lru_cache(maxsize=64)
def _upper(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the upper triangle of a ``k x k`` matrix and the factor 1 (diagonal) or
    2 (off the diagonal) of each entry in a quadratic form."""
    iu, ju = np.triu_indices(k)
    return iu, ju, np.where(iu == ju, 1.0, 2.0)


def draw_counts(n: int, draws: int, seed: int, study: int) -> np.ndarray:
    """Case counts ``(draws, n)`` of the pairs bootstrap, shared by every specification of a
    dataset: stream ``SeedSequence(seed, spawn_key=(1206, study))``."""
    from ..stats.fastols import resample_counts, resample_indices

    if draws == 0:
        return np.zeros((0, n))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_STREAM, study)))
    return resample_counts(resample_indices(n, draws, rng))


# ----------------------------------------------------------------------------- planning
@dataclass(frozen=True, slots=True)
class _Group:
    """Specifications sharing one coding, scoring and sample (they differ in covariate set,
    outlier rule and SE type only); ``rows``: (spec index, covariates, outliers, se kind)."""

    study: int
    member: tuple
    spec: tuple                      # (dimension, option) pairs of the design dimensions
    rows: tuple                      # (spec index, outlier option name, se kind)

    @property
    def n_sims(self) -> int:         # for analysis.simulation.montecarlo.execute's progress bar
        return len(self.rows)


_DESIGN_DIMS = ("genotype", "scoring", "sample", "loci")


def _members(claim) -> tuple:
    if claim.study == 1:
        return ((claim.outcome, claim.gene, None),)
    return claim.members


def plan_claim(claim, variants: StudyVariants, grid: SpecGrid, notes: list,
               memo: _Memo | None = None) -> tuple[list, list]:
    """The specifications of one claim (rows of the table) and their design groups.

    Screened before any fit: a specification whose genotype coding leaves a group
    (carriers or non-carriers) smaller than ``min_group_size`` in its sample is
    dropped, and so is one whose data and model equal an earlier one's (e.g. a
    scoring rule that changes nothing on a scale without reworded items).
    ``memo`` (one per run) keeps the screening and the prepared data of a model for
    the other claims containing it and for the fits.
    """
    rows, groups, seen = [], [], set()
    dropped = {"small": 0, "duplicate": 0}
    for member in _members(claim):
        options = _usable(applicable_options(grid, study=claim.study, gene=member[1]),
                          variants, grid, claim, notes)
        by_design: dict = {}
        for spec in enumerate_specs(options, grid.exclusions):
            key = tuple((d, spec[d]) for d in _DESIGN_DIMS if d in spec)
            by_design.setdefault(key, []).append(spec)
        for key, specs in by_design.items():
            where = (claim.study, member, key)
            screen = _screen(variants, member, dict(key), specs, grid, memo, where)
            entries = []
            for spec in specs:
                cov, out = spec.get("covariates", "none"), spec.get("outliers", "none")
                se = _se_kind(grid, spec.get("se", "ols"))
                small, digest = screen[(cov, out)]
                if small or digest + se in seen:
                    dropped["small" if small else "duplicate"] += 1
                    continue
                seen.add(digest + se)
                entries.append((len(rows), cov, out, se))
                rows.append({"claim": claim.id, "outcome": member[0], "gene": member[1],
                             "style": member[2], **spec})
            if entries:
                groups.append(_Group(claim.study, member, key, tuple(entries)))
    _drop_notes(claim.id, dropped, notes)
    return rows, groups


_MEMO_BYTES = 256 * 2**20     # arrays one run keeps for reuse (beyond it: built again)


class _Memo:
    """What one run computes once and reuses (nothing here changes a number).

    ``screens``: ``(where, covariates, outliers) -> (small group, digest)`` of
    :func:`_screen`, for the claims sharing a model (S2c and S2d share four).
    ``designs``: ``(where, covariates) -> (design, its arrays)`` and ``prepared``:
    ``(where, covariates, outliers) -> (y, mask)`` of the outlier rule (None: the
    design's own), kept for the fits while their arrays stay within ``budget`` bytes
    (beyond it the fits build them again: the same numbers).  ``winsorized``: the
    winsorized outcome by its data (outcome and sample), shared by every design
    analysing them.
    """

    def __init__(self, budget: int = _MEMO_BYTES):
        self.screens: dict = {}
        self.designs: dict = {}
        self.prepared: dict = {}
        self.winsorized: dict = {}
        self.budget = budget

    def keep(self, table: dict, key, value: tuple, extra: int = 0) -> None:
        size = extra + sum(a.nbytes for a in value if isinstance(a, np.ndarray))
        if size <= self.budget:
            self.budget -= size
            table[key] = value


def _screen(v: StudyVariants, member, spec: dict, specs: list, grid: SpecGrid,
            memo: _Memo | None = None, where=None) -> dict:
    """(covariates, outliers) -> (too-small genotype group, digest of data and model)."""
    pairs = dict.fromkeys((s.get("covariates", "none"), s.get("outliers", "none")) for s in specs)
    if memo is not None and all((where, *p) in memo.screens for p in pairs):
        return {p: memo.screens[(where, *p)] for p in pairs}
    out = {}
    for key, (y, mask, d) in _prepare(v, member, spec, pairs, grid, memo, where).items():
        out[key] = (_small_group(d.gene, mask, v.min_group_size),
                    _digest(d.X, y, mask) + "|".join(d.terms[d.column:d.column + 1]))
        if memo is not None:
            memo.screens[(where, *key)] = out[key]
    return out


def _prepare(v: StudyVariants, member, spec: dict, pairs, grid: SpecGrid,
             memo: _Memo | None = None, where=None) -> dict:
    """(covariates, outliers) -> (y, mask, design) for the given pairs: one design per
    covariate set, one outlier rule per pair; a winsorized outcome is computed once per
    distinct (outcome, sample) and shared by the covariate sets analysing the same rows
    (it depends on nothing else); with a ``memo``, across the whole run, and the rule's
    result of an earlier call for the same model (``where``) is reused."""
    designs, out = {}, {}
    winsorized = memo.winsorized if memo is not None else {}
    for cov, outlier in pairs:
        if cov not in designs:
            known = memo.designs.get((where, cov)) if memo is not None else None
            designs[cov] = known[0] if known else spec_design(v, member,
                                                               {**spec, "covariates": cov}, grid)
            if memo is not None and not known:
                d = designs[cov]
                memo.keep(memo.designs, (where, cov), (d, d.X, d.y, d.mask, d.gene, d.style))
        d = designs[cov]
        known = memo.prepared.get((where, cov, outlier)) if memo is not None else None
        if known is not None:
            out[(cov, outlier)] = (d.y if known[0] is None else known[0],
                                   d.mask if known[1] is None else known[1], d)
            continue
        opt = grid.option("outliers", outlier) if "outliers" in grid.dimensions else None
        if opt is not None and opt.kind == "winsorize":
            key = (outlier, d.y.tobytes(), d.mask.tobytes())
            if key in winsorized:
                y, mask = winsorized[key]
            else:
                y, mask = apply_outlier_rule(d, opt)
                if memo is None:
                    winsorized[key] = (y, mask)
                else:
                    memo.keep(winsorized, key, (y, mask), extra=len(key[1]) + len(key[2]))
        else:
            y, mask = apply_outlier_rule(d, opt)
        out[(cov, outlier)] = (y, mask, d)
        if memo is not None:     # the design's own arrays are rebuilt with it, not kept
            memo.keep(memo.prepared, (where, cov, outlier),
                      (None if y is d.y else y, None if mask is d.mask else mask))
    return out


def _drop_notes(claim_id: str, dropped: dict, notes: list) -> None:
    if dropped["small"]:
        notes.append(f"{claim_id}: {dropped['small']} specification(s) dropped: a genotype group "
                     "smaller than min_group_size.")
    if dropped["duplicate"]:
        notes.append(f"{claim_id}: {dropped['duplicate']} specification(s) dropped: the same "
                     "data and model as another specification.")


def _se_kind(grid, name):
    try:
        return grid.option("se", name).kind
    except KeyError:
        return name


def _usable(options: dict, v: StudyVariants, grid: SpecGrid, claim, notes: list) -> dict:
    """Drop options the data cannot support: an error for a user's own grid, a note otherwise."""
    out = {}
    for dim, opts in options.items():
        kept = []
        for o in opts:
            reason = v.unavailable.get((dim, o.name))
            if reason is None and dim == "genotype" and o.kind not in v.genes:
                reason = "this locus was not genotyped"
            if reason is None and dim == "sample" and o.name in v.rare_drd4:
                reason = _sample_reason(v, o.name)
            if reason is None:
                kept.append(o)
                continue
            if grid.user_defined and reason != _SMALL:
                raise InputError(f"{grid.where}: multiverse option {dim}.{o.name} cannot apply "
                                 f"to the {v.name} data: {reason}")
            note = f"{v.name}: option {dim}.{o.name} not used ({reason})."
            if note not in notes:
                notes.append(note)
        out[dim] = tuple(kept)
    return out


_SMALL = ("it would exclude fewer respondents than min_group_size, and the difference "
          "between the samples would reveal a small genotype group")


def _sample_reason(v: StudyVariants, name: str):
    removed = int(v.rare_drd4[name].sum())
    if removed == 0:
        return "no respondent carries a rare DRD4 allele: it equals every-respondent sample"
    return _SMALL if removed < v.min_group_size else None


# ----------------------------------------------------------------------------- fitting
def _fit_chunk(groups: Sequence[_Group], *, variants: Mapping, counts: Mapping,
               grid: SpecGrid, sesoi: Mapping, memo: _Memo | None = None) -> list[dict]:
    """Fit every group of a chunk (module-level so joblib and Dask can ship it).

    The groups are planned in batches holding at most ``_BATCH_BYTES`` of weights and
    cross products; the inverses of a batch are computed together (:func:`_invert_batch`)
    before its groups are fitted."""
    out, batch, size = [], [], 0
    for g in groups:
        planned = _group_tasks(g, variants[g.study], counts[g.study], grid, memo)
        batch.append((g, planned))
        size += sum(i.nbytes for i in planned[3])
        if size >= _BATCH_BYTES:
            out += _fit_batch(batch, sesoi)
            batch, size = [], 0
    return out + _fit_batch(batch, sesoi)


_BATCH_BYTES = 32 * 2**20       # weights and cross products planned before one inversion


def _fit_batch(batch: list, sesoi: Mapping) -> list[dict]:
    _invert_batch([i for _, planned in batch for i in planned[3]])
    return [_group_output(g, fits, se_types, tasks, sesoi)
            for g, (fits, se_types, tasks, _) in batch]


@dataclass(slots=True)
class _Task:
    """One kernel call: the design ``X`` of one covariate set on one analysis sample, its
    outcomes ``ys`` (with and without winsorizing), the weights and ``(X'CX)^-1``
    (set by :func:`_invert_batch`)."""

    keys: list
    X: np.ndarray
    ys: np.ndarray
    W: np.ndarray
    column: int
    n_eff: np.ndarray
    inv: np.ndarray | None = None


@dataclass(slots=True)
class _Inversion:
    """The cross products ``gram (R, K, K)`` of one analysis sample in the order in which
    the wanted designs are leading blocks, the block sizes, and per design its task,
    size and the permutation from that order to the design's own (None: the same)."""

    gram: np.ndarray
    sizes: tuple
    tasks: list                        # (task, size, permutation or None)

    @property
    def nbytes(self) -> int:           # what the batch holds for it until it is fitted
        return self.gram.nbytes + self.tasks[0][0].W.nbytes


def _group_tasks(g: _Group, v: StudyVariants, counts: np.ndarray, grid: SpecGrid,
                 memo: _Memo | None) -> tuple[dict, tuple, list, list]:
    """The kernel calls of a group: one Gram matrix per analysis sample (mask), shared by
    the nested covariate sets; one call per design for all its outcomes (the outcome with
    and without winsorizing).  Returns ``(fits, se_types, tasks, inversions)``, ``fits``:
    (cov, outlier) -> (y, mask, design)."""
    se_types = tuple(dict.fromkeys(se for *_, se in g.rows))
    fits = _prepare(v, g.member, dict(g.spec), dict.fromkeys((r[1], r[2]) for r in g.rows),
                    grid, memo, (g.study, g.member, g.spec))
    by_mask: dict = {}
    for key, (y, mask, d) in fits.items():
        by_mask.setdefault(mask.tobytes(), []).append(key)
    inversions = []
    for keys in by_mask.values():
        inversions += _mask_tasks(keys, fits, counts)
    tasks = [t for inversion in inversions for t, *_ in inversion.tasks]
    return fits, se_types, tasks, inversions


def _mask_tasks(keys: list, fits: Mapping, counts: np.ndarray) -> list[_Inversion]:
    """Specifications analysing the same rows: the Gram matrix of the widest design once,
    sub-blocks for the nested ones (a design's columns are a subset of the widest's);
    one inversion for all of them when they are nested (:func:`_design_order`), else
    one per design."""
    widest = max(keys, key=lambda k: len(fits[k][2].terms))
    full = fits[widest][2]
    mask = fits[widest][1]
    W = np.empty((len(counts) + 1, len(mask)))
    W[0] = mask
    np.multiply(counts, mask, out=W[1:])
    K = full.X.shape[1]
    gram = (W @ (full.X[:, :, None] * full.X[:, None, :]).reshape(len(mask), K * K))
    gram = gram.reshape(-1, K, K)
    n_eff = W.sum(axis=1)
    terms_of, tasks = {}, {}
    for cov in dict.fromkeys(k[0] for k in keys):
        mine = [k for k in keys if k[0] == cov]
        d = fits[mine[0]][2]
        idx = np.array([full.terms.index(t) for t in d.terms])
        terms_of[cov] = d.terms
        tasks[cov] = (_Task(mine, full.X[:, idx], np.array([fits[k][0] for k in mine]), W,
                            d.column, n_eff), idx)
    canon = _design_order(terms_of)
    if canon is None:
        return [_Inversion(gram[:, idx[:, None], idx], (len(idx),), [(t, len(idx), None)])
                for t, idx in tasks.values()]
    pos = np.array([full.terms.index(t) for t in canon])
    entries = []
    for cov, terms in terms_of.items():
        perm = [canon.index(t) for t in terms]
        entries.append((tasks[cov][0], len(terms),
                        None if perm == list(range(len(terms))) else np.array(perm)))
    sizes = tuple(sorted({len(t) for t in terms_of.values()}))
    return [_Inversion(gram[:, pos[:, None], pos], sizes, entries)]


def _design_order(terms_of: Mapping) -> list | None:
    """The order of the terms in which every design is a leading block, when the designs
    are nested (each one's terms contain the next smaller one's, as the covariate sets
    none < codebook < Keller are); None otherwise."""
    canon: list = []
    for terms in sorted(terms_of.values(), key=len):
        if len(terms) == len(canon) or not set(canon) <= set(terms):
            return None
        canon += [t for t in terms if t not in canon]
    return canon


@np.errstate(divide="ignore", invalid="ignore")   # as in _weighted_fits: rank-deficient draws
def _invert_batch(inversions: Sequence[_Inversion]) -> None:
    """``(X'CX)^-1`` of every task, set on the tasks.  Inversions with the same shape and
    block sizes are stacked and factored in one call of
    :func:`analysis.stats.fastols._nested_inverses` (every leading block's inverse from
    one factorisation; it works on each matrix of the stack apart, so stacking changes
    no bit); each inverse is then permuted back to its design's own order.  A design
    already in the factored order gets the bits of its own factorisation; the others
    (the Keller sets, whose own order interleaves covariates and their products) agree
    to rounding."""
    from ..stats.fastols import _nested_inverses

    buckets: dict = {}
    for inversion in inversions:
        buckets.setdefault((inversion.gram.shape[1:], inversion.sizes), []).append(inversion)
    for (_, sizes), group in buckets.items():
        stacked = np.concatenate([i.gram for i in group]) if len(group) > 1 else group[0].gram
        nested = _nested_inverses(stacked, sizes)
        start = 0
        for inversion in group:
            stop = start + len(inversion.gram)
            for task, p, perm in inversion.tasks:
                block = nested[p][0][start:stop]
                task.inv = block if perm is None else block[:, perm[:, None], perm]
            start = stop


def _group_output(g: _Group, fits: Mapping, se_types: tuple, tasks: Sequence[_Task],
                  sesoi: Mapping) -> dict:
    """The numbers of a group's distinct statistics (covariates, outliers, SE type: claims
    sharing the model ask for the same one), and ``stat``, which of them each row is."""
    stats_of = {}
    for t in tasks:
        res = _weighted_fits(t.X, t.ys, t.W, t.column, se_types, None, t.n_eff, t.inv)
        for i, k in enumerate(t.keys):
            stats_of[k] = (res["estimate"][i], {s: res["se"][s][i] for s in se_types},
                           res["df"])
    out = {k: [] for k in ("index", "stat", "estimate", "se", "df", "null_estimate", "null_se",
                           "null_df", "n", "sesoi")}
    shared, stat_of = {}, {}         # (cov, outlier) -> what its SE types have in common
    for idx, cov, outlier, se in g.rows:
        if (cov, outlier, se) not in stat_of:
            stat_of[(cov, outlier, se)] = len(stat_of)
            est, sev, df = stats_of[(cov, outlier)]
            if (cov, outlier) not in shared:
                y, mask, d = fits[(cov, outlier)]
                shared[(cov, outlier)] = (est[1:] - est[0], int(mask.sum()),
                                          _raw_sesoi(d, y, mask, g.member, sesoi))
            null_est, n, raw_sesoi = shared[(cov, outlier)]
            for key, value in (("estimate", est[0]), ("se", sev[se][0]), ("df", df[0]),
                               ("null_estimate", null_est), ("null_se", sev[se][1:]),
                               ("null_df", df[1:]), ("n", n), ("sesoi", raw_sesoi)):
                out[key].append(value)
        out["index"].append(idx)
        out["stat"].append(stat_of[(cov, outlier, se)])
    return out


def _small_group(gene: np.ndarray, mask: np.ndarray, m: int) -> bool:
    g = gene[mask]
    return bool(min((g > 0).sum(), (g == 0).sum()) < m)


def _raw_sesoi(design, y, mask, member, sesoi: Mapping) -> float:
    """The config's standardised SESOI in the specification's raw units: Study 1
    ``d x pooled within-level SD of y``; Study 2 ``k x SD(y) / SD(style)``
    (as :func:`analysis.pipeline.sesoi_in_raw_units`, per specification)."""
    ym = y[mask]
    if member[2] is None:
        d = sesoi.get("main_effect_d")
        if d is None:
            return math.nan
        g = design.gene[mask]
        levels = np.unique(g)
        ss = sum(((ym[g == lv] - ym[g == lv].mean()) ** 2).sum() for lv in levels)
        return float(d * math.sqrt(ss / (len(ym) - len(levels))))
    k = sesoi.get("interaction_std")
    if k is None:
        return math.nan
    return float(k * ym.std(ddof=1) / design.style[mask].std(ddof=1))


def _digest(X, y, mask) -> str:
    h = hashlib.blake2b(digest_size=12)
    for arr in (X[mask], y[mask], mask):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ClaimCurve:
    """One claim's multiverse: the specification table, its summary and influence table.

    ``null`` holds the joint statistics of each null draw (``median``, ``share``,
    ``stouffer``; oriented as the test: times the expected sign for a positive
    claim, absolute values for a null claim) and their ``observed`` values.
    """

    claim: str
    kind: str
    expected_sign: int
    dimensions: tuple[str, ...]
    specs: pd.DataFrame = field(repr=False)
    summary: dict = field(repr=False)
    influence: pd.DataFrame = field(repr=False)
    null: dict = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class MultiverseResult:
    """Every claim's curve plus the settings.  ``to_frames()`` gives the report's tables."""

    curves: dict = field(repr=False)
    grid: SpecGrid = field(repr=False)
    draws: int
    seed: int
    alpha: float
    null_method: str = NULL_METHOD
    notes: tuple[str, ...] = ()

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.summary for c in self.curves.values()])

    def specifications(self) -> pd.DataFrame:
        parts = [c.specs for c in self.curves.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def influence(self) -> pd.DataFrame:
        parts = [c.influence for c in self.curves.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def to_frames(self) -> dict[str, pd.DataFrame]:
        return {"multiverse_findings": pd.DataFrame(
                    {"claim": list(self.curves), "finding": summary_text(self)}),
                "multiverse_summary": self.summary_frame(),
                "multiverse_specifications": self.specifications(),
                "multiverse_influence": self.influence(),
                "multiverse_options": self.grid.options_frame()}

    def to_dict(self) -> dict:
        from ..stats.probing import _records
        return {"draws": self.draws, "seed": self.seed, "alpha": self.alpha,
                "null_method": self.null_method, "notes": list(self.notes),
                "summary": _records(self.summary_frame()),
                "influence": _records(self.influence())}


# ----------------------------------------------------------------------------- runner
def run_multiverse(studies: Mapping[int, StudyVariants], grid: SpecGrid, *, alpha: float = 0.05,
                   sesoi: Mapping | None = None, seed: int = 0, draws: int | None = None,
                   claims=None, n_jobs: int = 1, scheduler: str | None = None,
                   progress: bool | None = None, tables: bool = True) -> MultiverseResult:
    """Every claim's specification curve and joint test.

    Parameters
    ----------
    studies : mapping
        ``{1: StudyVariants, 2: StudyVariants}`` (the same object twice for one survey);
        a claim whose study or variables are missing is skipped with a note.
    grid : SpecGrid
    alpha : float
        Two-sided level of every specification's test (and of TOST's one-sided tests).
    sesoi : mapping, optional
        ``{"main_effect_d": d, "interaction_std": k}`` (the config's ``claims.sesoi``);
        converted to each specification's raw units for TOST.
    seed, draws : int
        Random streams and number of null draws (default: the grid's ``draws``).
    n_jobs, scheduler, progress
        Local processes, or a Dask scheduler address (identical numbers), progress bar.
    tables : bool
        False: summaries only (no specification and influence tables; for simulations).
    """
    from ..simulation import montecarlo
    from .claims import CLAIMS

    draws = grid.draws if draws is None else int(draws)
    notes: list[str] = []
    plans, memo = {}, _Memo(_MEMO_BYTES)
    for claim in (CLAIMS if claims is None else claims):
        v = studies.get(claim.study)
        if v is None or not _testable(claim, v):
            notes.append(f"{claim.id}: not tested (the data lack a variable of its models).")
            continue
        plans[claim.id] = (claim, *plan_claim(claim, v, grid, notes, memo))
    counts = {s: draw_counts(v.n, draws, seed, s) for s, v in studies.items()}
    groups, offsets, total = _shared_groups(plans)
    chunks = _chunks(groups, n_jobs if not scheduler else 8)
    serial = not scheduler and (n_jobs == 1 or len(chunks) == 1)
    kwargs = {"variants": dict(studies), "counts": counts, "grid": grid, "sesoi": dict(sesoi or {}),
              "memo": memo if serial else None}
    results = montecarlo.execute(_fit_chunk, chunks, kwargs, n_jobs=n_jobs, scheduler=scheduler,
                                 progress=progress, expected_seconds=len(groups) * 2e-3,
                                 desc="multiverse")
    del memo, kwargs
    arrays, row_stat = _gather([r for chunk in results for r in chunk], total)
    nulls = _NullStats(arrays, alpha)
    for key in ("null_estimate", "null_se", "null_df"):
        del arrays[key]
    curves = {}
    for cid, (claim, rows, _) in plans.items():
        stat = row_stat[offsets[cid]:offsets[cid] + len(rows)]
        part = {k: arrays[k][stat] for k in ("estimate", "se", "df", "n", "sesoi")}
        curve = _curve(claim, rows, part, grid, alpha, tables, nulls, stat)
        if curve is not None:
            curves[cid] = curve
    return MultiverseResult(curves=curves, grid=grid, draws=draws, seed=seed, alpha=alpha,
                            notes=tuple(notes))


def _testable(claim, v: StudyVariants) -> bool:
    scores = v.scores["codebook_rule"]
    for outcome, gene, style in _members(claim):
        if outcome not in scores or (style is not None and style not in scores):
            return False
        if {"DRD4": "drd4_7r_carrier", "DRD2": "drd2_a1_carrier"}[gene] not in v.genes:
            return False
    return True


def _chunks(groups: list, workers: int) -> list[list]:
    if not groups:
        return []
    size = max(1, math.ceil(len(groups) / (4 * max(1, workers if workers > 0 else 2))))
    return [_Chunk(groups[i:i + size]) for i in range(0, len(groups), size)]


class _Chunk(list):
    """A list of groups with the ``n_sims`` the Monte Carlo engine's progress bar counts."""

    @property
    def n_sims(self) -> int:
        return sum(g.n_sims for g in self)


def _shared_groups(plans: Mapping) -> tuple[list, dict, int]:
    """The design groups of all claims, a group shared by claims fitted once.

    Claims share models (S2c and S2d both contain ``SO ~ DRD2 x secure``, ...), so
    groups with the same study, model and design options are merged into one whose
    rows carry indices into all claims' rows laid end to end (``offsets[claim]``
    is where a claim's rows start); :func:`_fit_group` fits each (covariates,
    outliers) pair of a group once, whichever claims ask for it.
    """
    merged: dict = {}
    offsets, total = {}, 0
    for cid, (_, rows, gs) in plans.items():
        offsets[cid] = total
        for g in gs:
            entries = tuple((total + i, *rest) for i, *rest in g.rows)
            key = (g.study, g.member, g.spec)
            merged[key] = entries if key not in merged else merged[key] + entries
        total += len(rows)
    return [_Group(k[0], k[1], k[2], rows) for k, rows in merged.items()], offsets, total


def _curve(claim, rows: list, arrays: Mapping, grid: SpecGrid, alpha: float, tables: bool,
           nulls: _NullStats, stat: np.ndarray):
    if not rows:
        raise InputError(f"{grid.where}: no specification of claim {claim.id} is left after the "
                         "exclusions and the data checks (zero specifications)")
    return claim_curve(claim, pd.DataFrame(rows) if tables else None, arrays, alpha,
                       nulls=nulls, stat=stat)


def _gather(parts: list, n: int) -> tuple[dict, np.ndarray]:
    """The distinct statistics of every group laid end to end, and for each of the ``n``
    rows (all claims) the index of its statistic."""
    keys = ("estimate", "se", "df", "n", "sesoi", "null_estimate", "null_se", "null_df")
    sizes = [len(p["estimate"]) for p in parts]
    draws = len(parts[0]["null_estimate"][0]) if parts and sizes[0] else 0
    out = {}
    for key in keys:
        if key.startswith("null_"):
            out[key] = np.empty((sum(sizes), draws))
            start = 0
            for p, size in zip(parts, sizes):
                if size:
                    out[key][start:start + size] = p[key]
                start += size
        else:
            out[key] = np.concatenate([np.asarray(p[key], int if key == "n" else float)
                                       for p in parts]) if parts else np.zeros(0)
    row_stat = np.full(n, -1)
    start = 0
    for p, size in zip(parts, sizes):
        row_stat[np.asarray(p["index"], int)] = start + np.asarray(p["stat"], int)
        start += size
    if (row_stat < 0).any():           # every row belongs to a group: a planning bug
        raise RuntimeError("multiverse: a specification was not fitted")
    return out, row_stat


def influence_sentences(result: MultiverseResult, claim: str, top: int = 2) -> list[str]:
    """The choices that move a claim's estimate most, and those its significance hangs on,
    in plain words (from the influence table; nothing recomputed)."""
    inf = result.curves[claim].influence
    out = []
    for row in inf.sort_values("eta_squared", ascending=False).head(top).itertuples():
        if not row.eta_squared > 0.005:
            continue
        out.append(f"The {row.dimension} choice explains {row.eta_squared:.0%} of the variation "
                   f"of the estimate across specifications (median {row.median_low:.3g} with "
                   f"'{row.option_low}', {row.median_high:.3g} with '{row.option_high}').")
    if not out:
        out.append("No single choice moves the estimate much (each explains under 1% of its "
                   "variation across specifications).")
    swing = inf.assign(swing=inf["share_significant_max"] - inf["share_significant_min"])
    for row in swing.sort_values("swing", ascending=False).head(1).itertuples():
        if row.swing >= 0.10:
            out.append(f"Significance depends most on the {row.dimension} choice: between "
                       f"{row.share_significant_min:.0%} and {row.share_significant_max:.0%} of "
                       "the specifications are significant across its options.")
    return out


# ----------------------------------------------------------------------------- statistics
def claim_curve(claim, frame: pd.DataFrame | None, a: Mapping, alpha: float, *,
                nulls: _NullStats, stat: np.ndarray) -> ClaimCurve:
    """Summary (from the arrays), and unless ``frame`` is None the specification table
    and the influence table, of one claim; ``nulls`` holds the null draws of every
    distinct statistic, ``stat`` says which are this claim's specifications."""
    sign = int(claim.expected_sign)
    obs = _joint(a["estimate"][:, None], a["se"][:, None], a["df"][:, None], sign, alpha)
    null = nulls.joint(stat, sign)
    draws = nulls.draws
    p = {k: _perm_p(obs[k][0], null[k]) if draws else math.nan
         for k in ("median", "share", "stouffer")}
    est, se, df = a["estimate"], a["se"], a["df"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pv = 2.0 * special.stdtr(df, -np.abs(est / se))
        sig = pv < alpha
        tost_p = _tost(est, se, df, a["sesoi"])
    summary = {
        "claim": claim.id, "kind": claim.kind, "expected_sign": sign, "n_specs": len(est),
        "median_estimate": float(np.nanmedian(est)), "estimate_min": float(np.nanmin(est)),
        "estimate_max": float(np.nanmax(est)), "share_significant": float(sig.mean()),
        "share_significant_predicted": float((sig & (np.sign(est) == sign)).mean()) if sign
        else math.nan,
        "share_significant_against": float((sig & (np.sign(est) == -sign)).mean()) if sign
        else math.nan,
        "share_equivalent": float((tost_p < alpha).mean()) if claim.kind == "null"
        else math.nan,
        "stouffer_z": float(obs["z"][0]), "p_median": p["median"], "p_share": p["share"],
        "p_stouffer": p["stouffer"], "draws": int(draws),
        "test_direction": "one-sided, predicted direction" if sign else "two-sided"}
    nulls = {k: null[k] for k in ("median", "share", "stouffer")}
    nulls["observed"] = {k: float(obs[k][0]) for k in ("median", "share", "stouffer")}
    if frame is None:
        return ClaimCurve(claim=claim.id, kind=claim.kind, expected_sign=sign, dimensions=(),
                          specs=pd.DataFrame(), summary=summary, influence=pd.DataFrame(),
                          null=nulls)
    frame = _spec_table(claim, frame, a, alpha)
    dims = tuple(d for d in ("model", *DIMENSIONS) if d in frame and frame[d].nunique() > 0)
    return ClaimCurve(claim=claim.id, kind=claim.kind, expected_sign=sign, dimensions=dims,
                      specs=frame, summary=summary, influence=_influence(claim.id, frame, dims),
                      null=nulls)


def _tost(est, se, df, sesoi):
    """TOST p (Schuirmann 1987; as :func:`analysis.study.claims.tost`), vectorised."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(special.stdtr(df, -(est + sesoi) / se),
                          special.stdtr(df, (est - sesoi) / se))


def _spec_table(claim, frame: pd.DataFrame, a: Mapping, alpha: float) -> pd.DataFrame:
    est, se, df = a["estimate"], a["se"], a["df"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    levels, where = np.unique(df, return_inverse=True)     # few distinct df: ppf once each
    half = stats.t.ppf(1.0 - alpha / 2.0, levels)[where] * se
    frame = frame.copy()
    if claim.study == 2:
        frame.insert(1, "model", [f"{o} ~ {g} x {s}" for o, g, s in
                                  zip(frame["outcome"], frame["gene"], frame["style"])])
        frame["term"] = frame["style"] + ":" + frame["genotype"]
    else:
        frame["term"] = frame["genotype"]
    p = 2.0 * special.stdtr(df, -np.abs(t))
    frame = frame.assign(estimate=est, std_error=se, statistic=t, df=df, p_value=p,
                         conf_low=est - half, conf_high=est + half, n=a["n"])
    frame["significant"] = p < alpha
    sign = int(claim.expected_sign)
    frame["direction"] = np.where(~frame["significant"], "not significant",
                                  np.where(np.sign(est) == sign, "predicted", "against")
                                  if sign else np.where(est > 0, "positive", "negative"))
    frame["sesoi"] = a["sesoi"]
    frame["tost_p"] = _tost(est, se, df, a["sesoi"])
    frame["equivalent"] = frame["tost_p"] < alpha
    frame.insert(1, "spec_id", np.arange(1, len(frame) + 1))
    return frame


@np.errstate(divide="ignore", invalid="ignore")
def _joint(est: np.ndarray, se: np.ndarray, df: np.ndarray, sign: int, alpha: float) -> dict:
    """Median, share significant and Stouffer's Z over specifications (axis 0), per column."""
    t = est / se
    p = 2.0 * special.stdtr(df, -np.abs(t))
    ok = np.isfinite(t)
    z = np.where(ok, np.sign(t) * -special.ndtri(np.clip(p / 2.0, 1e-300, 0.5)), 0.0)
    k = np.maximum(ok.sum(axis=0), 1)
    stouffer = z.sum(axis=0) / np.sqrt(k)
    sig = ok & (p < alpha)
    if not est.shape[1]:
        empty = np.zeros(0)
        return {"median": empty, "share": empty, "stouffer": empty, "z": empty}
    median = _column_medians(np.where(ok, est, np.nan))
    if sign:
        return {"median": sign * median, "share": (sig & (np.sign(t) == sign)).sum(0) / k,
                "stouffer": sign * stouffer, "z": stouffer}
    return {"median": np.abs(median), "share": sig.sum(0) / k, "stouffer": np.abs(stouffer),
            "z": stouffer}


class _NullStats:
    """The per-draw quantities of :func:`_joint` for every distinct statistic, computed once
    (a specification shared by claims, S2c and S2d share four models, is not transformed
    twice; the t-distribution calls are most of the joint test's cost), then summed per
    claim over its specifications exactly as :func:`_joint` sums them."""

    @np.errstate(divide="ignore", invalid="ignore")
    def __init__(self, arrays: Mapping, alpha: float):
        est = arrays["null_estimate"]
        self.draws = est.shape[1]
        t = est / arrays["null_se"]
        self.ok = np.isfinite(t)
        # half = p / 2 of _joint's p = 2 stdtr(df, -|t|) (exactly: doubling and halving a
        # double are exact); the same operations as _joint, in place
        half = special.stdtr(arrays["null_df"], np.negative(np.abs(t)))
        sig = self.ok & (2.0 * half < alpha)
        self.sig = {0: sig, 1: sig & (t > 0), -1: sig & (t < 0)}
        z = special.ndtri(np.clip(half, 1e-300, 0.5, out=half), out=half)
        np.multiply(np.sign(t), np.negative(z, out=z), out=z)
        z[~self.ok] = 0.0
        self.z = z
        self.estimate = np.where(self.ok, est, np.nan)

    def joint(self, stat: np.ndarray, sign: int) -> dict:
        """:func:`_joint` of the rows ``stat`` (the same sums in the same order)."""
        if not self.draws:
            empty = np.zeros(0)
            return {"median": empty, "share": empty, "stouffer": empty, "z": empty}
        k = np.maximum(self.ok[stat].sum(axis=0), 1)
        stouffer = self.z[stat].sum(axis=0) / np.sqrt(k)
        median = _column_medians(self.estimate[stat])
        share = self.sig[sign][stat].sum(0) / k
        if sign:
            return {"median": sign * median, "share": share, "stouffer": sign * stouffer,
                    "z": stouffer}
        return {"median": np.abs(median), "share": share, "stouffer": np.abs(stouffer),
                "z": stouffer}


def _column_medians(a: np.ndarray) -> np.ndarray:
    """``np.nanmedian(a, axis=0)``, with ``np.median`` on the columns without NaN (the same
    partition and midpoint, without nanmedian's column-by-column loop)."""
    nan_cols = np.isnan(a).any(axis=0)
    if not nan_cols.any():
        return np.median(a, axis=0)
    out = np.empty(a.shape[1])
    out[~nan_cols] = np.median(a[:, ~nan_cols], axis=0)
    out[nan_cols] = np.nanmedian(a[:, nan_cols], axis=0)
    return out


def _perm_p(observed: float, null: np.ndarray) -> float:
    """``(1 + #{null >= observed}) / (1 + B)`` over the finite draws (Phipson & Smyth 2010)."""
    null = null[np.isfinite(null)]
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + null.size))


def _influence(claim_id: str, frame: pd.DataFrame, dims: Sequence[str]) -> pd.DataFrame:
    """Per dimension: eta squared of the estimates (between-option share of their sum of
    squares, Cohen 1973) and the options with the lowest and highest median estimate (when
    every option has the same median, e.g. the SE type, which leaves the estimate alone:
    the first and the last option, so that the range names two options)."""
    est = frame["estimate"].to_numpy()
    grand = np.nanmean(est)
    total = float(np.nansum((est - grand) ** 2))
    rows = []
    for dim in dims:
        codes, options = pd.factorize(frame[dim], sort=False)
        if len(options) < 2:
            continue
        sizes, means = _option_means(est, codes, len(options))
        between = float(sum(int(n) * d ** 2 for n, d in
                            zip(sizes, _beyond_rounding(means - grand, est))))
        grouped = frame.groupby(dim, sort=False)
        med = grouped["estimate"].median()
        share = grouped["significant"].mean()
        low, high = med.idxmin(), med.idxmax()
        if low == high:                 # every option has this median: name the last as well
            high = med.index[med == med[low]][-1]
        rows.append({"claim": claim_id, "dimension": dim, "n_options": len(options),
                     "eta_squared": between / total if total > 0 else 0.0,
                     "option_low": str(low), "median_low": float(med[low]),
                     "option_high": str(high), "median_high": float(med[high]),
                     "share_significant_min": float(share.min()),
                     "share_significant_max": float(share.max())})
    columns = ["claim", "dimension", "n_options", "eta_squared", "option_low", "median_low",
               "option_high", "median_high", "share_significant_min", "share_significant_max"]
    return pd.DataFrame(rows, columns=columns)


def _option_means(est: np.ndarray, codes: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Size (NaN estimates counted) and mean of the finite estimates of each option, each
    mean the sum of the option's values in table order over their count (as
    ``pandas.Series.mean`` of the option's rows: the same sum, so the same bits)."""
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=m)
    means = np.empty(m)
    for i, part in enumerate(np.split(est[order], np.cumsum(sizes)[:-1])):
        ok = ~np.isnan(part)
        means[i] = part[ok].sum() / ok.sum() if ok.any() else np.nan
    return sizes, means


def _beyond_rounding(deviation: np.ndarray, est: np.ndarray) -> np.ndarray:
    """Option means' deviations from the grand mean, 0 where rounding alone can explain them.

    A mean of ``n`` values computed in floating point is within ``n u max|x|`` of the exact
    mean (``u = 2^-53``; Higham 2002, eq. 4.4, summation error ``<= (n-1) u sum|x_i|`` plus
    the division), so the difference of two such means, the option's and the grand mean,
    is within ``2 N u max|x|`` of the exact difference (``N`` the number of specifications).
    A deviation inside that bound cannot be told from 0: it is 0 when every option gives
    the same estimates (the SE type), where eta squared is then exactly 0 instead of
    ~1e-30.  A real deviation that small would contribute under ``N (2 N u max|x|)^2`` to
    the between sum of squares, far below the 12th significant digit of eta squared.
    """
    finite = est[np.isfinite(est)]
    if not finite.size:
        return deviation
    bound = 2.0 * finite.size * np.finfo(float).eps / 2.0 * float(np.abs(finite).max())
    return np.where(np.abs(deviation) <= bound, 0.0, deviation)


# ----------------------------------------------------------------------------- entry points
def grid_for(codebook, config) -> SpecGrid:
    """The codebook's own ``multiverse:`` section (strict: an option that cannot apply
    is an error), else the default grid of the simulation config."""
    from .specgrid import default_grid

    if codebook is not None and getattr(codebook, "multiverse", None) is not None:
        return SpecGrid.from_mapping(codebook.multiverse, where=f"codebook {codebook.path}",
                                     user_defined=True, default_draws=default_grid(config).draws)
    return default_grid(config)


def figures(result: MultiverseResult, note: str | None = None) -> tuple[dict, dict]:
    """One specification-curve figure per claim, with captions."""
    from ..render.specplot import specification_curve_figure

    figs, captions = {}, {}
    for cid, curve in result.curves.items():
        name = f"specification_curve_{cid}"
        s = curve.summary
        figs[name] = specification_curve_figure(
            curve.specs, curve.dimensions, title=f"{cid}: {s['n_specs']} specifications",
            estimate_label="Interaction estimate" if cid.startswith("S2") else "Carrier difference",
            assumption_note=note)
        captions[name] = (f"{cid}: every specification's deciding estimate, sorted, with its "
                          f"{1 - result.alpha:.0%} CI; beneath, the choices each one made.")
    return figs, captions


def summary_text(result: MultiverseResult) -> list[str]:
    """Plain-words summary per claim: the curve, the joint test, the influential choices."""
    lines = []
    for cid, c in result.curves.items():
        s = c.summary
        if s["kind"] == "positive":
            head = (f"{cid}: {s['n_specs']} specifications, median estimate "
                    f"{s['median_estimate']:.3g}; {s['share_significant_predicted']:.0%} "
                    f"significant in the predicted direction, "
                    f"{s['share_significant_against']:.0%} against it")
        else:
            head = (f"{cid}: {s['n_specs']} specifications, median estimate "
                    f"{s['median_estimate']:.3g}; {s['share_significant']:.0%} significant, "
                    f"{s['share_equivalent']:.0%} show equivalence (TOST)")
        joint = (f"joint test ({s['draws']} null draws, {s['test_direction']}): p = "
                 f"{s['p_median']:.3g} (median), {s['p_share']:.3g} (share significant), "
                 f"{s['p_stouffer']:.3g} (Stouffer)") if s["draws"] else "no joint test (0 draws)"
        lines.append(f"{head}; {joint}. " + " ".join(influence_sentences(result, cid)))
    return lines


def run_files(data_path, codebook_path, *, config_path=None, draws: int | None = None,
              seed: int | None = None, n_jobs: int = 1, scheduler: str | None = None,
              progress: bool | None = None, claims: Sequence[str] | None = None,
              **reader_options) -> MultiverseResult:
    """The multiverse of every claim on one survey (it serves Study 1 and Study 2);
    ``reader_options`` go to :func:`analysis.io.readers.read_data`."""
    from .. import paths
    from ..io.codebook import Codebook
    from .config import load_config
    from ..io.readers import read_data
    from .specdata import build_variants

    config = load_config(config_path or paths.CONFIG)
    book = Codebook.load(codebook_path)
    grid = grid_for(book, config)
    dataset = read_data(data_path, **reader_options)
    v = build_variants("your_data", dataset, book, grid)
    return run_multiverse({1: v, 2: v}, grid, alpha=float(config["claims"]["alpha"]),
                          sesoi=dict(config["claims"]["sesoi"]),
                          seed=int(config["meta"]["seed"]) if seed is None else seed,
                          draws=draws, claims=_select_claims(claims), n_jobs=n_jobs,
                          scheduler=scheduler, progress=progress)


def _select_claims(ids: Sequence[str] | None):
    from .claims import CLAIMS

    if not ids:
        return CLAIMS
    known = {c.id: c for c in CLAIMS}
    bad = [i for i in ids if i not in known]
    if bad:
        raise InputError(f"unknown claim(s) {', '.join(bad)} (choose from {', '.join(known)})")
    return tuple(known[i] for i in ids)


def write_folder(result: MultiverseResult, out_dir, *, force: bool, meta: Mapping,
                 note: str, inputs=()) -> Path:
    """``tables/*.csv``, ``figures/*.png``, ``multiverse.json``, ``summary.md`` and
    ``manifest.json``, through the package's one safe writer
    (:func:`analysis.safe_output.write_folder`: owned folders only, no overwrite without
    ``force``, crash-safe swap, refused when an input lies inside ``out_dir``)."""
    from ..safe_output import write_folder as safe_write_folder

    def fill(tmp: Path) -> None:
        _fill_folder(result, tmp, note)
    return safe_write_folder(out_dir, fill, force=force, inputs=inputs, meta=dict(meta))


def _fill_folder(result: MultiverseResult, tmp: Path, note: str) -> None:
    import json

    import matplotlib.pyplot as plt

    from ..sanitize import escape_markdown, neutralize_frame
    (tmp / "tables").mkdir()
    for name, frame in result.to_frames().items():
        neutralize_frame(frame).to_csv(tmp / "tables" / f"{name}.csv", index=False,
                                       float_format="%.10g", lineterminator="\n")
    figs, _ = figures(result, note)
    (tmp / "figures").mkdir()
    for name, fig in figs.items():
        fig.savefig(tmp / "figures" / f"{name}.png", dpi=200)
        plt.close(fig)
    payload = {**result.to_dict(), "note": note, "summary_text": summary_text(result)}
    (tmp / "multiverse.json").write_text(json.dumps(payload, indent=2, allow_nan=False)
                                         + "\n", encoding="utf-8")
    md = ["# Multiverse", "", escape_markdown(note, inline=False), ""]
    md += [f"- {escape_markdown(line)}" for line in summary_text(result)]
    md += ["", f"Null method: {result.null_method}.", ""]
    md += [f"- {escape_markdown(n)}" for n in result.notes]
    (tmp / "summary.md").write_text("\n".join(md) + "\n", encoding="utf-8")
