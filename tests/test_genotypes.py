"""Tests for analysis.measures.genotypes: parsing, codings, counts and HWE tests.

Independent checks: the HWE recurrence against the direct formula evaluated in
exact rational arithmetic (brute-force enumeration of the whole null
distribution), methods.md section 5 reference values, and the Monte Carlo
multi-allelic test against a brute-force enumeration of every genotype table
with the observed allele counts.
"""
from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis._errors import InputError
from analysis.measures.genotypes import (
    CODINGS, allele_frequencies, code_genotypes, genotype_counts, hwe_exact,
    hwe_multiallelic_mc, hwe_test, parse_carrier, parse_genotypes, strand_check,
)


# ------------------------------------------------------------------ parsing
@pytest.mark.parametrize("text,expected", [
    ("A1/A2", ("A1", "A2")), ("A1A2", ("A1", "A2")), ("a2/a1", ("A1", "A2")),
    ("A2 A1", ("A1", "A2")), ("A1|A1", ("A1", "A1")), (" a2-a2 ", ("A2", "A2")),
    ("T/C", ("A1", "A2")), ("CT", ("A1", "A2")), ("TT", ("A1", "A1")),
    ("c/c", ("A2", "A2")), ("C T", ("A1", "A2")),
])
def test_parse_drd2_notations(text, expected):
    out = parse_genotypes(pd.Series([text]), "DRD2")
    assert tuple(out.iloc[0]) == expected


@pytest.mark.parametrize("text,expected", [
    ("4/7", (4, 7)), ("4R/7R", (4, 7)), ("7R/4R", (4, 7)), ("4-7", (4, 7)),
    ("2R/4R", (2, 4)), ("4,7", (4, 7)), ("7|4", (4, 7)), ("7r/7r", (7, 7)),
    ("11/2", (2, 11)), ("4 7", (4, 7)), ("4R7R", (4, 7)),
])
def test_parse_drd4_notations(text, expected):
    out = parse_genotypes(pd.Series([text]), "DRD4")
    assert tuple(int(a) for a in out.iloc[0]) == expected
    assert str(out["allele1"].dtype) == "Int64"


@pytest.mark.parametrize("code", ["NA", "", "   ", "0/0", "undetermined", "UNDETERMINED",
                                  "NoCall", "--", "N/A", "n/a", "?", None, np.nan, pd.NA])
@pytest.mark.parametrize("locus", ["DRD2", "DRD4"])
def test_no_call_codes_become_missing(code, locus):
    out = parse_genotypes(pd.Series([code], dtype=object), locus)
    assert out.isna().all(axis=None)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 11), st.integers(2, 11), st.sampled_from(["/", "-", ",", "|", " ", " / "]),
       st.booleans(), st.booleans())
def test_drd4_any_notation_round_trips(a, b, sep, with_r, lower):
    r = ("r" if lower else "R") if with_r else ""
    out = parse_genotypes(pd.Series([f"{a}{r}{sep}{b}{r}"]), "DRD4")
    assert (int(out.iloc[0, 0]), int(out.iloc[0, 1])) == (min(a, b), max(a, b))


def test_index_preserved_and_sorted():
    idx = pd.Index([10, 3, 7], name="pid")
    out = parse_genotypes(pd.Series(["A2/A1", "C/C", "nocall"], index=idx), "DRD2")
    assert out.index.equals(idx)
    assert list(out.columns) == ["allele1", "allele2"]
    assert out.loc[10].tolist() == ["A1", "A2"]
    assert out.loc[7].isna().all()


def test_parse_error_names_all_rows_and_no_values():
    values = pd.Series(["A1/A2", "A3/A1", "secretGT", None, "AG", "A1/A1", "zz1", "zz2",
                        "zz3", "zz4"])
    with pytest.raises(InputError) as err:
        parse_genotypes(values, "DRD2", column="taq1a", file="study1.csv")
    e = err.value
    assert e.rows == [2, 3, 5, 7, 8, 9, 10]          # all offending rows, 1-based
    assert e.sensitive and e.values == []
    assert "study1.csv" in str(e) and "taq1a" in str(e)
    for leaked in ("A3/A1", "secretGT", "AG", "zz"):
        assert leaked not in str(e)


@pytest.mark.parametrize("bad", ["1/4", "4/12", "47", "7", "4/7/2", "A1/A2"])
def test_drd4_rejects_ambiguous_or_out_of_range(bad):
    with pytest.raises(InputError) as err:
        parse_genotypes(pd.Series(["4/4", bad]), "DRD4", column="drd4")
    assert err.value.rows == [2] and err.value.values == []
    # the message does not depend on the offending value (nothing leaks)
    with pytest.raises(InputError) as other:
        parse_genotypes(pd.Series(["4/4", "zz"]), "DRD4", column="drd4")
    assert str(err.value) == str(other.value)


def test_forward_strand_letters_need_explicit_map():
    with pytest.raises(InputError):
        parse_genotypes(pd.Series(["A/G"]), "DRD2")
    out = parse_genotypes(pd.Series(["A/G", "GG", "AA"]), "DRD2",
                          allele_map={"A": "A1", "G": "A2"})
    assert out["allele1"].tolist() == ["A1", "A2", "A1"]
    assert out["allele2"].tolist() == ["A2", "A2", "A1"]


def test_unknown_locus():
    with pytest.raises(InputError):
        parse_genotypes(pd.Series(["4/7"]), "5HTTLPR")


def test_parse_carrier():
    raw = pd.Series(["1", 0, "yes", "No", "y", "n", "TRUE", "false", "Carrier",
                     "non-carrier", "+", "-", True, 1.0, None, "", "NA", "--"])
    expected = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1] + [pd.NA] * 4
    out = parse_carrier(raw)
    assert str(out.dtype) == "Int64"
    assert out.tolist() == expected


def test_parse_carrier_errors_sensitive():
    with pytest.raises(InputError) as err:
        parse_carrier(pd.Series(["1", "maybe", 2, "0", "A1+"]), column="c", file="f")
    assert err.value.rows == [2, 3, 5]
    assert "maybe" not in str(err.value) and err.value.sensitive


# ------------------------------------------------------------------ codings
DRD2_RAW = ["A1/A1", "A1/A2", "A2/A2", None, "A2/A1"]
DRD4_RAW = ["4/7", "7/7", "2/4", None, "4/4", "2/6", "5/8"]


@pytest.mark.parametrize("coding,expected", [
    ("carrier", [1, 1, 0, pd.NA, 1]), ("additive", [2, 1, 0, pd.NA, 1]),
    ("recessive", [1, 0, 0, pd.NA, 0]),
    ("genotype", ["A1/A1", "A1/A2", "A2/A2", None, "A1/A2"]),
])
def test_drd2_codings(coding, expected):
    out = code_genotypes(parse_genotypes(pd.Series(DRD2_RAW), "DRD2"), "DRD2", coding)
    got = [None if pd.isna(v) else v for v in out]
    assert got == [None if v is pd.NA or v is None else v for v in expected]


@pytest.mark.parametrize("coding,expected", [
    ("carrier", [1, 1, 0, None, 0, 0, 0]), ("additive", [1, 2, 0, None, 0, 0, 0]),
    ("recessive", [0, 1, 0, None, 0, 0, 0]), ("long", [1, 1, 0, None, 0, 1, 1]),
    ("genotype", ["4/7", "7/7", "2/4", None, "4/4", "2/6", "5/8"]),
])
def test_drd4_codings(coding, expected):
    out = code_genotypes(parse_genotypes(pd.Series(DRD4_RAW), "DRD4"), "DRD4", coding)
    assert [None if pd.isna(v) else v for v in out] == expected


def test_long_coding_is_drd4_only():
    with pytest.raises(InputError):
        code_genotypes(parse_genotypes(pd.Series(DRD2_RAW), "DRD2"), "DRD2", "long")
    assert "long" in CODINGS["DRD4"]


def test_allele_frequencies_and_genotype_counts():
    a = parse_genotypes(pd.Series(DRD4_RAW), "DRD4")
    freq = allele_frequencies(a)
    # 6 complete genotypes = 12 alleles: 2x2, 4x4, 5x1, 6x1, 7x3, 8x1 (hand count)
    assert freq["allele"].tolist() == [2, 4, 5, 6, 7, 8]
    assert freq["count"].tolist() == [2, 4, 1, 1, 3, 1]
    np.testing.assert_allclose(freq["frequency"], np.array([2, 4, 1, 1, 3, 1]) / 12, rtol=1e-12)
    gc = genotype_counts(a, "DRD4")
    assert gc["genotype"].tolist() == ["2/4", "2/6", "4/4", "4/7", "5/8", "7/7"]
    assert gc["count"].sum() == 6
    d2 = genotype_counts(parse_genotypes(pd.Series(["A2/A2"] * 3 + ["A1/A2"]), "DRD2"), "DRD2")
    assert d2.to_dict("list") == {"genotype": ["A1/A1", "A1/A2", "A2/A2"],
                                  "count": [0, 1, 3], "share": [0.0, 0.25, 0.75]}


# ------------------------------------------------------------------ HWE exact
def _direct_null(n_hom1: int, n_het: int, n_hom2: int) -> dict[int, Fraction]:
    """Exact null distribution of the heterozygote count by the direct formula.

    P(N_AB = h) = 2^h N! nA! nB! / (nAA! h! nBB! (2N)!)  (methods.md section 5),
    evaluated with exact integers for every h of the right parity.
    """
    n = n_hom1 + n_het + n_hom2
    n_a = 2 * n_hom1 + n_het
    n_b = 2 * n - n_a
    f = math.factorial
    dist = {}
    for h in range(n_a % 2, min(n_a, n_b) + 1, 2):
        aa, bb = (n_a - h) // 2, (n_b - h) // 2
        dist[h] = Fraction(2 ** h * f(n) * f(n_a) * f(n_b), f(aa) * f(h) * f(bb) * f(2 * n))
    return dist


def _direct_p(n_hom1: int, n_het: int, n_hom2: int) -> float:
    dist = _direct_null(n_hom1, n_het, n_hom2)
    assert sum(dist.values()) == 1        # the formula is a distribution
    observed = dist[n_het]
    return float(sum(p for p in dist.values() if p <= observed))   # exact ties


@pytest.mark.parametrize("table,p_ref", [
    ((40, 20, 10), 0.016967), ((30, 45, 25), 0.322283), ((100, 2, 3), 4.7e-05),
])
def test_hwe_reference_values(table, p_ref):
    # methods.md section 5, printed to 6 decimals / 2 significant digits
    p = hwe_exact(*table).p_value
    assert p == pytest.approx(p_ref, abs=5e-7 if p_ref > 1e-3 else 5e-7)
    assert p == pytest.approx(_direct_p(*table), rel=1e-9)


def test_hwe_recurrence_matches_direct_formula_seeded_loop():
    # 300 random tables incl. edge cases; recurrence vs exact rationals, rel 1e-9
    rng = np.random.default_rng(20140204)
    for _ in range(300):
        n = int(rng.integers(1, 160))
        counts = rng.multinomial(n, rng.dirichlet([1.0, 1.0, 1.0]))
        got = hwe_exact(*map(int, counts)).p_value
        assert got == pytest.approx(_direct_p(*map(int, counts)), rel=1e-9), counts


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_hwe_matches_direct_formula_hypothesis(aa, ab, bb):
    if aa + ab + bb == 0:
        assert math.isnan(hwe_exact(0, 0, 0).p_value)
        return
    res = hwe_exact(aa, ab, bb)
    assert res.p_value == pytest.approx(_direct_p(aa, ab, bb), rel=1e-9)
    assert 0 < res.p_value <= 1
    # symmetry: swapping the homozygote labels does not change p
    assert hwe_exact(bb, ab, aa).p_value == pytest.approx(res.p_value, rel=1e-12)


def test_hwe_expected_counts_and_heterozygosity():
    res = hwe_exact(40, 20, 10, labels=("AA", "AB", "BB"))
    p = (80 + 20) / 140                       # allele A frequency by hand
    assert res.allele_frequency == pytest.approx(p, rel=1e-12)
    assert res.expected == pytest.approx({"AA": 70 * p * p, "AB": 140 * p * (1 - p),
                                          "BB": 70 * (1 - p) ** 2}, rel=1e-12)
    assert res.heterozygosity_observed == pytest.approx(20 / 70)
    assert res.heterozygosity_expected == pytest.approx(2 * p * (1 - p))
    assert res.warning is not None and "Hardy-Weinberg" in res.warning
    assert hwe_exact(30, 45, 25).warning is None
    json.dumps(res.to_dict())


def test_hwe_degenerate_inputs():
    assert hwe_exact(0, 0, 7).p_value == 1.0            # monomorphic
    assert math.isnan(hwe_exact(0, 0, 0).p_value)
    assert hwe_exact(0, 0, 0).to_dict()["p_value"] is None
    with pytest.raises(InputError):
        hwe_exact(-1, 2, 3)


# ------------------------------------------------------------------ multi-allelic
def _enumerate_tables(allele_counts: tuple[int, ...]):
    """Every unordered genotype table with the given allele counts."""
    k = len(allele_counts)
    cells = [(i, j) for i in range(k) for j in range(i, k)]
    n = sum(allele_counts) // 2
    for combo in itertools.combinations_with_replacement(range(len(cells)), n):
        table = np.bincount(combo, minlength=len(cells))
        alle = np.zeros(k, int)
        for (i, j), c in zip(cells, table):
            alle[i] += c
            alle[j] += c
        if tuple(alle) == allele_counts:
            yield cells, table


def _exact_multiallelic_p(allele_counts, observed_table) -> float:
    """Exact p by full enumeration: P = N! 2^H prod n_i! / ((2N)! prod n_ij!)."""
    f = math.factorial
    n = sum(allele_counts) // 2
    const = Fraction(f(n) * math.prod(f(c) for c in allele_counts), f(2 * n))
    probs = {}
    for cells, table in _enumerate_tables(allele_counts):
        het = sum(c for (i, j), c in zip(cells, table) if i != j)
        probs[tuple(table)] = const * 2 ** het / math.prod(f(int(c)) for c in table)
    assert sum(probs.values()) == 1
    obs = probs[tuple(observed_table)]
    return float(sum(p for p in probs.values() if p <= obs))


def test_multiallelic_mc_matches_exact_enumeration():
    # 3 alleles (2R, 4R, 7R), N = 9 genotypes with a heterozygote deficit
    pairs = [(2, 2), (2, 2), (4, 4), (4, 4), (4, 4), (7, 7), (7, 7), (2, 4), (4, 7)]
    a1 = np.array([p[0] for p in pairs]); a2 = np.array([p[1] for p in pairs])
    counts = (5, 8, 5)                       # allele counts of 2, 4, 7
    # genotype table in the order (2,2) (2,4) (2,7) (4,4) (4,7) (7,7)
    observed = [2, 1, 0, 3, 1, 2]
    p_exact = _exact_multiallelic_p(counts, observed)
    n_perm = 20000
    p_mc = hwe_multiallelic_mc(a1, a2, n_perm=n_perm, seed=1)
    # MC standard error sqrt(p(1-p)/n_perm) (~0.0015 here); allow 4 SE + the 1/(n+1) offset
    tol = 4 * math.sqrt(p_exact * (1 - p_exact) / n_perm) + 1 / (n_perm + 1)
    assert abs(p_mc - p_exact) < tol, (p_mc, p_exact)
    assert 0.001 < p_exact < 0.2             # the test is informative, not trivially 1


def test_multiallelic_mc_equals_biallelic_exact_for_two_alleles():
    # with two alleles the MC test estimates the exact biallelic selome p
    pairs = [(4, 4)] * 12 + [(4, 7)] * 4 + [(7, 7)] * 4
    a1 = np.array([p[0] for p in pairs]); a2 = np.array([p[1] for p in pairs])
    p_exact = hwe_exact(12, 4, 4).p_value
    n_perm = 20000
    p_mc = hwe_multiallelic_mc(a1, a2, n_perm=n_perm, seed=3)
    tol = 4 * math.sqrt(p_exact * (1 - p_exact) / n_perm) + 1 / (n_perm + 1)
    assert abs(p_mc - p_exact) < tol


def test_hwe_test_drd2_and_drd4():
    raw2 = ["A1/A1"] * 40 + ["A1/A2"] * 20 + ["A2/A2"] * 10 + [None] * 3
    r2 = hwe_test(parse_genotypes(pd.Series(raw2), "DRD2"), "DRD2")
    assert r2.n == 70 and r2.counts == {"A1/A1": 40, "A1/A2": 20, "A2/A2": 10}
    assert r2.p_value == pytest.approx(0.016967, abs=5e-7)
    assert r2.p_value_multiallelic is None and r2.warning is not None
    raw4 = ["4/4"] * 30 + ["4/7"] * 20 + ["7/7"] * 4 + ["2/4"] * 10 + ["2/7"] * 3 + ["3/4"]
    r4 = hwe_test(parse_genotypes(pd.Series(raw4), "DRD4"), "DRD4", n_perm=500, seed=5)
    # 7R recode: 7/7 = 4, one 7 = 23, none = 41 -> exact biallelic test
    assert r4.counts == {"7/7": 4, "7/non-7": 23, "non-7/non-7": 41}
    assert r4.p_value == pytest.approx(hwe_exact(4, 23, 41).p_value, rel=1e-12)
    assert "7R vs non-7R" in r4.method and r4.n_perm == 500
    assert 0 < r4.p_value_multiallelic <= 1
    again = hwe_test(parse_genotypes(pd.Series(raw4), "DRD4"), "DRD4", n_perm=500, seed=5)
    assert again.p_value_multiallelic == r4.p_value_multiallelic   # seeded
    d = r4.to_dict()
    json.dumps(d)
    assert "4/7" not in json.dumps(d)          # aggregates only, no genotype labels leak


def test_strand_check():
    flipped = parse_genotypes(pd.Series(["CC"] * 5 + ["CT"] * 3 + ["TT"]), "DRD2",
                              allele_map={"C": "A1", "T": "A2"})
    assert "strand" in strand_check(flipped)
    fine = parse_genotypes(pd.Series(["CC"] * 5 + ["CT"] * 3 + ["TT"]), "DRD2")
    assert strand_check(fine) is None
    assert strand_check(parse_genotypes(pd.Series(["7/7"]), "DRD4")) is None
    assert strand_check(parse_genotypes(pd.Series([None]), "DRD2")) is None


def test_null_table_sampler_follows_the_exact_null_distribution():
    """The count-based sampler of genotype tables (which replaced permuting 2N alleles)
    draws each table with its exact conditional HWE probability (full enumeration):
    chi-square goodness of fit over 20,000 draws (cells with expected count < 5 pooled),
    seed fixed; a correct sampler fails this at rate 0.001."""
    from scipy import stats
    from analysis.measures.genotypes import _null_genotype_tables
    counts = (5, 8, 5)
    f = math.factorial
    n = sum(counts) // 2
    const = Fraction(f(n) * math.prod(f(c) for c in counts), f(2 * n))
    exact = {}
    for cells, table in _enumerate_tables(counts):
        het = sum(c for (i, j), c in zip(cells, table) if i != j)
        exact[tuple(table)] = float(const * 2 ** het / math.prod(f(int(c)) for c in table))
    m = 20_000
    drawn = _null_genotype_tables(np.array(counts), m, np.random.default_rng(11))
    k = len(counts)
    upper = [i * k + j for i in range(k) for j in range(i, k)]   # (0,0) (0,1) ... as cells
    assert drawn.reshape(m, k, k)[:, 1, 0].sum() == 0          # lower triangle stays empty
    seen = {}
    for row in map(tuple, drawn[:, upper]):
        seen[row] = seen.get(row, 0) + 1
    assert set(seen) <= set(exact)                               # only possible tables
    tables = sorted(exact, key=exact.get, reverse=True)
    expected = np.array([exact[t] * m for t in tables])
    observed = np.array([seen.get(t, 0) for t in tables])
    big = expected >= 5
    obs, exp = observed[big], expected[big]
    if (~big).any():
        obs, exp = np.append(obs, observed[~big].sum()), np.append(exp, expected[~big].sum())
    assert stats.chisquare(obs, exp).pvalue > 0.001


def test_multiallelic_mc_memory_does_not_grow_with_permutations():
    """Reproduced: the permutation test allocated n_perm x 2N integers (9.6 GB at 100,000
    rows, a MemoryError at 2 million).  Now its peak memory is a few times the allele
    arrays themselves, whatever n_perm."""
    import tracemalloc
    rng = np.random.default_rng(4)
    n = 200_000
    a1 = rng.choice([2, 3, 4, 5, 7], size=n, p=[.1, .05, .6, .05, .2])
    a2 = rng.choice([2, 3, 4, 5, 7], size=n, p=[.1, .05, .6, .05, .2])
    peaks = []
    for n_perm in (100, 5_000):
        tracemalloc.start()
        p = hwe_multiallelic_mc(a1, a2, n_perm=n_perm, seed=2)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert 0.01 < p <= 1                                    # drawn under HWE
    data = a1.nbytes + a2.nbytes
    assert max(peaks) < 4 * data, (peaks, data)       # old: n_perm x 2N x 8 bytes = 5000 x data
    assert peaks[1] < peaks[0] + 5_000_000            # +5 MB at most for 50x the permutations


def test_multiallelic_mc_matches_biallelic_exact_at_large_n():
    """Reproduced: ties were taken within 1e-7 *relative to the log-probability*, which
    grows with N (0.1 log-units at N = 100,000): p-values drifted towards 1 (p = 1.0 for
    HWE data at N = 2,000,000).  At N = 100,000 with two alleles the MC p must equal the
    exact biallelic one within 4 Monte Carlo SE (and the old code needed 32 GB here)."""
    n, p = 100_000, 0.3
    rng = np.random.default_rng(0)
    a1 = np.where(rng.random(n) < p, 7, 4)
    a2 = np.where(rng.random(n) < p, 7, 4)
    hom7 = int(((a1 == 7) & (a2 == 7)).sum())
    het = int((a1 != a2).sum())
    p_exact = hwe_exact(hom7, het, n - hom7 - het).p_value
    n_perm = 20_000
    p_mc = hwe_multiallelic_mc(a1, a2, n_perm=n_perm, seed=3)
    tol = 4 * math.sqrt(p_exact * (1 - p_exact) / n_perm) + 1 / (n_perm + 1)
    assert abs(p_mc - p_exact) < tol, (p_mc, p_exact)
    assert 0.05 < p_exact < 0.95
