"""The codebook: a YAML file mapping the user's columns to the study's roles.

A codebook says which column is the respondent id, which items (or ready
scores) measure customer orientation (CO), sales orientation (SO) and the
secure / anxious / avoidant attachment scales, which items are reverse-keyed,
each scale's response range, the missing-value codes, the DRD2 and DRD4
genotype columns and the covariates.  Example (``data/examples/codebook.yaml``)::

    source: "Simulated example survey (not real people)"
    id: ResponseId
    missing_codes: [-9, 99]             # or {all: [-9], Q1_3: [0]}
    min_group_size: 10
    scales:
      CO: {items: [Q1_1, Q1_2, Q1_3], min: 1, max: 9, min_answered: 0.5}
      SO: {items: [Q2_1, Q2_2], reverse: [Q2_2], min: 1, max: 9}
      avoidant: {score: avoid_mean}     # a ready-made score instead of items
    genotypes:
      DRD2: {column: DRD2_Taq1A}        # format: alleles (default) or carrier
      DRD4: {column: drd4_7r, format: carrier}
    covariates: [age, gender]
    models:                             # optional: your own hypotheses, judged by analyze
      - {id: H1, outcome: SO, focal: avoidant, moderator: drd4_7r_carrier, se: HC3,
         prediction: positive}          # positive | negative | null (then sesoi: 0.3)

The file is read with :func:`analysis.io.safe_yaml.safe_load` only (no YAML tag
can run code; size, nesting depth, aliases and duplicate keys are bounded in
linear time before anything is built) and checked strictly: an unknown key, a wrong type or an impossible value is
an :class:`~analysis._errors.InputError` naming the key and the codebook file,
with a suggestion for misspelled keys.  Whether the columns exist in the data
is checked later, by :func:`analysis.io.validate.validate`, against the data file.

:func:`init_codebook` writes a commented starting codebook guessed from a
data file (item prefixes, variable labels, genotype-like columns), every
guess marked ``# guessed: check``.
"""
from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, field

from collections.abc import Mapping

from .._errors import InputError
from .safe_yaml import check_size, safe_load

__all__ = ["ANALYSIS_COLUMNS", "SCALES", "OUTCOMES", "ATTACHMENT", "LOCI", "ScaleSpec", "GenotypeSpec",
           "ModelSpec", "Codebook", "init_codebook", "GENOTYPE_CODINGS", "PREDICTIONS"]

OUTCOMES = ("CO", "SO")
ATTACHMENT = ("secure", "anxious", "avoidant")
SCALES = OUTCOMES + ATTACHMENT
LOCI = ("DRD2", "DRD4")
GENOTYPE_FORMATS = ("alleles", "carrier")
_TOP_KEYS = ("source", "id", "missing_codes", "min_group_size", "scales", "genotypes",
             "covariates", "reference", "multiverse", "models")
_SCALE_KEYS = ("items", "reverse", "min", "max", "min_answered", "score", "labels")
_GENO_KEYS = ("column", "format", "allele_map")
ANALYSIS_COLUMNS = ("id",) + SCALES + (
    "drd2_a1_carrier", "drd2_genotype", "drd2_a1_count", "drd4_7r_carrier", "drd4_7r_count")
GENOTYPE_CODINGS = ANALYSIS_COLUMNS[1 + len(SCALES):]
_MODEL_KEYS = ("id", "outcome", "focal", "moderator", "covariates", "se", "cluster",
               "prediction", "sesoi", "statement")
#: What a user's own hypothesis predicts about the focal x moderator interaction.
PREDICTIONS = ("positive", "negative", "null")
_SE_TYPES = ("ols", "HC0", "HC1", "HC2", "HC3", "HC4", "CR1", "CR2")
_MODEL_ID = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,39}")
_DEFAULT_MIN_GROUP = 10
_DEFAULT_MIN_ANSWERED = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleSpec:
    """One scale: either ``items`` (+ ``reverse``, ``min``, ``max``,
    ``min_answered``) or a ready ``score`` column."""

    name: str
    items: tuple[str, ...] = ()
    reverse: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    min_answered: float = _DEFAULT_MIN_ANSWERED
    score: str | None = None
    labels: dict = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.score,) if self.score is not None else self.items

    def code_of(self) -> dict:
        """Answer text (folded: stripped, lower case) -> code, from ``labels``
        (how a "choice text" export is read back into numbers)."""
        return {_fold(text): code for code, text in self.labels.items()}

    def to_dict(self) -> dict:
        if self.score is not None:
            return {"score": self.score}
        out = {"items": list(self.items), "reverse": list(self.reverse), "min": self.min,
               "max": self.max, "min_answered": self.min_answered}
        if self.labels:
            out["labels"] = dict(self.labels)
        return out


def _fold(text) -> str:
    return " ".join(str(text).split()).lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class GenotypeSpec:
    """One locus: its column, ``format`` (``alleles`` or ``carrier``) and an
    optional DRD2 ``allele_map`` (SNP letter -> A1/A2)."""

    locus: str
    column: str
    format: str = "alleles"
    allele_map: dict | None = None

    def to_dict(self) -> dict:
        out = {"column": self.column, "format": self.format}
        if self.allele_map:
            out["allele_map"] = dict(self.allele_map)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSpec:
    """One of the user's own hypotheses (the codebook's ``models:`` list).

    ``outcome``, ``focal``, ``moderator`` and ``covariates`` name a scale of the
    codebook (``CO``, ``avoidant``...), a genotype coding (``drd4_7r_carrier``...),
    a covariate or a column of the data (checked against the data by
    :func:`analysis.study.own_models.check_variables`).  ``prediction`` is about the
    ``focal x moderator`` interaction: ``positive``, ``negative`` or ``null`` (no
    interaction; then ``sesoi``, the smallest interaction of interest in raw units,
    decides equivalence).  ``se``: ``ols``, ``HC0``-``HC4``, or ``CR1``/``CR2`` with
    a ``cluster`` column (default ``CR2`` with a cluster, else ``ols``).
    """

    id: str
    outcome: str
    focal: str
    moderator: str
    prediction: str
    covariates: tuple[str, ...] = ()
    se: str = "ols"
    cluster: str | None = None
    sesoi: float | None = None
    statement: str | None = None

    @property
    def expected_sign(self) -> int:
        return {"positive": 1, "negative": -1, "null": 0}[self.prediction]

    @property
    def variables(self) -> tuple[tuple[str, str], ...]:
        """``(key, column)`` for every variable the model uses (the cluster included)."""
        out = [("outcome", self.outcome), ("focal", self.focal), ("moderator", self.moderator)]
        out += [("covariates", c) for c in self.covariates]
        return tuple(out + ([("cluster", self.cluster)] if self.cluster else []))

    def describe(self) -> str:
        """The hypothesis in words (the user's ``statement`` when given)."""
        if self.statement:
            return self.statement
        if self.prediction == "null":
            return (f"{self.moderator} does not moderate the effect of {self.focal} on "
                    f"{self.outcome} (no {self.focal} x {self.moderator} interaction).")
        return (f"The {self.focal} x {self.moderator} interaction on {self.outcome} is "
                f"{self.prediction}.")

    def to_dict(self) -> dict:
        out = {"id": self.id, "outcome": self.outcome, "focal": self.focal,
               "moderator": self.moderator, "covariates": list(self.covariates), "se": self.se,
               "prediction": self.prediction}
        out.update({k: v for k, v in (("cluster", self.cluster), ("sesoi", self.sesoi),
                                       ("statement", self.statement)) if v is not None})
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Codebook:
    """A checked codebook.  Build it with :meth:`load` or :meth:`from_dict`.

    Attributes
    ----------
    path : str or None
        The codebook file (used in messages).
    source : str or None
        Whose data these are (free text, shown in reports).
    id : str or None
        Respondent id column.
    scales : dict
        Scale name (``CO``, ``SO``, ``secure``, ``anxious``, ``avoidant``) ->
        :class:`ScaleSpec`; at least one of CO and SO.
    genotypes : dict
        ``DRD2``/``DRD4`` -> :class:`GenotypeSpec`; at least one.
    covariates : tuple of str
    reference : dict
        Covariate -> the value coded 0, for a two-valued text covariate (e.g.
        ``{gender: male}``); text covariates are coded by meaning, never
        alphabetically, so one without recognised carrier labels needs this.
    missing_codes : tuple
        Codes that mean "missing" in every column.
    column_missing_codes : dict
        Column -> extra codes for that column only.
    min_group_size : int
        Genotype groups smaller than this are flagged as unstable (default 10).

    Examples
    --------
    >>> cb = Codebook.from_dict({"scales": {"co": {"items": ["a", "b"], "min": 1, "max": 9}},
    ...                          "genotypes": {"drd4": {"column": "g"}}})
    >>> sorted(cb.scales), cb.genotypes["DRD4"].format, cb.min_group_size
    (['CO'], 'alleles', 10)
    """

    path: str | None = None
    source: str | None = None
    id: str | None = None
    scales: dict = field(default_factory=dict)
    genotypes: dict = field(default_factory=dict)
    covariates: tuple[str, ...] = ()
    reference: dict = field(default_factory=dict)
    missing_codes: tuple = ()
    column_missing_codes: dict = field(default_factory=dict)
    min_group_size: int = _DEFAULT_MIN_GROUP
    multiverse: dict | None = field(default=None, repr=False)
    models: tuple = ()  # ModelSpec: the user's own hypotheses, judged by analyze

    @classmethod
    def load(cls, path) -> Codebook:
        """Read and check a YAML codebook file (``yaml.safe_load`` only)."""
        path = os.fspath(path)
        return cls.from_dict(_load_yaml(path), path=path)

    @classmethod
    def from_dict(cls, data, *, path: str | None = None) -> Codebook:
        """Check a codebook given as a mapping (what the YAML file holds)."""
        if not isinstance(data, dict):
            raise InputError(f"the codebook must be a mapping of keys (source, id, scales, "
                             f"genotypes, ...), not a {_kind(data)}", file=path,
                             hint="See data/examples/codebook.yaml")
        data = {_key_text(k, path, "top level"): v for k, v in data.items()}
        _unknown_keys(data, _TOP_KEYS, "top level", path)
        scales = _parse_scales(data.get("scales"), path)
        genotypes = _parse_genotypes(data.get("genotypes"), path)
        global_codes, column_codes = _parse_missing(data.get("missing_codes"), path)
        book = cls(path=path, source=_optional_text(data.get("source"), "source", path),
                   id=_optional_column(data.get("id"), "id", path), scales=scales,
                   genotypes=genotypes,
                   covariates=_column_list(data.get("covariates"), "covariates", path),
                   reference=_parse_reference(data.get("reference"), path),
                   missing_codes=global_codes, column_missing_codes=column_codes,
                   min_group_size=_min_group(data.get("min_group_size"), path),
                   multiverse=_multiverse(data.get("multiverse"), path),
                   models=_parse_models(data.get("models"), path))
        _check_roles(book)
        return book

    def shared_items(self) -> dict[str, tuple[str, ...]]:
        """Item column -> the scales that list it, for items in two or more scales."""
        owners: dict[str, list[str]] = {}
        for name, spec in self.scales.items():
            for col in spec.items:
                owners.setdefault(col, []).append(name)
        return {c: tuple(s) for c, s in owners.items() if len(s) > 1}

    def roles(self) -> dict[str, str]:
        """Column -> role (``id``, ``CO item``, ``DRD2 genotype``, ``covariate`` ...)."""
        out = {}
        if self.id is not None:
            out[self.id] = "id"
        for name, spec in self.scales.items():
            for col in spec.columns:
                out[col] = f"{name} {'score' if spec.score is not None else 'item'}"
        for locus, spec in self.genotypes.items():
            out[spec.column] = f"{locus} genotype"
        for col in self.covariates:
            out[col] = "covariate"
        return out

    def sensitive_columns(self) -> set[str]:
        """Columns whose values must never appear in messages (genotypes, id)."""
        cols = {spec.column for spec in self.genotypes.values()}
        return cols | ({self.id} if self.id is not None else set())

    def missing_codes_for(self, column: str) -> tuple:
        return tuple(self.missing_codes) + tuple(self.column_missing_codes.get(column, ()))

    def to_dict(self) -> dict:
        """The codebook as plain data (JSON/YAML-safe)."""
        codes = list(self.missing_codes)
        missing = ({"all": codes, **{k: list(v) for k, v in self.column_missing_codes.items()}}
                   if self.column_missing_codes else codes)
        return {"source": self.source, "id": self.id, "missing_codes": missing,
                "min_group_size": self.min_group_size,
                "scales": {k: v.to_dict() for k, v in self.scales.items()},
                "genotypes": {k: v.to_dict() for k, v in self.genotypes.items()},
                "covariates": list(self.covariates),
                **({"reference": dict(self.reference)} if self.reference else {}),
                **({"models": [m.to_dict() for m in self.models]} if self.models else {})}

    def with_reference(self, reference: Mapping[str, str]) -> Codebook:
        """A copy whose ``reference`` levels are updated (e.g. from ``--reference``)."""
        from dataclasses import replace
        book = replace(self, reference={**self.reference, **{str(k): str(v) for k, v in
                                                             dict(reference or {}).items()}})
        _check_roles(book)
        return book


# ------------------------------------------------------------------ YAML
def _load_yaml(path: str):
    import yaml
    if os.path.isdir(path):
        raise InputError("is a folder, not a codebook file", file=path)
    if not os.path.isfile(path):
        raise InputError("codebook file not found", file=path,
                         hint="Write one with `salesgxe init-codebook DATA > codebook.yaml`")
    check_size(os.path.getsize(path), file=path, what="codebook")
    with open(path, "rb") as handle:  # read-only
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", file=path,
                         hint="Save the codebook as UTF-8") from None
    try:
        data = safe_load(text, file=path)  # bounded: size, depth, aliases, duplicate keys
    except yaml.constructor.ConstructorError as exc:
        raise InputError(f"uses a YAML tag that is not allowed{_where(exc)}", file=path,
                         hint="A codebook is plain YAML: tags such as !!python/... are refused "
                              "because they could run code") from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", "") or "invalid YAML").split())
        raise InputError(f"is not valid YAML: {problem}{_where(exc)}", file=path,
                         hint="Check indentation (spaces, not tabs) and colons") from None
    if data is None:
        raise InputError("the codebook is empty", file=path,
                         hint="Write one with `salesgxe init-codebook DATA`")
    return data


def _where(exc) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


# ------------------------------------------------------------------ schema helpers
def _kind(value) -> str:
    return {dict: "mapping", list: "list", str: "text", type(None): "empty value",
            bool: "true/false value"}.get(type(value), type(value).__name__)


def _key_text(key, path, where: str) -> str:
    if isinstance(key, bool) or key is None or not isinstance(key, (str, int)):
        raise InputError(f"{where}: key {key!r} is not a name", file=path,
                         hint="Quote keys such as yes/no/on/off, which YAML reads as true/false")
    return str(key)


def _unknown_keys(data: dict, allowed, where: str, path, *, fold: bool = False) -> None:
    for key in data:
        if key in allowed or (fold and key.lower() in {a.lower() for a in allowed}):
            continue
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
        folded = [a for a in allowed if a.lower() == key.lower()]
        guess = (folded or close)
        hint = (f"Did you mean {guess[0]!r}? " if guess else "") + \
            "Allowed keys: " + ", ".join(allowed)
        raise InputError(f"unknown key {key!r} in {where}", file=path, hint=hint)


def _column_name(value, where: str, path) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"{where}: expected a column name, got a {_kind(value)}", file=path,
                         hint="Quote names that YAML reads as numbers or true/false")
    text = str(value)
    if not text.strip():
        raise InputError(f"{where}: empty column name", file=path)
    return text


def _column_list(value, where: str, path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        value = [value] if isinstance(value, (str, int)) and not isinstance(value, bool) else value
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list of column names, got a {_kind(value)}",
                         file=path, hint="Write [col1, col2] or one name per '- ' line")
    names = tuple(_column_name(v, where, path) for v in value)
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise InputError(f"{where}: column(s) listed twice: {', '.join(map(repr, dups))}",
                         file=path)
    return names


def _parse_reference(value, path) -> dict:
    """``reference: {column: value coded 0}`` for two-valued text covariates."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"reference: expected a mapping such as {{gender: male}}, got a "
                         f"{_kind(value)}", file=path)
    out = {}
    for k, v in value.items():
        if isinstance(v, (dict, list)) or v is None:
            raise InputError(f"reference: the value coded 0 for {k!r} must be text", file=path)
        out[_column_name(k, "reference", path)] = str(v)
    return out


def _optional_column(value, where: str, path) -> str | None:
    return None if value is None else _column_name(value, where, path)


def _optional_text(value, where: str, path) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise InputError(f"{where}: expected text, got a {_kind(value)}", file=path)
    return str(value)


def _number(value, where: str, path) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: expected a finite number, got {value!r}", file=path)
    return float(value)


def _min_group(value, path) -> int:
    if value is None:
        return _DEFAULT_MIN_GROUP
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise InputError(f"min_group_size must be a whole number of at least 2, got {value!r}",
                         file=path)
    return int(value)


# ------------------------------------------------------------------ sections
def _canonical(name: str, allowed, where: str, path) -> str:
    for a in allowed:
        if name.lower() == a.lower():
            return a
    _unknown_keys({name: None}, allowed, where, path)
    raise AssertionError("unreachable")  # pragma: no cover


def _parse_scales(value, path) -> dict:
    if not isinstance(value, dict) or not value:
        raise InputError("the codebook needs a 'scales' mapping with at least CO or SO",
                         file=path, hint="E.g. scales: {CO: {items: [co1, co2], min: 1, max: 9}}")
    out = {}
    for raw_name, spec in value.items():
        name = _canonical(_key_text(raw_name, path, "scales"), SCALES, "scales", path)
        if name in out:
            raise InputError(f"scale {name} is defined twice", file=path)
        out[name] = _parse_scale(name, spec, path)
    if not set(out) & set(OUTCOMES):
        raise InputError("the codebook defines no outcome scale: give CO and/or SO", file=path)
    return out


def _parse_scale(name: str, spec, path) -> ScaleSpec:
    where = f"scales.{name}"
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a mapping with 'items' or 'score', got a "
                         f"{_kind(spec)}", file=path)
    spec = {_key_text(k, path, where): v for k, v in spec.items()}
    _unknown_keys(spec, _SCALE_KEYS, where, path)
    if ("score" in spec) == ("items" in spec):
        raise InputError(f"{where}: give either 'items' (a list of columns) or 'score' (one "
                         "column), not both and not neither", file=path)
    if "score" in spec:
        extra = [k for k in spec if k != "score"]
        if extra:
            raise InputError(f"{where}: {', '.join(extra)} only apply to items, not to a "
                             "ready score", file=path)
        return ScaleSpec(name=name, score=_column_name(spec["score"], f"{where}.score", path))
    return _item_scale(name, spec, where, path)


def _item_scale(name: str, spec: dict, where: str, path) -> ScaleSpec:
    items = _column_list(spec["items"], f"{where}.items", path)
    if not items:
        raise InputError(f"{where}.items is empty", file=path)
    reverse = _column_list(spec.get("reverse"), f"{where}.reverse", path)
    stray = [r for r in reverse if r not in items]
    if stray:
        raise InputError(f"{where}.reverse lists {', '.join(map(repr, stray))}, which is not "
                         f"among the scale's items", file=path)
    if "min" not in spec or "max" not in spec:
        raise InputError(f"{where}: 'min' and 'max' (the response range, e.g. 1 and 9) are "
                         "required with items", file=path)
    low, high = _number(spec["min"], f"{where}.min", path), _number(spec["max"], f"{where}.max",
                                                                     path)
    if not low < high:
        raise InputError(f"{where}: min ({low:g}) must be below max ({high:g})", file=path)
    share = spec.get("min_answered", _DEFAULT_MIN_ANSWERED)
    share = _number(share, f"{where}.min_answered", path)
    if not 0 < share <= 1:
        raise InputError(f"{where}.min_answered must be a share in (0, 1], got {share:g}",
                         file=path, hint="0.5 means a score needs at least half the items")
    return ScaleSpec(name=name, items=items, reverse=reverse, min=low, max=high,
                     min_answered=share, labels=_answer_labels(spec.get("labels"), where, path))


def _answer_labels(value, where: str, path) -> dict:
    """``labels: {1: Strongly disagree, ..., 7: Strongly agree}``: code -> answer text."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise InputError(f"{where}.labels must map answer codes to answer texts, got a "
                         f"{_kind(value)}", file=path,
                         hint="E.g. labels: {1: Strongly disagree, 7: Strongly agree}")
    out, seen = {}, {}
    for code, text in value.items():
        code = _number(code, f"{where}.labels (code {code!r})", path)
        if isinstance(text, (dict, list)) or text is None or not str(text).strip():
            raise InputError(f"{where}.labels: code {code:g} needs an answer text", file=path)
        folded = _fold(text)
        if folded in seen:
            raise InputError(f"{where}.labels: the text {str(text)!r} is given to codes "
                             f"{seen[folded]:g} and {code:g}", file=path)
        seen[folded] = code
        out[int(code) if code.is_integer() else code] = str(text)
    return out


def _parse_genotypes(value, path) -> dict:
    if not isinstance(value, dict) or not value:
        raise InputError("the codebook needs a 'genotypes' mapping with DRD2 and/or DRD4",
                         file=path, hint="E.g. genotypes: {DRD4: {column: drd4_vntr}}")
    out = {}
    for raw, spec in value.items():
        locus = _canonical(_key_text(raw, path, "genotypes"), LOCI, "genotypes", path)
        where = f"genotypes.{locus}"
        if isinstance(spec, (str, int)) and not isinstance(spec, bool):
            spec = {"column": spec}
        if not isinstance(spec, dict):
            raise InputError(f"{where}: expected a mapping with 'column', got a {_kind(spec)}",
                             file=path)
        spec = {_key_text(k, path, where): v for k, v in spec.items()}
        _unknown_keys(spec, _GENO_KEYS, where, path)
        if "column" not in spec:
            raise InputError(f"{where}: 'column' is required", file=path)
        fmt = spec.get("format", "alleles")
        if fmt not in GENOTYPE_FORMATS:
            raise InputError(f"{where}.format must be 'alleles' or 'carrier', got {fmt!r}",
                             file=path, hint="alleles: genotype calls such as A1/A2 or 4R/7R; "
                                             "carrier: a pre-coded 0/1 column")
        out[locus] = GenotypeSpec(locus=locus, column=_column_name(spec["column"],
                                                                   f"{where}.column", path),
                                  format=fmt, allele_map=_allele_map(spec, locus, where, path))
    return out


def _allele_map(spec: dict, locus: str, where: str, path) -> dict | None:
    amap = spec.get("allele_map")
    if amap is None:
        return None
    if locus != "DRD2" or not isinstance(amap, dict):
        raise InputError(f"{where}.allele_map is a DRD2-only mapping of two letters to A1/A2",
                         file=path, hint="E.g. allele_map: {A: A1, G: A2}")
    clean = {str(k).strip().upper(): str(v).strip().upper() for k, v in amap.items()}
    if len(clean) != 2 or sorted(clean.values()) != ["A1", "A2"]:
        raise InputError(f"{where}.allele_map must map two letters to A1 and A2", file=path,
                         hint="E.g. allele_map: {A: A1, G: A2}")
    return clean


def _codes(value, where: str, path) -> tuple:
    items = value if isinstance(value, list) else [value]
    out = []
    for v in items:
        if isinstance(v, bool) or v is None or not isinstance(v, (int, float, str)):
            raise InputError(f"{where}: missing-value codes must be numbers or text, got "
                             f"{v!r}", file=path, hint="Quote codes such as 'NA' or 'no'")
        out.append(v)
    return tuple(out)


def _parse_missing(value, path) -> tuple[tuple, dict]:
    if value is None:
        return (), {}
    if not isinstance(value, dict):
        return _codes(value, "missing_codes", path), {}
    per_column = {}
    global_codes: tuple = ()
    for key, codes in value.items():
        key = _key_text(key, path, "missing_codes")
        if key == "all":
            global_codes = _codes(codes, "missing_codes.all", path)
        else:
            per_column[key] = _codes(codes, f"missing_codes.{key}", path)
    return global_codes, per_column


def _multiverse(value, path) -> dict | None:
    """A user's own multiverse section, checked now (analysis.study.specgrid; options need
    'why' and 'source')."""
    if value is None:
        return None
    from ..study.specgrid import SpecGrid
    SpecGrid.from_mapping(value, where=f"codebook {path or ''}".strip(), user_defined=True)
    return value


def _parse_models(value, path) -> tuple:
    """The ``models:`` list: each entry a mapping of :data:`_MODEL_KEYS` (a checked
    :class:`ModelSpec`); ids unique and distinct from the paper's claim ids."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise InputError(f"models: expected a list of models (each with id, outcome, focal, "
                         f"moderator, prediction), got a {_kind(value)}", file=path,
                         hint="E.g. models: [{id: H1, outcome: SO, focal: drd4_7r_carrier, "
                              "moderator: anxious, prediction: positive}]")
    from ..study.claims import CLAIMS
    paper = {c.id.lower(): c.id for c in CLAIMS}
    seen: dict[str, str] = {}
    out = []
    for i, entry in enumerate(value, start=1):
        spec = _parse_model(entry, i, path)
        key = spec.id.lower()
        if key in paper:
            raise InputError(f"models.{spec.id}.id: {spec.id!r} is the id of the paper's claim "
                             f"{paper[key]}; give your hypothesis an id of its own", file=path,
                             hint="E.g. H1, H2: your hypotheses are reported beside the "
                                  "paper's claims, never in their place")
        if key in seen:
            raise InputError(f"models.{spec.id}.id: {spec.id!r} is used by two models",
                             file=path, hint="Each model needs its own id")
        seen[key] = spec.id
        out.append(spec)
    return tuple(out)


def _parse_model(entry, i: int, path) -> ModelSpec:
    if not isinstance(entry, dict):
        raise InputError(f"models[{i}]: expected a mapping (id, outcome, focal, moderator, "
                         f"prediction, ...), got a {_kind(entry)}", file=path)
    entry = {_key_text(k, path, f"models[{i}]"): v for k, v in entry.items()}
    ident = entry.get("id")
    if isinstance(ident, bool) or not isinstance(ident, (str, int)) or \
            not _MODEL_ID.fullmatch(str(ident)):
        raise InputError(f"models[{i}].id: expected a short name (a letter, then letters, "
                         f"digits, '_', '.', '-'; at most 40), got {ident!r}", file=path,
                         hint="E.g. id: H1")
    where = f"models.{ident}"
    _unknown_keys(entry, _MODEL_KEYS, where, path)
    names = {}
    for key in ("outcome", "focal", "moderator"):
        if entry.get(key) is None:
            raise InputError(f"{where}.{key} is required (a scale, genotype coding or column)",
                             file=path)
        names[key] = _column_name(entry[key], f"{where}.{key}", path)
    if len(set(names.values())) < 3:
        raise InputError(f"{where}: outcome, focal and moderator must be three different "
                         "variables", file=path)
    covs = _column_list(entry.get("covariates"), f"{where}.covariates", path)
    clash = [c for c in covs if c in names.values()]
    if clash:
        raise InputError(f"{where}.covariates: {clash[0]!r} is already the model's "
                         f"{next(k for k, v in names.items() if v == clash[0])}", file=path)
    se, cluster = _model_se(entry, where, path)
    prediction, sesoi = _model_prediction(entry, where, path)
    return ModelSpec(id=str(ident), **names, covariates=covs, se=se, cluster=cluster,
                     prediction=prediction, sesoi=sesoi,
                     statement=_optional_text(entry.get("statement"), f"{where}.statement", path))


def _model_se(entry: dict, where: str, path) -> tuple[str, str | None]:
    cluster = _optional_column(entry.get("cluster"), f"{where}.cluster", path)
    raw = entry.get("se")
    if raw is None:
        return ("CR2" if cluster else "ols"), cluster
    folded = {s.lower(): s for s in _SE_TYPES}
    if not isinstance(raw, str) or raw.strip().lower() not in folded:
        raise InputError(f"{where}.se must be one of {', '.join(_SE_TYPES)}, got {raw!r}",
                         file=path)
    se = folded[raw.strip().lower()]
    if se in ("CR1", "CR2") and cluster is None:
        raise InputError(f"{where}.se {se} needs a cluster column ({where}.cluster)", file=path)
    if cluster is not None and se not in ("CR1", "CR2"):
        raise InputError(f"{where}.se {se} ignores the clusters of {where}.cluster "
                         f"({cluster!r}); use CR1 or CR2 (default CR2)", file=path)
    return se, cluster


def _model_prediction(entry: dict, where: str, path) -> tuple[str, float | None]:
    if "prediction" not in entry:
        raise InputError(f"{where}.prediction is required: positive, negative or null (the "
                         "sign of the focal x moderator interaction)", file=path)
    raw = entry["prediction"]
    pred = "null" if raw is None else str(raw).strip().lower()
    pred = "null" if pred in ("none", "no effect") else pred
    if isinstance(raw, (bool, dict, list)) or pred not in PREDICTIONS:
        raise InputError(f"{where}.prediction must be positive, negative or null, got {raw!r}",
                         file=path)
    sesoi = entry.get("sesoi")
    if pred != "null":
        if sesoi is not None:
            raise InputError(f"{where}.sesoi only applies to prediction: null (equivalence "
                             "of a predicted absence)", file=path)
        return pred, None
    if sesoi is None:
        raise InputError(f"{where}.sesoi is required with prediction: null: the smallest "
                         "interaction of interest in raw units (outcome points per unit of "
                         "focal x moderator)", file=path,
                         hint="Without it no absence of an effect could ever be shown")
    value = _number(sesoi, f"{where}.sesoi", path)
    if value <= 0:
        raise InputError(f"{where}.sesoi must be positive, got {value:g}", file=path)
    return pred, value


def _check_roles(book: Codebook) -> None:
    """A column plays one role only (a reverse item stays an item of its scale)."""
    seen: dict[str, str] = {}
    entries = [(book.id, "id")] if book.id is not None else []
    for name, spec in book.scales.items():
        entries += [(c, f"scale {name}") for c in spec.columns]
    entries += [(s.column, f"{s.locus} genotype") for s in book.genotypes.values()]
    entries += [(c, "covariates") for c in book.covariates]
    for col, role in entries:
        if col in seen and seen[col].startswith("scale ") and role.startswith("scale "):
            continue  # an item in two scales: allowed, validate warns about it
        if col in seen and seen[col] != role:
            raise InputError(f"column {col!r} is used twice: in {seen[col]} and in {role}",
                             file=book.path, hint="Each column can play one role only")
        seen[col] = role
    stray = sorted(set(book.reference) - set(book.covariates))
    if stray:
        raise InputError(f"reference: {stray[0]!r} is not a covariate", file=book.path,
                         hint="reference levels apply to the columns listed under covariates")
    clash = [c for c in book.covariates if c in ANALYSIS_COLUMNS]
    if clash:
        raise InputError(f"covariate name(s) {', '.join(map(repr, clash))} clash with the "
                         "analysis columns", file=book.path,
                         hint="Rename the column in the data file")


# ------------------------------------------------------------------ init-codebook
def init_codebook(dataset) -> str:
    """A commented starting codebook (YAML text) guessed from a data set.

    Guesses the id column, genotype columns (names such as drd2/taq1a/
    rs1800497/ankk1 and drd4/vntr/7r, values that parse as genotypes, or
    SPSS/Stata value labels that do), covariates (age, gender, tenure...),
    missing-value codes (codes such as -9 or 99 outside the answer range) and
    the candidate scales of :func:`analysis.io.scaleguess.propose_scales` (name
    stems, correlation clustering, labels; reverse keys from loadings and
    label cues; role names where labels or names allow; one-item groups
    flagged, never proposed).  Response ranges come from value labels, else
    the observed answers.  Every guess is marked ``# guessed: check`` and says
    how sure it is; candidate scales without a role are written as commented
    blocks to be named.  The text is built line by line so the comments
    survive; it loads with :meth:`Codebook.load` once the guesses are complete.

    >>> import pandas as pd
    >>> from analysis.io.readers import Dataset
    >>> df = pd.DataFrame({"id": [1, 2, 3], "co_1": [1, 5, 9], "co_2": [2, 6, 8],
    ...                    "drd4": ["4/7", "4/4", "2/4"]})
    >>> text = init_codebook(Dataset.from_frame(df))
    >>> cb = Codebook.from_dict(__import__("yaml").safe_load(text))
    >>> cb.id, cb.scales["CO"].items, cb.genotypes["DRD4"].column
    ('id', ('co_1', 'co_2'), 'drd4')
    """
    frame = dataset.frame
    geno = _guess_genotypes(frame, dataset.value_labels)
    taken = {g["column"] for g in geno.values()}
    ident = _guess_id(frame, taken)
    taken |= {ident} if ident else set()
    covs = _guess_covariates(frame, taken)
    taken |= {c for c, _ in covs}
    guesses, codes = _guess_scales(dataset, taken)
    lines = _header_lines(dataset) + _id_lines(ident) + _missing_lines(dataset, codes)
    lines += ["min_group_size: 10  # genotype groups smaller than this are flagged unstable", ""]
    lines += (_scale_lines(guesses) + _genotype_lines(geno) + _covariate_lines(covs)
              + _reference_lines(frame, covs))
    return "\n".join(lines) + "\n"


_GUESS = "# guessed: check"
_DRD2_NAME = re.compile(r"drd2|taq\s*1?\s*a|taqia|rs1800497|ankk1", re.I)
_DRD4_NAME = re.compile(r"drd4|vntr|48\s*bp|(^|[^0-9])7r|exon\s*(3|iii)", re.I)
_ID_NAME = re.compile(r"^(id|.*[_\W]id|id[_\W].*|responseid|respondent.*|participant.*|"
                      r"subject.*|case.*|pid|record.*|resp.*id)$", re.I)
_COVARIATE_NAME = re.compile(r"^(age|gender|sex|tenure|experience|education|income|"
                             r"years.*|.*_age|age_.*)$", re.I)
_COMMON_CODES = (-999, -99, -98, -97, -9, -8, -7, 77, 88, 98, 99, 777, 888, 999)


def _q(text) -> str:
    """``text`` as a YAML double-quoted scalar on one line (safe for any name)."""
    import yaml
    dumped = yaml.safe_dump(str(text), default_style='"', allow_unicode=True, width=10 ** 9)
    return dumped.split("\n...")[0].strip()


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _is_numeric(col) -> bool:
    import pandas as pd
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _parses(values, locus: str) -> bool:
    from ..measures.genotypes import parse_genotypes
    try:
        parsed = parse_genotypes(values, locus)
    except (InputError, ValueError, TypeError):
        return False
    return int(parsed["allele1"].notna().sum()) >= 1


def _carrier_like(values) -> bool:
    from ..measures.genotypes import parse_carrier
    try:
        return int(parse_carrier(values).notna().sum()) >= 1
    except (InputError, ValueError, TypeError):
        return False


def _labelled_values(values, labels: dict | None):
    """A numeric column read through its value labels (codes without a label kept)."""
    if not labels or not _is_numeric(values):
        return values
    mapping = {float(k): str(v) for k, v in labels.items() if isinstance(k, (int, float))}
    num = values.astype(float)
    return num.map(mapping).where(num.isin(list(mapping)) | num.isna(), num).astype(object)


def _guess_genotypes(frame, value_labels: dict | None = None) -> dict:
    found: dict = {}
    value_labels = value_labels or {}
    for col in frame.columns:
        values = _labelled_values(frame[col], value_labels.get(col))
        for locus, pattern in (("DRD2", _DRD2_NAME), ("DRD4", _DRD4_NAME)):
            if locus in found:
                continue
            by_name = bool(pattern.search(str(col)))
            text = not _is_numeric(values)
            source = "value labels" if col in value_labels else "values"
            if text and _parses(values, locus) and (by_name or not _carrier_like(values)):
                found[locus] = {"column": col, "format": "alleles",
                                "why": f"name and {source}" if by_name
                                else f"{source} parse as genotypes"}
            elif by_name and _carrier_like(values):
                found[locus] = {"column": col, "format": "carrier",
                                "why": "name; carrier value labels" if col in value_labels
                                else "name; 0/1 values"}
            if locus in found and found[locus]["column"] == col:
                break
    return found


def _guess_id(frame, taken: set) -> str | None:
    for col in frame.columns:
        if col in taken or not _ID_NAME.match(str(col)):
            continue
        values = frame[col]
        if values.notna().all() and values.is_unique:
            return col
    return None


def _guess_scales(dataset, taken: set) -> tuple[list, set]:
    """(candidate scales with their ranges, missing-value codes found)."""
    from .scaleguess import propose_scales, rating_items
    frame, texts = _coded_answers(dataset.frame, taken)
    codes: set = set()
    for col in frame.columns:
        if col in taken or col in texts or not _is_numeric(frame[col]):
            continue
        found = _item_codes(frame[col].to_numpy(dtype=float, na_value=float("nan")))
        if found and rating_items(frame[[col]], codes=found):
            codes |= found
    labels = {str(k): str(v) for k, v in dataset.column_labels.items() if v}
    guesses = propose_scales(frame, labels=labels, exclude=taken, codes=sorted(codes))
    return [(g, _group_range(dataset, g, texts, codes)) for g in guesses], codes


def _coded_answers(frame, taken: set):
    """Text columns of rating answers ("choice text" exports) coded by one shared
    scale order, for grouping only; ``texts`` lists those columns."""
    from .scaleguess import answer_codes
    cols = [c for c in frame.columns if c not in taken and not _is_numeric(frame[c])
            and answer_codes([frame[c]]) is not None]
    if not cols:
        return frame, set()
    shared = answer_codes([frame[c] for c in cols])
    if shared is None:
        return frame, set()
    code_of = {t.lower(): k for k, t in shared.items()}
    coded = frame.copy()
    for c in cols:
        coded[c] = frame[c].map(lambda v: code_of.get(" ".join(str(v).split()).lower())
                                if isinstance(v, str) else float("nan")).astype(float)
    return coded, set(cols)


def _group_range(dataset, guess, texts: set, codes: set) -> dict:
    """Response range of a group: its own answer texts numbered 1.. (text groups), else
    value labels or observed answers."""
    from .scaleguess import answer_codes
    if texts and all(c in texts for c in guess.items):
        labels = answer_codes([dataset.frame[c] for c in guess.items])
        if labels:
            return {"min": 1.0, "max": float(len(labels)), "labels": labels,
                    "range_from": "the answer texts found, numbered in scale order; a "
                                  "category nobody chose is missing: check"}
    return _describe_group(dataset, list(guess.items), codes)


def _item_codes(values) -> set:
    import numpy as np
    present = set(np.unique(values[~np.isnan(values)]).tolist())
    core = present - set(_COMMON_CODES)
    if not core:
        return set()
    low, high = min(core), max(core)
    return {c for c in present & set(_COMMON_CODES) if c < low or c > high}


def _describe_group(dataset, cols: list, codes: set) -> dict:
    """Response range of an item group (value labels, else observed answers)."""
    import numpy as np
    data = dataset.frame[cols].to_numpy(dtype=float, na_value=np.nan)
    clean = np.where(np.isin(data, list(codes)), np.nan, data)
    labelled = [float(k) for c in cols for k in dataset.value_labels.get(c, {})
                if isinstance(k, (int, float)) and float(k) not in codes
                and not _declared_missing(dataset, c, k)]
    if len(labelled) >= 2:
        low, high, source = min(labelled), max(labelled), "value labels"
    else:
        with np.errstate(all="ignore"):
            low, high, source = np.nanmin(clean), np.nanmax(clean), "observed answers"
        # Response scales start at 1 (or 0): an unused bottom category is common on
        # agreement scales, and a wrong minimum breaks reverse keying (min + max - x).
        if np.isfinite(low) and float(high).is_integer() and 1 < low <= high / 2:
            low, source = 1.0, f"observed answers {low:g}-{high:g}; scales usually start at 1"
    return {"min": low, "max": high, "range_from": source}


def _declared_missing(dataset, col: str, code) -> bool:
    return any(r["lo"] <= code <= r["hi"] for r in dataset.missing_ranges.get(col, ())
               if not isinstance(r["lo"], str))


def _guess_covariates(frame, taken: set) -> list:
    """(column, usable): numeric, or two-valued text (validate codes it 0/1)."""
    return [(c, _is_numeric(frame[c]) or frame[c].dropna().astype(str).str.strip().nunique() == 2)
            for c in frame.columns if c not in taken and _COVARIATE_NAME.match(str(c))]


# ------------------------------------------------------------------ YAML text
def _header_lines(dataset) -> list[str]:
    name = os.path.basename(str(dataset.path)).replace("\n", " ")
    return ["# salesgxe codebook: maps the columns of a data file to the study's roles.",
            f"# Written by `salesgxe init-codebook` from {_q(name)} "
            f"({dataset.n_rows} rows, {dataset.frame.shape[1]} columns).",
            "# Lines marked '# guessed: check' are guesses from column names, labels and",
            "# values: check each against your questionnaire, then run `salesgxe validate`.",
            "# Keys: source, id, missing_codes, min_group_size, scales (CO, SO, secure,",
            "# anxious, avoidant: items + reverse + min + max + min_answered, or score),",
            "# genotypes (DRD2, DRD4: column + format alleles|carrier), covariates.",
            "source: \"\"  # whose data: e.g. \"Lab X, 2024 survey of B2B salespeople\"", ""]


def _id_lines(ident) -> list[str]:
    if ident is None:
        return ["id: null  # no id column found: name the column with unique respondent ids",
                ""]
    return [f"id: {_q(ident)}  {_GUESS} (unique values, name looks like an id)", ""]


def _missing_lines(dataset, codes: set) -> list[str]:
    declared = sorted({r["lo"] for specs in dataset.missing_ranges.values() for r in specs
                       if r["lo"] == r["hi"] and not isinstance(r["lo"], str)})
    found = sorted(codes)
    lines = []
    if declared:
        lines.append("# the SPSS file declares user-missing values (already set to missing): "
                     + ", ".join(_num_text(c) for c in declared))
    codes = sorted(set(declared) | set(found))
    text = ", ".join(_num_text(c) for c in codes)
    note = (f"  {_GUESS} (codes found outside the answer range)" if found else
            "  # from the SPSS file's user-missing values" if declared else
            "  # codes meaning 'missing', e.g. [-9, 99]")
    return lines + [f"missing_codes: [{text}]{note}"]


_TITLES = {"CO": "customer orientation", "SO": "sales orientation",
           "secure": "secure attachment", "anxious": "anxious attachment",
           "avoidant": "avoidant attachment"}


def _about(g) -> str:
    """How a guess was made and how sure it is, for its comment."""
    alpha = "" if g.alpha != g.alpha else f", alpha = {g.alpha:.2f}"
    return f"{len(g.items)} items grouped by {g.grouped_by}{alpha}"


def _range_lines(rng: dict, indent: str, prefix: str = "") -> list[str]:
    lines = [f"{indent}{prefix}min: {_num_text(rng['min'])}  {_GUESS} (from {rng['range_from']})",
             f"{indent}{prefix}max: {_num_text(rng['max'])}  {_GUESS} (from {rng['range_from']})"]
    if rng.get("labels"):
        pairs = ", ".join(f"{k}: {_q(t)}" for k, t in rng["labels"].items())
        lines.append(f"{indent}{prefix}labels: {{{pairs}}}  {_GUESS} (answer texts -> codes)")
    return lines


def _reverse_comment(g) -> str:
    if not g.reverse:
        return "  # no item loads against the others"
    why = "; ".join(f"{c}: {g.reverse_why[c]}" for c in g.reverse)
    return f"  {_GUESS} ({why})"


def _role_block(g, rng: dict) -> list[str]:
    items = ", ".join(_q(c) for c in g.items)
    rev = ", ".join(_q(c) for c in g.reverse)
    lines = [f"  {g.role}:  # {_TITLES[g.role]}: {_about(g)}",
             f"    # role {g.confidence}: {g.why}",
             f"    items: [{items}]  {_GUESS}",
             f"    reverse: [{rev}]{_reverse_comment(g)}"]
    lines += _range_lines(rng, "    ")
    lines += ["    min_answered: 0.5  # share of items needed for a score"]
    return lines + _cue_lines(g, "    ")


def _cue_lines(g, indent: str) -> list[str]:
    unflagged = [c for c in g.label_cues if c not in g.reverse]
    if not unflagged:
        return []
    return [f"{indent}# the labels of {', '.join(_q(c) for c in unflagged)} contain a negation "
            "('not', 'never', 'rarely'...) but the answers do not run against the rest: "
            "check their keying"]


def _candidate_block(g, rng: dict) -> list[str]:
    items = ", ".join(_q(c) for c in g.items)
    rev = ", ".join(_q(c) for c in g.reverse)
    lines = [f"  # candidate scale {_q(g.name)}: {_about(g)}; role {g.confidence}: {g.why}",
             "  # to use it, uncomment and replace ROLE by CO, SO, secure, anxious or avoidant:",
             "  # ROLE:",
             f"  #   items: [{items}]",
             f"  #   reverse: [{rev}]" + (_reverse_comment(g).replace(_GUESS, "#") if rev else "")]
    lines += [line.replace(f"  {_GUESS}", "  #") for line in _range_lines(rng, "  #   ")]
    return lines + _cue_lines(g, "  ")


def _scale_lines(guesses: list) -> list[str]:
    roled = {g.role: (g, rng) for g, rng in guesses if g.role is not None}
    lines = ["scales:"]
    for role in SCALES:
        if role in roled:
            lines += _role_block(*roled[role])
        else:
            lines.append(f"  # {role} ({_TITLES[role]}): not found; add items: [...] with min "
                         "and max, or score: COLUMN (or name a candidate scale below)")
    for g, rng in guesses:
        if g.role is None and not g.one_item:
            lines += _candidate_block(g, rng)
    for g, _ in guesses:
        if g.one_item:
            lines.append(f"  # one-item candidate {_q(g.items[0])} not proposed: {g.why}")
    return lines + [""]


def _genotype_lines(geno: dict) -> list[str]:
    lines = ["genotypes:"]
    for locus in LOCI:
        if locus not in geno:
            lines.append(f"  # {locus}: not found; add column: COLUMN and format: alleles|carrier")
            continue
        g = geno[locus]
        lines += [f"  {locus}:",
                  f"    column: {_q(g['column'])}  {_GUESS} (from {g['why']})",
                  f"    format: {g['format']}  {_GUESS}"]
    return lines + [""]


def _reference_lines(frame, covs: list) -> list[str]:
    """A commented ``reference:`` template for two-valued text covariates: text is coded by
    meaning, never alphabetically, so the user names the value coded 0 (validate insists)."""
    from ..measures.genotypes import binary_text_coding

    out = []
    for col, ok in covs:
        if not ok or _is_numeric(frame[col]):
            continue
        levels = sorted(frame[col].dropna().astype(str).str.strip().unique())
        try:
            binary_text_coding(levels, column=col)
        except InputError:
            shown = " or ".join(_q(v) for v in levels)
            out.append(f"#   {_q(col)}: VALUE  # two-valued text: which value is coded 0, "
                       f"{shown}?")
    if not out:
        return []
    return ["# reference:  # uncomment and fill in: text covariates are never coded "
            "alphabetically", *out]


def _covariate_lines(covs: list) -> list[str]:
    numeric = [c for c, ok in covs if ok]
    lines = [f"covariates: [{', '.join(_q(c) for c in numeric)}]"
             + (f"  {_GUESS}" if numeric else "  # numeric columns to adjust for")]
    lines += [f"# {_q(c)} is text with more than two values: recode it to numbers (dummies)"
              for c, ok in covs if not ok]
    return lines
