"""The one way every command writes its outputs: owned folders, no silent overwrite, crash-safe.

Every output of every command (``analyze``/``replicate`` reports, ``replicate
--data-dir``, ``power --out``, ``init-codebook --out``, plots, tables,
exports of later commands) goes through this module.  The rules:

* **Check first.**  :func:`check_folder` / :func:`check_file` run *before*
  the work (reading, fitting, simulating): the parent folder must exist and be
  writable (a real probe: a hidden folder is created and removed), the target
  must be of the right kind (a folder target is not a file and vice versa),
  there must be room for a rough size estimate, the target may only be
  replaced with ``force``, and no input file may lie inside it.  Every
  problem is an :class:`~analysis._errors.InputError` naming the path (one
  line on stderr, exit code 2).
* **Owned folders only.**  An existing folder is replaced only if it is empty
  or provably written by this package (:func:`ownership_problems`): its
  ``manifest.json`` names the package (``"package": {"name": "salesgxe"}``)
  and lists every file in ``outputs``; the folder holds nothing else (empty
  sub-folders aside).  Otherwise the run is refused, naming the unexpected
  entries.  (A listed file edited since is still replaced with ``force``:
  regenerated files merged by version control must not block a rerun.)
* **No overwrite without force**, for folders and files alike; an empty
  folder is the one existing target that can be filled without ``force``
  (nothing in it can be lost).
* **Crash-safe replacement.**  The new output is written completely into a
  hidden sibling ``.tmp-<name>-<pid>-<start>-<random>`` (files fsync'ed), then
  swapped with the old one in one atomic step: ``renameat2(RENAME_EXCHANGE)``
  (Linux >= 3.15, called through ctypes) exchanges the two folders, so at every
  instant ``<name>`` is a complete report, old or new; the old one is then
  deleted.  **Fallback** where the exchange is unavailable (macOS, Windows,
  file systems answering EINVAL): two renames, old -> ``.old-<name>-...``,
  new -> ``<name>``.  An error between the two in a live process renames the
  old one back; a *killed* process can leave ``<name>`` missing for that
  instant, and the next run (of any command writing there) puts the complete
  old report back from ``.old-*`` before it does anything else.
  :data:`SWAP_METHOD` says which is used on this machine.  Files are written
  to a hidden temporary file and moved with :func:`os.replace` (atomic).
* **Leftovers** of killed runs (hidden ``.tmp-*``/``.old-*`` siblings whose
  name records the writer's pid and a start marker: the Linux boot id and the
  process start time, so a recycled pid is not mistaken for the writer) are
  removed by the next run, only when their process is gone.
* **Symlinks.**  A target that is a symbolic link is followed: the folder it
  points to is the one checked and replaced, and the link keeps pointing at
  the new output (never left dangling).  A dangling link is refused.
* **I/O errors** become one line naming the path (:func:`io_error`).

API
---
``check_folder(path, *, force=False, inputs=(), expected_bytes=...) -> Path``
    Validate a folder target before the work; returns the real target path.
``write_folder(path, fill, *, force=False, inputs=(), meta=None, ...) -> Path``
    ``fill(staging)`` writes the files into an empty hidden folder; if it
    writes no ``manifest.json``, one is written (:func:`folder_manifest`);
    the manifest must list every file; then the folder is installed as above.
``check_file(path, *, force=False, inputs=()) -> Path`` and
``write_file(path, data, *, force=False, inputs=()) -> Path``
    The same for one file (``str`` is written as UTF-8).
``ownership_problems(folder) -> list[str]`` / ``verify_folder(folder) -> list[str]``
    Why a folder may not be replaced / why it is not a complete output ([] = fine).
``folder_manifest(folder, *, meta=None, inputs=()) -> dict``
    The minimal manifest: package, version, ``meta``, inputs (name, sha256, bytes),
    outputs (path, sha256, bytes).  No timestamp: same content, same bytes.
``input_entry(path) -> dict`` and ``display_path(path) -> str``
    How an input is recorded: its path relative to the working directory when
    it lies under it, else its file name only (never an absolute path).
``relative_command(argv=None) -> str``
    The command line with absolute paths made relative (or reduced to names).
``clean_leftovers(target) -> list[Path]``
    Remove dead runs' siblings (called by every check).

Examples
--------
>>> import tempfile, pathlib
>>> base = pathlib.Path(tempfile.mkdtemp())
>>> out = write_folder(base / "out", lambda d: (d / "a.txt").write_text("hi"))
>>> sorted(p.name for p in out.iterdir())
['a.txt', 'manifest.json']
>>> verify_folder(out)
[]
>>> write_folder(base / "out", lambda d: None)       # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
InputError: ... exists; use --force to replace it
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ._errors import InputError

__all__ = ["check_folder", "write_folder", "check_file", "write_file", "ownership_problems",
           "verify_folder", "folder_manifest", "input_entry", "display_path",
           "relative_command", "clean_leftovers", "io_error", "sha256_file", "SWAP_METHOD",
           "PACKAGE", "MANIFEST"]

PACKAGE = "salesgxe"
MANIFEST = "manifest.json"
#: Rough size of a report folder, checked against the free space before the work.
DEFAULT_FOLDER_BYTES = 20 * 2**20
DEFAULT_FILE_BYTES = 2**20
_SHOWN = 5
_LEFTOVER = re.compile(r"^\.(?P<kind>tmp|old)-(?P<name>.+)-(?P<pid>\d+)-(?P<start>[0-9a-z]+)"
                       r"-(?P<rand>[0-9a-f]{8})$")
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_SYSCALL_RENAMEAT2 = {"x86_64": 316, "aarch64": 276}


# ============================================================== process markers

def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return fh.read().strip().replace("-", "")[:8]
    except OSError:
        return "x"


def _process_marker(pid: int) -> str | None:
    """Boot id + start time of ``pid`` (Linux), ``'x'`` if it exists elsewhere, None if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
        start = stat.rsplit(")", 1)[1].split()[19]      # field 22: start time in clock ticks
        return f"{_boot_id()}{start}"
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return None                                   # Linux and no such process
    except (OSError, IndexError):
        pass
    if os.name != "posix":
        return "x"          # no safe liveness probe (os.kill(pid, 0) would signal on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except OSError:
        pass
    return "x"


def _my_tag() -> str:
    pid = os.getpid()
    return f"{pid}-{_process_marker(pid) or 'x'}-{secrets.token_hex(4)}"


def _owner_alive(pid: int, start: str) -> bool:
    marker = _process_marker(pid)
    if marker is None:
        return False
    return marker == start or "x" in (marker, start)


def _sibling(target: Path, kind: str) -> Path:
    return target.parent / f".{kind}-{target.name}-{_my_tag()}"


# ============================================================== errors and names

def io_error(err: OSError, path) -> InputError:
    """One line naming ``path`` for an OS error (permission, disk full, read-only...)."""
    reason = err.strerror or str(err)
    return InputError(f"cannot write here: {reason}", file=str(path))


def display_path(path) -> str:
    """``path`` relative to the working directory when it lies under it, else its name."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return p.name


def relative_command(argv: Iterable[str] | None = None, prog: str = PACKAGE) -> str:
    """The command line for a manifest, every absolute path made relative (or its name).

    >>> relative_command(["analyze", "/nowhere/ann/survey.sav", "--out=/nowhere/ann/rep",
    ...                   "--force"])
    'salesgxe analyze survey.sav --out=rep --force'
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    out = [prog]
    for token in argv:
        opt, eq, value = (token.partition("=") if token.startswith("--") and "=" in token
                          else ("", "", token))
        if os.path.isabs(value):
            value = display_path(value)
        out.append(f"{opt}{eq}{value}" if eq else value)
    return " ".join(out)


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_entry(path) -> dict:
    """How an input file is recorded: ``{"path": display_path, "sha256", "bytes"}``."""
    p = Path(path)
    return {"path": display_path(p), "sha256": sha256_file(p), "bytes": p.stat().st_size}


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


# ============================================================== manifests

def folder_manifest(folder, *, meta: Mapping | None = None, inputs: Iterable = ()) -> dict:
    """Manifest of a finished folder: every file but the manifest, with sha256 and size."""
    from . import __version__
    folder = Path(folder)
    files = sorted((p for p in folder.rglob("*")
                    if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST),
                   key=lambda p: p.relative_to(folder).as_posix())
    return {"package": {"name": PACKAGE, "version": __version__},
            "meta": dict(meta or {}),
            "inputs": [input_entry(p) for p in inputs],
            "outputs": [{"path": p.relative_to(folder).as_posix(), "sha256": sha256_file(p),
                         "bytes": p.stat().st_size} for p in files]}


def _read_manifest(folder: Path) -> tuple[dict | None, str | None]:
    path = folder / MANIFEST
    if not path.is_file() or path.is_symlink():
        return None, f"it has no {MANIFEST} written by {PACKAGE}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, f"its {MANIFEST} is not readable JSON"
    package = data.get("package") if isinstance(data, dict) else None
    if not isinstance(package, dict) or package.get("name") != PACKAGE:
        return None, f"its {MANIFEST} does not name the {PACKAGE} package"
    outputs = data.get("outputs")
    if not isinstance(outputs, list) or not all(isinstance(o, dict) and isinstance(
            o.get("path"), str) for o in outputs):
        return None, f"its {MANIFEST} does not list its files"
    return data, None


def _entries(folder: Path) -> tuple[list[str], list[str]]:
    """Relative paths of the files and of anything else (symlinks, devices) under ``folder``."""
    files, odd = [], []
    for root, dirs, names in os.walk(folder, followlinks=False):
        base = Path(root)
        for d in list(dirs):
            if (base / d).is_symlink():
                odd.append((base / d).relative_to(folder).as_posix())
                dirs.remove(d)
        for n in names:
            p = base / n
            rel = p.relative_to(folder).as_posix()
            (files if p.is_file() and not p.is_symlink() else odd).append(rel)
    return sorted(files), sorted(odd)


def _manifest_problems(folder: Path, check_content: bool) -> list[str]:
    files, odd = _entries(folder)
    if not files and not odd:
        return []
    data, problem = _read_manifest(folder)
    if problem:
        others = [f for f in files if f != MANIFEST] + odd
        return [problem + (f"; it holds {_listing(others)}" if others else "")]
    listed = {o["path"]: o for o in data["outputs"]}
    unexpected = sorted(set(files) - set(listed) - {MANIFEST} - _run_log(data)) + odd
    problems = []
    if unexpected:
        problems.append(f"it holds files its {MANIFEST} does not list: {_listing(unexpected)}")
    missing = sorted(set(listed) - set(files))
    if missing:
        problems.append(f"files listed in its {MANIFEST} are missing: {_listing(missing)}")
    if check_content:
        changed = [p for p in sorted(set(listed) & set(files))
                   if listed[p].get("sha256") != sha256_file(folder / p)]
        if changed:
            problems.append(f"files were changed since {PACKAGE} wrote them: {_listing(changed)}")
    return problems


def _run_log(data: Mapping) -> set[str]:
    """The one unlisted file a manifest may name (``"run_log"``: time and platform of the
    run, volatile by design, so not checksummed); a plain top-level file name only."""
    name = data.get("run_log")
    ok = isinstance(name, str) and name not in ("", ".", "..", MANIFEST) and "/" not in name \
        and "\\" not in name
    return {name} if ok else set()


def ownership_problems(folder) -> list[str]:
    """Why ``folder`` may not be replaced; ``[]`` if it is empty or provably ours.

    Ours means: ``manifest.json`` names the package and lists every file, and
    the folder holds nothing else.
    """
    return _manifest_problems(Path(folder), check_content=False)


def verify_folder(folder) -> list[str]:
    """Why ``folder`` is not a complete output of this package (``[]``: it is).

    Complete: a manifest naming the package, every listed file present with
    its recorded sha256, nothing unlisted.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} is not a folder"]
    if not (folder / MANIFEST).is_file():
        return [f"it has no {MANIFEST}"]
    return _manifest_problems(folder, check_content=True)


# ============================================================== leftovers

def _leftovers(target: Path) -> list[tuple[Path, str]]:
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    out = []
    for n in names:
        m = _LEFTOVER.match(n)
        if m and m["name"] == target.name and not _owner_alive(int(m["pid"]), m["start"]):
            out.append((target.parent / n, m["kind"]))
    return sorted(out)


def clean_leftovers(target) -> list[Path]:
    """Restore or remove what killed runs left beside ``target``; returns what was removed.

    If ``target`` is missing and a dead run's ``.old-*`` copy is a complete
    output (:func:`verify_folder`), it is renamed back first (a kill between
    the two renames of the fallback swap).  Other dead ``.tmp-*``/``.old-*``
    siblings are deleted; those of live processes are left alone.
    """
    target = Path(target)
    found = _leftovers(target)
    if not os.path.lexists(target):
        for path, kind in found:
            if kind == "old" and path.is_dir() and not verify_folder(path):
                os.rename(path, target)
                found.remove((path, kind))
                break
    removed = []
    for path, _ in found:
        _remove(path)
        removed.append(path)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


# ============================================================== checks

def _real_target(path) -> Path:
    p = Path(path)
    if p.is_symlink():
        real = Path(os.path.realpath(p))
        if not real.exists():
            raise InputError("is a symbolic link to a missing path; refusing to write through it",
                             file=str(path))
        return real
    return Path(os.path.abspath(p))


def _check_parent(target: Path, shown, expected_bytes: int) -> None:
    parent = target.parent
    if not parent.is_dir():
        raise InputError("the folder it would go in does not exist", file=str(shown),
                         hint=f"create {parent} first")
    probe = _sibling(target, "tmp")
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        raise io_error(err, shown) from None
    try:
        free = shutil.disk_usage(parent).free
    except OSError:
        return
    if free < expected_bytes:
        raise InputError(f"not enough free space: about {expected_bytes / 2**20:.0f} MB needed, "
                         f"{free / 2**20:.1f} MB free", file=str(shown))


def _check_inputs(target: Path, inputs: Iterable, shown, folder: bool) -> None:
    for item in inputs:
        p = Path(os.path.realpath(item))
        inside = p == target or (folder and target in p.parents)
        if inside:
            what = "lies inside the output folder" if folder else "is the output file"
            raise InputError(f"input file {display_path(item)} {what}; it would be lost",
                             file=str(shown), hint="choose another output path")


def _prepare_target(path, inputs: Iterable, expected_bytes: int, *, folder: bool) -> Path:
    """What every target check starts with: the real target, its parent (exists, writable,
    room), dead runs' leftovers cleaned, and no input inside (or equal to) it."""
    target = _real_target(path)
    _check_parent(target, path, expected_bytes)
    try:
        clean_leftovers(target)
    except OSError as err:
        raise io_error(err, path) from None
    _check_inputs(target, inputs, path, folder=folder)
    return target


def check_folder(path, *, force: bool = False, inputs: Iterable = (),
                 expected_bytes: int = DEFAULT_FOLDER_BYTES) -> Path:
    """Check a folder target before the work (see the module docstring); return its real path.

    Raises
    ------
    InputError
        Naming ``path``: missing or unwritable parent, a file in the way, an
        existing folder without ``force`` or not provably ours, an input inside
        it, too little free space.
    """
    target = _prepare_target(path, inputs, expected_bytes, folder=True)
    if not os.path.lexists(target):
        return target
    if not target.is_dir():
        raise InputError("exists and is not a folder; refusing to replace it", file=str(path),
                         hint="choose another output folder")
    problems = ownership_problems(target)
    if problems:
        raise InputError(f"exists and is not a folder {PACKAGE} wrote ({'; '.join(problems)}); "
                         "refusing to replace it, even with --force", file=str(path),
                         hint="move it away or choose another output folder")
    if not force and any(target.iterdir()):
        raise InputError("exists; use --force to replace it", file=str(path))
    return target


def check_file(path, *, force: bool = False, inputs: Iterable = (),
               expected_bytes: int = DEFAULT_FILE_BYTES) -> Path:
    """Check a file target before the work; return its real path (InputError naming it)."""
    target = _prepare_target(path, inputs, expected_bytes, folder=False)
    if os.path.lexists(target):
        if target.is_dir():
            raise InputError("is a folder, not a file; refusing to replace it", file=str(path))
        if not force:
            raise InputError("exists; use --force to overwrite it", file=str(path))
    return target


# ============================================================== writing

def _fsync_tree(folder: Path) -> None:
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _renameat2():
    import ctypes
    import platform
    libc = ctypes.CDLL(None, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is not None:
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                       ctypes.c_uint]
        return lambda a, b, flags: fn(_AT_FDCWD, a, _AT_FDCWD, b, flags)
    number = _SYSCALL_RENAMEAT2.get(platform.machine())
    if number is None:
        return None
    sc = libc.syscall
    return lambda a, b, flags: sc(number, _AT_FDCWD, a, _AT_FDCWD, b, flags)


def _load_exchange():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _renameat2()
    except (OSError, AttributeError):
        return None


_RENAMEAT2 = _load_exchange()
#: ``"renameat2-exchange"`` (atomic) or ``"two-renames"`` (the documented fallback).
SWAP_METHOD = "renameat2-exchange" if _RENAMEAT2 is not None else "two-renames"


class _NoExchange(Exception):
    """The file system does not support RENAME_EXCHANGE: use the fallback."""


def _exchange(a: Path, b: Path) -> None:
    """Atomically exchange two paths (``renameat2(RENAME_EXCHANGE)``)."""
    import ctypes
    if _RENAMEAT2 is None:
        raise _NoExchange()
    if _RENAMEAT2(os.fsencode(a), os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise _NoExchange()
        raise OSError(code, os.strerror(code), str(b))


def _swap_in(staging: Path, target: Path) -> None:
    """Put the complete ``staging`` folder at ``target``; the old one is removed after."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    try:
        _exchange(staging, target)          # target: new, staging: old, in one step
    except _NoExchange:
        _two_renames(staging, target)
        return
    _fsync_dir(target.parent)
    _remove(staging)


def _two_renames(staging: Path, target: Path) -> None:
    old = _sibling(target, "old")
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    _fsync_dir(target.parent)
    _remove(old)


def write_folder(path, fill: Callable[[Path], object], *, force: bool = False,
                 inputs: Iterable = (), meta: Mapping | None = None,
                 expected_bytes: int = DEFAULT_FOLDER_BYTES) -> Path:
    """Write a complete folder at ``path`` through ``fill(staging)``; crash-safe (see module doc).

    ``fill`` receives an empty hidden sibling folder and writes into it.  If
    it leaves no ``manifest.json``, :func:`folder_manifest` is written with
    ``meta`` and ``inputs``; a manifest that does not list every file is a bug
    (``ValueError``) and nothing is installed.  The ownership and overwrite
    checks run again just before the swap.  Returns ``Path(path)``.
    """
    inputs = list(inputs)
    target = check_folder(path, force=force, inputs=inputs, expected_bytes=expected_bytes)
    staging = _sibling(target, "tmp")
    try:
        staging.mkdir()
    except OSError as err:
        raise io_error(err, path) from None
    try:
        fill(staging)
        if not (staging / MANIFEST).exists():
            manifest = folder_manifest(staging, meta=meta, inputs=inputs)
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                            + "\n", encoding="utf-8")
        problems = verify_folder(staging)
        if problems:
            raise ValueError(f"output for {path} is incomplete: {'; '.join(problems)}")
        _fsync_tree(staging)
        check_folder(path, force=force, inputs=inputs, expected_bytes=0)
        _swap_in(staging, target)
    except OSError as err:
        _discard(staging)
        raise io_error(err, path) from None
    except BaseException:
        _discard(staging)
        raise
    return Path(path)


def _discard(staging: Path) -> None:
    try:
        if os.path.lexists(staging):
            _remove(staging)
    except OSError:
        pass


def write_file(path, data: str | bytes, *, force: bool = False, inputs: Iterable = ()) -> Path:
    """Write one file atomically (hidden temporary file, fsync, :func:`os.replace`).

    An existing file is only overwritten with ``force``; a symlink is followed
    (the file it points to is replaced, the link stays valid).  Returns ``Path(path)``.
    """
    inputs = list(inputs)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    target = check_file(path, force=force, inputs=inputs, expected_bytes=len(payload))
    tmp = _sibling(target, "tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        check_file(path, force=force, inputs=inputs, expected_bytes=0)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as err:
        _discard(tmp)
        raise io_error(err, path) from None
    except BaseException:
        _discard(tmp)
        raise
    return Path(path)
