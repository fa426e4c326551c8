"""The ``probe`` verb: PROCESS Model 1 on a data frame.

``Y = b0 + b1 X + b2 W + b3 XW + covariates``, fitted by OLS (classical or
HC0-HC4 covariance), with the R-squared change for the interaction,
conditional effects of X at moderator values and the Johnson-Neyman region.
This is the raw-data layer; every statistic comes from the summary-statistics
core in :mod:`analysis.stats.probing` and :mod:`analysis.stats.models`.

The design matrix is built from column names as data: no formula string is
built or parsed, so a column called ``__import__('os')`` is just a name.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._errors import InputError
from ..measures.genotypes import binary_text_coding  # noqa: F401  (lives beside carrier_label)
from .models import TALL_QR_ROWS, OLSFit, design_matrix, fit_ols, normalise_se_type
from .probing import (ConditionalEffects, JohnsonNeyman, _records, conditional_effects,
                      johnson_neyman, linear_combination, moderator_values, wald_test)

__all__ = ["probe", "probe_pair", "ProbePair", "ProbeResult", "prepare_columns"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """Result of :func:`probe` (immutable).

    Attributes
    ----------
    outcome, focal, moderator : str
    covariates : tuple of str
    n, n_dropped : int
        Rows used, and rows dropped by listwise deletion on the used columns.
    coding : dict
        ``{column: {original value: code}}`` for text variables recoded to 0/1.
    fit : OLSFit
        The full model (``Intercept, X, W, X:W, covariates``).
    r2_change, f_change, p_change : float
        R-squared change from adding ``X:W`` (from OLS refits) and its F test
        (a Wald F on the chosen covariance: the classical F under OLS, PROCESS's
        ``F(HCk)`` otherwise), on (1, df_resid) degrees of freedom.
    moderator_binary : bool
    effects : ConditionalEffects
        The default probe: both groups of a binary moderator, else
        p16/p50/p84 and mean-1sd/mean/mean+1sd.
    jn : JohnsonNeyman or None
        ``None`` for a binary moderator.
    centering : dict
        ``{column: mean}`` of the product-defining variables that were mean
        centred for the coefficient table (PROCESS ``center=1/2``); empty if none.
    boot : BootstrapResult or None
        Pairs-bootstrap percentile and BCa intervals of every coefficient and
        every default conditional effect (``probe(..., bootstrap=B, seed=S)``).
    cluster, weights : str or None
        The cluster and weight columns (``n_clusters`` and ``fit.n_effective``
        give the number of clusters and Kish's effective N).
    wild : WildBootstrap or None
        Wild cluster bootstrap p values of the interaction and the default
        conditional effects.
    notes : tuple of str
    """

    outcome: str
    focal: str
    moderator: str
    covariates: tuple[str, ...]
    n: int
    n_dropped: int
    se_type: str
    alpha: float
    coding: dict
    fit: OLSFit = field(repr=False)
    r2_change: float
    f_change: float
    p_change: float
    model_f: float
    model_p: float
    moderator_binary: bool
    effects: ConditionalEffects = field(repr=False)
    jn: JohnsonNeyman | None = field(repr=False)
    jn_grid: ConditionalEffects | None = field(default=None, repr=False)
    boot: object = field(default=None, repr=False)
    centering: dict = field(default_factory=dict)
    df_change: float | None = None
    model_df2: float | None = None
    cluster: str | None = None
    weights: str | None = None
    wild: object = field(default=None, repr=False)
    notes: tuple[str, ...] = ()

    @property
    def n_clusters(self) -> int | None:
        return None if self.fit.cluster is None else self.fit.cluster.n_clusters

    @property
    def interaction(self) -> str:
        return f"{self.focal}:{self.moderator}"

    @property
    def coefficients(self) -> pd.DataFrame:
        """Coefficient table in the package's column vocabulary (+ ``boot_conf_low/high``).

        With centring, the table of the model with X and/or W mean centred: the
        same fit reparameterised (``b1 + b3 mean(W)``, ...), identical to a refit
        on centred data; conditional effects and JN stay in the moderator's units.
        """
        if not self.centering:
            return self._with_boot(self.fit.to_frame(), "term")
        frame = linear_combination(self.fit, _coefficient_rows(self.fit.terms, self.centering,
                                                               self.focal, self.moderator))
        frame.insert(0, "term", list(self.fit.terms))
        return self._with_boot(frame, "term")

    def _with_boot(self, frame: pd.DataFrame, key: str) -> pd.DataFrame:
        if self.boot is None:
            return frame
        boot = self.boot.to_frame().set_index("label")
        labels = frame[key].map(lambda v: f"{key}:{v}")
        for col in ("boot_std_error", "boot_conf_low", "boot_conf_high", "pct_conf_low",
                    "pct_conf_high"):
            frame[col] = labels.map(boot[col]).to_numpy()
        return frame

    def conditional_effects(self, at: Sequence[float] | None = None) -> pd.DataFrame:
        """Conditional effects of the focal predictor (default probe points, or ``at``).

        Bootstrap columns are present for the default probe points only."""
        if at is None:
            return self._with_boot(self.effects.to_frame(), "label")
        lo, hi = self.jn.observed_range if self.jn else (-np.inf, np.inf)
        return conditional_effects(self.fit, self.focal, self.interaction, at,
                                   moderator=self.moderator, observed_range=(lo, hi)).to_frame()

    def johnson_neyman(self) -> JohnsonNeyman | None:
        return self.jn

    def jn_table(self) -> pd.DataFrame | None:
        """PROCESS-style table: the effect at 21 evenly spaced moderator values across
        the observed range, with the boundaries inside the range inserted (computed
        once by :func:`probe`; ``None`` for a binary moderator)."""
        return None if self.jn_grid is None else self.jn_grid.to_frame()

    def to_dict(self) -> dict:
        """The JSON contract of ``salesgxe probe --json``."""
        return {
            "outcome": self.outcome, "focal": self.focal, "moderator": self.moderator,
            "covariates": list(self.covariates), "n": self.n, "n_dropped": self.n_dropped,
            "se_type": self.se_type, "alpha": self.alpha, "coding": self.coding,
            "centering": self.centering,
            "coefficients": _records(self.coefficients),
            "r2": self.fit.r2, "r2_adj": self.fit.r2_adj, "model_f": self.model_f,
            "model_p": self.model_p, "model_df2": self.model_df2, "df_resid": self.fit.df_resid,
            "r2_change": self.r2_change, "f_change": self.f_change, "p_change": self.p_change,
            "df_change": self.df_change,
            "conditional_effects": _records(self.conditional_effects()),
            "johnson_neyman": None if self.jn is None else self.jn.to_dict(),
            "jn_table": None if self.jn is None else _records(self.jn_table()),
            "bootstrap": None if self.boot is None else {
                k: v for k, v in self.boot.to_dict().items() if k != "effects"},
            "cluster": self.cluster, "n_clusters": self.n_clusters, "weights": self.weights,
            "n_effective": self.fit.n_effective, "df_convention": _df_convention(self.se_type),
            "wild_bootstrap": None if self.wild is None else self.wild.to_dict(),
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        from ..render.formatting import probe_summary
        return probe_summary(self)

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------- data handling
def _check_columns(data: pd.DataFrame, names: Sequence[str], file: str | None) -> None:
    available = [str(c) for c in data.columns]
    for name in names:
        if name not in available:
            close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else (
                f"available columns: {', '.join(repr(c) for c in available[:12])}"
                + (" ..." if len(available) > 12 else ""))
            raise InputError("no such column", file=file, column=name, hint=hint)
    dupes = sorted({n for n in names if list(names).count(n) > 1})
    if dupes:
        raise InputError(f"column {dupes[0]!r} is given in more than one role")


def _numeric(col: pd.Series, name: str, file: str | None, coding: dict,
             reference: str | None = None) -> pd.Series:
    """Column as float; a two-valued text column becomes 0/1 (recorded in ``coding``).

    Coded by meaning, never alphabetically (:func:`binary_text_coding`).
    """
    if pd.api.types.is_bool_dtype(col):
        return col.astype(float)
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    text = col.astype("string").str.strip()
    text = text.mask(text == "")
    numbers = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & numbers.isna()
    if not bad.any():
        return numbers.astype(float)
    from ..privacy import is_sensitive
    levels = sorted(text.dropna().unique())
    sensitive = is_sensitive(col)        # genotype- or id-like: values are never shown
    if len(levels) == 2:
        mapping = binary_text_coding(levels, reference, column=name, file=file,
                                     sensitive=sensitive)
        coding[name] = mapping
        return text.map(mapping).astype(float)
    rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
    raise InputError("is not numeric (and not a two-valued text variable that could be coded 0/1)",
                     file=file, column=name, rows=rows, values=text[bad].tolist(),
                     hint="recode it, or fix the listed rows", sensitive=sensitive)


def _coerce(data: pd.DataFrame, columns: Sequence[str], file: str | None,
            reference: dict | None) -> tuple[pd.DataFrame, dict]:
    """``columns`` as numbers (binary text -> 0/1), missing values kept; the coding dict."""
    coding: dict = {}
    reference = dict(reference or {})
    unknown = set(reference) - set(columns)
    if unknown:
        raise InputError(f"a reference level is given for {sorted(unknown)[0]!r}, which is not "
                         "a used column")
    frame = pd.DataFrame({c: _numeric(data[c], c, file, coding, reference.get(c)) for c in columns},
                         copy=False)                  # copy-on-write: no column copied here
    first = None                                      # first infinite cell, row by row
    for j, name in enumerate(frame.columns):
        rows = np.flatnonzero(np.isinf(frame[name].to_numpy()))
        if rows.size and (first is None or rows[0] < first[0]):
            first = (int(rows[0]), j)
    if first is not None:
        raise InputError("is infinite", file=file, column=columns[first[1]], rows=[first[0] + 1])
    return frame, coding


def _complete_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows without a missing value (``frame.notna().all(axis=1)`` of a float frame)."""
    keep = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        keep &= ~np.isnan(frame[name].to_numpy())
    return keep


def _kept_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]`` with a fresh 0..n-1 index (no row copy when every row is kept)."""
    return (frame if keep.all() else frame[keep]).reset_index(drop=True)


def prepare_columns(data: pd.DataFrame, columns: Sequence[str], *, file: str | None = None,
                    reference: dict | None = None) -> tuple[pd.DataFrame, dict, int]:
    """Select ``columns``, coerce to numbers (binary text -> 0/1, ``reference`` level = 0),
    drop incomplete rows.

    Returns the complete-case frame, the coding dict and the number of rows dropped.
    """
    _check_columns(data, columns, file)
    if len(data) == 0:
        raise InputError("the data have no rows", file=file)
    frame, coding = _coerce(data, columns, file, reference)
    keep = _complete_rows(frame)
    if not keep.any():
        raise InputError(f"all {len(frame)} rows have a missing value in at least one of the "
                         f"used columns ({', '.join(columns)})", file=file)
    return _kept_rows(frame, keep), coding, int(np.count_nonzero(~keep))


def weights_column(col: pd.Series, name: str, file: str | None) -> np.ndarray:
    """Regression weights as floats: numeric, non-negative, never missing, not all zero.

    Each problem is one :class:`InputError` naming the column and the rows.
    """
    values = pd.to_numeric(col, errors="coerce") if not pd.api.types.is_numeric_dtype(col) else col
    text = col.notna() & pd.Series(values, index=col.index).isna()
    if text.any():
        rows = (np.flatnonzero(text.to_numpy()) + 1).tolist()
        raise InputError("weights must be numbers", file=file, column=name, rows=rows,
                         values=col[text].tolist())
    w = np.asarray(values, dtype=float)
    for mask, problem in ((np.isnan(w), "weights are missing"),
                          (np.isinf(w), "weights are infinite"), (w < 0, "weights are negative")):
        if mask.any():
            raise InputError(problem, file=file, column=name,
                             rows=(np.flatnonzero(mask) + 1).tolist(),
                             hint="every row needs a weight >= 0 (0 drops the row)")
    if not (w > 0).any():
        raise InputError("all weights are zero", file=file, column=name)
    return w


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """The analysis sample: complete numeric columns, clusters and weights aligned."""

    frame: pd.DataFrame
    coding: dict
    n_dropped: int
    cluster: np.ndarray | None        # codes 0..G-1
    weights: np.ndarray | None
    n_zero_weight: int
    linear_probability: bool = False
    recoded: dict = field(default_factory=dict)


def prepare_sample(data: pd.DataFrame, columns: Sequence[str], *, cluster: str | None = None,
                   weights: str | None = None, file: str | None = None,
                   reference: dict | None = None, linear_probability: bool | None = None,
                   recoded: dict | None = None) -> Sample:
    """Numeric ``columns`` plus an optional cluster column (any labels) and weights.

    Rows with a missing value in a used column or the cluster column are dropped
    (listwise, counted); rows with weight 0 are dropped and counted separately.
    ``columns[0]`` is the outcome: with ``linear_probability=False`` a two-valued
    outcome is refused (OLS would silently fit a linear probability model); ``True``
    accepts it and labels the fit; ``None`` does not check.
    """
    from .covariance import cluster_codes

    extra = [c for c in (cluster, weights) if c is not None]
    _check_columns(data, [*columns, *extra], file)
    if len(data) == 0:
        raise InputError("the data have no rows", file=file)
    frame, coding = _coerce(data, columns, file, reference)
    keep = _complete_rows(frame)
    w = None if weights is None else weights_column(data[weights], weights, file)
    if cluster is not None:
        labels = data[cluster].astype("string").str.strip()
        keep &= (labels.notna() & (labels != "")).fillna(False).to_numpy(dtype=bool)
    n_zero = 0 if w is None else int(((w == 0) & keep).sum())
    n_dropped = int((~keep).sum())
    if w is not None:
        keep &= w > 0
    if not keep.any():
        raise InputError(f"all {len(frame)} rows have a missing value in at least one of the "
                         f"used columns ({', '.join([*columns, *extra])})", file=file)
    _check_outcome(frame[columns[0]].to_numpy()[keep], columns[0], linear_probability, file)
    codes = None
    if cluster is not None:
        codes, n_clusters = cluster_codes(labels[keep].to_numpy())
        if n_clusters < 2:
            raise InputError("has a single cluster in the rows analysed: cluster-robust standard "
                             "errors need at least two", file=file, column=cluster)
    return Sample(frame=_kept_rows(frame, keep), coding=coding, n_dropped=n_dropped,
                  cluster=codes, weights=None if w is None else w[keep], n_zero_weight=n_zero,
                  linear_probability=bool(linear_probability), recoded=dict(recoded or {}))


def _check_outcome(y: np.ndarray, name: str, linear_probability: bool | None, file) -> None:
    if linear_probability is None:
        return
    two = _n_distinct(y) == 2
    if two and not linear_probability:
        raise InputError("has two values only (a binary outcome): least squares would silently fit "
                         "a linear probability model", file=file, column=name,
                         hint="use logistic regression, or --linear-probability to fit it by OLS "
                              "with HC3 standard errors anyway")
    if linear_probability and not two:
        raise InputError("--linear-probability is for a two-valued outcome", file=file, column=name)


def _check_variation(frame: pd.DataFrame, names: Sequence[str], file: str | None) -> None:
    for name in names:
        if _n_distinct(frame[name]) < 2:
            raise InputError("is constant in the rows analysed: it cannot be a predictor or moderator",
                             file=file, column=name)


def _n_distinct(values) -> int:
    """``min(nunique, 3)``: the number of distinct non-missing values, counted up to three;
    for numbers without hashing or sorting (two passes for min / max, one comparison)."""
    col = pd.Series(values) if not isinstance(values, pd.Series) else values
    if not pd.api.types.is_numeric_dtype(col):
        return min(int(col.nunique()), 3)
    v = col.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(v).any():
        v = v[~np.isnan(v)]
    if v.size == 0:
        return 0
    lo, hi = v.min(), v.max()
    if lo == hi:
        return 1
    return 2 if np.all((v == lo) | (v == hi)) else 3


# ------------------------------------------------------------------------- probe
def resolve_se(se: str | None, cluster: str | None, weights: str | None,
               linear_probability: bool = False) -> str:
    """The covariance to use: the user's choice, checked against the design, or the
    default: CR2 with a cluster column, HC3 with weights or a linear probability
    model, else OLS."""
    if se is None:
        return "CR2" if cluster else ("HC3" if weights or linear_probability else "ols")
    se = normalise_se_type(se)
    if cluster and se not in {"CR1", "CR2"}:
        raise InputError(f"--se {se} ignores the clusters given with --cluster {cluster!r}; "
                         "choose --se CR1 or CR2 (default CR2)")
    if not cluster and se in {"CR1", "CR2"}:
        raise InputError(f"--se {se} needs a cluster column (--cluster COLUMN)")
    return se


def probe(data: pd.DataFrame, *, outcome: str, focal: str, moderator: str,
          covariates: Sequence[str] = (), se: str | None = None, alpha: float = 0.05,
          reference: dict | None = None, jn_fdr: bool = False, bootstrap: int = 0,
          seed: int | None = None, center: str = "none", at: Sequence[float] | None = None,
          cluster: str | None = None, weights: str | None = None, wild_bootstrap: int = 0,
          wild_weights: str = "rademacher", wild_null: bool = True,
          categorical: Sequence[str] = (), genotype: dict | None = None,
          coding: str = "indicator", min_group_size: int | None = None,
          moderator2: str | None = None, model: int | None = None,
          at2: Sequence[float] | None = None, linear_probability: bool = False,
          file: str | None = None):
    """Moderation analysis of ``focal`` by ``moderator`` (PROCESS Model 1).

    Parameters
    ----------
    data : DataFrame
    outcome, focal, moderator : str
        Column names (data, never code).
    covariates : sequence of str
    se : {"ols", "HC0", "HC1", "HC2", "HC3", "HC4", "CR1", "CR2"}, optional
        Covariance for every test, conditional effect and the JN region.  Default:
        ``CR2`` with ``cluster``, ``HC3`` with ``weights``, else ``ols``.
    alpha : float
        Two-sided level; CIs are ``1 - alpha``.
    reference : dict, optional
        ``{column: level}``: for a two-valued text column, the level coded 0.
        Without it, recognised carrier labels (``carrier``/``non-carrier``,
        ``7R+``/``7R-``, ``A1 carrier``/``A2/A2`` ...) code the carrier as 1
        (:func:`binary_text_coding`); any other two-valued text column raises
        an :class:`InputError` asking for the reference.  The coding used is reported.
    jn_fdr : bool
        Johnson-Neyman with the false-discovery-rate critical t of Esarey &
        Sumner (2018) instead of the per-point one.
    bootstrap : int
        Number of pairs-bootstrap resamples (0: none) for percentile and BCa
        intervals of the coefficients and conditional effects
        (:func:`analysis.stats.bootstrap.bootstrap_linear`, batched: no refit loop).
    seed : int, optional
        Seed of the bootstrap; the same seed gives the same intervals.
    center : {"none", "all", "continuous"}
        Mean-centre the variables that define the product for the coefficient
        table: both X and W, or only the non-binary ones (PROCESS ``center=1``
        / ``center=2``).  Changes ``b1``, ``b2`` and the intercept (now effects
        at the other variable's mean), never ``b3``, the conditional effects or JN.
    at : sequence of float, optional
        Moderator values to probe instead of the defaults (PROCESS ``wmodval``),
        labelled ``at=<value>``.
    cluster : str, optional
        Column of cluster labels (company, team): CR1 or CR2 covariance
        (:mod:`analysis.stats.covariance`), degrees of freedom ``G - 1`` (CR1) or
        Satterthwaite (CR2) everywhere, HTZ Wald tests under CR2.
    weights : str, optional
        Column of sampling weights: weighted least squares, weighted mean, SD and
        percentiles for the probe values, Kish's effective N reported.
    wild_bootstrap : int
        Wild cluster bootstrap replicates (0: none) for the interaction and the
        conditional effects (:mod:`analysis.stats.wildboot`); needs ``cluster``.
    wild_weights : {"rademacher", "webb"}
    wild_null : bool
        Impose the null (WCR, p values only) or not (WCU, p values and intervals).
    categorical : sequence of str
        Focal/moderator columns with numeric codes to treat as groups (a text
        column with 3-10 levels is multicategorical without being listed).
    genotype : dict, optional
        ``{column: "genotype" | "carrier" | "additive"}``: parse the genotype column
        (DRD2 or DRD4 notation) and use the three-group genotype, carrier 0/1 or
        risk-allele count 0/1/2.
    coding : {"indicator", "effect"}
        Coding of a multicategorical variable (``reference`` chooses its reference
        level; default the first level: alphabetical, lowest code, or for a genotype
        the most common one without a risk allele).
    min_group_size : int, optional
        Rows each group of a multicategorical variable needs (default 5; 10 for a
        genotype, the codebook's privacy default).
    moderator2 : str, optional
        A second moderator Z, with ``model=2`` (X*W + X*Z) or ``model=3`` (X*W*Z):
        :func:`analysis.stats.twomoderators.probe_two`.
    model : {1, 2, 3}, optional
    at2 : sequence of float, optional
        Probe values of Z instead of the defaults.
    linear_probability : bool
        Accept a two-valued outcome and fit it by OLS (HC3 by default), labelled as
        a linear probability model; without it a binary outcome is refused.
    file : str, optional
        Shown in error messages.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"g": rng.integers(0, 2, 200), "a": rng.normal(size=200)})
    >>> df["y"] = 0.5 * df.g * df.a + rng.normal(size=200)
    >>> res = probe(df, outcome="y", focal="a", moderator="g")
    >>> res.conditional_effects()["label"].tolist()
    ['group=0', 'group=1']
    """
    kw = _checked_options(locals())
    from .twomoderators import check_two_moderator_options
    kw["model"] = check_two_moderator_options(moderator2, model)
    if kw["model"] > 1:
        return _probe_two(data, kw)
    data, sample, res = _model1_sample(data, kw)
    if res is not None:
        return res
    return _model1_result(sample, *_fit_model1(sample, kw), kw)


def probe_pair(data: pd.DataFrame, *, outcome: str, focal: str, moderator: str,
               covariates: Sequence[str] = (), se: str | None = None, alpha: float = 0.05,
               reference: dict | None = None, jn_fdr: bool = False, weights: str | None = None,
               min_group_size: int | None = None, file: str | None = None) -> ProbePair:
    """Model 1 in both orientations at the cost of one: ``probe(focal by moderator)`` and
    ``probe(moderator by focal)`` from one sample, one design and one fit.

    The two orientations are one regression with the columns of X and W swapped, and
    least squares is equivariant under a permutation of the design's columns: from
    :data:`~analysis.stats.models.TALL_QR_ROWS` complete rows on, the reverse fit is the
    forward one with ``b`` and ``V`` permuted (:meth:`OLSFit.permuted`), nothing refitted,
    and the results equal two :func:`probe` calls up to rounding (1e-10 relative); below
    it the reverse model is refitted (cheap there), so they equal them bit for bit.
    Everything else of either orientation (tests, conditional effects, Johnson-Neyman)
    comes from the same code as :func:`probe`, whose options these are.  Numeric or
    two-valued X and W only (a multicategorical variable is an :class:`InputError`).

    Returns a :class:`ProbePair`: ``forward``, ``reverse`` and the complete-case frame both
    were fitted on (row-level data: for aggregates only).
    """
    kw = _checked_options({**_defaults(probe), **{k: v for k, v in locals().items()
                                                  if k != "data"}})
    data, sample, res = _model1_sample(data, kw)
    if res is not None:
        raise InputError(f"probe_pair takes numeric or two-valued variables; {focal!r} or "
                         f"{moderator!r} is multicategorical: use probe")
    fit, reduced, X, y = _fit_model1(sample, kw)
    forward = _model1_result(sample, fit, reduced, X, y, kw)
    swap = {**kw, "focal": moderator, "moderator": focal}
    if len(y) < TALL_QR_ROWS:       # small samples: refitted, bit for bit as probe (cheap)
        return ProbePair(forward=forward, reverse=_model1_result(sample, *_fit_model1(sample, swap),
                                                                 swap), frame=sample.frame)
    order = [0, 2, 1, 3, *range(4, len(fit.terms))]
    inter = f"{moderator}:{focal}"
    terms = ["Intercept", moderator, focal, inter, *kw["covariates"]]
    reduced_order = [0, 2, 1, *range(3, len(reduced.terms))]
    reverse = _model1_result(sample, fit.permuted(order, terms),
                             reduced.permuted(reduced_order, [t for t in terms if t != inter]),
                             None, None, swap)
    return ProbePair(forward=forward, reverse=reverse, frame=sample.frame)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbePair:
    """:func:`probe_pair`: the model in both orientations and the frame it was fitted on."""

    forward: ProbeResult
    reverse: ProbeResult
    frame: pd.DataFrame = field(repr=False)


def _defaults(function) -> dict:
    import inspect
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _checked_options(kw: dict) -> dict:
    """:func:`probe`'s options checked and normalised (alpha, group size, SE type, covariates)."""
    if not 0 < kw["alpha"] < 1:
        raise InputError(f"alpha must be between 0 and 1, got {kw['alpha']!r}")
    if kw["min_group_size"] is not None and kw["min_group_size"] < 2:
        raise InputError(f"--min-group-size must be at least 2, got {kw['min_group_size']}")
    kw = dict(kw)
    kw["se"] = resolve_se(kw["se"], kw["cluster"], kw["weights"], kw["linear_probability"])
    kw["covariates"] = tuple(kw["covariates"])
    kw["used"] = [kw["outcome"], kw["focal"], kw["moderator"], *kw["covariates"]]
    return kw


def _model1_sample(data, kw):
    """Columns checked, genotype/categorical variables resolved (a multicategorical focal or
    moderator is probed here: ``(data, None, result)``), the sample prepared and checked."""
    focal, moderator, covariates, file = kw["focal"], kw["moderator"], kw["covariates"], kw["file"]
    _check_columns(data, kw["used"], file)
    recoded = {}
    if kw["categorical"] or kw["genotype"] or _may_be_categorical(data, [focal, moderator]):
        data, res, recoded = _probe_categorical(data, kw)
        if res is not None:
            return data, None, res
    sample = prepare_sample(data, kw["used"], cluster=kw["cluster"], weights=kw["weights"],
                            file=file, reference=kw["reference"],
                            linear_probability=kw["linear_probability"], recoded=recoded)
    _check_variation(sample.frame, [focal, moderator, *covariates], file)
    _check_small_genetic_groups(data, sample.frame, [focal, moderator], recoded,
                                kw["min_group_size"], file)
    return data, sample, None


def _fit_model1(sample, kw):
    """``Y = b0 + b1 X + b2 W + b3 XW + covariates`` and the model without ``XW`` (for the
    R-squared change): ``(fit, reduced, X, y)``."""
    frame, focal, moderator = sample.frame, kw["focal"], kw["moderator"]
    x, w = frame[focal].to_numpy(), frame[moderator].to_numpy()
    inter = f"{focal}:{moderator}"
    terms = ["Intercept", focal, moderator, inter, *kw["covariates"]]
    X = design_matrix([np.ones(len(frame)), x, w, x * w, frame[list(kw["covariates"])].to_numpy()])
    y = frame[kw["outcome"]].to_numpy()
    fit = fit_ols(X, y, terms, se=kw["se"], alpha=kw["alpha"], weights=sample.weights,
                  cluster=sample.cluster)
    reduced = fit_ols(np.delete(X, 3, axis=1), y, [t for t in terms if t != inter], se="ols",
                      weights=sample.weights)
    return fit, reduced, X, y


def _model1_result(sample, fit, reduced, X, y, kw) -> ProbeResult:
    """Tests, conditional effects, JN, centring and resampling of a fitted Model 1."""
    frame, coding = sample.frame, sample.coding
    focal, moderator, alpha, seed = kw["focal"], kw["moderator"], kw["alpha"], kw["seed"]
    x, w = frame[focal].to_numpy(), frame[moderator].to_numpy()
    inter, terms = f"{focal}:{moderator}", list(fit.terms)
    f_change, _, df_change, p_change = wald_test(fit, [inter])
    model_f, _, model_df2, model_p = wald_test(fit, terms[1:])
    binary = _n_distinct(w) == 2
    labels, values = _probe_points(w, binary, kw["at"], moderator, coding, sample.weights)
    effects = conditional_effects(fit, focal, inter, values, moderator=moderator, labels=labels,
                                  observed_range=(float(w.min()), float(w.max())))
    jn = None if binary else johnson_neyman(fit, focal, inter, w, moderator=moderator,
                                            fdr=kw["jn_fdr"], weights=sample.weights)
    jn_grid = None if jn is None else _jn_grid(fit, focal, inter, moderator, jn)
    centering = _centering(kw["center"], {focal: x, moderator: w})
    L_coef = _coefficient_rows(terms, centering, focal, moderator)
    boot = (_bootstrap(X, y, terms, L_coef, labels, values, kw["bootstrap"], seed, alpha, sample)
            if kw["bootstrap"] else None)
    wild = (_wild(fit, X, y, sample, inter, labels, values, kw["wild_bootstrap"],
                  kw["wild_weights"], kw["wild_null"], seed) if kw["wild_bootstrap"] else None)
    return ProbeResult(
        outcome=kw["outcome"], focal=focal, moderator=moderator, covariates=kw["covariates"],
        n=len(frame), n_dropped=sample.n_dropped, se_type=kw["se"], alpha=alpha, coding=coding,
        fit=fit, r2_change=fit.r2 - reduced.r2, f_change=f_change, p_change=p_change,
        df_change=float(df_change), model_df2=float(model_df2), model_f=model_f,
        model_p=model_p, moderator_binary=binary, effects=effects, jn=jn,
        jn_grid=jn_grid, boot=boot, centering=centering, cluster=kw["cluster"],
        weights=kw["weights"], wild=wild, notes=_notes(effects, sample, fit, kw["cluster"]))


def _check_small_genetic_groups(data, frame, roles, recoded, min_group_size, file) -> None:
    """Refuse a two-valued genotype focal or moderator with a group under ``min_group_size``
    rows (default 10): its simple slope would describe a few identifiable people (issue 8).

    A variable counts as genetic when it was recoded with ``--genotype`` or its raw values
    parse as DRD2/DRD4 genotypes; the message names file and column, never a value or a count.
    """
    from ..privacy import DEFAULT_MIN_GROUP_SIZE, looks_like_genotypes
    k = min_group_size or DEFAULT_MIN_GROUP_SIZE
    for name in dict.fromkeys(roles):
        if name not in recoded and not looks_like_genotypes(data[name]):
            continue
        counts = frame[name].value_counts()
        if len(counts) <= 2 and (counts < k).any():
            raise InputError(f"a genotype group has fewer than {k} rows in the analysis; its "
                             "effects would describe a few identifiable people", file=file,
                             column=name, hint="merge rare genotypes into a larger group, or "
                             "lower --min-group-size for your own terminal")


def _probe_categorical(data, kw):
    """Recode genotype columns; with a multicategorical focal or moderator, probe it
    (:mod:`analysis.stats.designs`) and return ``(data, result, recoded)``, else
    ``(data, None, recoded)``."""
    from .designs import check_single_categorical, probe_categorical, resolve_variables
    data, found, recoded = resolve_variables(data, [kw["focal"], kw["moderator"]],
                                             categorical=kw["categorical"],
                                             genotype=kw["genotype"], file=kw["file"])
    if not found:
        return data, None, recoded
    check_single_categorical(list(found))
    if kw["bootstrap"] or kw["wild_bootstrap"] or kw["center"] != "none":
        raise InputError("--bootstrap, --wild-bootstrap and --center are not available "
                         "with a multicategorical variable yet")
    (_, spec), = found.items()
    res = probe_categorical(
        data, spec.labels, spec.levels, source=spec.source, sensitive=spec.sensitive,
        outcome=kw["outcome"], focal=kw["focal"], moderator=kw["moderator"],
        covariates=kw["covariates"], se=kw["se"], alpha=kw["alpha"],
        reference=dict(kw["reference"] or {}), scheme=kw["coding"],
        min_group_size=kw["min_group_size"] or (10 if spec.sensitive else 5), at=kw["at"],
        cluster=kw["cluster"], weights=kw["weights"], jn_fdr=kw["jn_fdr"],
        linear_probability=kw["linear_probability"], file=kw["file"], recoded=recoded)
    return data, res, recoded


def _probe_two(data, kw):
    """Models 2 and 3 (numeric X, W and Z)."""
    from .twomoderators import probe_two
    _check_columns(data, [*kw["used"], kw["moderator2"]], kw["file"])
    if kw["categorical"] or kw["genotype"] or _may_be_categorical(
            data, [kw["focal"], kw["moderator"], kw["moderator2"]]):
        from .designs import resolve_variables
        data, found, recoded = resolve_variables(
            data, [kw["focal"], kw["moderator"], kw["moderator2"]],
            categorical=kw["categorical"], genotype=kw["genotype"], file=kw["file"])
        if found:
            raise InputError(f"{next(iter(found))!r} is multicategorical: Models 2 and 3 take "
                             "numeric (or two-valued) X, W and Z")
    else:
        recoded = {}
    if kw["bootstrap"] or kw["wild_bootstrap"] or kw["center"] != "none":
        raise InputError("--bootstrap, --wild-bootstrap and --center are available for Model 1 only")
    return probe_two(data, outcome=kw["outcome"], focal=kw["focal"], moderator=kw["moderator"],
                     moderator2=kw["moderator2"], model=kw["model"], covariates=kw["covariates"],
                     se=kw["se"], alpha=kw["alpha"], reference=kw["reference"],
                     jn_fdr=kw["jn_fdr"], at=kw["at"], at2=kw["at2"], cluster=kw["cluster"],
                     weights=kw["weights"], linear_probability=kw["linear_probability"],
                     file=kw["file"], recoded=recoded)


def _probe_points(w, binary, at, moderator, coding, weights):
    """Labels and values of the default probe (or ``at``), in the moderator's units."""
    labels, values = moderator_values(w, binary, weights)
    if at is not None:
        values = np.asarray([float(v) for v in at], dtype=float)
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise InputError("--at needs one or more finite moderator values")
        labels = [f"at={v:g}" for v in values]
    elif binary and moderator in coding:
        inverse = {v: k for k, v in coding[moderator].items()}
        labels = [f"group={inverse[int(v)]}" for v in values]
    return labels, values


def _wild(fit, X, y, sample, inter, labels, values, n_boot, kind, impose_null, seed):
    from .wildboot import wild_cluster_bootstrap

    k = X.shape[1]
    L = np.zeros((1 + len(values), k))
    L[0, 3] = 1.0
    L[1:, 1], L[1:, 3] = 1.0, values
    return wild_cluster_bootstrap(fit, X, y, sample.weights, sample.cluster, L,
                                  labels=[f"term:{inter}", *(f"label:{v}" for v in labels)],
                                  n_boot=n_boot, kind=kind, impose_null=impose_null, seed=seed)


def _df_convention(se: str) -> str:
    return {"CR1": "t(G - 1) for every effect, F(q, G - 1) for Wald tests",
            "CR2": "Satterthwaite df per effect (Bell & McCaffrey), HTZ Wald tests "
                   "(Pustejovsky & Tipton 2018)"}.get(se, "t(n - k), F(q, n - k)")


def _jn_grid(fit, focal, inter, moderator, jn, n_points: int = 21) -> ConditionalEffects:
    """Effects at ``n_points`` evenly spaced values of the observed range plus the
    JN boundaries inside it (PROCESS's JN table)."""
    lo, hi = jn.observed_range
    inner = [b for b, ok in zip(jn.bounds, jn.in_range) if ok]
    grid = np.unique(np.concatenate([np.linspace(lo, hi, n_points), inner]))
    return conditional_effects(fit, focal, inter, grid, moderator=moderator,
                               observed_range=(lo, hi))


def _centering(center: str, variables: dict) -> dict:
    """Means of the product-defining variables to centre (PROCESS center=0/1/2)."""
    if center not in {"none", "all", "continuous"}:
        raise InputError(f"center must be 'none', 'all' or 'continuous', got {center!r}")
    if center == "none":
        return {}
    return {name: float(v.mean()) for name, v in variables.items()
            if center == "all" or np.unique(v).size > 2}


def _coefficient_rows(terms, centering: dict, focal: str, moderator: str) -> np.ndarray:
    """Rows ``L`` with ``L b`` = the coefficients of the centred model.

    With X' = X - mx and W' = W - mw: ``b0' = b0 + b1 mx + b2 mw + b3 mx mw``,
    ``b1' = b1 + b3 mw``, ``b2' = b2 + b3 mx``, ``b3' = b3``; covariates unchanged.
    """
    L = np.eye(len(terms))
    mx, mw = centering.get(focal, 0.0), centering.get(moderator, 0.0)
    L[0, 1:4] = [mx, mw, mx * mw]
    L[1, 3] = mw
    L[2, 3] = mx
    return L


def _bootstrap(X, y, terms, L_coef, labels, values, n_boot: int, seed, alpha, sample):
    """Bootstrap every coefficient and every default conditional effect in one batch.

    With weights the rows of the sqrt(w)-scaled design are resampled (WLS refits);
    with clusters the pairs bootstrap would ignore the dependence: refused."""
    from .bootstrap import bootstrap_linear

    if sample.cluster is not None:
        raise InputError("--bootstrap resamples rows and would ignore the clusters; use "
                         "--wild-bootstrap B (wild cluster bootstrap) with --cluster")
    if sample.weights is not None:
        sw = np.sqrt(sample.weights)
        X, y = X * sw[:, None], y * sw
    if n_boot < 100:
        raise InputError(f"--bootstrap needs at least 100 resamples (got {n_boot}); "
                         "PROCESS uses 5000")
    k = len(terms)
    L_eff = np.zeros((len(values), k))
    L_eff[:, 1], L_eff[:, 3] = 1.0, values
    L = np.vstack([L_coef, L_eff])
    names = [f"term:{t}" for t in terms] + [f"label:{lab}" for lab in labels]
    return bootstrap_linear(X, y, L, n_boot=n_boot, seed=seed, alpha=alpha, labels=names)


def _may_be_categorical(data: pd.DataFrame, names) -> bool:
    return any(not pd.api.types.is_numeric_dtype(data[n]) for n in names if n in data.columns)


def _notes(effects: ConditionalEffects, sample, fit, cluster) -> tuple[str, ...]:
    notes = list(_design_notes(sample, fit, cluster))
    frame = effects.frame
    if "in_range" in frame and not frame["in_range"].all():
        outside = frame.loc[~frame["in_range"], "label"].tolist()
        notes.append(f"probe point(s) {', '.join(outside)} lie outside the observed moderator "
                     "range: those conditional effects are extrapolations.")
    return tuple(notes)


def _design_notes(sample, fit, cluster) -> tuple[str, ...]:
    """Notes every design shares: rows dropped, zero weights, few clusters."""
    notes = list(sample.recoded.values())
    if sample.linear_probability:
        notes.append("linear probability model: least squares on a two-valued outcome "
                     "(--linear-probability); effects are differences in probability, "
                     "fitted values may leave [0, 1], heteroskedasticity is built in.")
    if sample.n_dropped:
        notes.append(f"{sample.n_dropped} row(s) with a missing value in a used column were "
                     "dropped (listwise).")
    if sample.n_zero_weight:
        notes.append(f"{sample.n_zero_weight} row(s) with weight 0 were left out.")
    if fit.cluster is not None and fit.cluster.n_clusters < 30:
        notes.append(f"only {fit.cluster.n_clusters} clusters in {cluster!r}: cluster-robust "
                     "inference is unreliable with fewer than about 30 clusters; prefer CR2 "
                     "(Satterthwaite df) and check with --wild-bootstrap.")
    return tuple(notes)

