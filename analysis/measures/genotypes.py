"""Genotype parsing, codings, allele frequencies and Hardy-Weinberg tests.

Two loci are supported:

``DRD2``
    Taq1A (rs1800497), biallelic.  Alleles are the strings ``"A1"`` and
    ``"A2"``.  Accepted notations (order-free, case-insensitive):
    ``A1/A2``, ``A1A2``, ``a2/a1``, ``A2 A1``, ``A1|A2``, ``A1-A2`` and the SNP
    letters ``T/C``, ``CT``, ``TT`` with **T = A1 and C = A2** (SNPedia's
    DRD2-oriented strand: "(C;C) = A2/A2, (C;T) = A1/A2, (T;T) = A1/A1"; the
    minor allele A1 = rs1800497(T)).

    Strand note (methods.md section 6): dbSNP reports rs1800497 on the GRCh38
    forward strand as G>A (ANKK1 Glu713Lys, GAG>AAG), where forward ``A`` is
    the DRD2-oriented ``T`` = A1 and forward ``G`` is ``C`` = A2.  Forward-strand
    G/A calls are therefore *not* accepted by default, because the letters are
    ambiguous without knowing the platform's strand: pass an explicit
    ``allele_map={"A": "A1", "G": "A2"}`` to :func:`parse_genotypes` after
    checking the platform's documentation, and confirm with
    :func:`strand_check` that the A1 frequency is below 0.5 (European samples:
    about 0.18-0.20).
``DRD4``
    Exon III 48-bp VNTR, multi-allelic.  Alleles are repeat counts 2..11
    (pandas ``Int64``).  Accepted notations: ``4/7``, ``4R/7R``, ``7R/4R``,
    ``4-7``, ``4,7``, ``7|4``, ``4 7``, ``4R7R``.

No-call codes become missing: empty, whitespace, ``NA``, ``N/A``, ``NaN``,
``None``, ``0/0``, ``00``, ``0 0``, ``./.``, ``--``, ``?``, ``undetermined``,
``NoCall``, ``No Call`` (case-insensitive), and None/NaN/pd.NA.

Privacy: errors name rows only (``sensitive=True``); no function in this module
prints or returns an individual's genotype except the parsed frame itself.
Summaries (frequencies, counts, HWE) are aggregates.

References
----------
Wigginton, J. E., Cutler, D. J., & Abecasis, G. R. (2005). A note on exact
tests of Hardy-Weinberg equilibrium. American Journal of Human Genetics, 76(5),
887-893. doi:10.1086/429864

Guo, S. W., & Thompson, E. A. (1992). Performing the exact test of
Hardy-Weinberg proportion for multiple alleles. Biometrics, 48(2), 361-372.
doi:10.2307/2532296

Pappa, I., et al. (2015). A meta-analysis of the DRD4 exon III VNTR and
internalizing/externalizing behaviour (review of DRD4 classifications; see
methods.md section 6: report all classifications, results depend on the
choice).  https://repub.eur.nl/pub/85991

Phipson, B., & Smyth, G. K. (2010). Permutation p-values should never be zero.
Statistical Applications in Genetics and Molecular Biology, 9(1), Article 39.
doi:10.2202/1544-6115.1585
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = [
    "LOCI", "CODINGS", "MISSING_CODES", "HWEResult",
    "parse_genotypes", "parse_carrier", "carrier_label", "binary_text_coding", "code_genotypes",
    "allele_frequencies", "genotype_counts", "hwe_exact", "hwe_test",
    "hwe_multiallelic_mc", "strand_check", "normalise_locus",
]

LOCI = ("DRD2", "DRD4")
CODINGS = {"DRD2": ("carrier", "additive", "recessive", "genotype"),
           "DRD4": ("carrier", "additive", "recessive", "genotype", "long")}
MISSING_CODES = frozenset({
    "", "NA", "N/A", "NAN", "NONE", "NULL", "0/0", "00", "0 0", "./.", "--",
    "?", "UNDETERMINED", "NOCALL", "NO CALL", "<NA>",
})
_LOCUS_ALIASES = {"DRD2": "DRD2", "ANKK1": "DRD2", "TAQ1A": "DRD2", "TAQIA": "DRD2",
                  "RS1800497": "DRD2", "DRD4": "DRD4"}
_SEP = r"\s*[/|,;:\s-]?\s*"
_DRD2_NAMED = re.compile(rf"^(A[12]){_SEP}(A[12])$")
_SNP_LETTERS = re.compile(rf"^([A-Z]){_SEP}([A-Z])$")
_DRD4_SEP = re.compile(r"^(\d{1,2})R?\s*[/|,;:\s-]\s*(\d{1,2})R?$")
_DRD4_RR = re.compile(r"^(\d{1,2})R(\d{1,2})R$")
_DRD4_RANGE = (2, 11)
_DEFAULT_SNP_MAP = {"T": "A1", "C": "A2"}
_RISK = {"DRD2": "A1", "DRD4": 7}
_LONG_MIN_REPEATS = 6
_HWE_ALPHA = 0.05
_TIE_RTOL = 1e-7


def normalise_locus(locus: str) -> str:
    """Return ``"DRD2"`` or ``"DRD4"`` for a locus name or alias.

    >>> normalise_locus("rs1800497"), normalise_locus("drd4")
    ('DRD2', 'DRD4')
    """
    key = str(locus).strip().upper().replace(" ", "")
    if key not in _LOCUS_ALIASES:
        raise InputError(f"unknown locus {locus!r}; choose DRD2 (Taq1A, rs1800497) or DRD4")
    return _LOCUS_ALIASES[key]


def _is_missing_scalar(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return False


def _token(value: object) -> str | None:
    """Upper-cased, stripped text of a cell, or None for a no-call."""
    if _is_missing_scalar(value):
        return None
    text = str(value).strip().upper()
    return None if text in MISSING_CODES else text


def _parse_drd2(text: str, snp_map: Mapping[str, str]) -> tuple[str, str] | None:
    match = _DRD2_NAMED.match(text)
    if match:
        return match.group(1), match.group(2)
    match = _SNP_LETTERS.match(text)
    if match and match.group(1) in snp_map and match.group(2) in snp_map:
        return snp_map[match.group(1)], snp_map[match.group(2)]
    return None


def _parse_drd4(text: str) -> tuple[int, int] | None:
    match = _DRD4_SEP.match(text) or _DRD4_RR.match(text)
    if not match:
        return None
    pair = int(match.group(1)), int(match.group(2))
    low, high = _DRD4_RANGE
    return pair if all(low <= a <= high for a in pair) else None


def _snp_map(allele_map: Mapping[str, str] | None) -> dict[str, str]:
    mapping = _DEFAULT_SNP_MAP if allele_map is None else allele_map
    clean = {str(k).strip().upper(): str(v).strip().upper() for k, v in mapping.items()}
    if any(v not in ("A1", "A2") for v in clean.values()) or len(clean) != 2:
        raise InputError("allele_map must map exactly two letters to 'A1' and 'A2'",
                         hint="e.g. allele_map={'A': 'A1', 'G': 'A2'} for forward-strand calls")
    return clean


def _notation_hint(locus: str) -> str:
    if locus == "DRD2":
        return ("Use A1/A1, A1/A2, A2/A2 (or rs1800497 T/T, C/T, C/C with T = A1); "
                "no-calls may be left empty or written NA")
    return ("Use repeat pairs such as 4/7, 4R/7R or 2-4 with repeat counts 2 to 11; "
            "no-calls may be left empty or written NA")


def parse_genotypes(values: pd.Series, locus: str, *, column: str | None = None,
                    file: str | None = None,
                    allele_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Parse genotype strings in any supported notation into two sorted alleles.

    Parameters
    ----------
    values : pandas.Series
        Raw genotype cells.
    locus : {"DRD2", "DRD4"}
        Aliases ``ANKK1``, ``Taq1A`` and ``rs1800497`` mean DRD2.
    column, file : str, optional
        Used in error messages only.
    allele_map : mapping, optional
        DRD2 only: SNP letter -> ``"A1"``/``"A2"``.  Default ``{"T": "A1",
        "C": "A2"}`` (DRD2-oriented strand, see the module docstring's strand
        note).

    Returns
    -------
    pandas.DataFrame
        Columns ``allele1 <= allele2`` with the input's index.  DRD2 alleles
        are the strings ``"A1"``/``"A2"``; DRD4 alleles are repeat counts
        (``Int64``).  No-calls are missing in both columns.

    Raises
    ------
    InputError
        Naming ``file``, ``column`` and every offending 1-based row
        (``sensitive=True``: values are never shown).

    Examples
    --------
    >>> parse_genotypes(pd.Series(["A2/A1", "CT", "NA"]), "DRD2").to_dict("list")
    {'allele1': ['A1', 'A1', nan], 'allele2': ['A2', 'A2', nan]}
    >>> parse_genotypes(pd.Series(["7R/4R", "2-4"]), "DRD4").to_dict("list")
    {'allele1': [4, 2], 'allele2': [7, 4]}
    """
    locus = normalise_locus(locus)
    snp_map = _snp_map(allele_map) if locus == "DRD2" else {}
    series = pd.Series(values)
    # a genotype column holds a handful of distinct notations: parse each once
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    pairs, bad_codes = [], []
    for code, value in enumerate(uniques.tolist()):
        text = _token(value)
        pair = None if text is None else (
            _parse_drd2(text, snp_map) if locus == "DRD2" else _parse_drd4(text))
        if text is not None and pair is None:
            bad_codes.append(code)
        pairs.append(None if pair is None else tuple(sorted(pair)))
    if bad_codes:
        bad = (np.flatnonzero(np.isin(codes, bad_codes)) + 1).tolist()
        raise InputError(f"{len(bad)} cell(s) are not a recognised {locus} genotype",
                         file=file, column=column, rows=bad, hint=_notation_hint(locus),
                         sensitive=True)
    return _pairs_frame(pairs + [None], codes, locus, series.index)


def _pairs_frame(pairs: list, codes: np.ndarray, locus: str, index: pd.Index) -> pd.DataFrame:
    """Allele columns from the parsed distinct values (``pairs``, the last one None for
    missing cells) and each row's code into them (-1 = missing)."""
    take = np.where(codes < 0, len(pairs) - 1, codes)
    dtype = "Int64" if locus == "DRD4" else "str"
    # typed arrays of the few distinct alleles, then one vectorised take per column
    first = pd.array([None if p is None else p[0] for p in pairs], dtype=dtype).take(take)
    second = pd.array([None if p is None else p[1] for p in pairs], dtype=dtype).take(take)
    return pd.DataFrame({"allele1": first, "allele2": second}, index=index)


_CARRIER_TRUE = frozenset({"1", "YES", "Y", "TRUE", "T", "CARRIER", "+"})
_CARRIER_FALSE = frozenset({"0", "NO", "N", "FALSE", "F", "NON-CARRIER", "NONCARRIER",
                            "NON CARRIER", "NON_CARRIER", "-"})


_LABEL_CARRIER = re.compile(r"^(?:(?:DRD4 )?7R|(?:DRD2 )?A1|RISK(?: ALLELE)?)? ?(?:CARRIERS?|\+)$")
_LABEL_NON_CARRIER = re.compile(
    r"^(?:(?:(?:DRD4 )?7R|(?:DRD2 )?A1|RISK(?: ALLELE)?)? ?(?:NON ?CARRIERS?|-)"
    r"|NON ?(?:7R|A1)(?: CARRIERS?)?|NO (?:7R|A1)|A2 ?/? ?A2)$")


def carrier_label(text: object) -> int | None:
    """The carrier meaning of a text label: 1 (carrier of the risk allele), 0 (non-carrier),
    or None when the label is not a recognised carrier / genotype-group label.

    Recognised (case, spaces, ``_`` and ``-`` between words ignored): ``carrier`` /
    ``non-carrier`` (also ``noncarrier``, plural), the same prefixed by the allele
    (``7R carrier``, ``A1 non-carrier``, ``DRD4 7R carrier``), ``7R+`` / ``7R-``,
    ``A1+`` / ``A1-``, ``non-7R``, ``no A1`` and ``A2/A2`` (the DRD2 non-carrier
    genotype).  ``yes``/``no`` and the like carry no genotype meaning here and
    are NOT recognised (a two-valued text variable without recognised labels
    needs an explicit reference level).

    >>> [carrier_label(t) for t in ["7R carrier", "non-carrier", "A2/A2", "A1+", "yes", "male"]]
    [1, 0, 0, 1, None, None]
    """
    if not isinstance(text, str):
        return None
    t = re.sub(r"\s+", " ", re.sub(r"(?<=\w)[-_](?=\w)", " ", text.strip().upper()))
    t = t.replace("NON CARRIER", "NONCARRIER").replace("NONCARRIER", "NON CARRIER")
    if _LABEL_NON_CARRIER.match(t):
        return 0
    if _LABEL_CARRIER.match(t):
        return 1
    return None


def binary_text_coding(levels, reference: str | None = None, *, column: str | None = None,
                       file: str | None = None, option: str = "--reference",
                       sensitive: bool = False) -> dict:
    """0/1 coding of a two-valued text variable, by meaning, never alphabetically.

    * ``reference`` given: that level is 0, the other 1.
    * both levels recognised carrier / genotype-group labels
      (:func:`analysis.measures.genotypes.carrier_label`, e.g. ``carrier`` / ``non-carrier``,
      ``7R+`` / ``7R-``, ``A1 carrier`` / ``A2/A2``): the carrier (risk allele) is 1.
    * otherwise an :class:`InputError` asking for the reference level.

    >>> binary_text_coding(["carrier", "non-carrier"])
    {'non-carrier': 0, 'carrier': 1}
    >>> binary_text_coding(["female", "male"], "male")
    {'male': 0, 'female': 1}
    """
    levels = [str(v) for v in levels]
    if reference is not None:
        if reference not in levels:
            shown = "" if sensitive else f" {levels!r}"   # genotype / id values never shown
            raise InputError(f"reference level {reference!r} is not one of the column's "
                             f"values{shown}", file=file, column=column)
        other = next(v for v in levels if v != reference)
        return {reference: 0, other: 1}
    meaning = {v: carrier_label(v) for v in levels}
    if None not in meaning.values() and len(set(meaning.values())) == 2:
        return dict(sorted(meaning.items(), key=lambda kv: kv[1]))
    shown = "withheld" if sensitive else " / ".join(repr(v) for v in levels)
    raise InputError(f"is two-valued text ({shown}) without a recognised carrier meaning: say "
                     f"which value is coded 0 with {option} {column or 'COLUMN'}=VALUE",
                     file=file, column=column)


def _carrier_value(value: object) -> int | None | str:
    """0/1, None for a no-call, or the sentinel ``"bad"``."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not _is_missing_scalar(value):
        return int(value) if value in (0, 1) else "bad"
    text = _token(value)
    if text is None:
        return None
    if text in _CARRIER_TRUE:
        return 1
    if text in _CARRIER_FALSE:
        return 0
    return "bad"


def parse_carrier(values: pd.Series, *, column: str | None = None,
                  file: str | None = None) -> pd.Series:
    """Parse a pre-coded carrier column into nullable ``Int64`` 0/1.

    Accepted: 0/1, yes/no, y/n, true/false, t/f, carrier/non-carrier, +/-
    (case-insensitive); the no-call codes of :data:`MISSING_CODES` become
    missing.  Anything else raises :class:`InputError` with every offending
    row (``sensitive=True``).

    >>> parse_carrier(pd.Series(["yes", "Non-carrier", "+", 0, None])).tolist()
    [1, 0, 1, 0, <NA>]
    """
    parsed = [_carrier_value(v) for v in pd.Series(values).tolist()]
    bad = [pos + 1 for pos, v in enumerate(parsed) if v == "bad"]
    if bad:
        raise InputError(f"{len(bad)} cell(s) are not a recognised carrier code",
                         file=file, column=column, rows=bad, sensitive=True,
                         hint="Use 1/0, yes/no, carrier/non-carrier or +/-; leave no-calls empty")
    return pd.Series(pd.array(parsed, dtype="Int64"), index=pd.Series(values).index,
                     name=getattr(values, "name", None))


def _complete(alleles: pd.DataFrame) -> pd.Series:
    """Boolean mask: both alleles present."""
    return alleles["allele1"].notna() & alleles["allele2"].notna()


def _risk_count(alleles: pd.DataFrame, locus: str) -> pd.Series:
    """Number of risk alleles (A1 or 7R), Int64 with missing kept."""
    risk = _RISK[locus]
    ok = _complete(alleles)
    count = ((alleles["allele1"] == risk).fillna(False).astype(int)
             + (alleles["allele2"] == risk).fillna(False).astype(int))
    return pd.Series(pd.array(np.where(ok, count, 0), dtype="Int64"),
                     index=alleles.index).mask(~ok)


def _labels(alleles: pd.DataFrame) -> pd.Series:
    """``"allele1/allele2"`` per row (missing unless both alleles are present): built on
    one row of each distinct allele pair and spread to the rows by the pair's code."""
    first, _ = pd.factorize(alleles["allele1"], use_na_sentinel=True)
    second, u2 = pd.factorize(alleles["allele2"], use_na_sentinel=True)
    codes, uniques = pd.factorize((first + 1) * (len(u2) + 1) + (second + 1))
    row = np.empty(len(uniques), dtype=np.intp)
    row[codes] = np.arange(len(codes))          # any row of each pair (they are alike)
    few = alleles.iloc[row]
    text = (few["allele1"].astype(str) + "/" + few["allele2"].astype(str)) \
        .where(_complete(few)).astype("str")
    return pd.Series(text.array.take(codes), index=alleles.index)


def code_genotypes(alleles: pd.DataFrame, locus: str, coding: str = "carrier") -> pd.Series:
    """Derive one genotype coding from parsed alleles.

    Codings (risk allele = A1 for DRD2, 7R for DRD4):

    ``carrier``   at least one risk allele = 1 (DRD2: A1/A1 or A1/A2 vs A2/A2)
    ``additive``  number of risk alleles, 0/1/2
    ``recessive`` two risk alleles = 1
    ``genotype``  label string, e.g. ``"A1/A2"`` or ``"4/7"`` (smaller first)
    ``long``      DRD4 only: at least one allele with >= 6 repeats = 1 (the
                  "long" split; Pappa et al. 2015 recommend reporting every
                  DRD4 classification because results depend on it)

    Missing genotypes stay missing (``Int64`` / string NA).

    >>> a = parse_genotypes(pd.Series(["4/7", "4/4", "2/6", None]), "DRD4")
    >>> code_genotypes(a, "DRD4", "carrier").tolist(), code_genotypes(a, "DRD4", "long").tolist()
    ([1, 0, 0, <NA>], [1, 0, 1, <NA>])
    """
    locus = normalise_locus(locus)
    if coding not in CODINGS[locus]:
        raise InputError(f"unknown {locus} coding {coding!r}; choose one of "
                         f"{', '.join(CODINGS[locus])}")
    name = f"{locus}_{coding}"
    if coding == "genotype":
        return _labels(alleles).rename(name)
    if coding == "long":
        ok = _complete(alleles)
        is_long = (alleles["allele2"] >= _LONG_MIN_REPEATS).fillna(False).astype(int)
        out = pd.Series(pd.array(is_long, dtype="Int64"), index=alleles.index).mask(~ok)
        return out.rename(name)
    count = _risk_count(alleles, locus)
    if coding == "carrier":
        count = (count >= 1).astype("Int64")
    elif coding == "recessive":
        count = (count == 2).astype("Int64")
    return count.rename(name)


def allele_frequencies(alleles: pd.DataFrame) -> pd.DataFrame:
    """Allele counts and frequencies over complete genotypes (aggregate only).

    >>> a = parse_genotypes(pd.Series(["A1/A2", "A2/A2", None]), "DRD2")
    >>> allele_frequencies(a).to_dict("list")
    {'allele': ['A1', 'A2'], 'count': [1, 3], 'frequency': [0.25, 0.75]}
    """
    ok = _complete(alleles)
    pooled = pd.concat([alleles.loc[ok, "allele1"], alleles.loc[ok, "allele2"]])
    counts = pooled.value_counts().sort_index()
    total = int(counts.sum())
    return pd.DataFrame({
        "allele": [a.item() if hasattr(a, "item") else a for a in counts.index],
        "count": counts.to_numpy(dtype=int).tolist(),
        "frequency": (counts.to_numpy(dtype=float) / total).tolist() if total else [],
    })


def genotype_counts(alleles: pd.DataFrame, locus: str) -> pd.DataFrame:
    """Genotype counts and shares over complete genotypes.

    DRD2 always lists A1/A1, A1/A2 and A2/A2 (zero counts included); DRD4
    lists the observed genotypes, ordered by allele.

    >>> a = parse_genotypes(pd.Series(["A1/A2", "A2/A2", "A2/A2"]), "DRD2")
    >>> genotype_counts(a, "DRD2")["count"].tolist()
    [0, 1, 2]
    """
    return _counts_of_labels(_labels(alleles), normalise_locus(locus))


def _counts_of_labels(labels: pd.Series, locus: str) -> pd.DataFrame:
    """:func:`genotype_counts` from the ``genotype`` coding (labels) of the rows."""
    counts = labels.dropna().value_counts()
    if locus == "DRD2":
        order = ["A1/A1", "A1/A2", "A2/A2"]
    else:
        order = sorted(counts.index, key=lambda s: tuple(int(x) for x in s.split("/")))
    counts = counts.reindex(order, fill_value=0)
    total = int(counts.sum())
    shares = counts / total if total else counts.astype(float) * np.nan
    return pd.DataFrame({"genotype": order, "count": counts.to_numpy(dtype=int).tolist(),
                         "share": shares.to_numpy(dtype=float).tolist()})


# ---------------------------------------------------------------- HWE
def _json_number(x):
    if x is None:
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    return None if math.isnan(x) else x


@dataclass(frozen=True, slots=True, kw_only=True)
class HWEResult:
    """Hardy-Weinberg equilibrium test result (aggregates only).

    Attributes
    ----------
    locus : str or None
    method : str
        Which test, in words (for DRD4 it states the 7R vs non-7R recode).
    n : int
        Complete genotypes used.
    counts, expected : dict
        Observed and HWE-expected genotype counts (for DRD4: of the 7R recode).
    allele_frequency : float
        Frequency of the first allele of the test (A1 or 7R).
    p_value : float
        Exact two-sided "selome" p of the biallelic test.
    heterozygosity_observed, heterozygosity_expected : float
        Observed share of heterozygotes and 2pq.
    p_value_multiallelic : float or None
        DRD4 only: Monte Carlo multi-allelic exact test p (Guo & Thompson 1992).
    n_perm : int or None
        DRD4 only: permutations of the Monte Carlo test.
    warning : str or None
        Text when a p-value is below .05 (or there are no genotypes).
    """

    locus: str | None
    method: str
    n: int
    counts: dict
    expected: dict
    allele_frequency: float
    p_value: float
    heterozygosity_observed: float
    heterozygosity_expected: float
    p_value_multiallelic: float | None = None
    n_perm: int | None = None
    warning: str | None = None

    def to_dict(self) -> dict:
        """JSON-safe dict (NaN -> None)."""
        return {
            "locus": self.locus, "method": self.method, "n": int(self.n),
            "counts": {k: int(v) for k, v in self.counts.items()},
            "expected": {k: _json_number(v) for k, v in self.expected.items()},
            "allele_frequency": _json_number(self.allele_frequency),
            "p_value": _json_number(self.p_value),
            "heterozygosity_observed": _json_number(self.heterozygosity_observed),
            "heterozygosity_expected": _json_number(self.heterozygosity_expected),
            "p_value_multiallelic": _json_number(self.p_value_multiallelic),
            "n_perm": self.n_perm, "warning": self.warning,
        }


def _het_distribution(n: int, n_rare: int) -> np.ndarray:
    """Null probabilities of 0..n_rare heterozygotes (Wigginton et al. 2005 recurrence).

    Entries whose parity differs from ``n_rare`` are zero.  Unnormalised
    values start at 1 at the mode and are normalised at the end.
    """
    n_common = 2 * n - n_rare
    probs = np.zeros(n_rare + 1)
    mid = n_rare * n_common // (2 * n)
    if mid % 2 != n_rare % 2:
        mid += 1
    probs[mid] = 1.0
    # the recurrences in Python floats (the same IEEE double operations as on numpy
    # scalars, without boxing each one), stored once at the end
    hom_r, hom_c = (n_rare - mid) // 2, (n_common - mid) // 2
    p, down = 1.0, []
    for het in range(mid, 1, -2):      # downward: P(h-2) from P(h)
        p = p * het * (het - 1) / (4.0 * (hom_r + 1) * (hom_c + 1))
        down.append(p)
        hom_r, hom_c = hom_r + 1, hom_c + 1
    if down:
        probs[mid - 2::-2] = down
    hom_r, hom_c = (n_rare - mid) // 2, (n_common - mid) // 2
    p, up = 1.0, []
    for het in range(mid, n_rare - 1, 2):   # upward: P(h+2) from P(h)
        p = p * 4.0 * hom_r * hom_c / ((het + 2.0) * (het + 1.0))
        up.append(p)
        hom_r, hom_c = hom_r - 1, hom_c - 1
    if up:
        probs[mid + 2::2] = up
    return probs / probs.sum()


def _selome_p(probs: np.ndarray, observed: int) -> float:
    """Sum of probabilities <= P(observed), ties within a relative 1e-7."""
    threshold = probs[observed] * (1.0 + _TIE_RTOL)
    return float(min(1.0, probs[probs <= threshold].sum()))


def hwe_exact(n_hom1: int, n_het: int, n_hom2: int, *, locus: str | None = None,
              labels: tuple[str, str, str] = ("hom1", "het", "hom2")) -> HWEResult:
    r"""Exact two-sided test of Hardy-Weinberg equilibrium for a biallelic locus.

    Under HWE and conditional on N and the allele counts, the number of
    heterozygotes h has

    .. math::

        P(N_{AB} = h) = \frac{2^h\, N!\, n_A!\, n_B!}{n_{AA}!\, h!\, n_{BB}!\, (2N)!},

    computed with the recurrence of Wigginton, Cutler & Abecasis (2005).  The
    p-value is the "selome" one (as HardyWeinberg::HWExact's default): the sum
    of P(h) over all h with P(h) <= P(observed), with a relative tie tolerance
    of 1e-7 against floating-point error.

    Parameters
    ----------
    n_hom1, n_het, n_hom2 : int
        Genotype counts (e.g. A1/A1, A1/A2, A2/A2).
    locus : str, optional
    labels : tuple of 3 str
        Keys for ``counts``/``expected``.

    Examples
    --------
    >>> round(hwe_exact(40, 20, 10).p_value, 6)   # methods.md section 5
    0.016967
    """
    counts = [n_hom1, n_het, n_hom2]
    if any(int(c) != c or c < 0 for c in counts):
        raise InputError("genotype counts must be non-negative integers")
    counts = [int(c) for c in counts]
    n_hom1, n_het, n_hom2 = counts
    n = n_hom1 + n_het + n_hom2
    method = "exact biallelic HWE test (Wigginton, Cutler & Abecasis 2005), two-sided selome p"
    if n == 0:
        return HWEResult(locus=locus, method=method, n=0, counts=dict(zip(labels, counts)),
                         expected=dict.fromkeys(labels, math.nan), allele_frequency=math.nan,
                         p_value=math.nan, heterozygosity_observed=math.nan,
                         heterozygosity_expected=math.nan,
                         warning="no complete genotypes: HWE not tested")
    n_rare = 2 * min(n_hom1, n_hom2) + n_het
    p_value = _selome_p(_het_distribution(n, n_rare), n_het)
    p = (2 * n_hom1 + n_het) / (2 * n)
    expected = dict(zip(labels, (n * p * p, 2 * n * p * (1 - p), n * (1 - p) ** 2)))
    return HWEResult(locus=locus, method=method, n=n, counts=dict(zip(labels, counts)),
                     expected=expected, allele_frequency=p, p_value=p_value,
                     heterozygosity_observed=n_het / n, heterozygosity_expected=2 * p * (1 - p),
                     warning=_hwe_warning(locus, p_value))


def _hwe_warning(locus: str | None, *p_values: float | None) -> str | None:
    shown = [p for p in p_values if p is not None and not math.isnan(p)]
    if not shown or min(shown) >= _HWE_ALPHA:
        return None
    name = locus or "this locus"
    return (f"genotype frequencies at {name} deviate from Hardy-Weinberg equilibrium "
            f"(p = {min(shown):.3g} < .05): check genotyping error, notation/strand "
            "mapping and population stratification")


def _log_table_prob(geno_counts: np.ndarray, het_mask: np.ndarray) -> np.ndarray:
    """Log P(genotype table | allele counts) up to a constant fixed by the allele counts.

    Full formula (Guo & Thompson 1992, Levene 1949):
    P = N! 2^H prod_i n_i! / ((2N)! prod_{i<=j} n_ij!), H = number of heterozygotes.
    With the allele counts fixed only ``H log 2 - sum log n_ij!`` varies.
    """
    from scipy.special import gammaln
    het = (geno_counts * het_mask).sum(axis=-1)
    return het * math.log(2.0) - gammaln(geno_counts + 1.0).sum(axis=-1)


def _genotype_table(first: np.ndarray, second: np.ndarray, k: int) -> np.ndarray:
    """Counts of unordered genotypes (rows of allele indices) -> (..., k*k) array."""
    low, high = np.minimum(first, second), np.maximum(first, second)
    code = low * k + high
    lead = code.shape[:-1]
    flat = code.reshape(-1, code.shape[-1])
    offset = (np.arange(flat.shape[0]) * k * k)[:, None]
    table = np.bincount((flat + offset).ravel(), minlength=flat.shape[0] * k * k)
    return table.reshape(*lead, k * k) if lead else table


_PERM_CHUNK = 4096   # simulated tables per block: memory O(chunk x k^2), never O(N)


def _multivariate_hypergeometric(colors: np.ndarray, nsample: np.ndarray,
                                 rng: np.random.Generator) -> np.ndarray:
    """One draw per row: ``nsample[r]`` balls without replacement from an urn with
    ``colors[r, c]`` balls of colour c (marginals method:
    colour c's count is hypergeometric given what the earlier colours took)."""
    out = np.empty_like(colors)
    left = colors.sum(axis=1)
    need = nsample.copy()
    for c in range(colors.shape[1] - 1):
        good = colors[:, c]
        left = left - good
        out[:, c] = rng.hypergeometric(good, left, need) if need.any() else 0
        need = need - out[:, c]
    out[:, -1] = need
    return out


def _null_genotype_tables(allele_counts: np.ndarray, m: int,
                          rng: np.random.Generator) -> np.ndarray:
    """``m`` genotype tables drawn from the HWE null given the allele counts: (m, k*k).

    Equivalent to permuting the 2N alleles and pairing positions (1, 2), (3, 4), ...,
    computed from the k allele counts alone: the first alleles of the N pairs are a
    multivariate hypergeometric draw of N from the allele counts, the second alleles
    the rest, and a uniform matching of first to second alleles is the random
    contingency table with those margins, drawn row by row (first allele i takes
    ``first_i`` of the remaining second alleles).  Unordered genotype {i, j} is
    stored at ``min*k + max`` as in :func:`_genotype_table`.
    """
    k = len(allele_counts)
    n = int(allele_counts.sum()) // 2
    urn = np.broadcast_to(allele_counts, (m, k)).copy()
    first = _multivariate_hypergeometric(urn, np.full(m, n, dtype=urn.dtype), rng)
    remaining = urn - first
    ordered = np.empty((m, k, k), dtype=urn.dtype)
    for i in range(k):
        ordered[:, i, :] = _multivariate_hypergeometric(remaining, first[:, i], rng)
        remaining -= ordered[:, i, :]
    unordered = np.triu(ordered + ordered.transpose(0, 2, 1), 1)
    idx = np.arange(k)
    unordered[:, idx, idx] = ordered[:, idx, idx]
    return unordered.reshape(m, k * k)


def hwe_multiallelic_mc(allele1: np.ndarray, allele2: np.ndarray, *, n_perm: int = 2000,
                        seed: int = 0) -> float:
    """Monte Carlo exact test of HWE for any number of alleles.

    Genotype tables are sampled from their exact null distribution conditional
    on the allele counts (Guo & Thompson 1992, Monte Carlo version): the
    distribution of re-pairing a random permutation of the pooled 2N alleles,
    drawn from the k allele counts by hypergeometric steps
    (:func:`_null_genotype_tables`), so time and memory do not grow with N
    (blocks of 4,096 tables).  The statistic is the null probability of the
    genotype table (smaller = more extreme, as in the exact test); the p-value
    is ``(1 + #{perm: P(table_perm) <= P(table_obs)}) / (1 + n_perm)``
    (Phipson & Smyth 2010), ties within a relative 1e-7 *of the probability*
    counted as extreme (a relative tolerance on the log-probability, as before,
    grew with N: 0.1 log-units at N = 100,000, p-values inflated towards 1).

    >>> a = np.array([2, 4, 4, 7, 2, 4]); b = np.array([4, 4, 7, 7, 7, 4])
    >>> 0 < hwe_multiallelic_mc(a, b, n_perm=200) <= 1
    True
    """
    allele1, allele2 = np.asarray(allele1), np.asarray(allele2)
    values = np.unique(np.concatenate([np.unique(allele1), np.unique(allele2)]))
    k, n = len(values), len(allele1)
    if k < 2 or n == 0:
        return 1.0 if n else math.nan
    first, second = np.searchsorted(values, allele1), np.searchsorted(values, allele2)
    het_mask = np.array([i != j for i in range(k) for j in range(k)], dtype=float)
    observed_table = _genotype_table(first[None], second[None], k)[0]
    observed = _log_table_prob(observed_table, het_mask)
    allele_counts = np.bincount(first, minlength=k) + np.bincount(second, minlength=k)
    # ties: P_perm <= P_obs (1 + 1e-7), i.e. an absolute 1e-7 on the log scale, plus the
    # rounding error of a sum of log-factorials as large as |observed| (grows with N)
    tie = math.log1p(_TIE_RTOL) + abs(observed) * 1e-12
    rng = np.random.default_rng(seed)
    extreme, done = 0, 0
    while done < n_perm:
        m = min(_PERM_CHUNK, n_perm - done)
        stats = _log_table_prob(_null_genotype_tables(allele_counts, m, rng), het_mask)
        extreme += int(np.sum(stats <= observed + tie))
        done += m
    return float((1 + extreme) / (1 + n_perm))


def hwe_test(alleles: pd.DataFrame, locus: str, *, n_perm: int = 2000, seed: int = 0) -> HWEResult:
    """Hardy-Weinberg test for a parsed locus (aggregates only).

    DRD2: exact biallelic test on A1/A1, A1/A2, A2/A2.  DRD4 (multi-allelic):
    the primary p is the exact biallelic test on the **7R vs non-7R recode**;
    in addition :func:`hwe_multiallelic_mc` gives a Monte Carlo multi-allelic
    exact test on all repeat alleles (``p_value_multiallelic``, ``n_perm``).

    >>> a = parse_genotypes(pd.Series(["A1/A2"] * 20 + ["A2/A2"] * 30 + ["A1/A1"] * 2), "DRD2")
    >>> r = hwe_test(a, "DRD2"); (r.n, r.counts["A1/A2"], r.warning is None)
    (52, 20, True)
    """
    locus = normalise_locus(locus)
    ok = _complete(alleles)
    risk = _risk_count(alleles, locus)[ok].astype(int)     # no copy of the allele frame
    n2, n1, n0 = int((risk == 2).sum()), int((risk == 1).sum()), int((risk == 0).sum())
    if locus == "DRD2":
        return hwe_exact(n2, n1, n0, locus=locus, labels=("A1/A1", "A1/A2", "A2/A2"))
    base = hwe_exact(n2, n1, n0, locus=locus, labels=("7/7", "7/non-7", "non-7/non-7"))
    a1 = alleles.loc[ok, "allele1"].to_numpy(dtype=int)
    a2 = alleles.loc[ok, "allele2"].to_numpy(dtype=int)
    p_multi = hwe_multiallelic_mc(a1, a2, n_perm=n_perm, seed=seed)
    method = ("primary: exact biallelic HWE test (Wigginton et al. 2005, selome p) on the "
              "7R vs non-7R recode; secondary: Monte Carlo multi-allelic exact test "
              f"(Guo & Thompson 1992; statistic = P(genotype table | allele counts); "
              f"{n_perm} allele permutations, seed {seed})")
    warning = base.warning if base.n == 0 else _hwe_warning(locus, base.p_value, p_multi)
    return HWEResult(locus=locus, method=method, n=base.n, counts=base.counts,
                     expected=base.expected, allele_frequency=base.allele_frequency,
                     p_value=base.p_value, heterozygosity_observed=base.heterozygosity_observed,
                     heterozygosity_expected=base.heterozygosity_expected,
                     p_value_multiallelic=p_multi, n_perm=n_perm, warning=warning)


def strand_check(alleles: pd.DataFrame) -> str | None:
    """Warn when the DRD2 A1 frequency exceeds 0.5 (likely strand/notation flip).

    A1 is the minor allele in European samples (about 0.18-0.20; globally
    0.09-0.75, methods.md section 5), so a sample A1 frequency above 0.5
    usually means T/C (or forward-strand A/G) letters were mapped the wrong
    way round.  Returns None for DRD4 frames, for no data, or when fine.

    >>> strand_check(parse_genotypes(pd.Series(["A1/A1", "A1/A2"]), "DRD2")) is not None
    True
    """
    return _strand_warning(allele_frequencies(alleles))


def _strand_warning(freqs: pd.DataFrame) -> str | None:
    """:func:`strand_check` from the :func:`allele_frequencies` table."""
    if freqs.empty or not set(freqs["allele"]) <= {"A1", "A2"}:
        return None
    a1 = freqs.loc[freqs["allele"] == "A1", "frequency"]
    q = float(a1.iloc[0]) if len(a1) else 0.0
    if q <= 0.5:
        return None
    return (f"DRD2 A1 allele frequency is {q:.2f} (> 0.5), whereas A1 is the minor allele "
            "in most populations (about 0.2 in Europeans): check for a strand or notation "
            "flip (rs1800497 T = A1, C = A2 on the DRD2-oriented strand; forward-strand "
            "A = A1, G = A2)")
