"""A Monte Carlo engine: blocks of simulations with their own random streams, run
serially, on local cores (joblib) or on a Dask cluster, with an optional progress bar.

Work is split into fixed *blocks* of ``BLOCK`` simulations; block ``b`` of the
stream ``key`` draws from ``SeedSequence(seed, spawn_key=key + (b,))`` (i.e.
``SeedSequence(seed, spawn_key=key).spawn(n_blocks)[b]``).  Blocks are grouped
into chunks only to share work, so results never depend on the chunk size, the
number of processes or the scheduler (L'Ecuyer-style independent streams; see
numpy's ``SeedSequence`` documentation).  Used by :mod:`analysis.simulation.power`.
"""
from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import InputError

__all__ = ["BLOCK", "Chunk", "block_seeds", "plan", "show_progress", "execute", "stack"]

BLOCK = 250                     # simulations per random stream (fixed: changing it changes results)
_DASK_TIMEOUT = 30              # seconds to wait for a Dask scheduler


@dataclass(frozen=True, slots=True)
class Chunk:
    """A unit of work: consecutive blocks of simulations sharing a stream key."""

    key: tuple[int, ...]           # spawn-key prefix (e.g. the sample size)
    first_block: int
    sizes: tuple[int, ...]         # simulations per block

    @property
    def n_sims(self) -> int:
        return sum(self.sizes)


def block_seeds(seed: int, chunk: Chunk) -> list[np.random.SeedSequence]:
    """``SeedSequence(seed, spawn_key=key).spawn(n_blocks)[b]`` for the chunk's blocks."""
    return [np.random.SeedSequence(seed, spawn_key=chunk.key + (b,))
            for b in range(chunk.first_block, chunk.first_block + len(chunk.sizes))]


def plan(keys: Sequence[tuple[int, ...]], n_sims: int, chunk: int | None,
          n_jobs: int) -> list[Chunk]:
    """Split ``n_sims`` simulations per key into blocks of ``BLOCK`` and blocks into chunks.

    The chunk size (rounded up to whole blocks) only groups work; the random
    streams belong to blocks, so results do not depend on it.
    """
    if n_sims < 1:
        raise InputError("the number of simulated studies must be at least 1", values=[n_sims])
    sizes = [BLOCK] * (n_sims // BLOCK) + ([n_sims % BLOCK] if n_sims % BLOCK else [])
    if chunk is None:   # about four chunks per worker, so the progress bar moves
        workers = max(1, n_jobs if n_jobs > 0 else 2)
        chunk = max(BLOCK, math.ceil(len(keys) * n_sims / (4 * workers)))
    per = max(1, math.ceil(int(chunk) / BLOCK))
    return [Chunk(tuple(key), start, tuple(sizes[start:start + per]))
            for key in keys for start in range(0, len(sizes), per)]


def show_progress(progress: bool | None, expected_seconds: float) -> bool:
    """A bar only on a terminal and for work expected to take over a second."""
    if progress is not None:
        return bool(progress)
    return sys.stderr.isatty() and expected_seconds > 1.0


def execute(func: Callable, chunks: Sequence[Chunk], kwargs: dict, *, n_jobs: int = 1,
             scheduler: str | None = None, progress: bool | None = None,
             expected_seconds: float = 0.0, desc: str = "simulating") -> list:
    """Run ``func(chunk, **kwargs)`` for every chunk; results in chunk order.

    ``scheduler`` (a Dask scheduler address such as ``tcp://host:8786``) runs
    the chunks on that cluster (its workers need this package installed);
    otherwise ``n_jobs`` local processes (joblib; ``-1`` = all cores).
    """
    from tqdm import tqdm

    total = sum(c.n_sims for c in chunks)
    bar = tqdm(total=total, desc=desc, unit="study", file=sys.stderr, leave=False,
               disable=not show_progress(progress, expected_seconds))
    try:
        if scheduler:
            return _execute_dask(func, chunks, kwargs, scheduler, bar)
        if n_jobs == 1 or len(chunks) == 1:
            return [_tick(bar, c, func(c, **kwargs)) for c in chunks]
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(func)(c, **kwargs) for c in chunks)
        return [_tick(bar, c, r) for c, r in zip(chunks, results)]
    finally:
        bar.close()


def _tick(bar, chunk: Chunk, result):
    bar.update(chunk.n_sims)
    return result


def _execute_dask(func, chunks, kwargs, scheduler: str, bar) -> list:
    try:
        from distributed import Client, as_completed
    except ImportError:  # pragma: no cover - optional dependency
        raise InputError("--scheduler needs the optional 'distributed' package",
                         hint="pip install 'salesgxe[dask]'") from None
    try:
        client = Client(scheduler, set_as_default=False, timeout=_DASK_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot connect to the Dask scheduler at {scheduler!r} ({exc})") from None
    try:
        futures = [client.submit(func, c, pure=False, **kwargs) for c in chunks]
        sizes = {f.key: c.n_sims for f, c in zip(futures, chunks)}
        for fut in as_completed(futures, loop=client.loop):
            bar.update(sizes[fut.key])
        return client.gather(futures)
    finally:
        client.close()


def stack(results: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Concatenate the per-chunk arrays along the simulation axis."""
    return {name: np.concatenate([r[name] for r in results]) for name in results[0]}
