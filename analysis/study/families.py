"""The Study 1 and Study 2 model families of the replication.

Study 1 (genes -> orientation): ``CO`` and ``SO`` are each regressed on both
carrier codes, ``drd2_a1_carrier`` and ``drd4_7r_carrier`` (+ covariates).

Study 2 (gene x attachment -> orientation): for each outcome (CO, SO) x gene
(DRD2 A1 carrier, DRD4 7R carrier) x style (secure, anxious, avoidant),
``outcome ~ gene + style + gene:style (+ covariates)``, i.e. 12 models, fitted
through :func:`analysis.stats.moderation.probe` so that every conditional effect and
Johnson-Neyman region comes from the one core in :mod:`analysis.stats.probing`.

Per model: the interaction (b, SE, t, p, CI), the R-squared change and Cohen's
(1988) local effect size ``f2 = R2_change / (1 - R2_full)`` (Aiken & West 1991,
p. 157; Selya et al. 2012, doi:10.3389/fpsyg.2012.00111), Holm (1979) and
Benjamini-Hochberg (1995) adjusted p across the 12 (methods.md section 8),
the simple slopes of the style in each genotype group (methods.md section 1a),
the genotype effect along the style with its Johnson-Neyman region
(section 1b/2), the DRD2 three-genotype slopes with the 2-df omnibus test,
Keller (2014) covariate-interaction controls (section 4) and a
gene-environment correlation check (Belsky & Pluess criterion 3, section 3d).

Frames carry aggregates only; no participant's genotype is ever printed.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from ..stats.models import OLSFit, design_matrix, fit_ols, normalise_se_type
from ..stats.moderation import ProbeResult, prepare_columns, probe, probe_pair
from ..stats.probing import _records, linear_combination, wald_test

__all__ = [
    "OUTCOMES", "STYLES", "GENES", "GROUP_LABELS", "DRD2_GENOTYPES",
    "Study1Result", "Study2Result", "study1", "study2", "descriptives",
    "holm", "benjamini_hochberg", "cohens_f2", "genotype_slopes_drd2", "gene_style_correlation",
    "keller_design", "bootstrap_study2", "crossovers",
]

OUTCOMES = ("CO", "SO")
STYLES = ("secure", "anxious", "avoidant")
#: gene label -> carrier column (1 = carrier of the risk allele)
GENES = {"DRD2": "drd2_a1_carrier", "DRD4": "drd4_7r_carrier"}
#: gene label -> {carrier code: group label}
GROUP_LABELS = {"DRD2": {0: "A2/A2", 1: "A1 carrier"}, "DRD4": {0: "non-carrier", 1: "7R carrier"}}
#: DRD2 Taq1A genotypes; the first is the reference of the three-genotype model
DRD2_GENOTYPES = ("A2/A2", "A1/A2", "A1/A1")
_DUMMY = {"A1/A2": "drd2_A1A2", "A1/A1": "drd2_A1A1"}
_GRID_POINTS = 101
_LINE_POINTS = 50


# --------------------------------------------------------------- multiplicity
def holm(p: Sequence[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (family-wise error rate).

    ``p_adj(i) = max_{j <= i} min(1, (m - j + 1) p_(j))`` over the sorted
    p-values (methods.md section 8; R ``p.adjust(p, "holm")``).  Non-finite
    entries stay NaN and are not counted in ``m``.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    return _adjust(p, _holm_sorted)


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg (1995) step-up adjusted p-values (false discovery rate).

    ``p_adj(i) = min_{j >= i} min(1, m p_(j) / j)`` over the sorted p-values
    (methods.md section 8; R ``p.adjust(p, "BH")``).  Non-finite entries stay NaN.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    return _adjust(p, _bh_sorted)


def _holm_sorted(q: np.ndarray) -> np.ndarray:
    m = q.size
    return np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q))


def _bh_sorted(q: np.ndarray) -> np.ndarray:
    m = q.size
    scaled = m * q / np.arange(1, m + 1)
    return np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])


def _adjust(p, method) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q = p[ok]
        order = np.argsort(q, kind="mergesort")
        adjusted = np.empty(q.size)
        adjusted[order] = method(q[order])
        out[ok] = adjusted
    return out


def cohens_f2(r2_change: float, r2_full: float) -> float:
    """Cohen's local effect size ``f2 = (R2_full - R2_reduced) / (1 - R2_full)``.

    Cohen (1988), Statistical Power Analysis, eq. 9.2.3; Selya et al. (2012).

    >>> round(cohens_f2(0.02, 0.20), 4)
    0.025
    """
    return float(r2_change / (1.0 - r2_full)) if r2_full < 1 else float("nan")


# -------------------------------------------------------------------- Study 1
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Study1Result:
    """Study 1: each outcome regressed on both carrier codes (+ covariates).

    Attributes
    ----------
    fits : dict
        ``{outcome: OLSFit}``.
    n, n_dropped : dict
        ``{outcome: rows used}`` and ``{outcome: rows dropped (listwise)}``.
    """

    fits: dict = field(repr=False)
    n: dict
    n_dropped: dict
    se_type: str
    alpha: float
    covariates: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """``outcome, term, estimate, std_error, statistic, df, p_value, conf_low,
        conf_high, r2, n, covariates`` (one row per coefficient; ``covariates`` names the
        model's covariates, ``none`` without)."""
        parts = []
        for outcome, fit in self.fits.items():
            frame = fit.to_frame()
            frame.insert(0, "outcome", outcome)
            frame["r2"] = fit.r2
            frame["n"] = fit.nobs
            frame["covariates"] = ", ".join(self.covariates) or "none"
            parts.append(frame)
        return pd.concat(parts, ignore_index=True)

    def to_dict(self) -> dict:
        return {"se_type": self.se_type, "alpha": self.alpha, "covariates": list(self.covariates),
                "n": dict(self.n), "n_dropped": dict(self.n_dropped),
                "coefficients": _records(self.to_frame()), "notes": list(self.notes)}


def study1(data: pd.DataFrame, *, se: str = "ols", alpha: float = 0.05,
           covariates: Sequence[str] = (), outcomes: Sequence[str] = OUTCOMES,
           genes: Sequence[str] = tuple(GENES)) -> Study1Result:
    """Study 1: ``outcome ~ drd2_a1_carrier + drd4_7r_carrier (+ covariates)`` per outcome.

    Both genes enter one model, so each coefficient is the carrier vs
    non-carrier difference in the outcome adjusted for the other gene.
    Listwise deletion per outcome.  ``genes`` restricts the model to the loci
    that were genotyped (claims about a missing locus become ``not tested``).

    Examples
    --------
    >>> res = study1(_example_data(120))
    >>> sorted(res.to_frame()["outcome"].unique())
    ['CO', 'SO']
    """
    se = normalise_se_type(se)
    covariates = tuple(covariates)
    gene_cols = [GENES[g] for g in genes]
    predictors = [*gene_cols, *covariates]
    fits, n, dropped, notes = {}, {}, {}, []
    for outcome in outcomes:
        frame, _, n_drop = prepare_columns(data, [outcome, *predictors])
        for col in gene_cols:
            _check_binary(frame, col)
        X = design_matrix([np.ones(len(frame)), frame[predictors].to_numpy()])
        fits[outcome] = fit_ols(X, frame[outcome].to_numpy(), ["Intercept", *predictors],
                                se=se, alpha=alpha)
        n[outcome], dropped[outcome] = len(frame), n_drop
        if n_drop:
            notes.append(f"{outcome}: {n_drop} row(s) with a missing value were dropped (listwise).")
    return Study1Result(fits=fits, n=n, n_dropped=dropped, se_type=se, alpha=alpha,
                        covariates=covariates, notes=tuple(notes))


def _check_binary(frame: pd.DataFrame, col: str) -> None:
    values = frame[col].to_numpy(dtype=float)
    bad = (values != 0.0) & (values != 1.0)
    if bad.any():
        raise InputError("must be a 0/1 carrier code", column=col,
                         rows=(np.flatnonzero(bad) + 1).tolist(), sensitive=True,
                         hint="code carriers 1 and non-carriers 0")


# -------------------------------------------------------------------- Study 2
@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Study2Result:
    """Study 2: the 12 gene x attachment models and everything probed from them.

    Attributes
    ----------
    interactions : DataFrame
        One row per model: ``outcome, gene, style, term, estimate, std_error,
        statistic, df, p_value, conf_low, conf_high, r2, r2_change, f2, p_holm,
        p_bh, n``.  ``term`` is ``"<style>:<carrier column>"``; its estimate is
        the style slope of carriers minus that of non-carriers.
    simple_slopes : DataFrame
        ``outcome, gene, style, group, estimate, std_error, statistic, df,
        p_value, conf_low, conf_high, n_group``: slope of the style within each
        genotype group (``GROUP_LABELS``).
    genotype_slopes_drd2 : DataFrame
        Slope of the style within A2/A2, A1/A2, A1/A1 (dummy-coded model,
        reference A2/A2): ``outcome, style, genotype, estimate, ..., n_group,
        unstable, skipped, omnibus_f, omnibus_df1, omnibus_df2, omnibus_p``.
    jn : dict
        ``{(outcome, gene, style): JohnsonNeyman.to_dict()}`` for the genotype
        effect along the style.
    gene_effect_grid : DataFrame
        Genotype effect at 101 style values over the observed range:
        ``outcome, gene, style, moderator_value, estimate, std_error,
        statistic, df, p_value, conf_low, conf_high``.
    predicted_lines : DataFrame
        Predicted outcome at 50 style values per group (covariates at their
        means): ``outcome, gene, style, group, style_value, estimate,
        std_error, conf_low, conf_high, in_group_range``.
    keller : DataFrame
        Interaction with covariates as main effects only (``model =
        "covariates"``) and with Keller's covariate x gene and covariate x
        style terms (``model = "keller"``); empty unless requested.
    gene_style_correlation : DataFrame
        Style regressed on the carrier code (mean difference carriers minus
        non-carriers, t test, point-biserial ``r``): ``gene, style, term,
        estimate, ..., r, n``.
    probes, reverse_probes : dict
        ``{(outcome, gene, style): ProbeResult}`` with focal = style and
        moderator = gene, and the reverse orientation (focal = gene).
    """

    interactions: pd.DataFrame = field(repr=False)
    simple_slopes: pd.DataFrame = field(repr=False)
    genotype_slopes_drd2: pd.DataFrame = field(repr=False)
    jn: dict = field(repr=False)
    gene_effect_grid: pd.DataFrame = field(repr=False)
    predicted_lines: pd.DataFrame = field(repr=False)
    keller: pd.DataFrame = field(repr=False)
    gene_style_correlation: pd.DataFrame = field(repr=False)
    probes: dict = field(repr=False)
    reverse_probes: dict = field(repr=False)
    keller_fits: dict = field(repr=False)
    se_type: str
    alpha: float
    covariates: tuple[str, ...]
    keller_controls: bool
    min_group_size: int
    notes: tuple[str, ...] = ()

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table by name (``interactions``, ``simple_slopes``, ...; ``jn`` flattened)."""
        return {
            "interactions": self.interactions.copy(),
            "simple_slopes": self.simple_slopes.copy(),
            "genotype_slopes_drd2": self.genotype_slopes_drd2.copy(),
            "johnson_neyman": _jn_frame(self.jn),
            "gene_effect_grid": self.gene_effect_grid.copy(),
            "predicted_lines": self.predicted_lines.copy(),
            "keller": self.keller.copy(),
            "gene_style_correlation": self.gene_style_correlation.copy(),
        }

    def to_dict(self) -> dict:
        """JSON-safe: every table as a list of records, plus settings and notes."""
        out = {name: _records(frame) for name, frame in self.to_frames().items()}
        out.update(se_type=self.se_type, alpha=self.alpha, covariates=list(self.covariates),
                   keller_controls=self.keller_controls, min_group_size=self.min_group_size,
                   notes=list(self.notes))
        return out


def study2(data: pd.DataFrame, *, se: str = "ols", alpha: float = 0.05,
           covariates: Sequence[str] = (), keller: bool = False,
           min_group_size: int = 10, outcomes: Sequence[str] = OUTCOMES,
           styles: Sequence[str] = STYLES, genes: Sequence[str] = tuple(GENES)) -> Study2Result:
    """Study 2: ``outcome ~ gene + style + gene:style (+ covariates)`` for every
    outcome x gene x style (12 models by default) and their probes.

    Parameters
    ----------
    data : DataFrame
        Analysis-ready frame (scale scores, carrier codes, optionally
        ``drd2_genotype`` or ``drd2_a1_count``, covariates).
    se : {"ols", "HC0", ..., "HC4"}
    alpha : float
        Two-sided level for tests and ``1 - alpha`` intervals and bands.
    covariates : sequence of str
        Entered as main effects in every model.
    keller : bool
        Also fit Keller's (2014) model with covariate x gene and covariate x
        style terms and report the interaction with and without them.
    min_group_size : int
        DRD2 genotype groups smaller than this are flagged ``unstable``.

    Examples
    --------
    >>> res = study2(_example_data(150))
    >>> len(res.interactions), sorted(res.simple_slopes["group"].unique())[:2]
    (12, ['7R carrier', 'A1 carrier'])
    """
    se = normalise_se_type(se)
    covariates = tuple(covariates)
    parts: dict[str, list] = {k: [] for k in ("inter", "slopes", "grid", "lines", "keller")}
    probes, reverse, keller_fits, jn, notes = {}, {}, {}, {}, []
    for outcome in outcomes:
        for gene in genes:
            col = GENES[gene]
            for style in styles:
                key = (outcome, gene, style)
                fwd, rev, frame = _probe_pair(data, outcome, col, style, covariates, se, alpha)
                probes[key], reverse[key], jn[key] = fwd, rev, rev.jn.to_dict()
                parts["inter"].append(_interaction_row(key, fwd))
                parts["slopes"].append(_simple_slopes(key, fwd, frame))
                parts["grid"].append(_gene_effect_grid(key, rev))
                parts["lines"].append(_predicted_lines(key, fwd, frame))
                notes.extend(f"{outcome} ~ {gene} x {style}: {n}" for n in fwd.notes)
                if keller and covariates:
                    rows, keller_fits[key] = _keller_rows(key, fwd, frame, se, alpha)
                    parts["keller"].append(rows)
    if keller and not covariates:
        notes.append("Keller controls were requested but no covariates were given: nothing to add.")
    inter = _finish_interactions(pd.concat(parts["inter"], ignore_index=True))
    inter["covariates"] = ", ".join(covariates) or "none"
    geno, geno_notes = (genotype_slopes_drd2(data, se=se, alpha=alpha, covariates=covariates,
                                             min_group_size=min_group_size, outcomes=outcomes,
                                             styles=styles) if "DRD2" in genes else
                        (pd.DataFrame(columns=_GENO_COLS), ["DRD2 not analysed."]))
    return Study2Result(
        interactions=inter, simple_slopes=pd.concat(parts["slopes"], ignore_index=True),
        genotype_slopes_drd2=geno, jn=jn,
        gene_effect_grid=pd.concat(parts["grid"], ignore_index=True),
        predicted_lines=pd.concat(parts["lines"], ignore_index=True),
        keller=_concat_or_empty(parts["keller"], _KELLER_COLS),
        gene_style_correlation=gene_style_correlation(data, se=se, alpha=alpha, styles=styles,
                                                      genes=genes),
        probes=probes, reverse_probes=reverse, keller_fits=keller_fits, se_type=se, alpha=alpha,
        covariates=covariates, keller_controls=bool(keller), min_group_size=min_group_size,
        notes=tuple(dict.fromkeys([*notes, *geno_notes])))


def _probe_pair(data, outcome, col, style, covariates, se, alpha):
    """The model in both orientations, fitted once (:func:`~analysis.stats.moderation.probe_pair`):
    style slopes by gene, gene effect along style, and the complete-case frame they used."""
    pair = probe_pair(data, outcome=outcome, focal=style, moderator=col, covariates=covariates,
                      se=se, alpha=alpha)
    _check_binary(pair.frame, col)
    return pair.forward, pair.reverse, pair.frame


def _model_frame(data, outcome, col, style, covariates) -> pd.DataFrame:
    """The complete-case numeric frame a probe used (same listwise rule, same coding)."""
    frame, _, _ = prepare_columns(data, [outcome, style, col, *covariates])
    _check_binary(frame, col)
    return frame


def _key_columns(frame: pd.DataFrame, key) -> pd.DataFrame:
    for i, name in enumerate(("outcome", "gene", "style")):
        frame.insert(i, name, key[i])
    return frame


def _interaction_row(key, fwd: ProbeResult) -> pd.DataFrame:
    table = fwd.fit.to_frame()
    row = table.loc[table["term"] == fwd.interaction].reset_index(drop=True)
    row["r2"] = fwd.fit.r2
    row["r2_change"] = fwd.r2_change
    row["f2"] = cohens_f2(fwd.r2_change, fwd.fit.r2)
    row["n"] = fwd.n
    return _key_columns(row, key)


def _finish_interactions(inter: pd.DataFrame) -> pd.DataFrame:
    p = inter["p_value"].to_numpy()
    inter.insert(inter.columns.get_loc("n"), "p_holm", holm(p))
    inter.insert(inter.columns.get_loc("n"), "p_bh", benjamini_hochberg(p))
    return inter


def _simple_slopes(key, fwd: ProbeResult, frame: pd.DataFrame) -> pd.DataFrame:
    gene_col = fwd.moderator
    eff = fwd.conditional_effects(at=[0.0, 1.0])
    labels = GROUP_LABELS[key[1]]
    out = eff[["estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high"]].copy()
    out.insert(0, "group", [labels[0], labels[1]])
    genes = frame[gene_col].to_numpy()
    out["n_group"] = [int(np.count_nonzero(genes == g)) for g in (0, 1)]
    return _key_columns(out, key)


def _gene_effect_grid(key, rev: ProbeResult) -> pd.DataFrame:
    lo, hi = rev.jn.observed_range
    eff = rev.conditional_effects(at=np.linspace(lo, hi, _GRID_POINTS))
    cols = ["moderator_value", "estimate", "std_error", "statistic", "df", "p_value",
            "conf_low", "conf_high"]
    return _key_columns(eff[cols].copy(), key)


def _predicted_lines(key, fwd: ProbeResult, frame: pd.DataFrame) -> pd.DataFrame:
    """Predicted outcome ``b0 + bA a + bG g + bGA a g + sum_k g_k mean(C_k)`` as ``L @ b``."""
    fit, style, gene_col = fwd.fit, fwd.focal, fwd.moderator
    a, genes = frame[style].to_numpy(), frame[gene_col].to_numpy()
    grid = np.linspace(a.min(), a.max(), _LINE_POINTS)
    means = {c: float(frame[c].mean()) for c in fwd.covariates}
    parts = []
    for g, label in GROUP_LABELS[key[1]].items():
        L = np.zeros((grid.size, len(fit.terms)))
        L[:, fit.index("Intercept")] = 1.0
        L[:, fit.index(style)] = grid
        L[:, fit.index(gene_col)] = g
        L[:, fit.index(fwd.interaction)] = grid * g
        for c, m in means.items():
            L[:, fit.index(c)] = m
        pred = linear_combination(fit, L)[["estimate", "std_error", "conf_low", "conf_high"]]
        pred.insert(0, "style_value", grid)
        pred.insert(0, "group", label)
        in_group = a[genes == g]
        pred["in_group_range"] = (grid >= in_group.min() - 1e-12) & (grid <= in_group.max() + 1e-12)
        parts.append(pred)
    return _key_columns(pd.concat(parts, ignore_index=True), key)


# --------------------------------------------------------------------- Keller
_KELLER_COLS = ["outcome", "gene", "style", "model", "term", "estimate", "std_error", "statistic",
                "df", "p_value", "conf_low", "conf_high", "n", "n_terms"]


def keller_design(frame: pd.DataFrame, style: str, gene_col: str,
                  covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Keller (2014) design: ``1, style, gene, style:gene, C_k, C_k:gene, C_k:style``.

    ``Y = b0 + bA A + bG G + bGA G*A + sum_k [g_k C_k + h_k C_k*G + m_k C_k*A]``
    (methods.md section 4; Keller 2014, Biol Psychiatry 75:18-24,
    doi:10.1016/j.biopsych.2013.09.006).  Terms are named ``age:drd4_7r_carrier``
    and ``age:avoidant``; built from column names as data.
    """
    a, g = frame[style].to_numpy(), frame[gene_col].to_numpy()
    cols, terms = [np.ones(len(frame)), a, g, a * g], ["Intercept", style, gene_col,
                                                       f"{style}:{gene_col}"]
    for c in covariates:
        x = frame[c].to_numpy()
        cols += [x, x * g, x * a]
        terms += [c, f"{c}:{gene_col}", f"{c}:{style}"]
    return design_matrix(cols), terms


def _keller_rows(key, fwd: ProbeResult, frame, se, alpha):
    X, terms = keller_design(frame, fwd.focal, fwd.moderator, fwd.covariates)
    fit = fit_ols(X, frame[fwd.outcome].to_numpy(), terms, se=se, alpha=alpha)
    rows = []
    for model, f in (("covariates", fwd.fit), ("keller", fit)):
        table = f.to_frame()
        row = table.loc[table["term"] == fwd.interaction].copy()
        row.insert(0, "model", model)
        row["n"], row["n_terms"] = f.nobs, len(f.terms)
        rows.append(row)
    return _key_columns(pd.concat(rows, ignore_index=True), key), fit


def _concat_or_empty(parts: list, columns: list[str]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


# -------------------------------------------------------- DRD2 three genotypes
_GENO_COLS = ["outcome", "style", "genotype", "estimate", "std_error", "statistic", "df",
              "p_value", "conf_low", "conf_high", "n_group", "unstable", "skipped",
              "omnibus_f", "omnibus_df1", "omnibus_df2", "omnibus_p"]


def _drd2_levels(data: pd.DataFrame) -> pd.Series | None:
    """DRD2 genotype as a label, from ``drd2_genotype`` or else ``drd2_a1_count``."""
    if "drd2_genotype" in data.columns:
        raw = data["drd2_genotype"].astype("string").str.strip().str.upper()
        raw = raw.mask(raw == "").replace({"A2/A1": "A1/A2"})
        bad = (raw.notna() & ~raw.isin(DRD2_GENOTYPES)).fillna(False)
        labels = raw.where(~bad)
        column = "drd2_genotype"
    elif "drd2_a1_count" in data.columns:
        counts = pd.to_numeric(data["drd2_a1_count"], errors="coerce")
        labels = counts.map({0: "A2/A2", 1: "A1/A2", 2: "A1/A1"}).astype("string")
        bad = data["drd2_a1_count"].notna() & labels.isna()
        column = "drd2_a1_count"
    else:
        return None
    if bad.any():
        raise InputError("is not one of the DRD2 genotypes A1/A1, A1/A2, A2/A2", column=column,
                         rows=(np.flatnonzero(bad.to_numpy()) + 1).tolist(), sensitive=True)
    return labels


def genotype_slopes_drd2(data: pd.DataFrame, *, se: str = "ols", alpha: float = 0.05,
                         covariates: Sequence[str] = (), min_group_size: int = 10,
                         outcomes: Sequence[str] = OUTCOMES,
                         styles: Sequence[str] = STYLES) -> tuple[pd.DataFrame, list[str]]:
    """Slope of each style within A2/A2, A1/A2 and A1/A1 (methods.md section 1).

    Model ``Y = b0 + bA A + sum_k (d_k D_k + c_k D_k A) + covariates`` with
    dummies ``D_k`` for A1/A2 and A1/A1 (reference A2/A2).  The slope in group
    k is ``bA + c_k`` (:func:`~analysis.stats.probing.linear_combination`); the
    omnibus test of ``c_k = 0`` for all k is the Wald F
    (:func:`~analysis.stats.probing.wald_test`, the nested-model F under OLS).
    A group with fewer than 3 cases or fewer than 2 distinct style values is
    left out of the model (``skipped``) with a note; one with fewer than
    ``min_group_size`` cases is flagged ``unstable``.

    Returns the frame and the notes.
    """
    labels = _drd2_levels(data)
    if labels is None:
        return (pd.DataFrame(columns=_GENO_COLS),
                ["DRD2 three-genotype slopes skipped: no drd2_genotype or drd2_a1_count column."])
    level = np.full(len(labels), np.nan)
    for code, genotype in enumerate(DRD2_GENOTYPES):
        level[(labels == genotype).fillna(False).to_numpy(dtype=bool)] = code
    base = data.assign(_drd2_level=level)         # copy-on-write: no column is copied
    parts, notes = [], []
    for outcome in outcomes:
        for style in styles:
            frame, _, _ = prepare_columns(base, [outcome, style, "_drd2_level", *covariates])
            table, note = _three_genotype_model(frame, outcome, style, tuple(covariates), se,
                                                alpha, min_group_size)
            parts.append(table)
            notes.extend(note)
    return pd.concat(parts, ignore_index=True)[_GENO_COLS], notes


def _usable_groups(frame, style, min_group_size):
    """Per genotype: n, usable (>= 3 cases, >= 2 distinct style values), unstable (< min size)."""
    level, values = frame["_drd2_level"].to_numpy(), frame[style].to_numpy()
    info = {}
    for i, g in enumerate(DRD2_GENOTYPES):
        sub = values[level == i]
        usable = sub.size >= 3 and sub.min() < sub.max()     # complete cases: no NaN
        info[g] = {"n": sub.size, "usable": usable, "unstable": usable and sub.size < min_group_size}
    return info


def _three_genotype_model(frame, outcome, style, covariates, se, alpha, min_group_size):
    info = _usable_groups(frame, style, min_group_size)
    notes = [f"DRD2 {g} group ({outcome} ~ {style}): fewer than 3 cases or fewer than 2 distinct "
             f"{style} values; left out of the three-genotype model." for g, v in info.items()
             if not v["usable"] and v["n"] > 0]
    notes += [f"DRD2 {g} group ({outcome} ~ {style}): n < {min_group_size}; its slope is "
              "unstable and suppressed in reports." for g, v in info.items() if v["unstable"]]
    kept = [g for g in DRD2_GENOTYPES if info[g]["usable"]]
    empty = {g: _skipped_row(outcome, style, g, info[g]) for g in DRD2_GENOTYPES}
    if "A2/A2" not in kept or len(kept) < 2:
        notes.append(f"DRD2 three-genotype model ({outcome} ~ {style}) not estimable: too few "
                     "usable genotype groups (the reference A2/A2 and at least one other).")
        return pd.DataFrame(list(empty.values())), notes
    in_kept = frame["_drd2_level"].isin([DRD2_GENOTYPES.index(g) for g in kept])
    sub = frame if in_kept.all() else frame.loc[in_kept]
    try:
        fit = _genotype_fit(sub, outcome, style, kept[1:], covariates, se, alpha)
    except InputError as err:  # e.g. HC2-HC4 with a leverage-1 case in a tiny A1/A1 group
        notes.append(f"DRD2 three-genotype model ({outcome} ~ {style}) not estimable: {err.problem}")
        return pd.DataFrame(list(empty.values())), notes
    inters = [f"{style}:{_DUMMY[g]}" for g in kept[1:]]
    omnibus = wald_test(fit, inters)
    weights = [{style: 1.0, **({f"{style}:{_DUMMY[g]}": 1.0} if g != "A2/A2" else {})} for g in kept]
    slopes = linear_combination(fit, weights)
    rows = []
    for g in DRD2_GENOTYPES:
        if g not in kept:
            rows.append(empty[g])
            continue
        row = slopes.iloc[kept.index(g)].to_dict()
        row.update(outcome=outcome, style=style, genotype=g, n_group=info[g]["n"],
                   unstable=info[g]["unstable"], skipped=False)
        rows.append(row)
    table = pd.DataFrame(rows)
    table["omnibus_f"], table["omnibus_df1"], table["omnibus_df2"], table["omnibus_p"] = omnibus
    return table, notes


def _skipped_row(outcome, style, g, info) -> dict:
    row = {c: float("nan") for c in ("estimate", "std_error", "statistic", "df", "p_value",
                                      "conf_low", "conf_high")}
    row.update(outcome=outcome, style=style, genotype=g, n_group=info["n"], unstable=False,
               skipped=True)
    return row


def _genotype_fit(sub, outcome, style, others, covariates, se, alpha) -> OLSFit:
    a, level = sub[style].to_numpy(), sub["_drd2_level"].to_numpy()
    cols, terms = [np.ones(len(sub)), a], ["Intercept", style]
    for g in others:
        d = (level == DRD2_GENOTYPES.index(g)).astype(float)
        cols += [d, d * a]
        terms += [_DUMMY[g], f"{style}:{_DUMMY[g]}"]
    for c in covariates:
        cols.append(sub[c].to_numpy())
        terms.append(c)
    return fit_ols(design_matrix(cols), sub[outcome].to_numpy(), terms, se=se, alpha=alpha)


# ------------------------------------------------ gene-environment correlation
def gene_style_correlation(data: pd.DataFrame, *, se: str = "ols", alpha: float = 0.05,
                           styles: Sequence[str] = STYLES,
                           genes: Sequence[str] = tuple(GENES)) -> pd.DataFrame:
    """Does genotype predict the style?  ``style ~ carrier`` per gene x style.

    The carrier coefficient is the mean difference carriers minus non-carriers
    (with ``se="ols"`` its t test is the pooled-variance two-sample t test);
    ``r = sign(t) sqrt(t^2 / (t^2 + df))`` is the point-biserial correlation.
    A gene-attachment correlation (rGE) can masquerade as or mask G x E
    (Belsky & Pluess 2009 criterion 3; Dudbridge & Fletcher 2014).
    """
    rows = []
    for gene in genes:
        col = GENES[gene]
        for style in styles:
            frame, _, _ = prepare_columns(data, [style, col])
            _check_binary(frame, col)
            X = design_matrix([np.ones(len(frame)), frame[col].to_numpy()])
            fit = fit_ols(X, frame[style].to_numpy(), ["Intercept", col], se=se, alpha=alpha)
            row = fit.to_frame().iloc[[1]].reset_index(drop=True)
            t = row["statistic"].iloc[0]
            row["r"] = np.sign(t) * np.sqrt(t * t / (t * t + fit.df_resid))
            row["n"] = fit.nobs
            row.insert(0, "style", style)
            row.insert(0, "gene", gene)
            rows.append(row)
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------- descriptives
def descriptives(data: pd.DataFrame, *, scales: Sequence[str] = (*OUTCOMES, *STYLES)) -> dict:
    """Aggregate descriptives: ``scales`` (variable, n, mean, sd, min, max),
    ``correlations`` (pairwise Pearson of scales and carrier codes) and
    ``genotype_counts`` (gene, coding, group, n, share).  No individual values.
    """
    present = [s for s in scales if s in data.columns]
    numeric = data[present].apply(pd.to_numeric, errors="coerce")
    summary = pd.DataFrame({"variable": present, "n": numeric.count().to_numpy(),
                            "mean": numeric.mean().to_numpy(), "sd": numeric.std(ddof=1).to_numpy(),
                            "min": numeric.min().to_numpy(), "max": numeric.max().to_numpy()})
    genes = [c for c in GENES.values() if c in data.columns]
    corr_vars = pd.concat([numeric, data[genes].apply(pd.to_numeric, errors="coerce")], axis=1)
    corr = corr_vars.corr(method="pearson").reset_index(names="variable")
    return {"scales": summary, "correlations": corr, "genotype_counts": _genotype_counts(data)}


def _genotype_counts(data: pd.DataFrame) -> pd.DataFrame:
    rows = []

    def add(gene, coding, series, order):
        counts = series.value_counts(dropna=True)
        total = int(counts.sum())
        for level, label in order.items():
            n = int(counts.get(level, 0))
            rows.append({"gene": gene, "coding": coding, "group": label, "n": n,
                         "share": n / total if total else float("nan")})
        rows.append({"gene": gene, "coding": coding, "group": "missing",
                     "n": int(series.isna().sum()), "share": float("nan")})

    for gene, col in GENES.items():
        if col in data.columns:
            add(gene, "carrier", pd.to_numeric(data[col], errors="coerce"), GROUP_LABELS[gene])
    levels = _drd2_levels(data)
    if levels is not None:
        add("DRD2", "genotype", levels, {g: g for g in DRD2_GENOTYPES})
    if "drd4_7r_count" in data.columns:
        add("DRD4", "7R count", pd.to_numeric(data["drd4_7r_count"], errors="coerce"),
            {0: "0 x 7R", 1: "1 x 7R", 2: "2 x 7R"})
    return pd.DataFrame(rows, columns=["gene", "coding", "group", "n", "share"])


def _jn_frame(jn: dict) -> pd.DataFrame:
    rows = []
    for (outcome, gene, style), d in jn.items():
        row = {"outcome": outcome, "gene": gene, "style": style,
               "significant_region": d["significant_region"],
               "region_unrestricted": d["region_unrestricted"], "t_crit": d["t_crit"],
               "observed_min": d["observed_range"][0], "observed_max": d["observed_range"][1]}
        for i in range(2):
            has = i < len(d["bounds"])
            row[f"bound_{i + 1}"] = d["bounds"][i] if has else None
            row[f"bound_{i + 1}_in_range"] = d["in_range"][i] if has else None
            row[f"share_below_{i + 1}"] = d["share_below"][i] if has else None
        rows.append(row)
    return pd.DataFrame(rows)


def _example_data(n: int, seed: int = 0) -> pd.DataFrame:
    """Small synthetic analysis-ready frame for doctests (not the simulator)."""
    rng = np.random.default_rng(seed)
    count2 = rng.binomial(2, 0.2, n)
    d4 = rng.binomial(1, 0.3, n)
    styles = {s: rng.normal(4, 1, n) for s in STYLES}
    co = 6 + 0.4 * d4 + 0.5 * d4 * (styles["avoidant"] - 4) + rng.normal(size=n)
    return pd.DataFrame({"CO": co, "SO": 4 + rng.normal(size=n), **styles,
                         "drd2_a1_count": count2, "drd2_a1_carrier": (count2 > 0).astype(int),
                         "drd2_genotype": pd.Series(count2).map({0: "A2/A2", 1: "A1/A2",
                                                                 2: "A1/A1"}),
                         "drd4_7r_carrier": d4, "drd4_7r_count": d4})


def bootstrap_study2(data: pd.DataFrame, *, n_boot: int = 5000, seed: int = 0,
                     alpha: float = 0.05, covariates: Sequence[str] = (),
                     outcomes: Sequence[str] = OUTCOMES, styles: Sequence[str] = STYLES,
                     genes: Sequence[str] = tuple(GENES)) -> pd.DataFrame:
    """Pairs-bootstrap (BCa and percentile) intervals for every Study 2 model.

    For each outcome x gene x style model: the interaction and the style's slope
    in each genotype group, from :func:`analysis.stats.moderation.probe` with
    ``bootstrap=n_boot`` (batched, no refit loop).  Model ``i`` uses seed
    ``SeedSequence(seed).spawn(n_models)[i]``, so the table is reproducible and
    the models' resamples are independent.

    Returns
    -------
    DataFrame with ``outcome, gene, style, quantity, estimate, boot_std_error,
    boot_conf_low, boot_conf_high, pct_conf_low, pct_conf_high, boot_method,
    n_boot, n_failed``; ``quantity`` is ``interaction`` or ``slope: <group>``.
    """
    keys = [(o, g, s) for o in outcomes for g in genes for s in styles]
    seeds = np.random.SeedSequence(seed).spawn(len(keys))
    rows = []
    for (outcome, gene, style), ss in zip(keys, seeds):
        col = GENES[gene]
        res = probe(data, outcome=outcome, focal=style, moderator=col, covariates=covariates,
                    alpha=alpha, bootstrap=n_boot, seed=int(ss.generate_state(1)[0]))
        coefs = res.coefficients.set_index("term").loc[[res.interaction]]
        slopes = res.conditional_effects().set_index("moderator_value")
        named = [("interaction", coefs.iloc[0])]
        named += [(f"slope: {GROUP_LABELS[gene][int(code)]}", slopes.loc[code])
                  for code in slopes.index]
        for quantity, r in named:
            rows.append({"outcome": outcome, "gene": gene, "style": style, "quantity": quantity,
                         "estimate": r["estimate"], "boot_std_error": r["boot_std_error"],
                         "boot_conf_low": r["boot_conf_low"], "boot_conf_high": r["boot_conf_high"],
                         "pct_conf_low": r["pct_conf_low"], "pct_conf_high": r["pct_conf_high"],
                         "boot_method": res.boot.boot_method, "n_boot": res.boot.n_boot,
                         "n_failed": res.boot.n_failed})
    return pd.DataFrame(rows)


def crossovers(data: pd.DataFrame, result, *, covariates: Sequence[str] = ()) -> pd.DataFrame:
    """Where the genotype lines cross along each style (differential susceptibility).

    For every Study 2 model, :func:`analysis.stats.probing.crossover` on the fit of the
    reverse probe (genotype effect along the style): the crossover point with
    delta-method and Fieller intervals, Roisman et al.'s proportion of
    interaction and an ordinal / disordinal call within mean +/- 2 SD (not
    clipped to the data: ``observed_low/high`` are shown beside it).

    Returns
    -------
    DataFrame with ``outcome, gene, style, estimate, std_error, conf_low,
    conf_high, fieller_low, fieller_high, poi_right, bound_low, bound_high,
    observed_low, observed_high, classification``; the Fieller bounds are NaN when
    that interval is unbounded (the interaction is not significant, so the
    crossover is not located).
    """
    from ..stats.probing import crossover

    rows = []
    for (outcome, gene, style), rev in result.reverse_probes.items():
        col = GENES[gene]
        frame = _model_frame(data, outcome, col, style, covariates)
        cr = crossover(rev.fit, col, f"{col}:{style}", frame[style].to_numpy())
        d = cr.to_dict()
        lo, hi = d.pop("bounds")
        obs_lo, obs_hi = d.pop("observed_range")
        rows.append({"outcome": outcome, "gene": gene, "style": style, **d,
                     "bound_low": lo, "bound_high": hi, "observed_low": obs_lo,
                     "observed_high": obs_hi})
    return pd.DataFrame(rows)
