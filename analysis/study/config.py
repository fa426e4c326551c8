"""The simulation config: ``data/simulation.yaml``, the one file with every assumed number.

:func:`load_config` reads the YAML with :func:`yaml.safe_load` (never a loader
that can build Python objects), validates it and returns a read-only
:class:`Config`.  :func:`config_hash` is the SHA-256 of the file's bytes (the
manifest records it).  :func:`assumptions_table` flattens every value into a
table ``parameter, value, basis, source`` for the report: because
``safe_load`` drops comments, the labels are read from the YAML text by a
small line-based reader (a key's trailing comment, else the comment block
right above it, else the nearest enclosing key's comment).  The comment's
first word is the *basis*: ``literature``, ``chosen``, ``convention`` or
``setting`` (see the header of ``data/simulation.yaml``).

>>> cfg = load_config()
>>> cfg.seed, cfg["alleles"]["DRD2"]["A1"]
(20140204, 0.19)
>>> table = assumptions_table(cfg)
>>> bool(table["basis"].isin(BASES).all())
True
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .. import paths
from .._errors import InputError

__all__ = ["Config", "load_config", "config_from_dict", "config_hash", "assumptions_table",
           "BASES", "SCALES", "STUDIES", "OUTCOMES", "STYLES", "GENE_CODES"]

BASES = ("literature", "chosen", "convention", "setting")
SCALES = ("CO", "SO", "secure", "anxious", "avoidant")
OUTCOMES = ("CO", "SO")
STYLES = ("secure", "anxious", "avoidant")
STUDIES = ("study1", "study2")
GENE_CODES = ("drd2_a1", "drd2_a2a2", "drd2_a1_count", "drd4_7r", "drd4_7r_count")
_CORR_KEYS = ("secure_anxious", "secure_avoidant", "anxious_avoidant")
_INSTRUMENT_KEYS = ("n_items", "min", "max", "reverse", "mean", "sd", "loadings",
                    "missing_share")


def _freeze(obj):
    """Deep read-only view: dicts -> MappingProxyType, lists -> tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list | tuple):
        return tuple(_freeze(v) for v in obj)
    return obj


def _thaw(obj):
    if isinstance(obj, Mapping):
        return {k: _thaw(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [_thaw(v) for v in obj]
    return obj


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """A validated, read-only simulation config.

    Attributes
    ----------
    data : Mapping
        The parsed YAML (nested read-only mappings; lists become tuples).
    path : str or None
        The file it came from (None when built from a dict).
    sha256 : str or None
        SHA-256 of the file's bytes (None when built from a dict).
    text : str or None
        The YAML text, kept for :func:`assumptions_table`.
    """

    data: Mapping
    path: str | None = None
    sha256: str | None = None
    text: str | None = None

    def __getitem__(self, key):
        return self.data[key]

    def __contains__(self, key) -> bool:
        return key in self.data

    @property
    def seed(self) -> int:
        """The master seed (``meta.seed``); every random stream derives from it."""
        return int(self.data["meta"]["seed"])

    @property
    def alpha(self) -> float:
        return float(self.data["claims"]["alpha"])

    def to_dict(self) -> dict:
        """A plain, mutable deep copy of the config data (JSON/YAML-safe)."""
        return _thaw(self.data)

    def with_overrides(self, overrides: Mapping) -> Config:
        """A new validated Config with ``overrides`` deep-merged in.

        >>> load_config().with_overrides({"study2": {"n": 500}})["study2"]["n"]
        500
        """
        merged = _merge(self.to_dict(), overrides)
        return config_from_dict(merged, source=self.path, text=self.text)


def _merge(base: dict, extra: Mapping) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(_thaw(value))
    return out


def config_hash(path: str | Path = paths.CONFIG) -> str:
    """SHA-256 (hex) of the config file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_config(path: str | Path = paths.CONFIG) -> Config:
    """Read, validate and freeze the simulation config.

    Raises
    ------
    InputError
        The file is missing, is not YAML, or a required key is missing or out
        of range (the message names the key and the file).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("config file not found", file=str(path),
                         hint="the default is data/simulation.yaml")
    from ..io.safe_yaml import check_size, safe_load
    check_size(path.stat().st_size, file=str(path), what="config file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", file=str(path)) from None
    import yaml
    try:
        data = safe_load(text, file=str(path))  # bounded: size, depth, aliases, duplicate keys
    except yaml.YAMLError as exc:
        raise InputError(f"is not valid YAML ({exc.__class__.__name__})", file=str(path)) from None
    cfg = config_from_dict(data, source=str(path), text=text)
    return Config(data=cfg.data, path=str(path), sha256=hashlib.sha256(raw).hexdigest(),
                  text=text)


def config_from_dict(data, *, source: str | None = None, text: str | None = None) -> Config:
    """Validate a parsed config mapping and wrap it (used by tests and overrides)."""
    file = source or "<config>"
    if not isinstance(data, Mapping):
        raise InputError("the config must be a YAML mapping of sections", file=file)
    _validate(data, file)
    return Config(data=_freeze(data), path=source, text=text)


# --------------------------------------------------------------------------- validation

def _get(data, dotted: str, file: str):
    node = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or _key(node, part) is None:
            raise InputError(f"required key {dotted!r} is missing", file=file)
        node = node[_key(node, part)]
    return node


def _key(node: Mapping, part: str):
    """Find ``part`` among the keys (YAML may load ``2:`` as the int 2)."""
    for k in node:
        if str(k) == part:
            return k
    return None


def _number(data, dotted: str, file: str, *, lo=-math.inf, hi=math.inf, integer=False,
            open_lo=False) -> float:
    value = _get(data, dotted, file)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if ok:
        ok = (value > lo if open_lo else value >= lo) and value <= hi
    if not ok:
        kind = "an integer" if integer else "a number"
        raise InputError(f"key {dotted!r} must be {kind} in "
                         f"{'(' if open_lo else '['}{lo}, {hi}]", file=file, values=[value])
    return value


def _frequencies(data, dotted: str, file: str) -> None:
    node = _get(data, dotted, file)
    if not isinstance(node, Mapping) or len(node) < 2:
        raise InputError(f"key {dotted!r} must map at least two alleles to frequencies", file=file)
    total = sum(_number(data, f"{dotted}.{k}", file, lo=0, hi=1) for k in node)
    if abs(total - 1) > 1e-6:
        raise InputError(f"allele frequencies under {dotted!r} must sum to 1", file=file,
                         values=[round(total, 6)])


def _validate(data, file: str) -> None:
    _number(data, "meta.seed", file, lo=0, hi=2**63 - 1, integer=True)
    _frequencies(data, "alleles.DRD2", file)
    for allele in ("A1", "A2"):
        _get(data, f"alleles.DRD2.{allele}", file)
    _frequencies(data, "alleles.DRD4", file)
    _get(data, "alleles.DRD4.7", file)
    for scale in SCALES:
        _validate_instrument(data, scale, file)
    _number(data, "scoring.min_answered", file, lo=0, hi=1, open_lo=True)
    _validate_latent(data, file)
    _validate_covariates(data, file)
    for study in STUDIES:
        _validate_study(data, study, file)
    _number(data, "claims.alpha", file, lo=0, hi=0.5, open_lo=True)
    _number(data, "claims.equivalence_alpha", file, lo=0, hi=0.5, open_lo=True)
    _number(data, "claims.sesoi.main_effect_d", file, lo=0, open_lo=True)
    _number(data, "claims.sesoi.interaction_std", file, lo=0, open_lo=True)
    _number(data, "replication.n_sims", file, lo=500, integer=True)


def _validate_instrument(data, scale: str, file: str) -> None:
    key = f"instruments.{scale}"
    for part in _INSTRUMENT_KEYS:
        _get(data, f"{key}.{part}", file)
    k = int(_number(data, f"{key}.n_items", file, lo=2, integer=True))
    lo = _number(data, f"{key}.min", file, integer=True)
    _number(data, f"{key}.max", file, lo=lo + 1, integer=True)
    _number(data, f"{key}.sd", file, lo=0, open_lo=True)
    _number(data, f"{key}.mean", file, lo=lo, hi=_get(data, f"{key}.max", file))
    _number(data, f"{key}.missing_share", file, lo=0, hi=0.5)
    loadings = _get(data, f"{key}.loadings", file)
    if (not isinstance(loadings, list | tuple) or len(loadings) != k
            or not all(isinstance(x, int | float) and 0 < x < 1 for x in loadings)):
        raise InputError(f"key '{key}.loadings' must list {k} loadings in (0, 1)", file=file)
    reverse = _get(data, f"{key}.reverse", file)
    if (not isinstance(reverse, list | tuple)
            or not all(isinstance(i, int) and 1 <= i <= k for i in reverse)):
        raise InputError(f"key '{key}.reverse' must list item numbers between 1 and {k}",
                         file=file)


def _validate_latent(data, file: str) -> None:
    import numpy as np
    r = [_number(data, f"latent.correlations.{c}", file, lo=-1, hi=1) for c in _CORR_KEYS]
    mat = np.array([[1, r[0], r[1]], [r[0], 1, r[2]], [r[1], r[2], 1]], dtype=float)
    if np.linalg.eigvalsh(mat).min() <= 1e-10:
        raise InputError("the latent attachment correlations do not form a positive-definite "
                         "matrix", file=file, values=r)


def _validate_covariates(data, file: str) -> None:
    lo = _number(data, "covariates.age_min", file, lo=0)
    _number(data, "covariates.age_max", file, lo=lo)
    _number(data, "covariates.age_mean", file, lo=lo, hi=_get(data, "covariates.age_max", file))
    _number(data, "covariates.age_sd", file, lo=0)
    _number(data, "covariates.female_share", file, lo=0, hi=1)
    _number(data, "genotyping.missing_share", file, lo=0, hi=0.5)


def _validate_study(data, study: str, file: str) -> None:
    _number(data, f"{study}.n", file, lo=10, integer=True)
    prefix = _get(data, f"{study}.id_prefix", file)
    if not isinstance(prefix, str):
        raise InputError(f"key '{study}.id_prefix' must be a string", file=file)
    for outcome in OUTCOMES:
        _number(data, f"{study}.{outcome}.residual_sd", file, lo=0, open_lo=True)
        effects = _get(data, f"{study}.{outcome}.effects", file)
        if not isinstance(effects, Mapping):
            raise InputError(f"key '{study}.{outcome}.effects' must map terms to numbers",
                             file=file)
        for term in effects:
            dotted = f"{study}.{outcome}.effects.{term}"
            _number(data, dotted, file)
            _check_term(str(term), dotted, file)


def _check_term(term: str, dotted: str, file: str) -> None:
    factors = term.split("_x_")
    unknown = [f for f in factors if f not in GENE_CODES + STYLES]
    if unknown:
        raise InputError(f"key {dotted!r}: unknown factor(s) {', '.join(unknown)}", file=file,
                         hint="terms are genotype codes (" + ", ".join(GENE_CODES) +
                         ") and attachment styles joined by '_x_'")
    if sum(f in STYLES for f in factors) > 2:
        raise InputError(f"key {dotted!r}: at most two attachment factors per term", file=file)


# --------------------------------------------------------------------------- assumptions

_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[^\s#:'\"-][^:#]*?|'[^']*'|\"[^\"]*\")\s*:(?P<rest>.*)$")


def _split_comment(rest: str) -> str | None:
    """The text after the first ``#`` outside quotes (YAML: preceded by space)."""
    quote = None
    for i, ch in enumerate(rest):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or rest[i - 1].isspace()):
            return rest[i + 1:].strip()
    return None


def _comments_by_path(text: str) -> tuple[dict[tuple[str, ...], str], set[tuple[str, ...]]]:
    """Map each key path to its trailing comment or the comment block above it.

    Also returns the set of every key path present in the text.
    """
    out: dict[tuple[str, ...], str] = {}
    seen: set[tuple[str, ...]] = set()
    stack: list[tuple[int, str]] = []
    block: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            block = block + [stripped.lstrip("#").strip()] if stripped else []
            continue
        m = _KEY_LINE.match(line)
        if m is None:
            block = []
            continue
        indent, key = len(m["indent"]), m["key"].strip("'\"")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        path = tuple(k for _, k in stack)
        seen.add(path)
        comment = _split_comment(m["rest"]) or " ".join(block).strip()
        if comment:
            out[path] = comment
        block = []
    return out, seen


def _leaves(node, prefix=()):
    if isinstance(node, Mapping):
        for k, v in node.items():
            yield from _leaves(v, prefix + (str(k),))
    else:
        yield prefix, node


def _format_value(value) -> str:
    if isinstance(value, tuple | list):
        return json.dumps(_thaw(value))
    return str(value)


def _source_for(path: tuple[str, ...], comments: Mapping) -> str:
    for i in range(len(path), 0, -1):
        if path[:i] in comments:
            return comments[path[:i]]
    return ""


def assumptions_table(config: Config):
    """Every configured value with its basis and source, one row per leaf.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter`` (dotted key path), ``value`` (as text; lists as
        JSON), ``basis`` (literature / chosen / convention / setting, or ""
        when the comment does not start with one of these words) and
        ``source`` (the comment).  A value that differs from the file (set
        by :meth:`Config.with_overrides`) gets basis ``override`` and a source
        naming the file's value.
    """
    import pandas as pd
    import yaml
    comments, seen = _comments_by_path(config.text or "")
    original = dict(_leaves(yaml.safe_load(config.text) or {})) if config.text else {}
    rows = []
    for path, value in _leaves(config.data):
        source = _source_for(path, comments) if path in seen else ""
        if path not in original or _thaw(original[path]) != _thaw(value):
            source = f"override: {_format_value(value)} replaces " + (
                f"the file's {_format_value(original[path])} ({source})" if path in original
                else "nothing in the config file")
        first = re.match(r"[A-Za-z]+", source)
        basis = first.group(0).lower() if first and first.group(0).lower() in BASES + (
            "override",) else ""
        rows.append({"parameter": ".".join(path), "value": _format_value(value),
                     "basis": basis, "source": source})
    return pd.DataFrame(rows, columns=["parameter", "value", "basis", "source"])
