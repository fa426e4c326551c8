"""The same power run on a local Dask cluster (loopback TCP) gives identical numbers."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.simulation import power

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    cl = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp://", dashboard_address=None)
    try:
        yield cl
    finally:
        cl.close()


def test_scheduler_address_is_loopback_tcp(cluster):
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")


def test_interaction_power_on_dask_equals_local(cluster):
    kw = dict(reps=600, seed=7, chunk=250)
    local = power.simulated_interaction_power([60, 120], 0.3, 0.36, **kw).to_frame()
    remote = power.simulated_interaction_power([60, 120], 0.3, 0.36,
                                               scheduler=cluster.scheduler_address,
                                               **kw).to_frame()
    pd.testing.assert_frame_equal(local, remote)


def test_power_curve_on_dask_equals_local(cluster):
    kw = dict(n_grid=[60, 90], reps=300, seed=5, targets=["S2a", "S2b", "CO:DRD4_x_avoidant"])
    local = power.power_curve(**kw).to_frame()
    remote = power.power_curve(scheduler=cluster.scheduler_address, **kw).to_frame()
    pd.testing.assert_frame_equal(local, remote)


def test_bad_scheduler_address_is_an_input_error(monkeypatch):
    from analysis.simulation import montecarlo
    monkeypatch.setattr(montecarlo, "_DASK_TIMEOUT", 2)
    with pytest.raises(power.InputError):
        power.simulated_interaction_power([60], 0.3, 0.36, reps=10, seed=1,
                                          scheduler="tcp://127.0.0.1:1")


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")
def test_worker_process_cluster_equals_local():
    """Workers in a separate process import the package and draw the same streams."""
    kw = dict(n_grid=[60], reps=250, seed=2, targets=["S2b"])
    local = power.power_curve(**kw).to_frame()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", protocol="tcp://",
                                  dashboard_address=None) as cl:
        remote = power.power_curve(scheduler=cl.scheduler_address, **kw).to_frame()
    pd.testing.assert_frame_equal(local, remote)
