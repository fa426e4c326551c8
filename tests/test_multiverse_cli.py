"""`salesgxe multiverse`: own data in, a folder of tables and curves out; bad multiverse
configurations get one clear line and exit code 2."""
from __future__ import annotations

import json

import pytest
import yaml

from analysis import paths
from analysis.cli import main
from analysis.io.readers import read_data

EXAMPLE = paths.ROOT / "data" / "examples"
_O = {"why": "a reason", "source": "a source"}


def _codebook(tmp_path, multiverse=None, **changes):
    book = yaml.safe_load((EXAMPLE / "codebook.yaml").read_text(encoding="utf-8"))
    book.update(changes)
    if multiverse is not None:
        book["multiverse"] = multiverse
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(book), encoding="utf-8")
    return path


def _run(capsys, tmp_path, codebook, *extra):
    code = main(["multiverse", str(EXAMPLE / "survey.sav"), "--codebook", str(codebook),
                 "--out", str(tmp_path / "out"), "--claims", "S2b", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_own_data_writes_tables_curves_and_no_participant_data(tmp_path, capsys):
    code, out, err = _run(capsys, tmp_path, EXAMPLE / "codebook.yaml", "--draws", "20")
    assert code == 0, err
    folder = tmp_path / "out"
    for rel in ("tables/multiverse_specifications.csv", "tables/multiverse_summary.csv",
                "tables/multiverse_influence.csv", "tables/multiverse_options.csv",
                "figures/specification_curve_S2b.png", "multiverse.json", "summary.md",
                "manifest.json"):
        assert (folder / rel).is_file(), rel
    summary = json.loads((folder / "multiverse.json").read_text(encoding="utf-8"))
    assert summary["draws"] == 20 and summary["summary"][0]["claim"] == "S2b"
    assert "S2b:" in out and "joint test" in out
    ids = {str(v) for v in read_data(EXAMPLE / "survey.sav").frame["ResponseId"]}
    text = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in folder.rglob("*")
                   if p.is_file() and p.suffix != ".png")
    assert not [i for i in ids if i in text]
    assert str(tmp_path) not in (folder / "manifest.json").read_text(encoding="utf-8")
    code, _, err = _run(capsys, tmp_path, EXAMPLE / "codebook.yaml", "--draws", "0")
    assert code == 2 and "--force" in err


@pytest.mark.parametrize("multiverse, changes, message", [
    ({"dimensions": {"colour": {"red": _O}}}, {}, "unknown multiverse dimension 'colour'"),
    ({"dimensions": {"covariates": {"codebook": _O}}}, {"covariates": []},
     "covariates.codebook cannot apply"),
    ({"dimensions": {"se": {"ols": _O}}, "exclude": {"everything": "se=ols"}}, {},
     "zero specifications"),
])
def test_bad_multiverse_configurations_exit_2_with_one_line(tmp_path, capsys, multiverse,
                                                            changes, message):
    code, out, err = _run(capsys, tmp_path, _codebook(tmp_path, multiverse, **changes),
                          "--draws", "0")
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_readme_reading_of_the_s2b_curve_matches_the_committed_report():
    """The README's numbers about the S2b curve are the committed report's, not remembered."""
    import pandas as pd

    from analysis import paths
    readme = " ".join((paths.ROOT / "README.md").read_text(encoding="utf-8").split())
    tables = paths.REPLICATION_REPORT / "tables"
    summary = pd.read_csv(tables / "multiverse_summary.csv").set_index("claim")
    s2b = summary.loc["S2b"]
    assert (f"All {s2b.n_specs} specifications find a positive interaction (median "
            f"{s2b.median_estimate:.2f}, range {s2b.estimate_min:.2f}-{s2b.estimate_max:.2f}), "
            f"{s2b.share_significant_predicted:.0%} of them significant") in readme
    assert s2b.estimate_min > 0 and s2b.share_significant_against == 0
    assert f"p = 1/{s2b.draws + 1} = {1 / (s2b.draws + 1):.3f}" in readme
    assert round(s2b.p_median * (s2b.draws + 1)) == 1
    n = summary.n_specs
    assert f"{n.min():,}-{n.max():,} specifications per claim ({n.sum():,} in all)" in readme
    scoring = pd.read_csv(tables / "multiverse_influence.csv").query(
        "claim == 'S2b' and dimension == 'scoring'").iloc[0]
    assert (f"median {scoring.median_low:.2f} when every answered item is averaged vs "
            f"{scoring.median_high:.2f} with the codebook's rule; "
            f"{scoring.eta_squared:.0%} of the variation") in readme
    assert (scoring.option_low, scoring.option_high) == ("all_answered", "codebook_rule")
