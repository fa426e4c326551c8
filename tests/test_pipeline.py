"""End to end: the committed reference report regenerates identically; user data through
`analyze`; validate / init-codebook / analyze from the command line; nothing lost or leaked."""
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import paths
from analysis._errors import InputError
from analysis.cli import main
from analysis.render.report import compare_reports

ROOT = paths.ROOT
REFERENCE = paths.REPLICATION_REPORT
SURVEY = paths.EXAMPLES / "survey.sav"
CODEBOOK = paths.EXAMPLES / "codebook.yaml"
VERDICTS = {"reproduced", "partial", "inconclusive", "not reproduced", "contradicted"}


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "replication"
    sim = tmp_path_factory.mktemp("sim")
    code = main(["replicate", "--out", str(out), "--data-dir", str(sim), "--original",
                 str(ROOT / "data" / "original_estimates.example.yaml")])
    assert code == 0
    return out, sim


@pytest.mark.slow
def test_reference_report_regenerates_identically(regenerated):
    out, _ = regenerated
    # Every committed output: tables and scorecard (up to last-bit BLAS noise), the page,
    # the manuscript tables, SVG figures byte for byte and PNG figures pixel for pixel; the
    # manifest equal except the command line (a different output folder) and where the
    # inputs were written.  run.json (time, platform) is neither committed nor compared.
    diffs = compare_reports(REFERENCE, out, figures=True, environment=False,
                            ignore=("command", "meta", "inputs"))
    assert diffs == [], "\n".join(diffs)
    ref = json.loads((REFERENCE / "manifest.json").read_text())
    new = json.loads((out / "manifest.json").read_text())
    assert [i["sha256"] for i in ref["inputs"]] == [i["sha256"] for i in new["inputs"]]


@pytest.mark.slow
def test_simulated_exports_match_committed(regenerated):
    _, sim = regenerated
    for name in ("study1.csv", "study1_codebook.yaml", "study1_dictionary.csv",
                 "study2.csv", "study2_codebook.yaml", "study2_dictionary.csv"):
        assert _sha(sim / name) == _sha(paths.SIMULATED / name), name


def test_reference_scorecard_contract():
    card = json.loads((REFERENCE / "scorecard.json").read_text())
    assert [r["id"] for r in card] == ["S1a", "S1b", "S1c", "S1d", "S2a", "S2b", "S2c", "S2d"]
    for row in card:
        assert row["verdict"] in VERDICTS
        assert {"statement", "estimate", "p_value", "replication_probability"} <= set(row)
        assert 0 <= row["replication_probability"] <= 1
    manifest = json.loads((REFERENCE / "manifest.json").read_text())
    assert manifest["meta"]["replication_sims"] >= 10_000
    assert manifest["seed"] == 20140204


def test_reference_report_says_numbers_are_assumptions():
    html = (REFERENCE / "index.html").read_text(encoding="utf-8")
    md = (REFERENCE / "report.md").read_text(encoding="utf-8")
    for text in (html, md):
        assert "assumption" in text.lower()
        assert "tests the pipeline, not the science" in text


def test_readme_scorecard_matches_reference():
    """The README's scorecard block is exactly the one generated from the committed report."""
    from analysis.render.readme_scorecard import END, START, render
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    card = json.loads((REFERENCE / "scorecard.json").read_text())
    sims = json.loads((REFERENCE / "manifest.json").read_text())["meta"]["replication_sims"]
    block = START + readme.split(START, 1)[1].split(END, 1)[0] + END
    assert block == render(card, sims)
    for row in card:
        line = next(ln for ln in readme.splitlines() if ln.startswith(f"| {row['id']} "))
        assert f"| {row['verdict']} |" in line, line


def test_no_genotype_or_id_leaks_into_report():
    # Aggregates only: no per-person column in any table, no respondent id anywhere, and no
    # table with one row per respondent.
    import csv
    sim = pd.read_csv(paths.SIMULATED / "study2.csv")
    ids = set(sim["resp_id"].astype(str)) | set(pd.read_csv(paths.SIMULATED / "study1.csv")["resp_id"])
    for path in REFERENCE.rglob("*"):
        if path.suffix not in {".csv", ".json", ".md", ".html"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert not any(i in text for i in ids), path
        if path.suffix == ".csv":
            with path.open(encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
            assert not {"resp_id", "drd2_taq1a", "drd4_vntr"} & set(rows[0]), path
            assert len(rows) - 1 != len(sim), f"{path} has one row per respondent"


@pytest.mark.slow
def test_analyze_user_survey_end_to_end(tmp_path, capsys):
    before = {p: _sha(p) for p in (SURVEY, CODEBOOK)}
    out = tmp_path / "mine"
    code = main(["analyze", str(SURVEY), "--codebook", str(CODEBOOK), "--out", str(out),
                 "--sims", "200", "--multiverse-draws", "50"])
    assert code == 0
    card = json.loads((out / "scorecard.json").read_text())
    assert [r["id"] for r in card] == ["S1a", "S1b", "S1c", "S1d", "S2a", "S2b", "S2c", "S2d"]
    assert all(r["verdict"] in VERDICTS for r in card)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "verdicts are evidence" in html
    # the report states its covariates and the power label; the model tables list them
    assert "Covariates in every model: age, gender" in html
    assert "Power of your design to reproduce each claim" in html
    for name in ("study1_models", "study2_interactions"):
        assert set(pd.read_csv(out / "tables" / f"{name}.csv")["covariates"]) == {"age, gender"}
    legend = pd.read_csv(out / "tables" / "verdict_legend.csv")
    assert set(legend["verdict"]) >= {"reproduced", "inconclusive", "contradicted"}
    by = pd.read_csv(out / "tables" / "replication_by_verdict.csv")
    assert (by.groupby("id")["probability"].sum() - 1).abs().max() < 1e-12
    assert ((by["mc_se"] - np.sqrt(by.probability * (1 - by.probability) / 200)).abs()
            < 1e-9).all()      # CSV keeps ~12 significant digits
    # Existing folder, no --force: exit 2, nothing changed.
    stamp = (out / "manifest.json").read_bytes()
    code = main(["analyze", str(SURVEY), "--codebook", str(CODEBOOK), "--out", str(out)])
    assert code == 2 and "--force" in capsys.readouterr().err
    assert (out / "manifest.json").read_bytes() == stamp
    assert {p: _sha(p) for p in (SURVEY, CODEBOOK)} == before


def test_validate_cli_exit_codes(tmp_path, capsys):
    assert main(["validate", str(SURVEY), "--codebook", str(CODEBOOK), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["n_warnings"] >= 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(CODEBOOK.read_text().replace("DRD2_Taq1A", "DRD2_missing_column"))
    assert main(["validate", str(SURVEY), "--codebook", str(bad)]) == 2
    out = capsys.readouterr().out
    assert "DRD2_missing_column" in out and "Traceback" not in out


def test_init_codebook_writes_atomically_and_refuses_overwrite(tmp_path, capsys):
    target = tmp_path / "cb.yaml"
    assert main(["init-codebook", str(SURVEY), "--out", str(target)]) == 0
    text = target.read_text()
    assert "guessed" in text
    assert main(["init-codebook", str(SURVEY), "--out", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == text
    assert not list(tmp_path.glob(".codebook-*"))


def test_replicate_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "rep"
    shutil.copytree(REFERENCE, out)
    before = (out / "scorecard.json").read_bytes()
    assert main(["replicate", "--out", str(out), "--data-dir", str(tmp_path / "s"),
                 "--sims", "0"]) == 2
    assert (out / "scorecard.json").read_bytes() == before


@pytest.mark.slow
def test_same_survey_in_every_format_gives_identical_reports(tmp_path):
    # Issue acceptance: CSV, XLSX, SAV, DTA and Parquet exports of the same data give identical
    # results. The SAV is the original; the others are written from its analysis-relevant
    # columns (user-missing codes already applied), under the same codebook.
    from analysis.io.readers import read_data
    frame = read_data(SURVEY).frame
    exports = {"survey.csv": lambda p: frame.to_csv(p, index=False),
               "survey.xlsx": lambda p: frame.to_excel(p, index=False),
               "survey.parquet": lambda p: frame.to_parquet(p, index=False),
               "survey.dta": lambda p: frame.to_stata(p, write_index=False, version=118)}
    outputs = {}
    for name, write in exports.items():
        write(tmp_path / name)
    for name in ["survey.sav", *exports]:
        src = SURVEY if name == "survey.sav" else tmp_path / name
        out = tmp_path / f"report-{name}"
        assert main(["analyze", str(src), "--codebook", str(CODEBOOK), "--out", str(out),
                     "--sims", "0", "--no-multiverse"]) == 0
        outputs[name] = out
    for name, out in outputs.items():
        for rel in ["scorecard.json", "tables/study2_interactions.csv",
                    "tables/study2_simple_slopes.csv", "tables/study1_models.csv",
                    "tables/reliability.csv"]:
            assert (out / rel).read_bytes() == (outputs["survey.sav"] / rel).read_bytes(), (name, rel)


@pytest.mark.parametrize("drop,untested", [
    ("DRD2", {"S1a", "S1b", "S2a", "S2c", "S2d"}),
    ("SO", {"S1b", "S1d", "S2c", "S2d"}),
])
def test_partial_data_runs_and_marks_claims_not_tested(drop, untested, tmp_path):
    # A lab that genotyped only DRD4, or did not measure SO: the claims that can be tested are
    # judged, the others say "not tested", and nothing crashes.
    import yaml
    book = yaml.safe_load(CODEBOOK.read_text())
    if drop == "DRD2":
        del book["genotypes"]["DRD2"]
    else:
        del book["scales"]["SO"]
    cb = tmp_path / "cb.yaml"
    cb.write_text(yaml.safe_dump(book))
    out = tmp_path / "rep"
    assert main(["analyze", str(SURVEY), "--codebook", str(cb), "--out", str(out), "--sims", "50",
                 "--multiverse-draws", "0"]) == 0
    rows = json.loads((out / "scorecard.json").read_text())
    card = {r["id"]: r["verdict"] for r in rows}
    assert {k for k, v in card.items() if v == "not tested"} == untested
    # No replication probability for a claim the data cannot test.
    assert all((r["replication_probability"] is None) == (r["id"] in untested) for r in rows)
    assert all(v in VERDICTS for k, v in card.items() if k not in untested)


def test_no_command_modifies_any_input_file(tmp_path, capsys):
    # Every command, on the shipped inputs: the whole data/ tree is byte-identical afterwards.
    def tree():
        return {p: _sha(p) for p in sorted(paths.DATA.rglob("*")) if p.is_file()}

    before = tree()
    probe_csv = paths.EXAMPLES / "probe_example.csv"
    commands = [
        ["probe", str(probe_csv), "-y", "CO", "-x", "avoidant", "-w", "drd4_7r", "--json"],
        ["probe", str(SURVEY), "-y", "age", "-x", "Q1_1", "-w", "Q1_2"],
        ["validate", str(SURVEY), "--codebook", str(CODEBOOK)],
        ["init-codebook", str(SURVEY), "--out", str(tmp_path / "cb.yaml")],
        ["analyze", str(SURVEY), "--codebook", str(CODEBOOK), "--out", str(tmp_path / "r"),
         "--sims", "0", "--no-multiverse"],
        ["power", "--n", "60,120", "--reps", "20", "--targets", "S2b", "--json"],
    ]
    for argv in commands:
        assert main(argv) == 0, argv
        capsys.readouterr()
    assert tree() == before


def test_codebook_covariates_enter_every_model_and_n_matches_validate():
    """Issue 9 item 4: the codebook's covariates are in every model of both studies by
    default, --covariates none removes them, and validate's complete rows per model equal the
    N each fitted model used."""
    from analysis.study.config import load_config
    from analysis.pipeline import load_study, run_analysis

    data = load_study("mine", SURVEY, CODEBOOK)
    assert data.covariates == ("age", "gender")
    res = run_analysis(data, data, load_config(), replication_sims=0)
    for outcome, fit in res.study1.fits.items():
        assert {"age", "gender"} <= set(fit.terms), outcome
    assert len(res.study2.probes) == 12
    for key, fwd in res.study2.probes.items():
        assert tuple(fwd.covariates) == ("age", "gender"), key
        assert {"age", "gender"} <= set(fwd.fit.terms), key
    assert res.covariates == {"study1": ["age", "gender"], "study2": ["age", "gender"]}
    # the susceptibility comparison too: its weak-DS model is the interaction model
    # reparameterised, so with the covariates it has the probe fit's RSS (6 mean parameters)
    weak = res.checks["study2_susceptibility_models"].query("model == 'ds_weak'")
    assert len(weak) == 12 and set(weak["n_mean_params"]) == {6}
    for r in weak.itertuples():
        fit = res.study2.probes[(r.outcome, r.gene, r.style)].fit
        assert r.rss == pytest.approx(fit.rss, rel=1e-10), (r.outcome, r.gene, r.style)
    rows = data.validation.details["complete_rows"]
    for outcome in ("CO", "SO"):
        assert rows[f"Study 1: {outcome} ~ DRD2 + DRD4"] == res.study1.n[outcome]
    for r in res.study2.interactions.itertuples():
        assert rows[f"Study 2: {r.outcome} ~ {r.gene} x {r.style}"] == r.n
    bare = run_analysis(data, data, load_config(), replication_sims=0, covariates="none")
    assert all(set(f.terms) == {"Intercept", "drd2_a1_carrier", "drd4_7r_carrier"}
               for f in bare.study1.fits.values())
    assert all(tuple(p.covariates) == () for p in bare.study2.probes.values())
    only_age = run_analysis(data, data, load_config(), replication_sims=0, covariates="age")
    assert all(tuple(p.covariates) == ("age",) for p in only_age.study2.probes.values())
    with pytest.raises(InputError, match="not a covariate of the codebook"):
        run_analysis(data, data, load_config(), replication_sims=0, covariates="height")


def test_bootstrap_option_sets_the_resamples_and_zero_leaves_the_table_out(tmp_path, capsys):
    """`--bootstrap N` (analyze, replicate) overrides the config's bootstrap.n_boot: the
    table is the one bootstrap_study2 computes with N resamples and the same seed; 0 leaves
    the table out and the Methods say so; N in 1..99 is one line and exit code 2."""
    from analysis.study import families
    from analysis.study.config import load_config
    from analysis.pipeline import available, load_study, resolve_covariates, run_analysis

    config = load_config()
    data = load_study("mine", SURVEY, CODEBOOK)
    res = run_analysis(data, data, config, replication_sims=0, multiverse=False, n_boot=100)
    table = res.checks["study2_bootstrap"]
    direct = families.bootstrap_study2(data.frame, n_boot=100, seed=int(config["meta"]["seed"]),
                                       covariates=resolve_covariates("codebook", data),
                                       alpha=float(config["claims"]["alpha"]),
                                       **available(data.frame))
    pd.testing.assert_frame_equal(table.reset_index(drop=True), direct.reset_index(drop=True))
    assert set(table["n_boot"]) == {100} and res.settings["n_boot"] == 100
    none = run_analysis(data, data, config, replication_sims=0, multiverse=False, n_boot=0)
    assert "study2_bootstrap" not in none.checks and none.settings["n_boot"] == 0

    out = tmp_path / "rep"
    assert main(["analyze", str(SURVEY), "--codebook", str(CODEBOOK), "--out", str(out),
                 "--sims", "0", "--no-multiverse", "--bootstrap", "0"]) == 0
    assert not (out / "tables" / "study2_bootstrap.csv").exists()
    assert "Not run (0 resamples" in (out / "report.md").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["analyze", str(SURVEY), "--codebook", str(CODEBOOK), "--out",
                 str(tmp_path / "x"), "--bootstrap", "40"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--bootstrap must be 0 (no bootstrap table) or at least " \
        "100 resamples, got 40" in err
    assert not (tmp_path / "x").exists()


def test_analyze_says_which_steps_will_take_long_at_large_n(tmp_path, capsys):
    """At a size where the bootstrap table or the multiverse would run for long, analyze says
    so on stderr with the option that shortens it (one line each); at the study's size it
    says nothing, and the options silence the notes they name."""
    from analysis.pipeline import long_run_notices

    assert long_run_notices(240, 5000, 500) == []
    big = long_run_notices(1_000_000, 5000, 500)
    assert len(big) == 2 and "--bootstrap 0" in big[0] and "--no-multiverse" in big[1]
    assert "56 minutes" in big[0] and "5 hours" in big[1] and all("\n" not in x for x in big)
    assert long_run_notices(1_000_000, 0, None) == []
    assert len(long_run_notices(200_000, 0, 0)) == 0            # one fit per specification
    assert main(["analyze", str(SURVEY), "--codebook", str(CODEBOOK), "--out",
                 str(tmp_path / "r"), "--sims", "0", "--no-multiverse", "--bootstrap", "0"]) == 0
    assert "note:" not in capsys.readouterr().err
