"""Specifications as data: the dimensions of the multiverse, their options and exclusions.

A multiverse (Steegen et al. 2016, doi:10.1177/1745691616658637; Simonsohn,
Simmons & Nelson 2020, doi:10.1038/s41562-020-0912-z) lists every defensible
way to analyse a claim.  Here the ways are *data*: the ``multiverse:`` section
of ``data/simulation.yaml`` (or of a user's codebook) names dimensions and
their options, each with a one-line justification and a source::

    multiverse:
      draws: 500                      # null draws of the joint test
      dimensions:
        genotype:
          drd4_7r_carrier: "at least one 7R allele, as published"  # convention: source
          drd4_long: {why: "any allele >= 6R", source: "Pappa et al. 2015"}
        outliers:
          none: "every respondent"    # convention: source
          strict: {kind: studentized, threshold: 2.5, why: "...", source: "..."}
      exclude:
        long_is_carrier: "genotype=drd4_long & sample=common_drd4_alleles"  # chosen: why

An option is either a string (its justification; in the config the trailing
comment is the source, and the assumptions table shows both) or a mapping with
``why`` and ``source`` (required in a codebook), an optional ``kind`` (default:
the option's name) and the kind's parameters.  The kinds are the analysis
steps the package knows (:data:`KINDS`); user text never becomes code.
An exclusion is ``"dim=option & dim=option"`` or ``{when: {dim: option},
why: ...}``: every specification matching all its pairs is dropped.

A dimension left out is not varied (:data:`BASELINE`).  Which options apply
to which claim is fixed by their meaning: genotype codings by locus, Keller's
covariate-interaction sets only to the Study 2 interaction models, ``loci``
only to Study 1 (see :func:`applicable_options`).

Examples
--------
>>> grid = SpecGrid.from_mapping({"dimensions": {"se": {"ols": "classic", "HC3": "robust"}}},
...     where="example", sources={("se", "ols"): "Hayes 2022", ("se", "HC3"): "Long & Ervin 2000"})
>>> [o.name for o in grid.dimensions["se"]]
['ols', 'HC3']
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .._errors import InputError

__all__ = ["KINDS", "DIMENSIONS", "BASELINE", "Option", "Exclusion", "SpecGrid",
           "applicable_options", "enumerate_specs", "default_grid"]

#: dimension -> kind -> default parameters
KINDS: dict[str, dict[str, dict]] = {
    "genotype": {"drd4_7r_carrier": {}, "drd4_long": {}, "drd4_7r_count": {},
                 "drd2_a1_carrier": {}, "drd2_a1_count": {}, "drd2_a1a1": {}},
    "scoring": {"codebook_rule": {}, "all_answered": {}, "answered_share": {"share": 0.5},
                "without_reworded": {}},
    "covariates": {"none": {}, "codebook": {}, "keller_gene": {}, "keller_full": {}},
    "se": {"ols": {}, "HC0": {}, "HC1": {}, "HC2": {}, "HC3": {}, "HC4": {}},
    "outliers": {"none": {}, "studentized": {"threshold": 3.0},
                 "winsorize": {"lower": 0.01, "upper": 0.99}},
    "sample": {"all": {}, "common_drd4_alleles": {"min_frequency": 0.05}},
    "loci": {"both": {}, "single": {}},
}
DIMENSIONS = tuple(KINDS)
#: the option used for a dimension the multiverse does not vary (genotype: the claim's carrier coding)
BASELINE = {"scoring": "codebook_rule", "covariates": "none", "se": "ols", "outliers": "none",
            "sample": "all", "loci": "both"}
#: genotype kind -> locus
GENE_OF = {"drd4_7r_carrier": "DRD4", "drd4_long": "DRD4", "drd4_7r_count": "DRD4",
           "drd2_a1_carrier": "DRD2", "drd2_a1_count": "DRD2", "drd2_a1a1": "DRD2"}
CARRIER_KIND = {"DRD4": "drd4_7r_carrier", "DRD2": "drd2_a1_carrier"}
_TOP = ("draws", "dimensions", "exclude")
_OPTION_META = ("why", "source", "kind")
_MAX_OPTIONS = 50
_MAX_DRAWS = 100_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One option of a dimension: a name, what it does (``kind`` + ``params``), why, source."""

    dimension: str
    name: str
    kind: str
    params: Mapping = field(default_factory=dict)
    why: str = ""
    source: str = ""

    def param(self, key: str) -> float:
        return float(self.params.get(key, KINDS[self.dimension][self.kind][key]))

    def to_dict(self) -> dict:
        return {"dimension": self.dimension, "option": self.name, "kind": self.kind,
                **{k: self.params[k] for k in sorted(self.params)}, "why": self.why,
                "source": self.source}


@dataclass(frozen=True, slots=True, kw_only=True)
class Exclusion:
    """Specifications matching every ``dimension = option`` pair are dropped."""

    name: str
    when: tuple[tuple[str, str], ...]
    why: str = ""

    def matches(self, spec: Mapping) -> bool:
        return all(spec.get(d) == o for d, o in self.when)


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecGrid:
    """The checked multiverse: dimensions (ordered) -> options, exclusions, draws.

    ``user_defined`` is True for a codebook's own section: an option that
    cannot apply to the data is then an error, not a note.
    """

    dimensions: Mapping
    exclusions: tuple[Exclusion, ...] = ()
    draws: int = 500
    where: str = ""
    user_defined: bool = False

    @classmethod
    def from_mapping(cls, data, *, where: str, sources: Mapping | None = None,
                     user_defined: bool = False, default_draws: int = 500) -> SpecGrid:
        """Check a ``multiverse:`` mapping; ``sources`` maps (dimension, option) to the
        config comment that serves as the source of a string option."""
        if not isinstance(data, Mapping):
            raise InputError(f"{where}: the multiverse section must be a mapping with "
                             "'dimensions' (and optionally 'draws', 'exclude')")
        unknown = [str(k) for k in data if k not in _TOP]
        if unknown:
            raise InputError(f"{where}: unknown multiverse key(s) {', '.join(unknown)} "
                             f"(allowed: {', '.join(_TOP)})")
        dims = data.get("dimensions")
        if not isinstance(dims, Mapping) or not dims:
            raise InputError(f"{where}: multiverse.dimensions must map dimension names "
                             f"({', '.join(DIMENSIONS)}) to their options")
        parsed = {str(d): _parse_dimension(str(d), opts, where, sources or {}, user_defined)
                  for d, opts in dims.items()}
        grid = cls(dimensions=parsed, draws=_draws(data.get("draws", default_draws), where),
                   where=where, user_defined=user_defined)
        excl = tuple(_parse_exclusion(str(k), v, grid, where)
                     for k, v in _mapping(data.get("exclude", {}), "exclude", where).items())
        return cls(dimensions=parsed, exclusions=excl, draws=grid.draws, where=where,
                   user_defined=user_defined)

    def option(self, dimension: str, name: str) -> Option:
        for opt in self.dimensions.get(dimension, ()):
            if opt.name == name:
                return opt
        raise KeyError((dimension, name))

    def options_frame(self):
        """Every option with its justification and source (the report's legend)."""
        import pandas as pd
        return pd.DataFrame([o.to_dict() for opts in self.dimensions.values() for o in opts])


def _mapping(value, key: str, where: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: multiverse.{key} must be a mapping")
    return value


def _draws(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_DRAWS:
        raise InputError(f"{where}: multiverse.draws must be a whole number from 0 to "
                         f"{_MAX_DRAWS}, got {value!r}")
    return int(value)


def _parse_dimension(dim: str, options, where: str, sources: Mapping,
                     user_defined: bool) -> tuple[Option, ...]:
    if dim not in KINDS:
        raise InputError(f"{where}: unknown multiverse dimension {dim!r} "
                         f"(known: {', '.join(DIMENSIONS)})")
    options = _mapping(options, f"dimensions.{dim}", where)
    if not options or len(options) > _MAX_OPTIONS:
        raise InputError(f"{where}: multiverse dimension {dim!r} needs 1 to {_MAX_OPTIONS} options")
    return tuple(_parse_option(dim, str(name), spec, where, sources.get((dim, str(name)), ""),
                               user_defined) for name, spec in options.items())


def _parse_option(dim: str, name: str, spec, where: str, comment: str,
                  user_defined: bool) -> Option:
    label = f"{where}: multiverse option {dim}.{name}"
    if isinstance(spec, str) and not user_defined:
        spec = {"why": spec, "source": comment}
    if not isinstance(spec, Mapping):
        raise InputError(f"{label} must be a mapping with 'why' and 'source' "
                         "(a one-line justification and where it comes from)")
    kind = str(spec.get("kind", name))
    if kind not in KINDS[dim]:
        raise InputError(f"{label}: unknown kind {kind!r} for dimension {dim!r} "
                         f"(known: {', '.join(KINDS[dim])})")
    why, source = spec.get("why"), spec.get("source")
    if not (isinstance(why, str) and why.strip() and isinstance(source, str) and source.strip()):
        raise InputError(f"{label} needs a one-line 'why' and a 'source'")
    params = {}
    for key, value in spec.items():
        if key in _OPTION_META:
            continue
        if key not in KINDS[dim][kind]:
            raise InputError(f"{label}: unknown parameter {key!r} for kind {kind!r}"
                             + (f" (known: {', '.join(KINDS[dim][kind])})" if KINDS[dim][kind]
                                else " (it takes none)"))
        params[str(key)] = _parameter(kind, str(key), value, label)
    return Option(dimension=dim, name=name, kind=kind, params=params, why=why.strip(),
                  source=source.strip())


def _parameter(kind: str, key: str, value, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{label}: parameter {key!r} must be a number, got {value!r}")
    value = float(value)
    ok = {"threshold": value > 0, "share": 0 < value <= 1, "min_frequency": 0 < value < 0.5,
          "lower": 0 <= value < 0.5, "upper": 0.5 < value <= 1}[key]
    if not ok:
        raise InputError(f"{label}: parameter {key!r} = {value:g} is out of range")
    return value


def _parse_exclusion(name: str, spec, grid: SpecGrid, where: str) -> Exclusion:
    label = f"{where}: multiverse exclusion {name!r}"
    why = ""
    if isinstance(spec, str):
        pairs = [part.strip().split("=", 1) for part in spec.split("&")]
    elif isinstance(spec, Mapping) and isinstance(spec.get("when"), Mapping):
        pairs = [[str(k), str(v)] for k, v in spec["when"].items()]
        why = str(spec.get("why", ""))
    else:
        raise InputError(f"{label} must be 'dimension=option & ...' or a mapping with 'when'")
    when = []
    for pair in pairs:
        if len(pair) != 2 or not pair[0].strip() or not pair[1].strip():
            raise InputError(f"{label}: {'='.join(pair)!r} is not 'dimension=option'")
        dim, opt = pair[0].strip(), pair[1].strip()
        if dim not in grid.dimensions:
            raise InputError(f"{label}: unknown dimension {dim!r} (the multiverse has "
                             f"{', '.join(grid.dimensions)})")
        if opt not in {o.name for o in grid.dimensions[dim]}:
            raise InputError(f"{label}: dimension {dim!r} has no option {opt!r}")
        when.append((dim, opt))
    return Exclusion(name=name, when=tuple(when), why=why)


# ------------------------------------------------------------------ applicability
def applicable_options(grid: SpecGrid, *, study: int, gene: str) -> dict[str, tuple[Option, ...]]:
    """Options of each dimension that make sense for one model (fixed by their meaning).

    * ``genotype``: codings of the model's locus only; if none is listed, the
      carrier coding of the published claims.
    * ``covariates``: Keller's covariate x gene / covariate x style sets guard an
      *interaction* (Keller 2014); in a Study 1 main-effect model they would
      change what the gene coefficient means, so they apply to Study 2 only.
    * ``loci``: both loci in one model vs one at a time: Study 1 only.

    A dimension not in the grid gets its :data:`BASELINE` option.
    """
    out = {}
    for dim in DIMENSIONS:
        opts = tuple(grid.dimensions.get(dim, ()))
        if dim == "genotype":
            opts = tuple(o for o in opts if GENE_OF[o.kind] == gene)
            if not opts:
                kind = CARRIER_KIND[gene]
                opts = (Option(dimension=dim, name=kind, kind=kind, why="the published coding",
                               source="Verbeke et al. 2014"),)
        elif dim == "covariates" and study == 1:
            opts = tuple(o for o in opts if o.kind in ("none", "codebook"))
        elif dim == "loci" and study == 2:
            opts = ()
        if not opts and not (dim == "loci" and study == 2):
            kind = BASELINE[dim]
            opts = (Option(dimension=dim, name=kind, kind=kind, why="not varied",
                           source="baseline"),)
        out[dim] = opts
    return out


def enumerate_specs(options: Mapping, exclusions=()) -> list[dict]:
    """Every combination of the options (one dict ``dimension -> option name`` each),
    minus those an exclusion matches.  Dimensions with no options are left out.

    >>> from analysis.study.specgrid import Option
    >>> opts = {"se": (Option(dimension="se", name="ols", kind="ols"),
    ...                Option(dimension="se", name="HC3", kind="HC3"))}
    >>> enumerate_specs(opts)
    [{'se': 'ols'}, {'se': 'HC3'}]
    """
    dims = [d for d, opts in options.items() if opts]
    specs = []
    for combo in itertools.product(*(options[d] for d in dims)):
        spec = {d: o.name for d, o in zip(dims, combo)}
        if not any(e.matches(spec) for e in exclusions):
            specs.append(spec)
    return specs


def default_grid(config) -> SpecGrid:
    """The ``multiverse:`` section of the simulation config, its comments as sources."""
    data = config.to_dict().get("multiverse")
    where = getattr(config, "path", None) or "the simulation config"
    if data is None:
        raise InputError(f"{where}: no multiverse section")
    return SpecGrid.from_mapping(data, where=str(where), sources=_config_sources(config))


def _config_sources(config) -> dict:
    from .config import _comments_by_path

    comments, _ = _comments_by_path(getattr(config, "text", None) or "")
    return {(path[2], path[3]): text for path, text in comments.items()
            if len(path) == 4 and path[:2] == ("multiverse", "dimensions")}
