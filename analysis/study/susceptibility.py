"""Differential susceptibility or diathesis-stress?  Roisman's indices and Widaman's models.

A gene x environment interaction is compatible with two theories that predict
the same difference in slopes but a different *crossover point* C of the two
genotype lines: **differential susceptibility** (DS; the lines cross inside
the range of the environment: the susceptible genotype does worse in adverse
and better in favourable environments) and **diathesis-stress** (D-S; the lines
meet at the favourable end: the susceptible genotype only does worse) or its
mirror **vantage sensitivity** (VS; the lines meet at the adverse end).  Here
the "environment" is the attachment style W and the genotype G is binary
(carrier coding); in this study attachment is a trait, not an exogenous
environment, so these labels describe the *shape* of the interaction only.

1. Roisman et al. (2012) indices (:func:`roisman_indices`)
----------------------------------------------------------
Roisman, G. I., Newman, D. A., Fraley, R. C., Haltigan, J. D., Groh, A. M., &
Haydon, K. C. (2012). Distinguishing differential susceptibility from
diathesis-stress: recommendations for evaluating interaction effects.
Development and Psychopathology, 24, 389-409. doi:10.1017/S0954579412000065.
Only the abstract and the output page of Fraley's companion application
(https://yourpersonality.net/interaction/ros.pl) could be read for this
project; what each index rests on:

- Regions of significance ON THE ENVIRONMENT, probed between -2 and +2 SD
  [verified: the app "only regressions based on values of Moderator between -2
  and +2 are probed"; it reports "Regions of Significance (RoS) with respect to
  X"]: the Johnson-Neyman boundaries of the genotype effect ``b_G + b_GW w``
  (:func:`analysis.stats.probing.jn_roots`) and whether the genotypes differ
  significantly on *both* sides of C within the range (DS: "for better and for
  worse").
- PoI, proportion of interaction [definition verified in words, formula
  reconstructed]: the app: "PoI values provide a way to express the
  proportion of the total interaction that is represented on the left and
  right sides of the crossover point"; its formula is cut off in the stored
  page.  Reconstruction (methods.md 3a): the area between the two lines on each
  side of C within the range [L, U], ``|b_GW| (C - L)^2 / 2`` and ``|b_GW| (U -
  C)^2 / 2``, so ``PoI_right = (U - C)^2 / ((C - L)^2 + (U - C)^2)`` for L < C <
  U (1 if C <= L, 0 if C >= U).  Criteria: .40-.60 suggests DS (Roisman's, as
  quoted by Del Giudice 2017, doi:10.1017/S0954579416001292), widened to
  .20-.80 by Del Giudice (2017) [both verified from Del Giudice's abstract].
- PA, proportion affected [UNVERIFIED: Roisman's definition could not be
  retrieved]: computed as the share of observed cases ABOVE the crossover
  (``W > C``), the "right" side in the PoI's orientation (the reconstruction of
  methods.md 3a(iii)).  The complementary share below C is what LEGIT's
  ``GxE_interaction_test`` reports as "% of observations below crossover"
  [verified from its R source, AlexiaJM/LEGIT R/LEGIT.R].  Both shares are shown.

The range is stated and never clipped: ``2sd`` = mean +/- 2 SD of the observed
moderator (Roisman / Fraley), flagged ``beyond_observed`` when it extends past
the data; ``observed`` = [min, max].  Both are reported.

2. Competitive-confirmatory model comparison (:func:`compare_models`)
---------------------------------------------------------------------
Widaman, K. F., Helm, J. L., Castro-Schilo, L., Pluess, M., Stallings, M. C., &
Belsky, J. (2012). Distinguishing ordinal and disordinal interactions.
Psychological Methods, 17, 615-622. doi:10.1037/a0030003 (their eq. 15, the
reparameterised linear x two-group model; verified from PMC3553243), and
Belsky, Pluess & Widaman (2013), J Child Psychol Psychiatry 54:1135-1143
(strong vs weak; verified from the abstract): with S = 1 for the putatively
susceptible genotype group,

    Y = A0 + B1 (W - C) + B3 (W - C) S (+ covariates)

weak = B1 free (the other group's slope), strong = B1 = 0 (the other group is
flat).  A seventh model without the interaction (``Y = b0 + b_S S + b_W W``, as
LEGIT's ``include_noGxE_models``) is the baseline: when it wins, the question of
the interaction's shape does not arise.  DS: C estimated (the nonlinear
least-squares estimate with the Gauss-Newton covariance ``s^2 (J'J)^-1`` that R's
``nls`` reports, as Widaman et al. used; Wald interval with t(n - p); computed in
closed form, see below).  D-S: C fixed at the
favourable bound of the moderator's range; VS: at the adverse bound (the range
rule is stated: ``observed`` min/max as in LEGIT and Belsky et al., or
``2sd``).  The six shaped models are those LEGIT::GxE_interaction_test fits [verified from its
source].  Every model is a linear restriction of the weak DS model (which is
the ordinary interaction model reparameterised: same RSS, ``C = -b_S / b_SW``),
so each is compared with it by an exact nested F test; strong vs weak at the
same C by a 1-df F test.  AIC and BIC from the Gaussian log-likelihood,
counting the mean parameters (C included when estimated) plus the residual
variance (R's convention; statsmodels does not count the variance).

3. The free crossover in closed form (no iterative optimisation)
----------------------------------------------------------------
With X = [1, S, W, WS, Z] and phi = (a, d, b, e, g) its OLS coefficients, the weak
model's mean is X phi(theta) for theta = (A0, B1, B3, C, g) with

    a = A0 - B1 C,   d = -B3 C,   b = B1,   e = B3

(expand A0 + B1 (W - C) + B3 (W - C) S).  For B3 != 0 the map theta -> phi is a
bijection onto {e != 0} with inverse B1 = b, B3 = e, C = -d / e, A0 = a - b d / e, so
the NLS minimum is the OLS minimum (same RSS) whenever the OLS e != 0, at C = -d/e.
The NLS Jacobian is J = X H with H = d phi / d theta (square; det H = +/- B3), so
``(J'J)^-1 = H^-1 (X'X)^-1 H^-T``: the Gauss-Newton covariance ``s^2 (J'J)^-1`` IS
the delta-method transform of the OLS covariance ``s^2 (X'X)^-1`` (H^-1 is the
Jacobian of the inverse map), exactly, with the same residual df n - p (p counts C
in place of d).  For C = -d/e the gradient is (-1/e) at d and (d / e^2) at e.
The strong model (B1 = 0) is likewise the OLS of [1, S, WS, Z] with C = -d/e.
When e == 0 or the design is rank deficient (e.g. one genotype group only), C is
not identified (H or X'X singular): the crossover is reported at mean(W), where the
former Levenberg-Marquardt fit started and stayed (with e = d = 0 the fit does not
depend on C), with a NaN standard error and interval, as before.  Beyond speed,
the closed form is exact where the iterative fit stopped early: with a weak
interaction (C far outside the data) the objective is nearly flat in C and the
former fit's C could be off by percents (at n = 200,000) and its SE, from the
normal matrix J'J, in the 9th digit.

All seven models of one data set are least-squares problems in linear transforms
T of the same columns: M = [1, S, W, WS, Z, y] = Q R (Householder QR, by blocks of
rows for large n), and for every v ``||M v|| = ||R v||``, so ``min_b ||X T b - y||``
is ``min_b ||R_x T b - r_y||``, a (5 + k)-row problem (R = [R_x, r_y]; the
"R-factor" reduction of e.g. Golub & Van Loan, Matrix Computations, 4th ed., 5.3),
giving every model's coefficients, RSS and covariance from one pass over the data.
The Roisman indices' interaction model [1, G, W, GW, Z] is one more such transform
(G = 1 - S when S codes G = 0).

Examples
--------
>>> round(poi_right(0.0, -2.0, 2.0), 3), round(poi_right(1.0, -2.0, 2.0), 3)
(0.5, 0.1)
>>> poi_right(-3.0, -2.0, 2.0), poi_right(5.0, -2.0, 2.0)
(1.0, 0.0)
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, stats

from .._errors import InputError
from .claims import _json as _j  # the one JSON-scalar converter (NaN -> None)

__all__ = ["summary_paragraph", "study2_susceptibility", "SUSCEPTIBLE_CODE",
           "RANGE_RULES", "MODELS", "moderator_range", "poi_right", "roisman_indices",
           "RoismanIndices", "compare_models", "ModelComparison", "susceptibility",
           "Susceptibility", "FAVOURABLE_END"]

RANGE_RULES = ("2sd", "observed")
_RANGE_WORDS = {"2sd": "mean +/- 2 SD", "observed": "observed min to max"}
#: (name, label, C rule, B1 free)
MODELS = (
    ("ds_weak", "differential susceptibility (weak)", "free", True),
    ("ds_strong", "differential susceptibility (strong)", "free", False),
    ("dstress_weak", "diathesis-stress (weak)", "favourable", True),
    ("dstress_strong", "diathesis-stress (strong)", "favourable", False),
    ("vantage_weak", "vantage sensitivity (weak)", "adverse", True),
    ("vantage_strong", "vantage sensitivity (strong)", "adverse", False),
    ("no_interaction", "no interaction (genotype + moderator)", "none", True),
)
#: Which end of each attachment style is the favourable one (insecurity is adverse).
FAVOURABLE_END = {"secure": "high", "anxious": "low", "avoidant": "low"}


# ------------------------------------------------------------------ Roisman indices
def moderator_range(w: np.ndarray, rule: str) -> tuple[float, float]:
    """``2sd``: mean -/+ 2 SD (n - 1), unclipped; ``observed``: min, max."""
    w = np.asarray(w, dtype=float)
    if rule == "2sd":
        m, s = float(w.mean()), float(w.std(ddof=1))
        return m - 2 * s, m + 2 * s
    if rule == "observed":
        return float(w.min()), float(w.max())
    raise InputError(f"range rule must be one of {', '.join(RANGE_RULES)}, got {rule!r}")


def poi_right(c: float, low: float, high: float) -> float:
    """Share of the area between the two lines lying right of the crossover within
    [low, high]: ``(U - C)^2 / ((C - L)^2 + (U - C)^2)``; 1 if C <= L, 0 if C >= U."""
    if c <= low:
        return 1.0
    if c >= high:
        return 0.0
    return (high - c) ** 2 / ((c - low) ** 2 + (high - c) ** 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoismanIndices:
    """Roisman et al. (2012) indices for one genotype x moderator model.

    ``frame``: one row per range rule with ``range_rule, range_low, range_high,
    beyond_observed, crossover, crossover_in_range, poi_left, poi_right,
    significant_below, significant_above, both_sides`` (significance of the
    genotype effect somewhere in the range below / above C).  ``pa`` (share of
    cases above C; definition unverified, see the module docstring),
    ``share_below``, the JN boundaries ``ros`` and ``ros_region`` (on the whole
    line) do not depend on the range.
    """

    crossover: float
    pa: float
    share_below: float
    ros: tuple[float, ...]
    ros_region: str
    alpha: float
    frame: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        out = self.frame.copy()
        out["pa"], out["share_below"] = self.pa, self.share_below
        return out

    def to_dict(self) -> dict:
        return {"crossover": _j(self.crossover), "pa": self.pa, "share_below": self.share_below,
                "ros": [_j(r) for r in self.ros], "ros_region": self.ros_region,
                "alpha": self.alpha, "ranges": _records(self.frame)}


def roisman_indices(fit, gene: str, interaction: str, moderator_data, *,
                    alpha: float | None = None,
                    rules: Sequence[str] = RANGE_RULES) -> RoismanIndices:
    """PoI (per range rule), PA and the regions of significance of the genotype effect.

    ``fit`` is an :class:`~analysis.stats.models.OLSFit` with the genotype term
    ``gene`` and the product term ``interaction`` (genotype effect at w:
    ``b_gene + b_interaction w``, under the fit's covariance).
    """
    from ..stats.probing import jn_roots

    alpha = fit.alpha if alpha is None else alpha
    w = np.asarray(moderator_data, dtype=float)
    i, j = fit.index(gene), fit.index(interaction)
    b, V = fit.params, fit.vcov
    c = float(-b[i] / b[j]) if b[j] != 0 else math.inf
    t_crit = float(stats.t.ppf(1 - alpha / 2, fit.df_resid))
    roots, region = jn_roots(b[i], b[j], V[i, i], V[j, j], V[i, j], t_crit)
    lo_obs, hi_obs = float(w.min()), float(w.max())
    rows = []
    for rule in rules:
        lo, hi = moderator_range(w, rule)
        right = poi_right(c, lo, hi)
        below = _significant_somewhere(fit, i, j, t_crit, lo, min(c, hi))
        above = _significant_somewhere(fit, i, j, t_crit, max(c, lo), hi)
        rows.append({"range_rule": rule, "range_words": _RANGE_WORDS[rule], "range_low": lo,
                     "range_high": hi, "beyond_observed": bool(lo < lo_obs or hi > hi_obs),
                     "crossover": c, "crossover_in_range": bool(lo < c < hi),
                     "poi_left": 1.0 - right, "poi_right": right,
                     "significant_below": below, "significant_above": above,
                     "both_sides": bool(below and above)})
    return RoismanIndices(crossover=c, pa=float(np.mean(w > c)),
                          share_below=float(np.mean(w <= c)), ros=roots, ros_region=region,
                          alpha=alpha, frame=pd.DataFrame(rows))


def _significant_somewhere(fit, i, j, t_crit, lo, hi, n_grid: int = 401) -> bool:
    """Is the genotype effect significant at some w in [lo, hi] (grid + both ends)?"""
    if not hi > lo:
        return False
    grid = np.linspace(lo, hi, n_grid)
    L = np.zeros((n_grid, len(fit.terms)))
    L[:, i], L[:, j] = 1.0, grid
    est = L @ fit.params
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, fit.vcov, L))
    return bool(np.any(np.abs(est / se) > t_crit))


# ------------------------------------------------------------------ model comparison
@dataclass(frozen=True, slots=True, kw_only=True)
class ModelComparison:
    """The seven models (weak/strong DS, D-S, VS; no interaction) for one data set.

    ``frame`` columns: ``model, label, crossover_rule, crossover, crossover_std_error,
    crossover_conf_low, crossover_conf_high, ci_in_range, b1, b3, n_params, rss, r2,
    aic, bic, delta_aic, delta_bic, f_vs_full, df_num, df_den, p_vs_full, f_vs_weak,
    p_vs_weak`` (``b1``: slope of the other group; ``b3``: susceptible minus other;
    ``n_params``: mean parameters + residual variance).
    """

    outcome: str
    gene: str
    moderator: str
    susceptible: str
    favourable: str
    range_rule: str
    range_low: float
    range_high: float
    n: int
    alpha: float
    covariates: tuple[str, ...]
    frame: pd.DataFrame = field(repr=False)

    @property
    def best_aic(self) -> str:
        return str(self.frame.loc[self.frame["aic"].idxmin(), "model"])

    @property
    def best_bic(self) -> str:
        return str(self.frame.loc[self.frame["bic"].idxmin(), "model"])

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "gene": self.gene, "moderator": self.moderator,
                "susceptible": self.susceptible, "favourable": self.favourable,
                "range_rule": self.range_rule, "range": [self.range_low, self.range_high],
                "n": self.n, "alpha": self.alpha, "covariates": list(self.covariates),
                "best_aic": self.best_aic, "best_bic": self.best_bic,
                "models": _records(self.frame)}

    def summary(self) -> str:
        """One plain-language sentence (used in reports and ``probe``)."""
        f = self.frame.set_index("model")
        ds = f.loc["ds_weak"]
        label = dict((m, lab) for m, lab, *_ in MODELS)
        where = "inside" if ds["ci_in_range"] else "not inside"
        return (f"Best by BIC: {label[self.best_bic]}; by AIC: {label[self.best_aic]}. "
                f"Crossover C = {ds['crossover']:.3g} [{ds['crossover_conf_low']:.3g}, "
                f"{ds['crossover_conf_high']:.3g}], its CI {where} the {self.moderator} range "
                f"[{self.range_low:.3g}, {self.range_high:.3g}] ({_RANGE_WORDS[self.range_rule]}). "
                f"Diathesis-stress (C at the favourable end) vs the free crossover: "
                f"p = {f.loc['dstress_weak', 'p_vs_full']:.3g}; vantage sensitivity: "
                f"p = {f.loc['vantage_weak', 'p_vs_full']:.3g}; strong vs weak DS (other group "
                f"flat): p = {f.loc['ds_strong', 'p_vs_full']:.3g}.")


def compare_models(y, g, w, *, covariates=None, susceptible: int = 1, favourable: str = "high",
                   range_rule: str = "observed", alpha: float = 0.05,
                   names: tuple[str, str, str] = ("Y", "G", "W"),
                   covariate_names: Sequence[str] = (),
                   susceptible_label: str | None = None) -> ModelComparison:
    """Fit the seven models of the competitive-confirmatory approach and compare them.

    Parameters
    ----------
    y, g, w : array
        Outcome, binary genotype (0/1) and the moderator ("environment"), complete cases.
    covariates : array (n, k), optional
        Entered linearly in every model.
    susceptible : {1, 0}
        The genotype code of the putatively susceptible group (S = 1 there).
    favourable : {"high", "low"}
        Which end of W is favourable: D-S fixes C there, VS at the other end.
    range_rule : {"observed", "2sd"}
        The moderator range whose bounds D-S and VS use (stated in the output).
    """
    y, g, w, s, Z = _comparison_inputs(y, g, w, covariates, susceptible, favourable)
    return _compare(_Factor.of(y, s, w, Z), y, w, susceptible=susceptible,
                    favourable=favourable, range_rule=range_rule, alpha=alpha, names=names,
                    covariate_names=covariate_names, susceptible_label=susceptible_label)


def _comparison_inputs(y, g, w, covariates, susceptible, favourable):
    """Arrays ``y, g, w, s, Z`` (S = 1 in the susceptible group), the codes checked."""
    y, g, w = (np.asarray(a, dtype=float) for a in (y, g, w))
    if not np.all((g == 0.0) | (g == 1.0)) or susceptible not in (0, 1):
        raise InputError("the genotype must be coded 0/1 and `susceptible` must be 0 or 1")
    if favourable not in ("high", "low"):
        raise InputError(f"favourable must be 'high' or 'low', got {favourable!r}")
    s = g if susceptible == 1 else 1.0 - g
    Z = np.empty((y.size, 0)) if covariates is None else np.asarray(covariates, float).reshape(y.size, -1)
    return y, g, w, s, Z


def _compare(factor: _Factor, y, w, *, susceptible, favourable, range_rule, alpha, names,
             covariate_names, susceptible_label) -> ModelComparison:
    """The seven models from the factor of [1, S, W, WS, Z, y] (module docstring, 3)."""
    lo, hi = moderator_range(w, range_rule)
    bound = {"favourable": hi if favourable == "high" else lo,
             "adverse": lo if favourable == "high" else hi}
    c0 = float(np.mean(w))
    rows = [_fit_model(factor, name, label, rule, weak, bound, alpha, lo, hi, c0)
            for name, label, rule, weak in MODELS]
    frame = _finish(pd.DataFrame(rows), y)
    return ModelComparison(outcome=names[0], gene=names[1], moderator=names[2],
                           susceptible=susceptible_label or f"{names[1]} = {susceptible}",
                           favourable=favourable, range_rule=range_rule, range_low=lo,
                           range_high=hi, n=int(y.size), alpha=alpha,
                           covariates=tuple(covariate_names), frame=frame)


@dataclass(frozen=True, slots=True)
class _Factor:
    """The R factor of M = [1, S, W, WS, Z, y] (n x (5 + k)): ``||M v|| = ||R v||``.

    The plain Householder QR of M below :data:`analysis.stats.models.TALL_QR_ROWS` rows,
    the blocked TSQR of :func:`analysis.stats.models.tall_r` from there on (the same R up
    to the signs of its rows), as :func:`analysis.stats.models.fit_ols` factors designs.
    """

    r: np.ndarray   # (min(n, 5 + k), 5 + k), upper triangular
    n: int
    k: int          # number of covariates

    @classmethod
    def of(cls, y, s, w, Z) -> _Factor:
        from ..stats.models import TALL_QR_ROWS, tall_r

        n, k = y.size, Z.shape[1]
        Mt = np.empty((5 + k, n))   # M transposed: each column contiguous (LAPACK's order)
        Mt[0], Mt[1], Mt[2], Mt[-1] = 1.0, s, w, y
        np.multiply(w, s, out=Mt[3])
        Mt[4:-1] = Z.T
        M = Mt.T
        r = np.linalg.qr(M, mode="r") if n < TALL_QR_ROWS else tall_r(M)
        return cls(r=r, n=n, k=k)

    def design(self, T: np.ndarray) -> np.ndarray:
        """``R_x T``: the factor-space image of the design ``[1, S, W, WS, Z] T``."""
        return self.r[:, :-1] @ T

    def lstsq(self, T: np.ndarray) -> tuple[np.ndarray, float, int, np.ndarray]:
        """``min_b ||[1, S, W, WS, Z] T b - y||``: coefficients, RSS, rank, ``R_x T``.

        ``np.linalg.lstsq`` with the rank tolerance it uses on the n-row design
        (``eps * max(n, p)`` times the largest singular value; R_x T has the same
        singular values), so a rank-deficient design gets the same minimum-norm fit."""
        A = self.design(T)
        rcond = np.finfo(float).eps * max(self.n, T.shape[1])
        coef, _, rank, _ = np.linalg.lstsq(A, self.r[:, -1], rcond=rcond)
        resid = A @ coef - self.r[:, -1]
        return coef, float(resid @ resid), int(rank), A


def _columns(k: int, rule: str, weak: bool, c: float = 0.0) -> np.ndarray:
    """T: each model's design as columns of [1, S, W, WS, Z] (covariates last)."""
    E = np.eye(4 + k)
    one, s, w, ws = E[:, 0], E[:, 1], E[:, 2], E[:, 3]
    if rule == "free":   # the OLS equivalents: [1, S, (W), WS], C = -b_S / b_WS
        cols = [one, s, *([w] if weak else []), ws]
    elif rule == "none":
        cols = [one, s, w]
    else:                # 1, (W - c), (W - c) S
        cols = [one, *([w - c * one] if weak else []), ws - c * s]
    return np.column_stack([*cols, E[:, 4:]])


def _fit_model(factor, name, label, rule, weak, bound, alpha, lo, hi, c0) -> dict:
    c, se_c = bound.get(rule, math.nan), math.nan
    T = _columns(factor.k, rule, weak, 0.0 if math.isnan(c) else c)
    coef, rss, rank, A = factor.lstsq(T)
    p = T.shape[1]
    if rule == "free":
        e_at = 3 if weak else 2
        c, se_c = _free_crossover(coef, rss, rank, A, e_at, factor.n, c0)
        b1, b3 = (coef[2] if weak else 0.0), coef[e_at]
    elif rule == "none":
        b1, b3 = coef[2], 0.0
    else:
        b1, b3 = (coef[1] if weak else 0.0), coef[2 if weak else 1]
    df = factor.n - p
    tc = stats.t.ppf(1 - alpha / 2, df)
    low, high = c - tc * se_c, c + tc * se_c
    return {"model": name, "label": label, "crossover_rule": rule, "crossover": c,
            "crossover_std_error": se_c, "crossover_conf_low": low, "crossover_conf_high": high,
            "ci_in_range": bool(lo <= low and high <= hi) if rule == "free" else None,
            "b1": b1, "b3": b3, "n_mean_params": p, "n_params": p + 1, "rss": rss,
            "weak": weak}


def _free_crossover(coef, rss, rank, A, e_at, n, c0) -> tuple[float, float]:
    """C = -d/e and its NLS (Gauss-Newton) standard error (module docstring, 3).

    ``Var(C) = s^2 g' (X'X)^-1 g = s^2 ||R_A^-T g||^2`` with g the gradient of
    -d/e (index 1: d; ``e_at``: e), R_A the R factor of the (factor-space) design
    and ``s^2 = RSS / (n - p)``; never negative.  Not identified (e == 0 or a
    rank-deficient design): C = mean(W) with a NaN standard error, as the former
    Levenberg-Marquardt fit returned."""
    p = coef.size
    d, e = float(coef[1]), float(coef[e_at])
    if rank < p or e == 0.0:
        return c0, math.nan
    grad = np.zeros(p)
    grad[1], grad[e_at] = -1.0 / e, d / e ** 2
    r_a = np.linalg.qr(A, mode="r")
    v = linalg.solve_triangular(r_a, grad, trans="T", check_finite=False)
    return -d / e, math.sqrt(rss / (n - p) * float(v @ v))


def _finish(frame: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    n = y.size
    frame["r2"] = 1 - frame["rss"] / float(np.sum((y - y.mean()) ** 2))
    ll = -n / 2 * (np.log(2 * np.pi * frame["rss"] / n) + 1)
    frame["log_likelihood"] = ll
    frame["aic"] = -2 * ll + 2 * frame["n_params"]
    frame["bic"] = -2 * ll + np.log(n) * frame["n_params"]
    frame["delta_aic"] = frame["aic"] - frame["aic"].min()
    frame["delta_bic"] = frame["bic"] - frame["bic"].min()
    full = frame.set_index("model").loc["ds_weak"]
    df_den = n - full["n_mean_params"]
    q = full["n_mean_params"] - frame["n_mean_params"]
    f = ((frame["rss"] - full["rss"]) / q.where(q > 0)) / (full["rss"] / df_den)
    frame["f_vs_full"], frame["df_num"], frame["df_den"] = f, q, df_den
    frame["p_vs_full"] = stats.f.sf(f.clip(lower=0), q.where(q > 0), df_den)
    weak = frame[frame["weak"]].set_index("crossover_rule")
    weak_rss = frame["crossover_rule"].map(weak["rss"])
    weak_p = frame["crossover_rule"].map(weak["n_mean_params"])
    strong = ~frame["weak"]
    fw = ((frame["rss"] - weak_rss) / 1.0) / (weak_rss / (n - weak_p))
    frame["f_vs_weak"] = fw.where(strong)
    frame["p_vs_weak"] = pd.Series(stats.f.sf(fw.clip(lower=0), 1, n - weak_p)).where(strong)
    return frame.drop(columns=["weak"])


# ------------------------------------------------------------------ combined
@dataclass(frozen=True, slots=True, kw_only=True)
class Susceptibility:
    """Roisman's indices and the model comparison for one genotype x moderator model."""

    indices: RoismanIndices
    models: ModelComparison

    def to_dict(self) -> dict:
        return {"roisman": self.indices.to_dict(), "models": self.models.to_dict(),
                "summary": self.summary()}

    def to_frame(self) -> pd.DataFrame:
        return self.models.to_frame()

    def summary(self) -> str:
        rows = self.indices.frame.set_index("range_rule")
        poi = "; ".join(f"PoI right = {r['poi_right']:.2f} within {r['range_words']} "
                        f"[{r['range_low']:.3g}, {r['range_high']:.3g}]"
                        + (" (extends beyond the data)" if r["beyond_observed"] else "")
                        for _, r in rows.iterrows())
        return (f"{self.models.summary()} Roisman et al. (2012): {poi}; PA (share above C, "
                f"definition unverified) = {self.indices.pa:.2f}.")


def susceptibility(data: pd.DataFrame, *, outcome: str, gene: str, moderator: str,
                   covariates: Sequence[str] = (), susceptible: int = 1,
                   favourable: str = "high", range_rule: str = "observed", alpha: float = 0.05,
                   susceptible_label: str | None = None, reference: dict | None = None,
                   file: str | None = None) -> Susceptibility:
    """Both analyses on a data frame (complete cases of the named columns).

    ``gene`` must be binary (0/1, or two text levels coded as in ``probe``,
    ``reference`` naming the level coded 0); the Roisman indices use the ordinary
    interaction model ``outcome ~ gene * moderator + covariates`` (OLS).

    Examples
    --------
    >>> from analysis.study.families import _example_data
    >>> res = susceptibility(_example_data(300), outcome="CO", gene="drd4_7r_carrier",
    ...                      moderator="avoidant")
    >>> res.models.best_bic in {m[0] for m in MODELS}
    True
    """
    from ..stats.moderation import prepare_columns

    cols = [outcome, gene, moderator, *covariates]
    frame, _, _ = prepare_columns(data, cols, file=file, reference=reference)
    y, g, w = (frame[c].to_numpy(dtype=float) for c in (outcome, gene, moderator))
    if not np.all((g == 0.0) | (g == 1.0)) or g.min() == g.max():   # values 0/1, both present
        raise InputError("must be a binary genotype (two groups) for the differential-"
                         "susceptibility analysis", file=file, column=gene)
    Z = frame[list(covariates)].to_numpy(dtype=float) if covariates else None
    inter = f"{gene}:{moderator}"
    terms = ("Intercept", gene, moderator, inter, *covariates)
    _too_few_rows(y.size, len(terms))
    y, g, w, s, Z = _comparison_inputs(y, g, w, Z, susceptible, favourable)
    factor = _Factor.of(y, s, w, Z)
    fit = _interaction_fit(factor, susceptible, terms, alpha, float(np.sum((y - y.mean()) ** 2)))
    return Susceptibility(
        indices=roisman_indices(fit, gene, inter, w, alpha=alpha),
        models=_compare(factor, y, w, susceptible=susceptible, favourable=favourable,
                        range_rule=range_rule, alpha=alpha, names=(outcome, gene, moderator),
                        covariate_names=covariates, susceptible_label=susceptible_label))


def _too_few_rows(n: int, k: int) -> None:
    """:func:`~analysis.stats.models.fit_ols`'s own row check, before any factoring."""
    if n < k + 2:
        raise InputError(f"{n} complete rows is too few for a model with {k} parameters "
                         f"(need at least {k + 2})")


def _interaction_fit(factor: _Factor, susceptible: int, terms, alpha: float, tss: float):
    """``fit_ols([1, G, W, GW, Z], y, terms)`` (classical covariance) from the factor.

    G = S, or G = 1 - S and GW = W - WS when S codes G = 0, so the design is
    ``[1, S, W, WS, Z] T``; its QR is that of ``R_x T`` (same R, column norms and
    hence the same rank check, :func:`analysis.stats.models._checked_qr`), and
    ``b = R^-1 Q' r_y``, ``RSS = ||r_y - R_x T b||^2``, ``V = s^2 R^-1 R^-T`` as fit_ols
    computes them on the n rows."""
    from ..stats.models import OLSFit, _checked_qr

    E = np.eye(4 + factor.k)
    one, s, w, ws = E[:, 0], E[:, 1], E[:, 2], E[:, 3]
    T = E if susceptible == 1 else np.column_stack([one, one - s, w, w - ws, E[:, 4:]])
    A, r_y = factor.design(T), factor.r[:, -1]
    qr = _checked_qr(A, r_y, terms)               # A has 5 + k rows: the Householder path
    r = qr.r
    params = np.linalg.solve(r, qr.qty)
    resid = r_y - A @ params
    rss = float(resid @ resid)
    n, k = factor.n, T.shape[1]
    r_inv = np.linalg.solve(r, np.eye(k))
    return OLSFit(terms=tuple(terms), params=params, vcov=r_inv @ r_inv.T * (rss / (n - k)),
                  se_type="ols", nobs=n, df_resid=n - k, rss=rss, tss=tss, alpha=alpha)


# ------------------------------------------------------------------ helpers


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _j(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


# ------------------------------------------------------------------ Study 2
#: The putatively susceptible genotype group per gene (carrier code), as the claims
#: name the rising group: 7R carriers (S2b) and A2/A2 (S2a, A1 carrier = 1 coding).
SUSCEPTIBLE_CODE = {"DRD4": 1, "DRD2": 0}


def study2_susceptibility(data: pd.DataFrame, keys, *, covariates: Sequence[str] = (),
                          alpha: float = 0.05,
                          range_rule: str = "observed") -> dict[str, pd.DataFrame]:
    """Both analyses for every Study 2 model ``(outcome, gene, style)`` in ``keys``.

    Susceptible group: :data:`SUSCEPTIBLE_CODE` (the claims' rising groups);
    favourable end: :data:`FAVOURABLE_END` (high secure, low anxious / avoidant).

    Returns
    -------
    dict of DataFrames: ``summary`` (one row per model: the weak-DS crossover and
    its CI, the best model by BIC and AIC, the key F tests, PoI in both ranges,
    PA and a plain-language ``text``), ``models`` (seven rows per model) and
    ``roisman`` (one row per model and range rule).
    """
    from .families import GENES, GROUP_LABELS

    summary, models, roisman = [], [], []
    for outcome, gene, style in keys:
        col = GENES[gene]
        code = SUSCEPTIBLE_CODE[gene]
        res = susceptibility(data, outcome=outcome, gene=col, moderator=style,
                             covariates=covariates, susceptible=code,
                             favourable=FAVOURABLE_END.get(style, "high"), alpha=alpha,
                             range_rule=range_rule, susceptible_label=GROUP_LABELS[gene][code])
        key = {"outcome": outcome, "gene": gene, "style": style}
        models.append(res.models.to_frame().assign(**key))
        roisman.append(res.indices.to_frame().assign(**key))
        summary.append({**key, **_summary_row(res)})
    first = ["outcome", "gene", "style"]
    return {name: _lead(pd.concat(parts, ignore_index=True), first) if parts else pd.DataFrame()
            for name, parts in (("models", models), ("roisman", roisman))} | {
        "summary": pd.DataFrame(summary)}


def _summary_row(res: Susceptibility) -> dict:
    m = res.models
    f = m.frame.set_index("model")
    ds = f.loc["ds_weak"]
    r = res.indices.frame.set_index("range_rule")
    return {"susceptible_group": m.susceptible, "favourable_end": m.favourable,
            "crossover": ds["crossover"], "crossover_conf_low": ds["crossover_conf_low"],
            "crossover_conf_high": ds["crossover_conf_high"], "range_rule": m.range_rule,
            "range_low": m.range_low, "range_high": m.range_high,
            "ci_in_range": ds["ci_in_range"], "best_bic": m.best_bic, "best_aic": m.best_aic,
            "p_strong_ds": f.loc["ds_strong", "p_vs_full"],
            "p_diathesis_stress": f.loc["dstress_weak", "p_vs_full"],
            "p_vantage": f.loc["vantage_weak", "p_vs_full"],
            "poi_right_2sd": r.loc["2sd", "poi_right"] if "2sd" in r.index else None,
            "poi_right_observed": r.loc["observed", "poi_right"] if "observed" in r.index else None,
            "poi_ds_roisman": _in_window(r, "2sd", 0.40, 0.60),
            "poi_ds_del_giudice": _in_window(r, "2sd", 0.20, 0.80),
            "pa": res.indices.pa, "text": m.summary()}


def _in_window(rows: pd.DataFrame, rule: str, low: float, high: float) -> bool | None:
    """PoI within [low, high] (Roisman's .40-.60; Del Giudice's 2017 .20-.80)."""
    if rule not in rows.index:
        return None
    return bool(low <= rows.loc[rule, "poi_right"] <= high)


def summary_paragraph(summary: pd.DataFrame) -> str:
    """Plain-language overview of :func:`study2_susceptibility`'s ``summary`` table."""
    if summary is None or summary.empty:
        return ""
    best = summary["best_bic"].map(dict((m, lab) for m, lab, *_ in MODELS))
    inside = summary["ci_in_range"].fillna(False).astype(bool)
    lines = [f"{r.outcome} ~ {r.gene} x {r.style}: {b}" for r, b in zip(summary.itertuples(), best)]
    return (f"Differential susceptibility vs diathesis-stress (Widaman et al. 2012; Belsky, Pluess "
            f"& Widaman 2013), best model by BIC per Study 2 model: " + "; ".join(lines) + ". "
            f"The crossover's confidence interval lies inside the observed moderator range in "
            f"{int(inside.sum())} of {len(summary)} models (where the interaction is weak the "
            f"crossover is poorly located and its interval very wide). Attachment is a trait "
            f"here, not an exogenous environment: the labels describe the shape of the "
            f"interaction only.")


def _lead(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    return frame[first + [c for c in frame.columns if c not in first]]
