"""``probe`` for a multicategorical focal predictor or moderator (PROCESS Model 1).

Wiring only: the sample comes from :func:`analysis.stats.moderation.prepare_sample`, the
coding from :mod:`analysis.stats.categorical`, the fit from :func:`analysis.stats.models.fit_ols`
and every effect, contrast and test from :func:`analysis.stats.probing.linear_combination`
/ :meth:`analysis.stats.models.OLSFit.wald` with the chosen covariance (OLS, HC, CR1, CR2).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from .categorical import Categorical, OmnibusJN, effects_frame, make_categorical, omnibus_jn
from .models import OLSFit, fit_ols
from .probing import _records, johnson_neyman_rows

__all__ = ["CategoricalProbeResult", "probe_categorical"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoricalProbeResult:
    """Result of :func:`analysis.stats.moderation.probe` with a multicategorical variable.

    Attributes
    ----------
    role : {"moderator", "focal"}
        Which variable is multicategorical.
    categorical : Categorical
        Levels, reference, coding scheme and matrix, group sizes.
    fit : OLSFit
        ``Intercept, X, W=..., X:W=..., covariates`` (categorical moderator) or
        ``Intercept, X=..., W, X=...:W, covariates`` (categorical focal).
    omnibus_interaction : dict
        ``statistic, df_num, df_den, p_value, r2_change``: all product terms zero.
    effects : DataFrame
        Categorical moderator: the effect of X in each group (``label = group=<level>``).
        Categorical focal: each group minus the reference at each probe value of W
        (``label`` = probe point, ``contrast`` = ``<level> - <reference>``).
    pairwise : DataFrame or None
        Categorical moderator: every difference between two groups' effects of X.
    omnibus_at : DataFrame or None
        Categorical focal: the omnibus test of group differences at each probe value.
    omnibus_jn : OmnibusJN or None
    contrast_jn : dict of {contrast: JohnsonNeyman}
    """

    outcome: str
    focal: str
    moderator: str
    covariates: tuple[str, ...]
    role: str
    n: int
    n_dropped: int
    se_type: str
    alpha: float
    coding: dict
    categorical: Categorical
    fit: OLSFit = field(repr=False)
    omnibus_interaction: dict
    model_f: float
    model_p: float
    effects: pd.DataFrame = field(repr=False)
    pairwise: pd.DataFrame | None = field(default=None, repr=False)
    omnibus_at: pd.DataFrame | None = field(default=None, repr=False)
    omnibus_jn: OmnibusJN | None = field(default=None, repr=False)
    contrast_jn: dict = field(default_factory=dict, repr=False)
    cluster: str | None = None
    weights: str | None = None
    notes: tuple[str, ...] = ()

    model = 1

    @property
    def coefficients(self) -> pd.DataFrame:
        return self.fit.to_frame()

    def conditional_effects(self) -> pd.DataFrame:
        return self.effects.copy()

    def to_dict(self) -> dict:
        """The JSON contract of ``salesgxe probe --json`` for this design."""
        from .moderation import _df_convention
        fit = self.fit
        return {
            "model": 1, "design": f"multicategorical {self.role}",
            "outcome": self.outcome, "focal": self.focal, "moderator": self.moderator,
            "covariates": list(self.covariates), "n": self.n, "n_dropped": self.n_dropped,
            "se_type": self.se_type, "alpha": self.alpha, "coding": self.coding,
            "categorical": self.categorical.to_dict(),
            "coefficients": _records(self.coefficients),
            "r2": fit.r2, "r2_adj": fit.r2_adj, "model_f": self.model_f, "model_p": self.model_p,
            "df_resid": fit.df_resid, "omnibus_interaction": self.omnibus_interaction,
            "conditional_effects": _records(self.effects),
            "pairwise": None if self.pairwise is None else _records(self.pairwise),
            "omnibus_at": None if self.omnibus_at is None else _records(self.omnibus_at),
            "omnibus_johnson_neyman": None if self.omnibus_jn is None else self.omnibus_jn.to_dict(),
            "contrast_johnson_neyman": {k: v.to_dict() for k, v in self.contrast_jn.items()},
            "cluster": self.cluster,
            "n_clusters": None if fit.cluster is None else fit.cluster.n_clusters,
            "weights": self.weights, "n_effective": fit.n_effective,
            "df_convention": _df_convention(self.se_type), "notes": list(self.notes),
        }

    def summary(self) -> str:
        from ..render.formatting import categorical_summary
        return categorical_summary(self)

    def __str__(self) -> str:
        return self.summary()


def probe_categorical(data: pd.DataFrame, labels: pd.Series, levels: list[str], *,
                      source: str, sensitive: bool, outcome: str, focal: str, moderator: str,
                      covariates: Sequence[str], se: str, alpha: float, reference: dict,
                      scheme: str, min_group_size: int, at, cluster, weights, jn_fdr: bool,
                      file: str | None, linear_probability: bool = False,
                      recoded: dict | None = None) -> CategoricalProbeResult:
    """Fit and probe Model 1 with ``focal`` or ``moderator`` multicategorical.

    ``labels``/``levels`` describe that variable (:func:`analysis.stats.categorical.categorical_levels`);
    the other arguments are those of :func:`analysis.stats.moderation.probe`.
    """
    from .moderation import _check_variation, _probe_points, prepare_sample

    var, role = (moderator, "moderator") if labels.name == moderator else (focal, "focal")
    reference = dict(reference)
    ref_level = reference.pop(var, None)
    index = labels.map({lv: float(i) for i, lv in enumerate(levels)})
    work = data.assign(**{var: index.to_numpy()})
    sample = prepare_sample(work, [outcome, focal, moderator, *covariates], cluster=cluster,
                            weights=weights, file=file, reference=reference,
                            linear_probability=linear_probability, recoded=recoded)
    frame = sample.frame
    kept = pd.Series(np.asarray(levels, dtype=object)[frame[var].to_numpy(int)])
    cat = make_categorical(var, kept, levels, reference=ref_level, scheme=scheme, source=source,
                           min_size=min_group_size, file=file, sensitive=sensitive)
    other = moderator if role == "focal" else focal
    _check_variation(frame, [other, *covariates], file)
    D = cat.matrix[kept.map({lv: i for i, lv in enumerate(cat.levels)}).to_numpy(int)]
    v = frame[other].to_numpy()
    cov = frame[list(covariates)].to_numpy()
    if role == "moderator":
        inter = [f"{focal}:{c}" for c in cat.columns]
        terms = ["Intercept", focal, *cat.columns, *inter, *covariates]
    else:
        inter = [f"{c}:{moderator}" for c in cat.columns]
        terms = ["Intercept", *cat.columns, moderator, *inter, *covariates]
    ones = np.ones(len(frame))
    X = (np.column_stack([ones, v, D, D * v[:, None], cov]) if role == "moderator"
         else np.column_stack([ones, D, v, D * v[:, None], cov]))
    y = frame[outcome].to_numpy()
    fit = fit_ols(X, y, terms, se=se, alpha=alpha, weights=sample.weights, cluster=sample.cluster)
    keep = [i for i, t in enumerate(terms) if t not in inter]
    reduced = fit_ols(X[:, keep], y, [terms[i] for i in keep], se="ols", weights=sample.weights)
    L_inter = _unit_rows(fit, inter)
    F, q, df2, p = fit.wald(L_inter)
    omnibus = {"terms": inter, "statistic": F, "df_num": q, "df_den": df2, "p_value": p,
               "r2_change": fit.r2 - reduced.r2}
    model_f, _, _, model_p = fit.wald(np.eye(len(terms))[1:])
    common = dict(outcome=outcome, focal=focal, moderator=moderator, covariates=tuple(covariates),
                  role=role, n=len(frame), n_dropped=sample.n_dropped, se_type=se, alpha=alpha,
                  coding=sample.coding, categorical=cat, fit=fit, omnibus_interaction=omnibus,
                  model_f=model_f, model_p=model_p, cluster=cluster, weights=weights)
    if role == "moderator":
        effects, pairwise = _group_effects(fit, cat, focal, inter)
        return CategoricalProbeResult(**common, effects=effects, pairwise=pairwise,
                                      notes=_cat_notes(sample, fit, cluster))
    pts_labels, values = _probe_points(v, np.unique(v).size == 2, at, moderator, sample.coding,
                                       sample.weights)
    effects, omnibus_at, base, slope = _focal_contrasts(fit, cat, moderator, inter, pts_labels,
                                                        values)
    ojn = cjn = None
    if np.unique(v).size > 2:
        ojn = omnibus_jn(fit, base, slope, v, moderator=moderator, alpha=alpha)
        cjn = {f"{lv} - {cat.reference}": johnson_neyman_rows(
            fit, b, s, v, focal=f"{focal}={lv} - {cat.reference}", moderator=moderator,
            fdr=jn_fdr, weights=sample.weights) for lv, b, s in zip(cat.others, base, slope)}
    return CategoricalProbeResult(**common, effects=effects, omnibus_at=omnibus_at,
                                  omnibus_jn=ojn, contrast_jn=cjn or {},
                                  notes=_cat_notes(sample, fit, cluster))


def _unit_rows(fit, names) -> np.ndarray:
    L = np.zeros((len(names), len(fit.terms)))
    for r, name in enumerate(names):
        L[r, fit.index(name)] = 1.0
    return L


def _group_effects(fit, cat: Categorical, focal: str, inter: list[str]):
    """Effect of X in each group (``b_X + C[l] . d``) and all pairwise differences."""
    k = len(fit.terms)
    idx = [fit.index(t) for t in inter]
    rows = np.zeros((len(cat.levels), k))
    rows[:, fit.index(focal)] = 1.0
    rows[:, idx] = cat.matrix
    effects = effects_frame(fit, rows, [f"group={lv}" for lv in cat.levels],
                            group=list(cat.levels))
    pairs = [(i, j) for i in range(len(cat.levels)) for j in range(i + 1, len(cat.levels))]
    diff = np.array([rows[i] - rows[j] for i, j in pairs])
    pairwise = effects_frame(fit, diff, [f"{cat.levels[i]} - {cat.levels[j]}" for i, j in pairs],
                             group=[cat.levels[i] for i, _ in pairs],
                             versus=[cat.levels[j] for _, j in pairs])
    return effects, pairwise


def _focal_contrasts(fit, cat: Categorical, moderator: str, inter: list[str], labels, values):
    """Each group minus the reference at each probe value, and the omnibus test there.

    Row of the contrast of level ``l`` at w: ``(C[l] - C[ref]) . (a + w d)``.
    """
    k = len(fit.terms)
    a_idx = [fit.index(c) for c in cat.columns]
    d_idx = [fit.index(t) for t in inter]
    diff = np.array([cat.row(lv) - cat.row(cat.reference) for lv in cat.others])
    base = np.zeros((len(diff), k))
    slope = np.zeros((len(diff), k))
    base[:, a_idx] = diff
    slope[:, d_idx] = diff
    rows, lab, mv, con = [], [], [], []
    omni = []
    for label, w in zip(labels, values):
        rows.append(base + w * slope)
        lab += [label] * len(diff)
        mv += [float(w)] * len(diff)
        con += [f"{lv} - {cat.reference}" for lv in cat.others]
        F, q, df2, p = fit.wald(base + w * slope)
        omni.append({"label": label, "moderator_value": float(w), "statistic": F, "df_num": q,
                     "df_den": df2, "p_value": p})
    effects = effects_frame(fit, np.vstack(rows), lab, moderator_value=mv, contrast=con)
    return effects, pd.DataFrame(omni), base, slope


def _cat_notes(sample, fit, cluster) -> tuple[str, ...]:
    from .moderation import _design_notes
    return _design_notes(sample, fit, cluster)


def check_single_categorical(names: Sequence[str]) -> None:
    if len(names) > 1:
        raise InputError(f"both {names[0]!r} and {names[1]!r} are multicategorical: probe one "
                         "multicategorical variable at a time (make the other numeric)")


# ------------------------------------------------------------ variable roles
GENOTYPE_CODINGS = ("genotype", "carrier", "additive")
MIN_GROUP_TEXT = 5          # rows per group of a text / numeric-code variable
MIN_GROUP_GENOTYPE = 10     # rows per genotype group: the codebook's min_group_size default


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoricalSpec:
    """A variable found to be multicategorical, before listwise deletion."""

    labels: pd.Series
    levels: list
    source: str
    sensitive: bool


def resolve_variables(data: pd.DataFrame, roles: Sequence[str], *, categorical: Sequence[str] = (),
                      genotype: dict | None = None, file: str | None = None):
    """Recode genotype columns and find the multicategorical variables among ``roles``.

    Returns ``(data, {name: CategoricalSpec}, {name: description})``; ``data`` is a
    new frame (the input is never modified) in which ``--genotype VAR=carrier|additive``
    columns hold 0/1 or 0/1/2, described in the third item (for the notes).  A focal or moderator column is multicategorical when declared with
    ``categorical`` (numeric codes), coded ``genotype``, or text with 3-10 levels.
    """
    from .categorical import categorical_levels

    genotype = dict(genotype or {})
    for name in [*categorical, *genotype]:
        if name not in roles:
            raise InputError(f"{name!r} is declared categorical or genotype but is neither the "
                             "focal predictor nor a moderator", column=name)
        if name not in data.columns:
            raise InputError("no such column", file=file, column=name)
    found, new, recoded = {}, {}, {}
    for name, coding in genotype.items():
        values, spec, locus = _genotype_column(data[name], name, coding, file)
        if spec is None:
            new[name] = values
            risk = {"DRD2": "A1", "DRD4": "7R"}[locus]
            recoded[name] = (f"{name} parsed as {locus} genotypes, coded "
                             + (f"1 = carrier of {risk}, 0 = non-carrier" if coding == "carrier"
                                else f"0/1/2 = number of {risk} alleles (additive)"))
        else:
            found[name] = spec
    for name in roles:
        if name in found or name in new or name not in data.columns:
            continue
        col = data[name]
        numeric_codes = name in categorical
        if not numeric_codes and not _is_multilevel_text(col):
            continue
        labels, levels = categorical_levels(col, name, numeric_codes=numeric_codes, file=file)
        if len(levels) == 2 and numeric_codes:
            continue                         # a binary variable: the usual 0/1 path
        found[name] = CategoricalSpec(labels=labels.rename(name), levels=levels,
                                      source="numeric codes" if numeric_codes else "text",
                                      sensitive=_is_sensitive(col))
    return (data.assign(**new) if new else data), found, recoded


def _is_sensitive(col: pd.Series) -> bool:
    """Genotype-like or id-like values are never shown (analysis.privacy)."""
    from ..privacy import is_sensitive
    return is_sensitive(col)


def _is_multilevel_text(col: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    text = col.astype("string").str.strip()
    text = text.mask(text == "")
    numbers = pd.to_numeric(text, errors="coerce")
    # every value is text (a numeric column with a few bad cells is reported row by row
    # by the numeric path instead)
    return bool(text.notna().any() and numbers.isna()[text.notna()].all()
                and text.dropna().nunique() >= 3)


def _genotype_column(col: pd.Series, name: str, coding: str, file):
    """Parse a genotype column (DRD2 or DRD4 notation, found from the values).

    ``carrier``/``additive`` return numbers; ``genotype`` a CategoricalSpec whose
    levels are ordered by meaning: number of risk alleles (A1, 7R), then frequency,
    so the default reference is the most common genotype without a risk allele.
    """
    from ..measures.genotypes import code_genotypes, parse_genotypes

    if coding not in GENOTYPE_CODINGS:
        raise InputError(f"--genotype {name}={coding}: the coding must be one of "
                         f"{', '.join(GENOTYPE_CODINGS)}")
    alleles = locus = first = None
    for candidate in ("DRD2", "DRD4"):
        try:
            alleles, locus = parse_genotypes(col, candidate, column=name, file=file), candidate
            break
        except InputError as err:
            first = first or err
    if alleles is None:
        raise first
    if coding != "genotype":
        coded = code_genotypes(alleles, locus, coding).astype("Float64").astype(float).to_numpy()
        return coded, None, locus
    labels = code_genotypes(alleles, locus, "genotype")
    labels = labels.where(labels.notna() & (labels != "nan")).astype("string").rename(name)
    risk = code_genotypes(alleles, locus, "additive")
    table = pd.DataFrame({"label": labels, "risk": risk}).dropna()
    order = (table.groupby("label")["risk"].agg(["first", "size"])
             .sort_values(["first", "size"], ascending=[True, False]).index.tolist())
    return None, CategoricalSpec(labels=labels, levels=[str(v) for v in order],
                                 source=f"genotype ({locus}, parsed)", sensitive=True), locus
