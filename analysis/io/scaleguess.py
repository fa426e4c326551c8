"""Candidate scales from a survey: which items belong together, which are reverse-keyed,
which construct they measure, and how sure each guess is.

:func:`propose_scales` is what ``salesgxe init-codebook`` writes into its
commented codebook.  Three sources of evidence, in this order:

1. **Name stems.**  Rating items (numeric, whole numbers, at most 11 distinct
   answers within a range of at most 10) whose names share a stem and differ
   by a number form a candidate scale: ``A1..A5``, ``Q3_1..Q3_8``,
   ``co_01..``, SoSci ``AB01_01..``, LimeSurvey ``CO[SQ001]..``.
2. **Correlations.**  Inside a stem group of six or more items, Horn's (1965)
   parallel analysis (eigenvalues of the item correlation matrix above the
   95th percentile of those of random normal data of the same size) says how
   many dimensions the items span; with more than one, the items are split by
   average-linkage hierarchical clustering on the distance ``1 - |r|``
   (|r|, because a reverse-keyed item correlates negatively with its own
   scale).  Revelle's (1979) ICLUST and the ``psych`` package's
   ``fa.parallel`` use the same two ideas.
3. **Labels.**  Variable labels (SPSS/Stata) or question texts (Qualtrics'
   second row) name the construct: wording cues of the SOCO scale (Saxe &
   Weitz 1982), the ECR / ECR-R (Brennan, Clark & Shaver 1998; Fraley, Waller &
   Brennan 2000) and RQ-type prototypes (Bartholomew & Horowitz 1991; Hazan &
   Shaver 1987), plus construct words ("customer orientation", "avoidant").

Reverse keys are proposed from the signs of the first principal component of
the group's correlations (an item loading against the majority, |loading| >=
.30, i.e. a negative corrected item-total correlation once the rest are
keyed), and label cues ("not", "never", "rarely") are reported beside them.
A one-item group is never given a role on its own: it is flagged, because its
reliability cannot be estimated.

Every guess carries ``confidence`` ("sure", "likely", "unsure") and the
reason, which ``init-codebook`` writes as a comment.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> t = rng.normal(size=300)
>>> items = {f"A{i}": np.clip(np.round(4 + 1.2 * t + rng.normal(size=300)), 1, 7)
...          for i in range(1, 5)}
>>> items["A4"] = 8 - items["A4"]
>>> guesses = propose_scales(pd.DataFrame(items))
>>> [(g.items, g.reverse) for g in guesses]
[(('A1', 'A2', 'A3', 'A4'), ('A4',))]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = ["ScaleGuess", "propose_scales", "stem_of", "rating_items", "parallel_analysis",
           "ROLE_CUES", "answer_position", "answer_codes"]

_STEM = re.compile(r"^(?P<stem>.*?)(?:[_.\-\s]+|\[\s*(?:SQ)?|(?<=[^\d_.\-\[\s]))"
                   r"0*(?P<num>\d+)\]?$", re.I | re.S)
_MAX_DISTINCT = 11
_MAX_SPAN = 10
_SPLIT_MIN = 6
_MIN_CLUSTER = 3
_REVERSE_LOADING = 0.30
_PA_REPS = 30
_PA_SEED = 20140204
_PA_MAX_N = 5000
_NEGATION = re.compile(r"\b(not|never|rarely|seldom|hardly|don'?t|do not|no one|nobody|"
                       r"uncomfortable|unable|unwilling|unlikely)\b", re.I)
_META = re.compile(r"^(time\d+|time_.*|duration.*|progress|finished|status|lastpage|maxpage|"
                   r"missing|missrel|deg_time|case|serial|mode|seed|q_viewer|"
                   r"location.*|.*_do_.*|.*_text)$", re.I)

# Wording cues per role: construct names and the content of the published instruments
# (paraphrased keywords, not item texts).  Each pattern counts once per label.
ROLE_CUES = {
    "CO": (r"customer[\s-]*orient", r"^\s*co[\s_-]*(item\s*)?\d+\b", r"\bsoco\b.*\bco\b", r"customer'?s?'? needs",
           r"(help|satisfy|satisfying)\w* (the )?customers?", r"best interest",
           r"accurate expectation", r"solve (his|her|their|the) problem",
           r"answer .*questions .*correctly"),
    "SO": (r"sales?[\s-]*orient", r"^\s*so[\s_-]*(item\s*)?\d+\b", r"selling[\s-]*orient", r"sell (a customer )?(all|as much)",
           r"pressure", r"rosy", r"stretch the truth", r"persuade", r"\brival\b",
           r"pretend to agree", r"convince"),
    "avoidant": (r"avoid", r"uncomfortable (being |getting )?close", r"not (to be )?too close",
                 r"opening up", r"nervous when .*close", r"difficult to (depend|trust)",
                 r"self[\s-]*sufficient", r"without close", r"show .*how I feel",
                 r"\bdismiss"),
    "anxious": (r"anxi", r"worr(y|ies|ied)", r"abandon", r"reassurance", r"lose .*love",
                r"reluctant to get as close", r"\breject", r"preoccup",
                r"completely (emotionally )?intimate"),
    "secure": (r"\bsecur", r"easy (for me )?to (get|become) (emotionally )?close",
               r"easy to depend", r"comfortable depending", r"comfortable having others depend"),
}
_CUES = {role: [re.compile(p, re.I) for p in pats] for role, pats in ROLE_CUES.items()}
_NAME_ROLES = (("co", "CO"), ("cust", "CO"), ("so", "SO"), ("sell", "SO"), ("sales", "SO"),
               ("sec", "secure"), ("anx", "anxious"), ("avo", "avoidant"), ("avd", "avoidant"))


# Answer texts of "choice text" exports: agreement and frequency anchors, placed on a line
# by polarity x intensity, so any subset of a 5-, 7- or 9-point scale sorts correctly.
_INTENSITY = ((r"\b(strongly|completely|totally|very much|extremely)\b", 3.0),
              (r"\b(moderately|mostly)\b", 1.5), (r"\b(somewhat|rather)\b", 1.0),
              (r"\b(slightly|a little|a bit)\b", 0.5))
_FREQUENCY = ((r"^(almost never|very rarely|hardly ever)$", 0.5), (r"^never$", 0.0),
              (r"^(rarely|seldom)$", 1.0), (r"^(sometimes|occasionally)$", 2.0),
              (r"^(very often|almost always|most of the time)$", 3.5),
              (r"^(often|frequently|usually)$", 3.0), (r"^always$", 4.0))


def answer_position(text) -> tuple[str, float] | None:
    """(family, position) of a rating-answer text, or None when it is not one.

    >>> [answer_position(t)[1] for t in ["Strongly disagree", "Agree", "Neither agree nor disagree"]]
    [-3.0, 2.0, 0.0]
    >>> answer_position("Often"), answer_position("Blue")
    (('frequency', 3.0), None)
    """
    folded = " ".join(str(text).split()).lower()
    if re.search(r"\b(neither|neutral|undecided)\b", folded):
        return ("agreement", 0.0)
    if re.search(r"\bdisagree\b", folded) or re.search(r"\bagree\b", folded):
        sign = -1.0 if "disagree" in folded else 1.0
        level = next((v for pat, v in _INTENSITY if re.search(pat, folded)), 2.0)
        return ("agreement", sign * level)
    for pat, value in _FREQUENCY:
        if re.match(pat, folded):
            return ("frequency", value)
    return None


def answer_codes(columns) -> dict | None:
    """{code: text} numbering the answer texts found in ``columns`` (Series) in scale
    order, 1 upwards; None when any text is not a rating answer or families mix.

    >>> import pandas as pd
    >>> answer_codes([pd.Series(["Agree", "Disagree", None, "Strongly agree"])])
    {1: 'Strongly disagree', 2: 'Disagree', 3: 'Agree', 4: 'Strongly agree'}

    Agreement scales are completed symmetrically (the mirror of an observed
    category is added when nobody chose it); frequency scales are numbered as
    found.
    """
    texts: dict[str, tuple[str, float]] = {}
    for col in columns:
        for value in col.dropna().unique():
            if not isinstance(value, str):
                return None
            pos = answer_position(value)
            if pos is None:
                return None
            texts[" ".join(value.split())] = pos
    families = {f for f, _ in texts.values()}
    if not texts or len(families) != 1 or len(texts) < 2:
        return None
    if families == {"agreement"}:
        texts = _mirror(texts)
    ordered = sorted(texts, key=lambda t: texts[t][1])
    if len({texts[t][1] for t in ordered}) != len(ordered):
        return None  # two texts at one position: the order is not knowable
    return {k + 1: t for k, t in enumerate(ordered)}


def _swap_agree(match) -> str:
    word = match.group(0)
    out = word.lower()[3:] if match.group(1) else "dis" + word.lower()
    return out.capitalize() if word[0].isupper() else out


def _mirror(texts: dict) -> dict:
    """Agreement scales are symmetric: a category seen on one side exists on the other
    (nobody chose "Strongly disagree" does not make "Disagree" the bottom code)."""
    out = dict(texts)
    taken = {pos for _, pos in texts.values()}
    for text, (family, pos) in texts.items():
        if pos != 0 and -pos not in taken:
            swapped = re.sub(r"(?i)\b(dis)?agree\b", _swap_agree, text)
            out[swapped] = (family, -pos)
            taken.add(-pos)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleGuess:
    """One candidate scale.

    ``role`` is ``CO``/``SO``/``secure``/``anxious``/``avoidant`` or None;
    ``grouped_by`` says how the items were grouped; ``confidence`` and ``why``
    say how sure the role guess is; ``reverse_why`` maps each proposed
    reverse item to its evidence; ``alpha`` is Cronbach's alpha of the keyed
    items on complete rows (NaN for one item)."""

    name: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    role: str | None = None
    confidence: str = "unsure"
    why: str = ""
    grouped_by: str = "name stem"
    reverse_why: dict = field(default_factory=dict)
    label_cues: tuple[str, ...] = ()
    alpha: float = float("nan")

    @property
    def one_item(self) -> bool:
        return len(self.items) == 1

    def to_dict(self) -> dict:
        return {"name": self.name, "items": list(self.items), "reverse": list(self.reverse),
                "role": self.role, "confidence": self.confidence, "why": self.why,
                "grouped_by": self.grouped_by, "reverse_why": dict(self.reverse_why),
                "label_cues": list(self.label_cues),
                "alpha": None if np.isnan(self.alpha) else float(self.alpha)}


def stem_of(name: str) -> str | None:
    """The stem of an item name, or None when it does not end in a number.

    >>> [stem_of(n) for n in ["A1", "Q3_8", "co_01", "AB01_02", "CO[SQ001]", "age"]]
    ['A', 'Q3', 'co', 'AB01', 'CO', None]
    """
    match = _STEM.match(str(name).strip())
    stem = match.group("stem").rstrip("_.-[ ") if match else ""
    return stem or None


def rating_items(frame: pd.DataFrame, exclude=(), codes=()) -> list[str]:
    """Columns that look like rating items: numeric whole numbers, 2-11 distinct
    answers within a span of at most 10 (missing-value ``codes`` ignored)."""
    out = []
    for col in frame.columns:
        if col in exclude or _META.match(str(col)):
            continue
        values = frame[col]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        v = values.to_numpy(dtype=float, na_value=np.nan)
        v = v[~np.isnan(v) & ~np.isin(v, list(codes))]
        if v.size == 0 or not np.all(v == np.round(v)):
            continue
        distinct = np.unique(v)
        if 2 <= distinct.size <= _MAX_DISTINCT and distinct[-1] - distinct[0] <= _MAX_SPAN:
            out.append(col)
    return out


def _clean(frame: pd.DataFrame, cols, codes) -> pd.DataFrame:
    data = frame[list(cols)].astype(float)
    return data.mask(data.isin(list(codes))) if codes else data


def parallel_analysis(corr: np.ndarray, n: int, *, reps: int = _PA_REPS,
                      seed: int = _PA_SEED) -> int:
    """Number of dimensions by Horn's parallel analysis (95th percentile rule).

    Eigenvalues of ``corr`` above the 95th percentile of the eigenvalues of
    correlation matrices of ``reps`` random normal ``n x p`` data sets
    (Horn 1965; Glorfeld 1995 for the percentile), counted from the largest
    while they exceed; at least 1.  The random data have at most 5,000 rows:
    beyond that the reference eigenvalues are within a few hundredths of 1, and
    a smaller reference sample only makes the count more conservative.

    >>> parallel_analysis(np.eye(4), 200)
    1
    """
    p = corr.shape[0]
    rng = np.random.default_rng(seed)
    sims = np.empty((reps, p))
    size = min(max(n, p + 2), _PA_MAX_N)
    for r in range(reps):
        x = rng.standard_normal((size, p))
        sims[r] = np.sort(np.linalg.eigvalsh(np.corrcoef(x, rowvar=False)))[::-1]
    limit = np.percentile(sims, 95, axis=0)
    observed = np.sort(np.linalg.eigvalsh(corr))[::-1]
    k = 0
    while k < p and observed[k] > limit[k]:
        k += 1
    return max(k, 1)


def _corr(data: pd.DataFrame) -> np.ndarray:
    c = data.corr(min_periods=10).to_numpy()
    c = np.where(np.isnan(c), 0.0, c)
    np.fill_diagonal(c, 1.0)
    return c


def _split(data: pd.DataFrame) -> list[list[str]] | None:
    """Split a stem group by parallel analysis + clustering on 1 - |r| (None: keep)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    corr = _corr(data)
    n = int(data.notna().sum().min())
    k = parallel_analysis(corr, n)
    if k < 2:
        return None
    dist = 1.0 - np.abs(corr)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(np.clip(dist, 0, None), checks=False), method="average")
    labels = fcluster(tree, t=k, criterion="maxclust")
    cols = list(data.columns)
    parts = [[c for c, lab in zip(cols, labels) if lab == g] for g in sorted(set(labels))]
    if any(len(p) < _MIN_CLUSTER for p in parts):
        parts = _merge_small(parts, corr, cols)
    return parts if len(parts) > 1 else None


def _merge_small(parts, corr, cols):
    """Attach clusters smaller than 3 items to the cluster they correlate with most."""
    index = {c: i for i, c in enumerate(cols)}
    big = [p for p in parts if len(p) >= _MIN_CLUSTER]
    if not big:
        return [sum(parts, [])]
    for small in (p for p in parts if len(p) < _MIN_CLUSTER):
        for item in small:
            best = max(big, key=lambda b: np.mean([abs(corr[index[item], index[o]]) for o in b]))
            best.append(item)
    return [sorted(b, key=cols.index) for b in big]


def _reverse(data: pd.DataFrame) -> dict:
    """Items loading against the majority on the first principal component."""
    if data.shape[1] < 3:
        return {}
    corr = _corr(data)
    values, vectors = np.linalg.eigh(corr)
    first = vectors[:, -1] * np.sqrt(max(values[-1], 0))
    if (first > 0).sum() < (first < 0).sum():
        first = -first
    out = {}
    for col, load in zip(data.columns, first):
        if load <= -_REVERSE_LOADING:
            out[col] = f"loads {load:+.2f} on the first component, against the other items"
    return out if len(out) <= data.shape[1] // 2 else {}


def _alpha(data: pd.DataFrame, reverse) -> float:
    from ..measures.scales import cronbach_alpha
    if data.shape[1] < 2:
        return float("nan")
    keyed = data.copy()
    for col in reverse:
        keyed[col] = keyed[col].max() + keyed[col].min() - keyed[col]
    try:
        return float(cronbach_alpha(keyed))
    except Exception:  # noqa: BLE001 - too few complete rows: no alpha, still a guess
        return float("nan")


def _role_from_labels(cols, labels: dict) -> tuple[str | None, int, int, list[str]]:
    """(role, items whose label cues it, items with labels, negation cues)."""
    votes: dict[str, int] = {}
    labelled, negations = 0, []
    for col in cols:
        text = labels.get(col)
        if not text:
            continue
        labelled += 1
        hits = {role for role, pats in _CUES.items() if any(p.search(str(text)) for p in pats)}
        for role in hits:
            votes[role] = votes.get(role, 0) + 1
        if _NEGATION.search(str(text)):
            negations.append(col)
    if not votes:
        return None, 0, labelled, negations
    role = max(sorted(votes), key=lambda r: votes[r])
    return role, votes[role], labelled, negations


def _role_from_stem(stem: str | None) -> str | None:
    if not stem:
        return None
    tokens = [t for t in re.split(r"[^a-z]+", stem.lower()) if t]
    for token in reversed(tokens):
        for key, role in _NAME_ROLES:
            if token == key or (len(key) >= 3 and token.startswith(key)):
                return role
    return None


def _judge_role(guess_cols, stem, labels) -> tuple[str | None, str, str]:
    role, hits, labelled, _ = _role_from_labels(guess_cols, labels)
    k = len(guess_cols)
    if role is not None and hits >= max(2, 0.5 * k):
        return role, "sure", f"the labels of {hits}/{k} items match {role} wording"
    by_name = _role_from_stem(stem)
    if role is not None and by_name == role:
        return role, "sure", f"name stem {stem!r} and {hits}/{k} labels point to {role}"
    if role is not None:
        return role, "likely" if hits >= 2 else "unsure", (
            f"the labels of {hits}/{k} items match {role} wording")
    if by_name is not None:
        return by_name, "likely", f"name stem {stem!r} suggests {by_name}"
    return None, "unsure", "no label or name cue: which construct is this?"


def _stem_groups(items: list[str]) -> list[tuple[str | None, list[str]]]:
    groups: dict[str, list[str]] = {}
    for col in items:
        groups.setdefault(stem_of(col) or f"\0{col}", []).append(col)
    return [(None if s.startswith("\0") else s, cols) for s, cols in groups.items()]


def propose_scales(frame: pd.DataFrame, *, labels: dict | None = None, exclude=(),
                   codes=()) -> list[ScaleGuess]:
    """Candidate scales of a survey (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
    labels : dict, optional
        Column -> variable label or question text.
    exclude : iterable
        Columns already given another role (id, genotypes, covariates).
    codes : iterable
        Missing-value codes to ignore (e.g. -9, 99).
    """
    labels = labels or {}
    items = rating_items(frame, exclude=set(exclude), codes=codes)
    out = []
    for stem, cols in _stem_groups(items):
        data = _clean(frame, cols, codes)
        parts = _split(data) if len(cols) >= _SPLIT_MIN else None
        for j, part in enumerate(parts or [cols]):
            name = (stem or part[0]) + (f"_part{j + 1}" if parts else "")
            out.append(_guess(name, stem, part, _clean(frame, part, codes), labels,
                              "correlations within stem " + repr(stem) if parts and stem
                              else "correlations" if parts else
                              "name stem" if stem else "single item"))
    return _resolve_roles(out)


def _guess(name, stem, cols, data, labels, grouped_by) -> ScaleGuess:
    rev = _reverse(data)
    role, conf, why = _judge_role(cols, stem, labels)
    _, _, _, negations = _role_from_labels(cols, labels)
    reverse_why = dict(rev)
    for col in negations:
        cue = "; its label has a negation ('not', 'never', 'rarely'...)"
        if col in reverse_why:
            reverse_why[col] += cue
    if len(cols) == 1:
        role, conf = None, "unsure"
        why = "one item: no reliability can be estimated" + (
            f" (its label or name suggests {_judge_role(cols, stem, labels)[0]})"
            if _judge_role(cols, stem, labels)[0] else "")
    return ScaleGuess(name=str(name), items=tuple(cols), reverse=tuple(rev), role=role,
                      confidence=conf, why=why, grouped_by=grouped_by,
                      reverse_why=reverse_why, label_cues=tuple(negations),
                      alpha=_alpha(data, rev))


_RANK = {"sure": 0, "likely": 1, "unsure": 2}


def _resolve_roles(guesses: list[ScaleGuess]) -> list[ScaleGuess]:
    """One scale per role: the surest (then largest) keeps it, the others lose it."""
    best: dict[str, ScaleGuess] = {}
    for g in guesses:
        if g.role is None:
            continue
        cur = best.get(g.role)
        if cur is None or (_RANK[g.confidence], -len(g.items)) < (_RANK[cur.confidence],
                                                                   -len(cur.items)):
            best[g.role] = g
    out = []
    for g in guesses:
        if g.role is not None and best[g.role] is not g:
            g = replace(g, role=None, confidence="unsure",
                        why=f"{g.why}; {g.role} was given to {best[g.role].name!r}, which "
                            "fits better")
        out.append(g)
    return out
