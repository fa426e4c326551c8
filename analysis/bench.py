"""Benchmark: batched least squares against a statsmodels loop (``make bench``).

Prints one JSON line per workload; every workload is run both ways in this
process on the same data and resamples:

``bootstrap``  5,000 pairs-bootstrap resamples of a moderation model (N = 200;
    intercept, X, W, XW, one covariate), percentile and BCa intervals of the
    conditional effect of X at six moderator values.  Baseline: a Python loop
    of ``sm.OLS(y, X).fit()`` on numpy arrays (plus the ``n`` leave-one-out
    fits BCa needs).  Floor: the same resamples gathered and solved in one bare
    batched ``np.linalg.solve`` with no checks, SEs or BCa.
``power_grid``  20 sample sizes (50..1000) x 2,000 simulated studies of a
    binary G x continuous A design, OLS and HC3 t tests of the interaction,
    generated and fitted a cache-sized chunk at a time.  ``data_seconds`` is
    the same generation alone; the baseline is that generation plus
    statsmodels on the same datasets, run on a subsample of replications per
    N and scaled up linearly (``baseline_extrapolated_from``); ``fit_ratio``
    compares the fitting alone.
``memory``  bootstrap of N = 10,000 cases x 10,000 resamples in a child
    process; ``peak_mb`` is its peak resident set size (``ru_maxrss``).
``scale``  ``salesgxe validate`` and ``salesgxe analyze --sims 0 --no-multiverse
    --bootstrap 0`` (the bootstrap table timed apart on 100 resamples and scaled) on
    1,000,000 simulated respondents (the config's Study 2 design: a 44-column
    item-level CSV of ~100 MB and its codebook), each in a fresh child
    process.  Baseline: a child that only reads the file (``read_data``).
    Reported: seconds and peak RSS of each step, their ratios to reading
    alone (``time_ratio``, ``memory_ratio``); targets validate + analyze
    < 60 s and peak < 2 GB.  ``--scale-n`` changes N.
``multiverse``  the default multiverse of all eight claims with 500 null draws
    against a statsmodels loop (extrapolated from a random sample of
    specifications) and the bare batched floor (:mod:`analysis.bench_multiverse`).

Timings are the best of several runs for the fast paths and one run of the
baseline, with one BLAS thread and glibc told to keep freed memory
(``--no-malloc-tuning`` to compare; see :func:`_tune_malloc`).  Issue targets (reported, not asserted): bootstrap >= 30x the
loop and <= 2x the floor; power grid >= 10x, <= 2x data generation, < 10 s;
memory < 1 GB; scale < 60 s and < 2 GB.
"""
from __future__ import annotations

import os

# One BLAS thread, for both ways alike.  OpenBLAS threads every small product
# of a batch (5 x 10,000 by 10,000 x 25) and measured 4-10x slower than one
# thread on this 2-core machine.  Only effective if numpy is not imported yet.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from .stats.bootstrap import bootstrap_linear
from .stats.fastols import batch_ols, chunk_size_for, resample_indices

__all__ = ["bench_bootstrap", "bench_power_grid", "bench_memory", "bench_scale", "main"]

_BETA = np.array([1.0, 0.3, 0.2, 0.15, 0.1])      # intercept, X, W, XW, covariate
_POWER_BETA = np.array([0.0, 0.2, 0.3, 0.25])     # intercept, G, A, GxA (illustrative)


def _moderation_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, w, z = rng.normal(size=(3, n))
    X = np.column_stack([np.ones(n), x, w, x * w, z])
    y = X @ _BETA + rng.normal(size=n) * (1.0 + 0.5 * np.abs(x))
    at = np.quantile(w, [0.05, 0.16, 0.33, 0.67, 0.84, 0.95])
    L = np.zeros((6, 5))
    L[:, 1], L[:, 3] = 1.0, at
    return X, y, L


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# ---------------------------------------------------------------------------- (a)
def _bootstrap_loop(X, y, L, n_boot, seed, alpha=0.05):
    """Baseline: one statsmodels fit per resample and per left-out case, then BCa."""
    import statsmodels.api as sm
    from scipy.special import ndtr, ndtri

    theta = L @ sm.OLS(y, X).fit().params
    draws = np.array([L @ sm.OLS(y[i], X[i]).fit().params
                      for i in resample_indices(len(y), n_boot, np.random.default_rng(seed))])
    keep = np.arange(len(y))
    jack = np.array([L @ sm.OLS(y[keep != i], X[keep != i]).fit().params for i in keep])
    z0 = ndtri(np.mean(draws < theta, axis=0))
    u = jack.mean(axis=0) - jack
    a = (u ** 3).sum(axis=0) / (6 * ((u ** 2).sum(axis=0)) ** 1.5)
    z = ndtri([alpha / 2, 1 - alpha / 2])
    levels = ndtr(z0[:, None] + (z0[:, None] + z) / (1 - a[:, None] * (z0[:, None] + z)))
    return np.array([np.quantile(draws[:, j], levels[j]) for j in range(L.shape[0])])


def _bootstrap_floor(X, y, L, n_boot, seed, alpha=0.05):
    """Floor: gather all resamples and solve the normal equations in one call."""
    idx = resample_indices(len(y), n_boot, np.random.default_rng(seed))
    Xb, yb = X[idx], y[idx]
    Xt = np.swapaxes(Xb, 1, 2)
    b = np.linalg.solve(Xt @ Xb, Xt @ yb[:, :, None])[:, :, 0]
    return np.quantile(b @ L.T, [alpha / 2, 1 - alpha / 2], axis=0)


def bench_bootstrap(n: int = 200, n_boot: int = 5000, seed: int = 1, repeat: int = 5) -> dict:
    """Workload (a): the bootstrap of six conditional effects, three ways."""
    X, y, L = _moderation_data(n, seed)
    seconds = _best(lambda: bootstrap_linear(X, y, L, n_boot=n_boot, seed=seed), repeat)
    floor = _best(lambda: _bootstrap_floor(X, y, L, n_boot, seed), repeat)
    start = time.perf_counter()
    loop_bca = _bootstrap_loop(X, y, L, n_boot, seed)
    baseline = time.perf_counter() - start
    ours = bootstrap_linear(X, y, L, n_boot=n_boot, seed=seed)
    agree = float(np.max(np.abs(np.column_stack([ours.boot_conf_low, ours.boot_conf_high]) - loop_bca)))
    return {"workload": "bootstrap", "n": n, "n_boot": n_boot, "n_effects": int(L.shape[0]),
            "seconds": seconds, "baseline_seconds": baseline, "ratio": baseline / seconds,
            "floor_seconds": floor, "floor_ratio": seconds / floor,
            "max_abs_diff_bca_vs_loop": agree,
            "target": "ratio >= 30 and floor_ratio <= 2"}


# ---------------------------------------------------------------------------- (b)
def _draw_studies(rng: np.random.Generator, n: int, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """``reps`` studies of size n: G ~ Bernoulli(.5), A ~ N(0, 1), e ~ N(0, 1)."""
    g = (rng.random((reps, n)) < 0.5).astype(float)
    a = rng.standard_normal((reps, n))
    X = np.empty((reps, n, 4))
    X[:, :, 0], X[:, :, 1], X[:, :, 2] = 1.0, g, a
    np.multiply(g, a, out=X[:, :, 3])
    y = X @ _POWER_BETA + rng.standard_normal((reps, n))
    return X, y


def _studies(n: int, reps: int, seed: int):
    """Yield the studies of size n chunk by chunk (one seeded stream per n).

    Generating and fitting a cache-sized chunk at a time is how a power run
    keeps memory bounded; both ways below see exactly these datasets.
    """
    rng = np.random.default_rng([seed, n])
    size = chunk_size_for(n, 4, reps, 256, gathered=True)
    for start in range(0, reps, size):
        yield _draw_studies(rng, n, min(size, reps - start))


def _power_fast(ns, reps, seed, alpha=0.05) -> tuple[float, dict]:
    start = time.perf_counter()
    power = {"ols": [], "HC3": []}
    for n in ns:
        hits = {"ols": 0, "HC3": 0}
        for X, y in _studies(n, reps, seed):
            fit = batch_ols(X, y, se=("ols", "HC3"), chunk_size=len(y))
            for s in hits:
                hits[s] += int(np.sum(fit.p_value(s, column=3) < alpha))
        for s in hits:
            power[s].append(hits[s] / reps)
    return time.perf_counter() - start, power


def _power_data_only(ns, reps, seed) -> float:
    start = time.perf_counter()
    for n in ns:
        for _ in _studies(n, reps, seed):
            pass
    return time.perf_counter() - start


def _power_floor(ns, reps, seed) -> float:
    """Same data, one bare batched normal-equation solve per chunk, nothing else."""
    start = time.perf_counter()
    for n in ns:
        for X, y in _studies(n, reps, seed):
            Xt = np.swapaxes(X, 1, 2)
            np.linalg.solve(Xt @ X, Xt @ y[:, :, None])
    return time.perf_counter() - start


def _power_loop(ns, reps, sub, seed, alpha=0.05) -> float:
    """statsmodels on the first ``sub`` studies per N (same data), scaled to ``reps``."""
    import statsmodels.api as sm

    seconds = 0.0
    for n in ns:
        X, y = next(_studies(n, max(sub, reps), seed))
        while len(y) < sub:                      # first chunk smaller than sub: draw on
            X, y = _draw_studies(np.random.default_rng([seed, n]), n, sub)
        start = time.perf_counter()
        for r in range(sub):
            res = sm.OLS(y[r], X[r]).fit()
            _ = res.pvalues[3] < alpha
            _ = res.get_robustcov_results("HC3", use_t=True).pvalues[3] < alpha
        seconds += (time.perf_counter() - start) * reps / sub
    return seconds


def bench_power_grid(reps: int = 2000, sub: int = 100, seed: int = 2, repeat: int = 5) -> dict:
    """Workload (b): 20 sample sizes x ``reps`` studies, OLS and HC3 tests of GxA."""
    ns = list(range(50, 1001, 50))
    runs, data, floor = [], np.inf, np.inf
    for _ in range(repeat):                  # interleaved, so load spikes hit all three alike
        data = min(data, _power_data_only(ns, reps, seed))
        runs.append(_power_fast(ns, reps, seed))
        floor = min(floor, _power_floor(ns, reps, seed))
    seconds, power = min(runs, key=lambda r: r[0])
    loop_fit = _power_loop(ns, reps, sub, seed)
    baseline = data + loop_fit
    return {"workload": "power_grid", "n_values": len(ns), "reps": reps, "seconds": seconds,
            "data_seconds": data, "data_ratio": seconds / data, "baseline_seconds": baseline,
            "ratio": baseline / seconds, "floor_seconds": floor,
            "fit_seconds": seconds - data, "baseline_fit_seconds": loop_fit,
            "fit_ratio": loop_fit / (seconds - data),
            "baseline_extrapolated_from": f"{sub} of {reps} reps per N, scaled x{reps / sub:g}",
            "power_hc3_n50": power["HC3"][0], "power_hc3_n1000": power["HC3"][-1],
            "target": "ratio >= 10, data_ratio <= 2, seconds < 10"}


# ---------------------------------------------------------------------------- (c)
def _peak_rss_mb() -> float:
    """Peak resident set size of this process (``VmHWM``; ``ru_maxrss`` off Linux).

    ``ru_maxrss`` survives ``exec`` on Linux, so a child started by a big
    parent would report the parent's peak; ``VmHWM`` belongs to the new image.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _memory_child(n: int, n_boot: int) -> dict:
    X, y, L = _moderation_data(n, 3)
    before = _peak_rss_mb()
    start = time.perf_counter()
    res = bootstrap_linear(X, y, L, n_boot=n_boot, seed=3)
    seconds = time.perf_counter() - start
    return {"workload": "memory", "n": n, "n_boot": n_boot, "seconds": seconds,
            "peak_mb": _peak_rss_mb(), "rss_before_mb": before, "n_failed": res.n_failed,
            "gathered_design_mb": n * n_boot * X.shape[1] * 8 / 2 ** 20,
            "target": "peak_mb < 1024"}


def bench_memory(n: int = 10_000, n_boot: int = 10_000) -> dict:
    """Workload (c): peak RSS of a fresh process running the big bootstrap."""
    out = subprocess.run([sys.executable, "-m", "analysis.bench", "--memory-child",
                          f"{n},{n_boot}"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- (d)
def _scale_files(n: int, folder: str) -> tuple[str, str]:
    """Write ``n`` simulated Study 2 respondents (CSV) and their codebook into ``folder``."""
    from .study.config import load_config
    from .study.simulate import save_simulated, simulate_study
    study = simulate_study(load_config(), "study2", n=n, seed=20140204)
    written = save_simulated(study, folder)
    return str(written["data"]), str(written["codebook"])


#: resamples timed in the scale workload's bootstrap step; the result is scaled to the
#: config's n_boot (the cost is linear in resamples: one count-weighted pass each)
SCALE_BOOT_TIMED = 100


def _scale_child(step: str, data: str, codebook: str, out: str) -> dict:
    """One step of the scale workload in this (fresh) process: time and peak RSS."""
    import contextlib
    import io
    start = time.perf_counter()
    code = 0
    if step == "read":
        from .io.readers import read_data
        read_data(data)
    elif step == "bootstrap":                  # timed from the prepared frame on
        start = _scale_bootstrap(data, codebook)
    else:
        from .cli import main as cli_main
        argv = (["validate", data, "--codebook", codebook] if step == "validate" else
                ["analyze", data, "--codebook", codebook, "--out", out, "--sims", "0",
                 "--no-multiverse", "--bootstrap", "0"])
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli_main(argv)
    return {"step": step, "seconds": time.perf_counter() - start, "peak_mb": _peak_rss_mb(),
            "exit_code": code}


def _scale_bootstrap(data: str, codebook: str) -> float:
    """The Study 2 bootstrap table (12 models) with :data:`SCALE_BOOT_TIMED` resamples;
    returns the clock reading after the data were read and prepared."""
    from .study import families
    from .pipeline import available, load_study, resolve_covariates
    study = load_study("study2", data, codebook)
    start = time.perf_counter()
    families.bootstrap_study2(study.frame, n_boot=SCALE_BOOT_TIMED, seed=1,
                              covariates=resolve_covariates("codebook", study),
                              **available(study.frame))
    return start


def _run_scale_child(step: str, data: str, codebook: str, out: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "analysis.bench", "--scale-child",
                           ",".join([step, data, codebook, out])],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"scale step {step!r} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_scale(n: int = 1_000_000) -> dict:
    """Workload (d): validate + analyze --sims 0 on ``n`` respondents, against reading alone.

    ``analyze`` runs without its bootstrap table and multiverse section, which are
    timed apart: the bootstrap with :data:`SCALE_BOOT_TIMED` resamples, scaled
    linearly to the config's ``n_boot`` (stated in the JSON); the multiverse has its
    own workload.  Their cost grows with N x resamples, which no 60 s budget meets at
    N = 1,000,000 with 12 x 5,000 case resamples (6e10 resampled rows)."""
    import shutil
    import tempfile

    from .study.config import load_config
    folder = tempfile.mkdtemp(prefix="salesgxe-bench-")
    try:
        start = time.perf_counter()
        data, codebook = _scale_files(n, folder)
        made = time.perf_counter() - start
        out = os.path.join(folder, "report")
        steps = {s: _run_scale_child(s, data, codebook, out)
                 for s in ("read", "validate", "analyze", "bootstrap")}
        size_mb = os.path.getsize(data) / 2 ** 20
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    n_boot = int(load_config().to_dict()["bootstrap"]["n_boot"])
    return _scale_record(n, size_mb, made, steps, n_boot)


def _scale_record(n, size_mb, made, steps, n_boot) -> dict:
    read, work = steps["read"], (steps["validate"], steps["analyze"])
    seconds = sum(w["seconds"] for w in work)
    peak = max(w["peak_mb"] for w in work)
    boot = steps["bootstrap"]
    return {"workload": "scale", "n": n, "csv_mb": size_mb, "simulate_seconds": made,
            "read_seconds": read["seconds"], "read_peak_mb": read["peak_mb"],
            "validate_seconds": steps["validate"]["seconds"],
            "validate_peak_mb": steps["validate"]["peak_mb"],
            "validate_exit_code": steps["validate"]["exit_code"],
            "analyze_seconds": steps["analyze"]["seconds"],
            "analyze_peak_mb": steps["analyze"]["peak_mb"],
            "analyze_exit_code": steps["analyze"]["exit_code"],
            "analyze_without": "bootstrap table (timed below), multiverse (own workload)",
            "seconds": seconds, "peak_mb": peak,
            "time_ratio": seconds / read["seconds"], "memory_ratio": peak / read["peak_mb"],
            "bootstrap_seconds_timed": boot["seconds"], "bootstrap_peak_mb": boot["peak_mb"],
            "bootstrap_resamples_timed": SCALE_BOOT_TIMED,
            "bootstrap_seconds_extrapolated": boot["seconds"] * n_boot / SCALE_BOOT_TIMED,
            "bootstrap_extrapolated_to": f"{n_boot} resamples x 12 models (linear in resamples)",
            "target": "seconds < 60 and peak_mb < 2048 (validate + analyze)"}


def _tune_malloc() -> bool:
    """Keep freed memory in the heap (glibc ``mallopt``), for both ways alike.

    A chunked run frees and re-allocates the same few MB per chunk; glibc's
    default thresholds hand that memory back to the kernel and fault it in
    again every chunk, which cost the batched power grid ~30% (measured: 1.6 s
    vs 1.2 s) and the statsmodels loop (small arrays) nothing.  The equivalent
    environment settings are ``MALLOC_TRIM_THRESHOLD_`` and
    ``MALLOC_MMAP_THRESHOLD_``.  Returns False where there is no glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_trim_threshold, 512 * 2 ** 20)
                    and libc.mallopt(m_mmap_threshold, 256 * 2 ** 20))
    except (OSError, AttributeError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="bootstrap,power_grid,memory,multiverse,scale",
                        help="comma-separated workloads (default: all)")
    parser.add_argument("--no-malloc-tuning", action="store_true",
                        help="keep glibc's default trim/mmap thresholds")
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--scale-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--scale-n", type=int, default=1_000_000,
                        help="respondents in the scale workload (default 1,000,000)")
    args = parser.parse_args(argv)
    if args.scale_child:
        step, data, codebook, out = args.scale_child.split(",")
        print(json.dumps(_scale_child(step, data, codebook, out)), flush=True)
        return 0
    if args.memory_child:
        n, n_boot = (int(v) for v in args.memory_child.split(","))
        print(json.dumps(_memory_child(n, n_boot)), flush=True)
        return 0
    from .bench_multiverse import bench_multiverse
    runners = {"bootstrap": bench_bootstrap, "power_grid": bench_power_grid, "memory": bench_memory,
               "multiverse": bench_multiverse, "scale": lambda: bench_scale(args.scale_n)}
    tuned = False if args.no_malloc_tuning else _tune_malloc()
    for name in args.only.split(","):
        record = runners[name.strip()]()
        record["blas_threads"] = os.environ.get("OPENBLAS_NUM_THREADS")
        record["malloc_tuned"] = tuned and name.strip() not in ("memory", "scale")  # children: untuned
        print(json.dumps({k: (float(f"{v:.4g}") if isinstance(v, float) else v)
                          for k, v in record.items()}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
