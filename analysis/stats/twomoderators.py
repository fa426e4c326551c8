"""``probe`` with two moderators: PROCESS Model 2 (X*W + X*Z) and Model 3 (X*W*Z).

.. math::

    \\text{Model 2: } Y = b_0 + b_1 X + b_2 W + b_3 Z + b_4 XW + b_5 XZ + \\ldots \\qquad
    \\theta_X(w, z) = b_1 + b_4 w + b_5 z

    \\text{Model 3: } Y = \\ldots + b_6 WZ + b_7 XWZ, \\qquad
    \\theta_X(w, z) = b_1 + b_4 w + b_5 z + b_7 w z

(Hayes 2022, *Introduction to Mediation, Moderation, and Conditional Process
Analysis*, 3rd ed., ch. 9).  In Model 3 the X*W interaction at ``Z = z`` is
``b_4 + b_7 z`` and ``b_7`` is the index of moderated moderation; its
Johnson-Neyman region along Z comes from :func:`analysis.stats.probing.johnson_neyman`.
Every quantity is a linear combination of one fit, computed by
:func:`analysis.stats.probing.linear_combination` with the chosen covariance (OLS, HC,
CR1, CR2) and its degrees of freedom.  The significance region in the (W, Z) plane
is the same computation on a grid (``region``), drawn by
:func:`significance_region_figure` without recomputing anything.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from .models import OLSFit, fit_ols
from .probing import JohnsonNeyman, _records, johnson_neyman, johnson_neyman_rows, linear_combination

__all__ = ["TwoModeratorProbeResult", "probe_two", "significance_region_figure"]

REGION_POINTS = 41


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoModeratorProbeResult:
    """Result of :func:`analysis.stats.moderation.probe` with ``moderator2`` (Models 2 and 3).

    Attributes
    ----------
    model : {2, 3}
    tests : DataFrame
        ``label, terms, r2_change, statistic, df_num, df_den, p_value``: Model 2
        ``X*W``, ``X*Z`` and ``both``; Model 3 ``X*W*Z``.
    effects : DataFrame
        Effect of X on the W x Z grid of probe values (``label_w``, ``label_z``,
        ``moderator_value``, ``moderator2_value``, ``in_range``).
    conditional_interaction : DataFrame or None
        Model 3: the X*W interaction at each probe value of Z.
    interaction_jn : JohnsonNeyman or None
        Model 3 with a non-binary Z: where along Z the X*W interaction is significant.
    index_mm : dict or None
        Model 3: the index of moderated moderation ``b_7`` with its inference.
    jn_by_z : dict
        For a non-binary W: the JN region of the effect of X along W at each Z probe value.
    region : DataFrame
        The effect of X on a 41 x 41 grid of the observed (W, Z) ranges with
        ``significant`` (p < alpha): the data of the 2-D significance-region figure.
    """

    outcome: str
    focal: str
    moderator: str
    moderator2: str
    model: int
    covariates: tuple[str, ...]
    n: int
    n_dropped: int
    se_type: str
    alpha: float
    coding: dict
    fit: OLSFit = field(repr=False)
    tests: pd.DataFrame = field(repr=False)
    model_f: float
    model_p: float
    effects: pd.DataFrame = field(repr=False)
    region: pd.DataFrame = field(repr=False)
    conditional_interaction: pd.DataFrame | None = field(default=None, repr=False)
    interaction_jn: JohnsonNeyman | None = field(default=None, repr=False)
    index_mm: dict | None = None
    jn_by_z: dict = field(default_factory=dict, repr=False)
    cluster: str | None = None
    weights: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def coefficients(self) -> pd.DataFrame:
        return self.fit.to_frame()

    def conditional_effects(self) -> pd.DataFrame:
        return self.effects.copy()

    def to_dict(self) -> dict:
        """The JSON contract of ``salesgxe probe --json`` for Models 2 and 3."""
        from .moderation import _df_convention
        fit = self.fit
        return {
            "model": self.model, "design": "two moderators",
            "outcome": self.outcome, "focal": self.focal, "moderator": self.moderator,
            "moderator2": self.moderator2, "covariates": list(self.covariates), "n": self.n,
            "n_dropped": self.n_dropped, "se_type": self.se_type, "alpha": self.alpha,
            "coding": self.coding, "coefficients": _records(self.coefficients),
            "r2": fit.r2, "r2_adj": fit.r2_adj, "model_f": self.model_f, "model_p": self.model_p,
            "df_resid": fit.df_resid, "interaction_tests": _records(self.tests),
            "conditional_effects": _records(self.effects),
            "conditional_interaction": (None if self.conditional_interaction is None
                                        else _records(self.conditional_interaction)),
            "interaction_johnson_neyman": (None if self.interaction_jn is None
                                           else self.interaction_jn.to_dict()),
            "index_of_moderated_moderation": self.index_mm,
            "johnson_neyman_by_moderator2": {k: v.to_dict() for k, v in self.jn_by_z.items()},
            "significance_region": _records(self.region),
            "cluster": self.cluster,
            "n_clusters": None if fit.cluster is None else fit.cluster.n_clusters,
            "weights": self.weights, "n_effective": fit.n_effective,
            "df_convention": _df_convention(self.se_type), "notes": list(self.notes),
        }

    def summary(self) -> str:
        from ..render.formatting import two_moderator_summary
        return two_moderator_summary(self)

    def __str__(self) -> str:
        return self.summary()


def _terms(focal, w, z, model):
    xw, xz, wz, xwz = f"{focal}:{w}", f"{focal}:{z}", f"{w}:{z}", f"{focal}:{w}:{z}"
    return (xw, xz, wz, xwz), (["Intercept", focal, w, z, xw, xz] + ([wz, xwz] if model == 3 else []))


def _design(x, w, z, model, cov) -> np.ndarray:
    cols = [np.ones_like(x), x, w, z, x * w, x * z]
    if model == 3:
        cols += [w * z, x * w * z]
    return np.column_stack([*cols, cov])


def _effect_rows(fit, names, model, wv, zv) -> np.ndarray:
    """Rows of ``theta_X(w, z)`` for paired arrays ``wv``, ``zv``."""
    xw, xz, _, xwz = names
    L = np.zeros((len(wv), len(fit.terms)))
    L[:, 1] = 1.0
    L[:, fit.index(xw)] = wv
    L[:, fit.index(xz)] = zv
    if model == 3:
        L[:, fit.index(xwz)] = np.asarray(wv) * np.asarray(zv)
    return L


def probe_two(data: pd.DataFrame, *, outcome: str, focal: str, moderator: str, moderator2: str,
              model: int, covariates: Sequence[str], se: str, alpha: float, reference: dict | None,
              jn_fdr: bool, at, at2, cluster, weights, file,
              linear_probability: bool = False, recoded: dict | None = None) -> TwoModeratorProbeResult:
    """Fit and probe Model 2 or 3 (arguments as :func:`analysis.stats.moderation.probe`)."""
    from .moderation import _check_variation, _design_notes, _probe_points, prepare_sample

    covariates = tuple(covariates)
    sample = prepare_sample(data, [outcome, focal, moderator, moderator2, *covariates],
                            cluster=cluster, weights=weights, file=file, reference=reference,
                            linear_probability=linear_probability, recoded=recoded)
    frame = sample.frame
    _check_variation(frame, [focal, moderator, moderator2, *covariates], file)
    x, w, z = (frame[c].to_numpy() for c in (focal, moderator, moderator2))
    names, terms = _terms(focal, moderator, moderator2, model)
    X = _design(x, w, z, model, frame[list(covariates)].to_numpy())
    y = frame[outcome].to_numpy()
    fit = fit_ols(X, y, terms + list(covariates), se=se, alpha=alpha, weights=sample.weights,
                  cluster=sample.cluster)
    tests = _interaction_tests(fit, X, y, names, model, sample.weights)
    model_f, _, _, model_p = fit.wald(np.eye(len(fit.terms))[1:])
    w_bin, z_bin = np.unique(w).size == 2, np.unique(z).size == 2
    wl, wv = _probe_points(w, w_bin, at, moderator, sample.coding, sample.weights)
    zl, zv = _probe_points(z, z_bin, at2, moderator2, sample.coding, sample.weights)
    effects = _grid_effects(fit, names, model, (wl, wv, w), (zl, zv, z))
    extra = {}
    if model == 3:
        extra = _model3_parts(fit, names, zl, zv, z, moderator2, z_bin, jn_fdr, sample.weights)
    jn_by_z = {} if w_bin else {
        f"{lab}": johnson_neyman_rows(fit, *_along_w(fit, names, model, v), w,
                                      focal=focal, moderator=moderator, fdr=jn_fdr,
                                      weights=sample.weights)
        for lab, v in zip(zl, zv)}
    return TwoModeratorProbeResult(
        outcome=outcome, focal=focal, moderator=moderator, moderator2=moderator2, model=model,
        covariates=covariates, n=len(frame), n_dropped=sample.n_dropped, se_type=se, alpha=alpha,
        coding=sample.coding, fit=fit, tests=tests, model_f=model_f, model_p=model_p,
        effects=effects, region=_region(fit, names, model, w, z), jn_by_z=jn_by_z,
        cluster=cluster, weights=weights, notes=_design_notes(sample, fit, cluster), **extra)


def _along_w(fit, names, model, zval):
    """``theta_X(w, z)`` at fixed z as ``(l0 + w l1)' b``."""
    xw, xz, _, xwz = names
    l0 = np.zeros(len(fit.terms))
    l1 = np.zeros(len(fit.terms))
    l0[1], l0[fit.index(xz)] = 1.0, zval
    l1[fit.index(xw)] = 1.0
    if model == 3:
        l1[fit.index(xwz)] = zval
    return l0, l1


def _interaction_tests(fit, X, y, names, model, weights) -> pd.DataFrame:
    """Model 2: X*W, X*Z and both; Model 3: X*W*Z. Wald F under the fit's covariance,
    R-squared change from OLS/WLS refits without the term(s)."""
    xw, xz, _, xwz = names
    sets = ([("X*W", [xw]), ("X*Z", [xz]), ("both", [xw, xz])] if model == 2
            else [("X*W*Z", [xwz])])
    rows = []
    for label, drop in sets:
        keep = [i for i, t in enumerate(fit.terms) if t not in drop]
        reduced = fit_ols(X[:, keep], y, [fit.terms[i] for i in keep], se="ols", weights=weights)
        L = np.zeros((len(drop), len(fit.terms)))
        for r, t in enumerate(drop):
            L[r, fit.index(t)] = 1.0
        F, q, df2, p = fit.wald(L)
        rows.append({"label": label, "terms": " + ".join(drop), "r2_change": fit.r2 - reduced.r2,
                     "statistic": F, "df_num": q, "df_den": df2, "p_value": p})
    return pd.DataFrame(rows)


def _grid_effects(fit, names, model, wpart, zpart) -> pd.DataFrame:
    (wl, wv, w), (zl, zv, z) = wpart, zpart
    WW, ZZ = np.meshgrid(wv, zv, indexing="ij")
    LW, LZ = np.meshgrid(np.asarray(wl, dtype=object), np.asarray(zl, dtype=object), indexing="ij")
    frame = linear_combination(fit, _effect_rows(fit, names, model, WW.ravel(), ZZ.ravel()))
    frame.insert(0, "moderator2_value", ZZ.ravel())
    frame.insert(0, "moderator_value", WW.ravel())
    frame.insert(0, "label_z", LZ.ravel())
    frame.insert(0, "label_w", LW.ravel())
    frame.insert(0, "label", [f"{a} | {b}" for a, b in zip(LW.ravel(), LZ.ravel())])
    frame["in_range"] = ((WW.ravel() >= w.min() - 1e-12) & (WW.ravel() <= w.max() + 1e-12)
                         & (ZZ.ravel() >= z.min() - 1e-12) & (ZZ.ravel() <= z.max() + 1e-12))
    return frame


def _model3_parts(fit, names, zl, zv, z, moderator2, z_bin, jn_fdr, weights) -> dict:
    xw, _, _, xwz = names
    L = np.zeros((len(zv), len(fit.terms)))
    L[:, fit.index(xw)], L[:, fit.index(xwz)] = 1.0, zv
    cond = linear_combination(fit, L)
    cond.insert(0, "moderator2_value", np.asarray(zv, dtype=float))
    cond.insert(0, "label", list(zl))
    index = _records(linear_combination(fit, np.eye(len(fit.terms))[[fit.index(xwz)]]))[0]
    jn = None if z_bin else johnson_neyman(fit, xw, xwz, z, moderator=moderator2, fdr=jn_fdr,
                                           weights=weights)
    return {"conditional_interaction": cond, "index_mm": {"term": xwz, **index},
            "interaction_jn": jn}


def _region(fit, names, model, w, z, n: int = REGION_POINTS) -> pd.DataFrame:
    """Effect of X on an n x n grid of the observed W and Z ranges (binary: both values)."""
    gw = np.unique(w) if np.unique(w).size == 2 else np.linspace(w.min(), w.max(), n)
    gz = np.unique(z) if np.unique(z).size == 2 else np.linspace(z.min(), z.max(), n)
    WW, ZZ = np.meshgrid(gw, gz, indexing="ij")
    frame = linear_combination(fit, _effect_rows(fit, names, model, WW.ravel(), ZZ.ravel()))
    frame.insert(0, "moderator2_value", ZZ.ravel())
    frame.insert(0, "moderator_value", WW.ravel())
    frame["significant"] = frame["p_value"] < fit.alpha
    return frame


def check_two_moderator_options(moderator2, model) -> int:
    """``model`` is required (2 or 3) with a second moderator and refused without one."""
    if moderator2 is None:
        if model not in (None, 1):
            raise InputError(f"--model {model} needs a second moderator (--moderator2 Z)")
        return 1
    if model not in (2, 3):
        raise InputError("with --moderator2 choose --model 2 (X*W + X*Z) or --model 3 (X*W*Z)")
    return int(model)


# ------------------------------------------------------------------- figure
def significance_region_figure(res: TwoModeratorProbeResult):
    """The (W, Z) plane shaded where the effect of X is significant, with the sign of the
    effect (matplotlib Figure).  Draws ``res.region``; computes nothing.  User text
    (column names) is rendered literally (:func:`analysis.sanitize.mpl_literal`)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from ..sanitize import mpl_literal

    reg = res.region
    gw = np.unique(reg["moderator_value"])
    gz = np.unique(reg["moderator2_value"])
    est = reg["estimate"].to_numpy().reshape(gw.size, gz.size)
    sig = reg["significant"].to_numpy().reshape(gw.size, gz.size)
    code = np.where(sig, np.sign(est), 0.0)
    fig = Figure(figsize=(6.0, 4.8))
    ax = fig.subplots()
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap(["#4477aa", "#eeeeee", "#cc6677"])
    ax.pcolormesh(_edges(gw), _edges(gz), code.T, cmap=cmap, vmin=-1.5, vmax=1.5, shading="flat")
    if gw.size > 2 and gz.size > 2:
        ax.contour(gw, gz, est.T, levels=[0.0], colors="black", linewidths=0.8, linestyles="--")
    ax.set_xlabel(mpl_literal(res.moderator))
    ax.set_ylabel(mpl_literal(res.moderator2))
    conf = f"p < {res.alpha:g}, {res.se_type}"
    ax.set_title(mpl_literal(f"Effect of {res.focal} (Model {res.model}): red = significantly "
                             f"positive, blue = negative, grey = n.s. ({conf})"), fontsize=8)
    return fig


def _edges(v: np.ndarray) -> np.ndarray:
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[:-1] + v[1:]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
