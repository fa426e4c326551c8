"""`salesgxe simulate`: exports in the format of data/simulated/ at any N; no overwrite."""
import pandas as pd
import yaml

from analysis import paths
from analysis.cli import main

FILES = ("study1.csv", "study1_dictionary.csv", "study1_codebook.yaml", "study2.csv",
         "study2_dictionary.csv", "study2_codebook.yaml")


def test_simulate_writes_exports_at_any_n(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--n", "300", "--seed", "5", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    for study in ("study1", "study2"):
        new = pd.read_csv(out / f"{study}.csv")
        ref = pd.read_csv(paths.SIMULATED / f"{study}.csv")
        assert len(new) == 300 and list(new.columns) == list(ref.columns)
        assert (yaml.safe_load((out / f"{study}_codebook.yaml").read_text())
                == yaml.safe_load((paths.SIMULATED / f"{study}_codebook.yaml").read_text()))
    # not empty: refused without --force, files unchanged
    before = (out / "study1.csv").read_bytes()
    assert main(["simulate", "--n", "50", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "study1.csv").read_bytes() == before
    assert main(["simulate", "--n", "50", "--seed", "6", "--out", str(out), "--force"]) == 0
    assert len(pd.read_csv(out / "study1.csv")) == 50
    assert main(["simulate", "--n", "3", "--out", str(tmp_path / "x")]) == 2


def test_simulate_defaults_reproduce_the_committed_exports(tmp_path):
    out = tmp_path / "again"
    assert main(["simulate", "--out", str(out)]) == 0
    for name in FILES:
        assert (out / name).read_bytes() == (paths.SIMULATED / name).read_bytes(), name
