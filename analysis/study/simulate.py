r"""Data-generating process for Study 1 and Study 2 (every number from the config).

Simulated data are generated *from* the published claims (FINDINGS.md), so
reproducing the claims on them tests the pipeline, not the science.  All
numbers come from ``data/simulation.yaml`` (:mod:`analysis.study.config`), where each
is labelled as an assumption with its source.

The model, per respondent (one study; all draws independent across people)

1. **Genotypes at the allele level** under Hardy-Weinberg equilibrium: two
   independent draws from the population allele frequencies per locus; DRD2
   Taq1A (``A1``/``A2``) and the DRD4 exon III VNTR (repeat numbers) are
   independent of each other and of everything else.  Genotype strings are
   ``"A1/A2"`` (A1 first) and ``"4/7"`` (smaller repeat first).
2. **Latent attachment** ``(secure, anxious, avoidant) ~ N(0, R)`` with unit
   variances and the configured correlations.
3. **Latent outcomes** ``CO* = sum_t b_t * f_t + residual_sd * z`` (same for
   SO*), where each term ``t`` is a product of genotype codes (``drd2_a1``,
   ``drd2_a2a2``, ``drd2_a1_count``, ``drd4_7r``, ``drd4_7r_count``) and latent
   attachment styles, named ``a_x_b`` in the config.  In Study 2 the avoidant
   slope of CO is *additive* in the two gene modifications:
   ``slope = b_avoidant + b_{7R x avoidant} 7R + b_{A2A2 x avoidant} A2A2``.
4. **Items** (Likert, integers): for item ``j`` of a scale with latent trait
   ``T``, loading ``lambda_j``, response mean ``m`` and response SD ``s``

   .. math::

       x^*_j = m + s\,(\lambda_j T + \sqrt{1-\lambda_j^2}\,e_j),\quad
       x_j = \min(\max(\operatorname{round}(x^*_j), \mathrm{min}), \mathrm{max}),

   with ``e_j ~ N(0, 1)`` (a congeneric one-factor model, rounded and clipped to
   the response range: a "continuous response rounded to the nearest category"
   discretisation).  Reverse-keyed items are stored as ``min + max - x_j`` (the
   raw answers a questionnaire would export).  Each answer is blank with
   probability ``missing_share`` (MCAR).  Covariates (age, gender) have no
   effect; a share of genotype calls fail (blank).

Score-level fast path
    :func:`simulate_scores` runs the *same* generator (:func:`_draw`) for many
    studies at once, vectorised over an ``(n_sims, n)`` grid, and returns scale
    scores (mean of the answered keyed items, at least ``scoring.min_answered``
    of them) instead of items, so attenuation by the item model is exactly the
    item-level model's.  ``simulate_scores(..., n_sims=1, seed=s)`` reproduces
    the scores of ``simulate_study(..., seed=s)`` exactly.

Approximate score scale (used for truth and tests, not for simulation): if no
answer is clipped, ``score = m + s * mean(lambda) * T + error`` with error
variance ``s^2 * sum(1 - lambda_j^2) / k^2 + 1/(12 k)`` (the last term is the
rounding error, Sheppard's correction, treated as independent uniform).

Seeds: every random stream derives from ``meta.seed`` and a purpose label via
:func:`derive_seed`; passing ``seed`` (an int or a ``numpy.random.Generator``)
overrides it.
"""
from __future__ import annotations

import math
import os
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .config import (GENE_CODES, OUTCOMES, SCALES, STUDIES, STYLES, Config,  # noqa: F401
                     load_config)  # load_config: used by the doctests

__all__ = ["SimulatedStudy", "simulate_study", "simulate_scores", "save_simulated",
           "derive_seed", "implied_effects", "score_scaling", "item_columns", "make_codebook",
           "data_dictionary", "ITEM_PREFIX"]

ITEM_PREFIX = {"CO": "co", "SO": "so", "secure": "sec", "anxious": "anx", "avoidant": "avo"}
_SCALE_LABEL = {"CO": "customer orientation (SOCO-type CO subscale)",
                "SO": "sales orientation (SOCO-type SO subscale)",
                "secure": "secure attachment", "anxious": "anxious attachment",
                "avoidant": "avoidant attachment"}
_MAX_CELLS = 2_000_000  # item draws per chunk of simulate_scores (~16 MB per array)


def derive_seed(config: Config, *labels: str) -> np.random.SeedSequence:
    """The seed sequence for one purpose: ``SeedSequence(meta.seed, spawn_key=crc32(labels))``.

    Labels such as ``("study2", "items")`` give independent, reproducible
    streams without ever choosing a seed by hand.

    >>> cfg = load_config()
    >>> derive_seed(cfg, "study1").entropy == cfg.seed
    True
    """
    key = tuple(zlib.crc32(str(label).encode("utf-8")) for label in labels)
    return np.random.SeedSequence(config.seed, spawn_key=key)


def _rng(config: Config, seed, *labels: str) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng(derive_seed(config, *labels))
    return np.random.default_rng(seed)


def _check_study(config: Config, study: str, n) -> int:
    if study not in STUDIES:
        raise InputError(f"unknown study {study!r}; choose one of {', '.join(STUDIES)}")
    n = int(config[study]["n"]) if n is None else n
    if not isinstance(n, int | np.integer) or n < 2:
        raise InputError(f"the sample size n must be an integer >= 2, got {n!r}")
    return int(n)


# --------------------------------------------------------------------------- core generator

def _drd4_table(config: Config) -> tuple[np.ndarray, np.ndarray]:
    freqs = config["alleles"]["DRD4"]
    repeats = np.array(sorted(int(k) for k in freqs))
    probs = np.array([float(freqs[_find(freqs, r)]) for r in repeats])
    return repeats, probs / probs.sum()


def _find(mapping: Mapping, key):
    for k in mapping:
        if str(k) == str(key):
            return k
    raise KeyError(key)


def _attachment_cholesky(config: Config) -> np.ndarray:
    c = config["latent"]["correlations"]
    r = np.array([[1.0, c["secure_anxious"], c["secure_avoidant"]],
                  [c["secure_anxious"], 1.0, c["anxious_avoidant"]],
                  [c["secure_avoidant"], c["anxious_avoidant"], 1.0]])
    return np.linalg.cholesky(r)


def _gene_codes(a1: np.ndarray, drd4: np.ndarray) -> dict[str, np.ndarray]:
    a1_count = a1.sum(axis=-1).astype(np.int8)
    r7_count = (drd4 == 7).sum(axis=-1).astype(np.int8)
    return {"drd2_a1_count": a1_count, "drd2_a1": (a1_count >= 1).astype(np.int8),
            "drd2_a2a2": (a1_count == 0).astype(np.int8), "drd4_7r_count": r7_count,
            "drd4_7r": (r7_count >= 1).astype(np.int8)}


def _linear_predictor(effects: Mapping, factors: Mapping[str, np.ndarray]) -> np.ndarray:
    out = np.zeros(next(iter(factors.values())).shape)
    for term, coef in effects.items():
        if coef == 0:
            continue
        value = np.ones_like(out)
        for name in str(term).split("_x_"):
            value = value * factors[name]
        out += float(coef) * value
    return out


def _items(spec: Mapping, trait: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Keyed item answers (floats, NaN = blank) for one scale: shape trait.shape + (k,)."""
    lam = np.asarray(spec["loadings"], dtype=float)
    noise = rng.standard_normal(trait.shape + (lam.size,))
    cont = spec["mean"] + spec["sd"] * (lam * trait[..., None] + np.sqrt(1 - lam**2) * noise)
    x = np.clip(np.rint(cont), spec["min"], spec["max"])
    blank = rng.random(x.shape) < spec["missing_share"]
    x[blank] = np.nan
    return x


def _draw(config: Config, study: str, n: int, n_sims: int, rng: np.random.Generator) -> dict:
    """One chunk of simulated studies: genotypes, latent traits, keyed items.

    Draw order (fixed; it defines the streams): DRD2 alleles, DRD4 alleles,
    attachment, CO residual, SO residual, then per scale (SCALES order) the
    item noise and the blank mask.
    """
    shape = (n_sims, n)
    a1 = rng.random(shape + (2,)) < float(config["alleles"]["DRD2"]["A1"])
    repeats, probs = _drd4_table(config)
    drd4 = repeats[rng.choice(repeats.size, size=shape + (2,), p=probs)]
    att = rng.standard_normal(shape + (3,)) @ _attachment_cholesky(config).T
    factors = dict(_gene_codes(a1, drd4))
    factors.update({s: att[..., i] for i, s in enumerate(STYLES)})
    latent = {s: factors[s] for s in STYLES}
    for outcome in OUTCOMES:
        spec = config[study][outcome]
        z = rng.standard_normal(shape)
        latent[outcome] = (_linear_predictor(spec["effects"], factors)
                           + float(spec["residual_sd"]) * z)
    items = {s: _items(config["instruments"][s], latent[s], rng) for s in SCALES}
    return {"a1": a1, "drd4": drd4, "codes": _gene_codes(a1, drd4), "latent": latent,
            "items": items}


def _score(keyed: np.ndarray, min_answered: float) -> np.ndarray:
    """Mean of answered items; NaN below the answered-share rule (as scales.score_scale)."""
    answered = np.sum(~np.isnan(keyed), axis=-1)
    enough = (answered >= min_answered * keyed.shape[-1] - 1e-9) & (answered > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(keyed, axis=-1) / answered
    return np.where(enough, mean, np.nan)


# --------------------------------------------------------------------------- score-level fast path

def simulate_scores(config: Config, study: str, n: int | None = None, n_sims: int = 1,
                    seed=None, *, include_latent: bool = False) -> dict[str, np.ndarray]:
    """Simulate many studies at the score level, vectorised.

    Parameters
    ----------
    config : Config
    study : {"study1", "study2"}
    n : int, optional
        Respondents per study (default: the config's ``<study>.n``).
    n_sims : int
        Number of simulated studies.
    seed : int, numpy Generator or None
        None derives the stream from ``meta.seed`` (labels ``study, "scores"``).
    include_latent : bool
        Also return the latent traits as ``latent_<name>``.

    Returns
    -------
    dict of ndarray, each of shape ``(n_sims, n)``
        ``CO, SO, secure, anxious, avoidant`` (scale scores: mean of answered
        keyed items, NaN when fewer than ``scoring.min_answered`` answered),
        ``drd2_a1_carrier``, ``drd2_a1_count``, ``drd4_7r_carrier``,
        ``drd4_7r_count`` (int8; complete: genotyping failures are not applied
        on this path).

    Studies are generated in chunks of about two million item answers; the
    result depends only on (config, study, n, n_sims, seed).

    >>> out = simulate_scores(load_config(), "study1", n=50, n_sims=3, seed=1)
    >>> out["CO"].shape, sorted(set(out["drd4_7r_carrier"].ravel().tolist())) == [0, 1]
    ((3, 50), True)
    """
    n = _check_study(config, study, n)
    if not isinstance(n_sims, int | np.integer) or n_sims < 1:
        raise InputError(f"n_sims must be a positive integer, got {n_sims!r}")
    rng = _rng(config, seed, study, "scores")
    k_total = sum(int(config["instruments"][s]["n_items"]) for s in SCALES)
    chunk = max(1, _MAX_CELLS // (n * k_total))
    parts = [_score_chunk(config, study, n, min(chunk, n_sims - start), rng, include_latent)
             for start in range(0, n_sims, chunk)]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _score_chunk(config, study, n, n_sims, rng, include_latent) -> dict[str, np.ndarray]:
    draw = _draw(config, study, n, n_sims, rng)
    share = float(config["scoring"]["min_answered"])
    out = {s: _score(draw["items"][s], share) for s in SCALES}
    codes = draw["codes"]
    out.update({"drd2_a1_carrier": codes["drd2_a1"], "drd2_a1_count": codes["drd2_a1_count"],
                "drd4_7r_carrier": codes["drd4_7r"], "drd4_7r_count": codes["drd4_7r_count"]})
    if include_latent:
        out.update({f"latent_{k}": v for k, v in draw["latent"].items()})
    return out


# --------------------------------------------------------------------------- truth

def _genotype_cells(config: Config) -> list[tuple[float, dict[str, int]]]:
    """(probability, gene codes) for the 9 joint (A1 count, 7R count) cells under HWE."""
    q2 = float(config["alleles"]["DRD2"]["A1"])
    q7 = float(config["alleles"]["DRD4"][_find(config["alleles"]["DRD4"], 7)])
    cells = []
    for c2 in range(3):
        for c7 in range(3):
            p = math.comb(2, c2) * q2**c2 * (1 - q2)**(2 - c2) * \
                math.comb(2, c7) * q7**c7 * (1 - q7)**(2 - c7)
            codes = {"drd2_a1_count": c2, "drd2_a1": int(c2 >= 1), "drd2_a2a2": int(c2 == 0),
                     "drd4_7r_count": c7, "drd4_7r": int(c7 >= 1)}
            cells.append((p, codes))
    return cells


_GROUPS = {"drd4_7r_carrier": ("drd4_7r", 1), "drd4_non_carrier": ("drd4_7r", 0),
           "drd2_a1_carrier": ("drd2_a1", 1), "drd2_a2a2": ("drd2_a2a2", 1),
           "drd2_a1a2": ("drd2_a1_count", 1), "drd2_a1a1": ("drd2_a1_count", 2)}


def _corr(config: Config, a: str, b: str) -> float:
    if a == b:
        return 1.0
    c = config["latent"]["correlations"]
    return float(c.get(f"{a}_{b}", c.get(f"{b}_{a}")))


def _group_moments(config, effects, group, style) -> tuple[float, float]:
    """E[T | group] and the population slope of T on latent ``style`` within the group."""
    code, level = _GROUPS[group]
    cells = [(p, c) for p, c in _genotype_cells(config) if c[code] == level]
    total = sum(p for p, _ in cells)
    mean = slope = 0.0
    for term, coef in effects.items():
        factors = str(term).split("_x_")
        genes = [f for f in factors if f in GENE_CODES]
        styles = [f for f in factors if f in STYLES]
        e_gene = sum(p * math.prod(c[g] for g in genes) for p, c in cells) / total
        if len(styles) == 0:
            mean += coef * e_gene
        elif len(styles) == 1:   # cov(a, style) = r(a, style); E[a] = 0
            slope += coef * e_gene * _corr(config, styles[0], style)
        else:                    # E[a b] = r(a, b); cov(a b, style) = 0 (odd normal moment)
            mean += coef * e_gene * _corr(config, *styles)
    return mean, slope


def implied_effects(config: Config, study: str) -> dict:
    """Population (latent-scale) effects implied by the DGP, per one-gene model.

    For each outcome: ``main`` = difference of latent outcome means between
    7R carriers and non-carriers (``drd4_7r``) and between A1 carriers and
    A2/A2 (``drd2_a1``), averaged over everything else; and per attachment
    style the population regression slope of the latent outcome on that
    latent style within each genotype group (the other gene and the other
    styles averaged out: the target of a one-gene x one-style model fitted to
    error-free scores), plus the interactions ``drd4_interaction`` (carriers
    minus non-carriers) and ``drd2_interaction`` (A1 carriers minus A2/A2).
    Exact for multivariate-normal attachment and independent loci.

    >>> imp = implied_effects(load_config(), "study2")
    >>> round(imp["CO"]["avoidant"]["drd4_non_carrier"], 2), imp["SO"]["avoidant"]["drd4_interaction"]
    (0.0, 0.0)
    """
    _check_study(config, study, None)
    out = {}
    for outcome in OUTCOMES:
        effects = {k: float(v) for k, v in config[study][outcome]["effects"].items()}
        means = {g: _group_moments(config, effects, g, "secure")[0] for g in _GROUPS}
        res = {"main": {"drd4_7r": means["drd4_7r_carrier"] - means["drd4_non_carrier"],
                        "drd2_a1": means["drd2_a1_carrier"] - means["drd2_a2a2"]}}
        for style in STYLES:
            slopes = {g: _group_moments(config, effects, g, style)[1] for g in _GROUPS}
            slopes["drd4_interaction"] = slopes["drd4_7r_carrier"] - slopes["drd4_non_carrier"]
            slopes["drd2_interaction"] = slopes["drd2_a1_carrier"] - slopes["drd2_a2a2"]
            res[style] = slopes
        out[outcome] = res
    return out


def score_scaling(config: Config) -> dict:
    """Approximate linear map latent trait -> scale score, per scale (no clipping).

    ``score ~ intercept + slope * T + error``: intercept = ``mean``, slope =
    ``sd * mean(loadings)``, error variance ``sd^2 sum(1 - lambda^2) / k^2 +
    1 / (12 k)`` (rounding as independent uniform error, Sheppard 1898), and
    the implied reliability for a trait of variance 1.
    """
    out = {}
    for scale in SCALES:
        spec = config["instruments"][scale]
        lam = np.asarray(spec["loadings"], dtype=float)
        k, sd = lam.size, float(spec["sd"])
        slope = sd * lam.mean()
        err = sd**2 * np.sum(1 - lam**2) / k**2 + 1 / (12 * k)
        out[scale] = {"intercept": float(spec["mean"]), "slope": float(slope),
                      "error_variance": float(err),
                      "reliability_unit_trait": float(slope**2 / (slope**2 + err))}
    return out


def _truth(config: Config, study: str, n: int) -> dict:
    a1 = float(config["alleles"]["DRD2"]["A1"])
    q7 = float(config["alleles"]["DRD4"][_find(config["alleles"]["DRD4"], 7)])
    return {
        "study": study, "n": n, "config_sha256": config.sha256, "seed": config.seed,
        "effects": {o: {str(k): float(v) for k, v in config[study][o]["effects"].items()}
                    for o in OUTCOMES},
        "residual_sd": {o: float(config[study][o]["residual_sd"]) for o in OUTCOMES},
        "allele_frequencies": {"DRD2_A1": a1, "DRD4_7R": q7},
        "carrier_shares": {"drd2_a1": 1 - (1 - a1) ** 2, "drd4_7r": 1 - (1 - q7) ** 2},
        "latent_correlations": {k: float(v) for k, v in
                                config["latent"]["correlations"].items()},
        "implied": implied_effects(config, study),
        "score_scaling": score_scaling(config),
        "note": "latent-scale (standardised) parameters; every number is an assumption "
                "from the config, not an estimate from the article",
    }


# --------------------------------------------------------------------------- item-level study

@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedStudy:
    """One simulated study: the raw item-level export and what generated it.

    Attributes
    ----------
    name : str
        ``"study1"`` or ``"study2"``.
    items : DataFrame
        The raw export: ``resp_id, gender, age, drd2_taq1a, drd4_vntr`` and the
        item columns (whole numbers as float, NaN = blank; reverse-keyed items
        as answered, i.e. not yet reversed).
    latent : DataFrame
        ``resp_id``, the latent traits (``secure, anxious, avoidant, CO, SO``)
        and the true genotype codes (``drd2_a1_count, drd4_7r_count``, before
        genotyping failures).  For tests and teaching only.
    truth : dict
        The true parameters (JSON-safe), see :func:`implied_effects`.
    codebook : dict
        Column roles in the codebook format (plain dict).
    data_dictionary : DataFrame
        ``column, description, type, allowed_values, scale, reverse_keyed``.
    """

    name: str
    items: pd.DataFrame = field(repr=False)
    latent: pd.DataFrame = field(repr=False)
    truth: dict = field(repr=False)
    codebook: dict = field(repr=False)
    data_dictionary: pd.DataFrame = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.items)

    def to_dict(self) -> dict:
        """JSON-safe summary (no individual data): name, n, truth, codebook."""
        return {"name": self.name, "n": self.n, "truth": self.truth, "codebook": self.codebook}


def item_columns(config: Config, scale: str) -> list[str]:
    """Item column names of a scale, e.g. ``co_01 .. co_12``."""
    k = int(config["instruments"][scale]["n_items"])
    return [f"{ITEM_PREFIX[scale]}_{j:02d}" for j in range(1, k + 1)]


def _reverse_columns(config: Config, scale: str) -> list[str]:
    cols = item_columns(config, scale)
    return [cols[j - 1] for j in config["instruments"][scale]["reverse"]]


def _genotype_strings(draw: dict, missing: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    a1 = draw["a1"][0]
    n_a1 = a1.sum(axis=1)
    drd2 = np.array(["A2/A2", "A1/A2", "A1/A1"], dtype=object)[n_a1]
    d4 = np.sort(draw["drd4"][0], axis=1)
    drd4 = np.array([f"{x}/{y}" for x, y in d4], dtype=object)
    drd2[missing["drd2"]] = np.nan
    drd4[missing["drd4"]] = np.nan
    return {"drd2_taq1a": drd2, "drd4_vntr": drd4}


def simulate_study(config: Config, study: str, *, n: int | None = None,
                   seed=None) -> SimulatedStudy:
    """Simulate one study's raw item-level data (see the module docstring).

    Parameters
    ----------
    config : Config
    study : {"study1", "study2"}
    n : int, optional
        Sample size (default: the config's ``<study>.n``).
    seed : int, numpy Generator or None
        None derives the stream from ``meta.seed`` (labels ``study, "items"``).

    >>> s = simulate_study(load_config(), "study1", n=20, seed=3)
    >>> s.items.shape, s.items["co_01"].dropna().between(1, 9).all()
    ((20, 44), np.True_)
    """
    n = _check_study(config, study, n)
    rng = _rng(config, seed, study, "items")
    draw = _draw(config, study, n, 1, rng)
    cov = config["covariates"]
    age = np.clip(np.rint(rng.normal(cov["age_mean"], cov["age_sd"], n)),
                  cov["age_min"], cov["age_max"]).astype(int)
    gender = np.where(rng.random(n) < cov["female_share"], "female", "male")
    share = float(config["genotyping"]["missing_share"])
    missing = {"drd2": rng.random(n) < share, "drd4": rng.random(n) < share}
    ids = [f"{config[study]['id_prefix']}{i:04d}" for i in range(1, n + 1)]
    frame = {"resp_id": ids, "gender": gender, "age": age, **_genotype_strings(draw, missing)}
    for scale in SCALES:
        frame.update(_raw_items(config, scale, draw["items"][scale][0]))
    latent = pd.DataFrame({"resp_id": ids, **{k: v[0] for k, v in draw["latent"].items()},
                           "drd2_a1_count": draw["codes"]["drd2_a1_count"][0],
                           "drd4_7r_count": draw["codes"]["drd4_7r_count"][0]})
    return SimulatedStudy(name=study, items=pd.DataFrame(frame), latent=latent,
                          truth=_truth(config, study, n), codebook=make_codebook(config),
                          data_dictionary=data_dictionary(config, study, n))


def _raw_items(config: Config, scale: str, keyed: np.ndarray) -> dict[str, np.ndarray]:
    spec = config["instruments"][scale]
    out = {}
    for j, col in enumerate(item_columns(config, scale), start=1):
        x = keyed[:, j - 1].copy()
        if j in spec["reverse"]:
            x = spec["min"] + spec["max"] - x
        out[col] = x
    return out


def make_codebook(config: Config) -> dict:
    """The simulated export's codebook (plain dict; keys aligned by analysis.io.codebook)."""
    scales = {}
    for scale in SCALES:
        spec = config["instruments"][scale]
        scales[scale] = {"items": item_columns(config, scale),
                         "reverse": _reverse_columns(config, scale),
                         "min": int(spec["min"]), "max": int(spec["max"]),
                         "min_answered": float(config["scoring"]["min_answered"])}
    return {"id": "resp_id", "scales": scales,
            "genotypes": {"DRD2": {"column": "drd2_taq1a", "format": "alleles"},
                          "DRD4": {"column": "drd4_vntr", "format": "alleles"}},
            "covariates": ["age", "gender"], "reference": {"gender": "male"}}


def _drd4_allowed(config: Config) -> str:
    reps, _ = _drd4_table(config)
    return ", ".join(f"{a}/{b}" for i, a in enumerate(reps) for b in reps[i:])


def data_dictionary(config: Config, study: str, n: int) -> pd.DataFrame:
    """One row per column of the simulated export."""
    cov = config["covariates"]
    prefix = config[study]["id_prefix"]
    rows = [
        ("resp_id", "respondent id (simulated)", "string",
         f"{prefix}0001 .. {prefix}{n:04d}", "", False),
        ("gender", "gender (simulated covariate; no effect in the DGP)", "categorical",
         "female, male", "", False),
        ("age", "age in years (simulated covariate; no effect in the DGP)", "integer",
         f"{cov['age_min']}-{cov['age_max']}", "", False),
        ("drd2_taq1a", "DRD2/ANKK1 Taq1A (rs1800497) genotype, A1 = minor allele; "
         "blank = failed call", "string", "A1/A1, A1/A2, A2/A2", "", False),
        ("drd4_vntr", "DRD4 exon III 48-bp VNTR genotype, repeat numbers, smaller first; "
         "blank = failed call", "string", _drd4_allowed(config), "", False),
    ]
    for scale in SCALES:
        spec = config["instruments"][scale]
        rev = set(_reverse_columns(config, scale))
        for j, col in enumerate(item_columns(config, scale), start=1):
            note = " (reverse-keyed: stored as answered)" if col in rev else ""
            rows.append((col, f"{_SCALE_LABEL[scale]} item {j}{note}", "integer",
                         f"{spec['min']}-{spec['max']}; blank = not answered", scale,
                         col in rev))
    return pd.DataFrame(rows, columns=["column", "description", "type", "allowed_values",
                                       "scale", "reverse_keyed"])


# --------------------------------------------------------------------------- saving

def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _export_frame(items: pd.DataFrame) -> pd.DataFrame:
    """Whole-number float columns as nullable integers, so the CSV reads ``5``, not ``5.0``."""
    out = items.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].astype("Int64")
    return out


def save_simulated(study: SimulatedStudy, folder: str | Path) -> dict[str, Path]:
    """Write ``<name>.csv``, ``<name>_dictionary.csv`` and ``<name>_codebook.yaml``.

    Each file is written to a temporary file in ``folder`` and moved into
    place with :func:`os.replace` (atomic on one file system).  Returns the
    paths by kind (``data``, ``dictionary``, ``codebook``).
    """
    import yaml
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"data": folder / f"{study.name}.csv",
             "dictionary": folder / f"{study.name}_dictionary.csv",
             "codebook": folder / f"{study.name}_codebook.yaml"}
    _atomic_write(paths["data"], lambda p: _export_frame(study.items).to_csv(
        p, index=False, lineterminator="\n"))
    _atomic_write(paths["dictionary"], lambda p: study.data_dictionary.to_csv(
        p, index=False, lineterminator="\n"))
    text = yaml.safe_dump(study.codebook, sort_keys=False, allow_unicode=True)
    _atomic_write(paths["codebook"], lambda p: Path(p).write_text(text, encoding="utf-8"))
    return paths
