"""Nothing leaked (issue 8, item 2): sensitive columns never shown, small cells suppressed.

The central test runs every command of the CLI on a survey whose ids (and, in a second
file, some genotypes) are unique marker strings, and greps every output file, stdout and
stderr for them.  Tests named ``test_issue8_*`` reproduce a problem found on the old main.
"""
import json
from pathlib import Path

import pandas as pd
import pytest

from analysis import paths
from analysis.cli import COMMANDS, build_parser, main
from analysis.io.readers import read_data
from analysis.privacy import (is_sensitive, looks_like_genotypes, looks_like_identifier,
                              sensitive_columns, suppress_counts, suppress_rows)

SURVEY = paths.EXAMPLES / "survey.sav"
CODEBOOK = paths.EXAMPLES / "codebook.yaml"
N_GENO_MARKERS = 6


def _id_marker(i):
    return f"IDQZ{i:04d}X"


def _geno_marker(i):
    return f"GTQZ{i:04d}X"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A: the example survey with marker ids (analysable); B: also marker genotypes in a few
    rows (fails validation); a codebook for each with min_group_size 20."""
    base = tmp_path_factory.mktemp("privacy")
    frame = read_data(SURVEY).frame
    frame["ResponseId"] = [_id_marker(i) for i in range(len(frame))]
    a = base / "survey_a.csv"
    frame.to_csv(a, index=False)
    bad = frame.copy()
    for i in range(N_GENO_MARKERS):
        bad.loc[i, "DRD2_Taq1A" if i % 2 else "DRD4_VNTR"] = _geno_marker(i)
    b = base / "survey_b.csv"
    bad.to_csv(b, index=False)
    book = base / "codebook.yaml"
    book.write_text(CODEBOOK.read_text().replace("min_group_size: 10", "min_group_size: 20"))
    own = base / "codebook_models.yaml"   # own hypotheses: one on the small A1/A1 group
    own.write_text(book.read_text() + "\nmodels:\n"
                   "  - {id: H1, outcome: CO, focal: avoidant, moderator: drd2_a1_count,"
                   " prediction: positive}\n"
                   "  - {id: H2, outcome: SO, focal: avoidant, moderator: drd4_7r_carrier,"
                   " prediction: null, sesoi: 0.3}\n")
    return {"base": base, "a": a, "b": b, "codebook": book, "n": len(frame),
            "own_codebook": own, "export": base / "scored_export.csv"}


def _markers(n):
    return [_id_marker(i) for i in range(n)] + [_geno_marker(i) for i in range(N_GENO_MARKERS)]


def _runs(f):
    base, a, b, cb = f["base"], str(f["a"]), str(f["b"]), str(f["codebook"])
    out = lambda name: str(base / name)  # noqa: E731
    probe = ["probe", a, "-y", "Q1_1"]
    return [
        ["validate", a, "--codebook", cb], ["validate", a, "--codebook", cb, "--json"],
        ["validate", b, "--codebook", cb], ["validate", b, "--codebook", cb, "--json"],
        ["init-codebook", a], ["init-codebook", b, "--out", out("cb_guess.yaml")],
        ["analyze", a, "--codebook", cb, "--out", out("report_a"), "--sims", "0"],
        ["analyze", b, "--codebook", cb, "--out", out("report_b"), "--sims", "0"],
        ["analyze", a, "--codebook", str(f["own_codebook"]), "--out", out("report_own"),
         "--sims", "0", "--no-multiverse", "--export-scored", str(f["export"])],
        [*probe, "-x", "ATT_11", "-w", "ATT_12"], [*probe, "-x", "ATT_11", "-w", "ATT_12", "--json"],
        [*probe, "-x", "DRD4_VNTR", "-w", "ATT_11"], [*probe, "-x", "ATT_11", "-w", "DRD2_Taq1A"],
        [*probe, "-x", "ResponseId", "-w", "ATT_11"],
        [*probe, "-x", "ATT_11", "-w", "DRD4_VNTR", "--genotype", "DRD4_VNTR=carrier",
         "--plot", out("probe_plot"), "--table", "md", "--table-out", out("probe_tables.md"),
         "--standardized"],
        ["probe", str(b), "-y", "Q1_1", "-x", "DRD2_Taq1A", "-w", "ATT_11", "--json"],
        [*probe, "-x", "DRD4_VNTR", "-w", "ATT_11", "--genotype", "DRD4_VNTR=carrier",
         "--check-linearity", "--linearity-plot", out("linearity.svg"), "--json"],
        ["probe", str(b), "-y", "Q1_1", "-x", "DRD4_VNTR", "-w", "ATT_11", "--genotype",
         "DRD4_VNTR=carrier", "--check-linearity"],
        ["power", "--n", "60", "--reps", "20", "--targets", "S2b", "--out", out("power")],
        ["replicate", "--out", out("replication"), "--data-dir", out("simulated"), "--sims", "0"],
        ["multiverse", a, "--codebook", cb, "--out", out("multiverse"), "--claims", "S2b",
         "--draws", "20"],
        ["simulate", "--n", "120", "--out", out("simulated_export")],
    ]


@pytest.fixture(scope="module")
def ran(files):
    """Every command run once; returns {argv: (exit code, stdout + stderr)}."""
    pytest.MonkeyPatch().setenv("MPLBACKEND", "Agg")
    results = {}
    import contextlib
    import io
    for argv in _runs(files):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        results[tuple(argv)] = (code, out.getvalue() + err.getvalue())
    return results


@pytest.mark.slow
def test_every_command_is_covered(ran):
    """The privacy test runs every command the CLI has (a new command must be added here)."""
    import argparse
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    names = set(sub.choices)
    assert len(names) == len(COMMANDS)
    assert names <= {argv[0] for argv in ran}, names - {argv[0] for argv in ran}


@pytest.mark.slow
def test_issue8_no_id_or_genotype_value_in_any_output_or_message(files, ran):
    """Reproduced: probe's errors printed genotypes and ids next to row numbers
    (`rows 1, 2, 3 ... (values '4R/7R', ...)`), the same with an id column as focal."""
    markers = _markers(files["n"])
    codes = {argv[0] + ("-b" if str(files["b"]) in argv else ""): code
             for argv, (code, _) in ran.items()}
    assert codes["analyze"] == 0 and codes["analyze-b"] == 2      # B fails validation
    for argv, (code, text) in ran.items():
        leaked = [m for m in markers if m in text]
        assert not leaked, (argv, leaked[:3], text[:300])
        assert "Traceback" not in text
    # the probe errors still say where: file and column
    text = ran[("probe", str(files["a"]), "-y", "Q1_1", "-x", "ResponseId", "-w", "ATT_11")][1]
    assert "ResponseId" in text and "survey_a.csv" in text
    # The --export-scored file is the one deliberate exception to "no genotype in outputs":
    # it holds every respondent's genotype codings by design (opt-in, announced on stderr,
    # never inside a report), so it is left out of this grep; test_export_scored_* checks it.
    outputs = [p for p in files["base"].rglob("*")
               if p.is_file() and p not in (files["a"], files["b"], files["export"])]
    assert len(outputs) > 40
    for path in outputs:
        data = path.read_bytes()
        leaked = [m for m in markers if m.encode() in data]
        assert not leaked, (path, leaked[:3])


@pytest.mark.slow
def test_probe_plot_and_table_run_is_in_the_leak_check(files, ran):
    """`probe --plot/--table` (issue 11 item 5) wrote its folder and tables, so the leak check
    above greps them (figures, CSVs, manifest, Markdown tables)."""
    argv = next(a for a in ran if "--plot" in a)
    assert ran[argv][0] == 0, ran[argv][1]
    folder = files["base"] / "probe_plot"
    assert {"simple_slopes.svg", "binned_means.csv", "lines.csv",
            "manifest.json"} <= {p.name for p in folder.iterdir()}
    assert "7R carrier" in (folder / "slopes.csv").read_text()
    assert (files["base"] / "probe_tables.md").read_text().startswith("**Table 1**")


@pytest.mark.slow
def test_export_scored_is_announced_and_stays_out_of_the_report(files, ran):
    """The row-level export: one notice line on stderr, no ids in it, nothing of it in the
    report folder, and the own model on the small A1/A1 group has its numbers withheld."""
    from analysis.pipeline import EXPORT_NOTICE
    (code, text), = [v for k, v in ran.items() if "--export-scored" in k]
    assert code == 0
    notice = "salesgxe: " + EXPORT_NOTICE.format(file="scored_export.csv")
    assert text.splitlines().count(notice) == 1 and "row-level genetic data" in notice
    data = files["export"].read_bytes()
    assert b"drd2_a1_carrier" in data and b"drd4_7r_carrier" in data
    assert not [m for m in _markers(files["n"]) if m.encode() in data]   # no ids exported
    report = files["base"] / "report_own"
    assert files["export"].parent != report and report not in files["export"].parents
    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"] and "scored_export" not in json.dumps(manifest["outputs"])
    own = {r["id"]: r for r in json.loads((report / "scorecard.json").read_text())
           if r.get("origin") == "your hypothesis"}
    assert own["H1"]["estimate"] is None and own["H1"]["suppressed"] == "n < 20, suppressed"
    assert own["H2"]["estimate"] is not None


@pytest.mark.slow
def test_issue8_small_cells_suppressed_with_the_codebooks_min_group_size(files, ran):
    """Reproduced: an A1/A1 group below min_group_size got slopes, SEs and CIs in the report,
    rare DRD4 alleles were listed with their exact counts, and the model tables' flag always
    used 10 (here the codebook says 20 and the example's A1/A1 group has 12 people)."""
    rep = files["base"] / "report_a"
    slopes = pd.read_csv(rep / "tables" / "study2_genotype_slopes_drd2.csv")
    a1a1 = slopes[slopes["genotype"] == "A1/A1"]
    assert len(a1a1) and a1a1[["estimate", "std_error", "conf_low", "conf_high",
                               "p_value"]].isna().all().all()
    assert set(a1a1["n_group"]) == {"< 20"} and set(a1a1["suppressed"]) == {"n < 20, suppressed"}
    kept = slopes[slopes["genotype"] == "A2/A2"]
    assert kept["estimate"].notna().all() and kept["suppressed"].isna().all()
    alleles = pd.read_csv(rep / "tables" / "allele_frequencies.csv", dtype={"count": str})
    counts = alleles["count"]
    assert (counts == "< 20").any()
    assert all(c == "< 20" or int(c) >= 20 or int(c) == 0 for c in counts)
    assert alleles.loc[counts == "< 20", "frequency"].isna().all()
    geno = pd.read_csv(rep / "tables" / "your_data_descriptives_genotype_counts.csv",
                       dtype={"n": str})
    assert geno.loc[geno["group"] == "A1/A1", "n"].tolist() == ["< 20"]
    validation = (rep / "tables" / "validation.csv").read_text(encoding="utf-8")
    assert "A1/A1 (n < 20)" in validation and "(12)" not in validation
    md = (rep / "report.md").read_text(encoding="utf-8")
    rows = [ln for ln in md.splitlines() if "| A1/A1 |" in ln]
    # a suppressed row shows its group size only as "< 20" (the CSV says why, above)
    assert rows and all("suppressed" in ln or "< 20" in ln or "genotype | A1/A1" in ln
                        for ln in rows), rows
    cells = [c.strip() for ln in rows for c in ln.split("|")]
    assert not [c for c in cells if c.lstrip("-").replace(".", "", 1).isdigit()], rows


def test_sensitive_column_detection():
    assert looks_like_genotypes(pd.Series(["4/7", "4R/4R", None, "7-7"]))
    assert looks_like_genotypes(pd.Series(["A1/A2", "a2a2", "CT"]))
    assert not looks_like_genotypes(pd.Series(["yes", "no", "yes"]))
    assert not looks_like_genotypes(pd.Series([1.0, 2.0]))
    assert looks_like_identifier(pd.Series(["R_1x", "R_2y", "R_3z"]))
    assert looks_like_identifier(pd.Series([101, 102, 103]))
    assert looks_like_identifier(pd.Series([101.0, None, 103.0]))       # ids read with a gap
    assert not looks_like_identifier(pd.Series([5.25, 6.5, 4.75]))     # scores, not ids
    assert not looks_like_identifier(pd.Series(["a", "b", "a"]))
    frame = pd.DataFrame({"pid": ["x1", "x2"], "g": ["4/7", "4/4"], "co": [1.5, 1.5]})
    assert sensitive_columns(frame) == {"pid", "g"}
    assert is_sensitive(pd.Series([1, 1]), name="co",
                        codebook=type("B", (), {"sensitive_columns": lambda self: {"co"}})())


def test_suppression_helpers():
    t = pd.DataFrame({"gene": ["DRD2", "DRD2"], "group": ["A2/A2", "A1/A1"],
                      "estimate": [0.5, 2.0], "conf_low": [0.1, -9.0], "n_group": [150, 4]})
    out = suppress_rows(t, t["n_group"] < 10, k=10, count_columns=["n_group"])
    assert out["estimate"].tolist()[0] == 0.5 and pd.isna(out["estimate"].tolist()[1])
    assert out["n_group"].tolist() == [150, "< 10"] and out["group"].tolist() == ["A2/A2", "A1/A1"]
    assert suppress_rows(t, [False, False], k=10).equals(t)     # nothing small: unchanged
    c = pd.DataFrame({"allele": ["2", "4", "9"], "count": [1, 300, 0], "frequency": [0.002, 0.6, 0]})
    out = suppress_counts(c, "count", k=10)
    assert out["count"].tolist() == ["< 10", 300, 0] and pd.isna(out["frequency"][0])


def test_issue8_probe_reference_error_withholds_genotype_levels(tmp_path, capsys):
    """Reproduced: a wrong --reference on a two-valued genotype column listed its values."""
    data = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "w": [1.0, 3, 2, 5, 4, 6],
                         "g": ["4/7", "4/4", "4/7", "4/4", "4/7", "4/4"]})
    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    code = main(["probe", str(path), "-y", "y", "-x", "g", "-w", "w", "--reference", "g=7/7"])
    err = capsys.readouterr().err
    assert code == 2 and "'g'" in err and "4/7" not in err and "4/4" not in err


@pytest.mark.slow
def test_manifest_has_no_absolute_path(files, ran):
    text = (files["base"] / "report_a" / "manifest.json").read_text()
    assert str(files["base"]) not in text and str(Path.home()) + "/" not in text
    manifest = json.loads(text)
    assert {i["path"] for i in manifest["inputs"]} >= {"survey_a.csv", "codebook.yaml"}


def test_a_small_carrier_group_suppresses_its_genes_rows_and_claims():
    from analysis.privacy import small_genes, suppress_scorecard, suppress_tables
    frame = pd.DataFrame({"drd4_7r_carrier": [1] * 4 + [0] * 40, "drd2_a1_carrier": [1, 0] * 22})
    assert small_genes(frame, 10) == {"DRD4"}
    tables = {
        "study2_interactions": pd.DataFrame({"gene": ["DRD2", "DRD4"], "estimate": [0.1, 0.9]}),
        "study2_susceptibility": pd.DataFrame({"gene": ["DRD4"], "crossover": [3.2]}),
        "study1_models": pd.DataFrame({"term": ["Intercept", "drd4_7r_carrier"],
                                       "estimate": [5.0, 0.3]}),
        "replication_metrics": pd.DataFrame({"claim": ["S1a", "S1c"], "replication_estimate": [.1, .2]}),
    }
    out = suppress_tables(tables, k=10, small1={"DRD4"}, small2={"DRD4"})
    assert out["study2_interactions"]["estimate"].tolist()[0] == 0.1
    assert pd.isna(out["study2_interactions"]["estimate"].tolist()[1])
    assert out["study2_susceptibility"]["crossover"].isna().all()
    assert out["study1_models"]["estimate"].isna().tolist() == [False, True]
    assert out["replication_metrics"]["replication_estimate"].isna().tolist() == [False, True]
    recs = suppress_scorecard([{"id": "S1c", "estimate": 0.3, "p_value": 0.01},
                               {"id": "S1a", "estimate": 0.1, "p_value": 0.5},
                               {"id": "S2d", "estimate": 0.2, "p_value": 0.4}], k=10, small={"DRD4"})
    assert [r["estimate"] for r in recs] == [None, 0.1, None]      # S2d spans both genes
    assert recs[0]["suppressed"] == "n < 10, suppressed"


def test_issue8_probe_refuses_a_small_genotype_group(tmp_path, capsys):
    """Reproduced: probe published the simple slope of a 4-person genotype group."""
    import numpy as np
    rng = np.random.default_rng(8)
    n = 120
    frame = pd.DataFrame({"y": rng.normal(size=n), "w": rng.uniform(1, 7, n),
                          "gt": ["7R/7R"] * 4 + ["4R/4R"] * (n - 4)})
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    for extra in (["--reference", "gt=4R/4R"], ["--genotype", "gt=carrier"]):
        assert main(["probe", str(path), "-y", "y", "-x", "w", "-w", "gt", *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "small.csv" in err and "'gt'" in err, err
        assert "fewer than 10 rows" in err and "7R" not in err and "Traceback" not in err
    # the analyst may lower the threshold for their own terminal
    assert main(["probe", str(path), "-y", "y", "-x", "w", "-w", "gt", "--genotype",
                 "gt=carrier", "--min-group-size", "3"]) == 0
    capsys.readouterr()
    # a numeric 0/1 column is not known to be genetic: probed as usual
    frame["g"] = (frame["gt"] == "7R/7R").astype(int)
    frame.drop(columns="gt").to_csv(path, index=False)
    assert main(["probe", str(path), "-y", "y", "-x", "w", "-w", "g"]) == 0


def test_issue8_validate_json_suppresses_small_genotype_and_allele_counts(files, capsys):
    """Reproduced: `validate --json` listed a DRD4 genotype carried by one person as count 1."""
    assert main(["validate", str(files["a"]), "--codebook", str(files["codebook"]),
                 "--json"]) == 0
    details = json.loads(capsys.readouterr().out)["details"]
    for table, col, share in (("genotype_counts", "count", "share"),
                              ("allele_frequencies", "count", "frequency")):
        for locus, records in details[table].items():
            for r in records:
                assert r[col] == "< 20" or r[col] == 0 or r[col] >= 20, (table, locus, r)
                if r[col] == "< 20":
                    assert r[share] is None
    assert any(r["count"] == "< 20" for r in details["genotype_counts"]["DRD4"])
