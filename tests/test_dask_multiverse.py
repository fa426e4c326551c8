"""The multiverse on a local Dask cluster (loopback TCP) gives identical numbers."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import paths
from analysis.study.claims import CLAIMS
from analysis.io.codebook import Codebook
from analysis.study.config import load_config
from analysis.io.readers import read_data
from analysis.study.multiverse import run_multiverse
from analysis.study.specdata import build_variants
from analysis.study.specgrid import default_grid

distributed = pytest.importorskip("distributed")


def test_multiverse_on_dask_equals_local():
    cfg = load_config()
    grid = default_grid(cfg)
    v = build_variants("study2", read_data(paths.SIMULATED / "study2.csv"),
                       Codebook.load(paths.SIMULATED / "study2_codebook.yaml"), grid)
    kw = dict(sesoi=dict(cfg["claims"]["sesoi"]), seed=9, draws=40,
              claims=tuple(c for c in CLAIMS if c.id in ("S2a", "S2b")))
    local = run_multiverse({2: v}, grid, **kw)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp://",
                                  dashboard_address=None) as cl:
        remote = run_multiverse({2: v}, grid, scheduler=cl.scheduler_address, **kw)
    pd.testing.assert_frame_equal(local.summary_frame(), remote.summary_frame())
    pd.testing.assert_frame_equal(local.specifications(), remote.specifications())
