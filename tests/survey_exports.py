"""Realistic survey-platform exports built from the simulated study (never real people).

Each builder takes the plain simulated export (a DataFrame as read from
``data/simulated/study2.csv``) and writes the file a platform would write for
the same answers, so tests can show that reading it gives the same analysis:

* :func:`write_qualtrics` - Qualtrics layout: metadata columns, row 2 question
  texts, row 3 ``{"ImportId": ...}``; CSV (UTF-8 with BOM), TSV or XLSX;
  ``choice_text=True`` writes answer texts instead of codes.
* :func:`write_labelled_sav` - SPSS file whose genotype columns are numeric
  codes with value labels (0 = "A2/A2", 1 = "A1/A2", 2 = "A1/A1"; DRD4 pairs
  numbered), or DRD4 as a labelled 1/2 carrier code.
* :func:`item_coded` - the survey renamed to anonymous item codes (A1..A12,
  Q3_1.., ...) with shuffled scale order: what ``init-codebook`` must decode.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

AGREE9 = {1: "Strongly disagree", 2: "Disagree", 3: "Somewhat disagree",
          4: "Slightly disagree", 5: "Neither agree nor disagree", 6: "Slightly agree",
          7: "Somewhat agree", 8: "Agree", 9: "Strongly agree"}
AGREE7 = {1: "Strongly disagree", 2: "Disagree", 3: "Somewhat disagree",
          4: "Neither agree nor disagree", 5: "Somewhat agree", 6: "Agree", 7: "Strongly agree"}
QUESTION = {"co": "Customer orientation - I try to find out what a customer needs",
            "so": "Sales orientation - I try to sell as much as I can",
            "sec": "Relationships - I find it easy to depend on others",
            "anx": "Relationships - I worry about being abandoned",
            "avo": "Relationships - I prefer not to be too close to others"}
META = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
        "RecordedDate", "DistributionChannel", "UserLanguage"]
META_TEXT = ["Start Date", "End Date", "Response Type", "Progress", "Duration (in seconds)",
             "Finished", "Recorded Date", "Distribution Channel", "User Language"]


def item_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.split("_")[0] in QUESTION]


def _question(col: str) -> str:
    stem, num = col.split("_")
    return f"{QUESTION[stem]} ({int(num)}) - {stem.upper()} item"


def qualtrics_frame(plain: pd.DataFrame, *, choice_text: bool = False) -> pd.DataFrame:
    """The answers with Qualtrics' metadata columns in front (no header rows yet)."""
    n = len(plain)
    meta = pd.DataFrame({"StartDate": ["2024-03-01 09:00:00"] * n,
                         "EndDate": ["2024-03-01 09:12:00"] * n, "Status": ["IP Address"] * n,
                         "Progress": [100] * n, "Duration (in seconds)": [720] * n,
                         "Finished": ["True"] * n, "RecordedDate": ["2024-03-01 09:12:01"] * n,
                         "DistributionChannel": ["anonymous"] * n, "UserLanguage": ["EN"] * n})
    out = pd.concat([meta, plain.reset_index(drop=True)], axis=1)
    if choice_text:
        for col in item_columns(plain):
            labels = AGREE9 if col.split("_")[0] in ("co", "so") else AGREE7
            out[col] = plain[col].map(labels)
    return out


def _header_rows(frame: pd.DataFrame) -> list[list[str]]:
    texts, ids = [], []
    for col in frame.columns:
        if col in META:
            texts.append(META_TEXT[META.index(col)])
            ids.append(json.dumps({"ImportId": col[0].lower() + col[1:].replace(" ", "")}))
        elif col in item_columns(frame):
            texts.append(_question(col))
            ids.append(json.dumps({"ImportId": f"QID{hash(col.split('_')[0]) % 90 + 10}_"
                                                f"{int(col.split('_')[1])}"}))
        else:
            texts.append(col.replace("_", " "))
            ids.append(json.dumps({"ImportId": f"QID_{col}_TEXT"}))
    return [texts, ids]


def write_qualtrics(plain: pd.DataFrame, path, *, kind: str = "csv",
                    choice_text: bool = False) -> None:
    """Write a Qualtrics-layout export (``kind`` = csv, tsv or xlsx)."""
    frame = qualtrics_frame(plain, choice_text=choice_text)
    top = pd.DataFrame(_header_rows(frame), columns=frame.columns)
    full = pd.concat([top, frame.astype(object)], ignore_index=True)
    if kind == "xlsx":
        full.to_excel(path, index=False)
    else:
        full.to_csv(path, index=False, sep="\t" if kind == "tsv" else ",",
                    encoding="utf-8-sig")


def labelled_genotypes(plain: pd.DataFrame, *, drd4_carrier: bool = False):
    """(frame, value_labels, variable_value_labels) with numeric labelled genotypes."""
    frame = plain.copy()
    drd2_codes = {"A2/A2": 0, "A1/A2": 1, "A1/A1": 2}
    frame["drd2_taq1a"] = plain["drd2_taq1a"].map(drd2_codes).astype(float)
    labels = {"drd2_taq1a": {0: "A2/A2", 1: "A1/A2", 2: "A1/A1"}}
    if drd4_carrier:
        carrier = plain["drd4_vntr"].map(
            lambda g: np.nan if not isinstance(g, str) else 2.0 if "7" in g.split("/") else 1.0)
        frame["drd4_vntr"] = carrier
        labels["drd4_vntr"] = {1: "non-carrier", 2: "carrier"}
    else:
        pairs = sorted(plain["drd4_vntr"].dropna().unique())
        frame["drd4_vntr"] = plain["drd4_vntr"].map({p: i + 1 for i, p in
                                                     enumerate(pairs)}).astype(float)
        labels["drd4_vntr"] = {i + 1: "{}R/{}R".format(*p.split("/"))
                               for i, p in enumerate(pairs)}
    return frame, labels


def write_labelled_sav(plain: pd.DataFrame, path, *, drd4_carrier: bool = False) -> None:
    import pyreadstat
    frame, labels = labelled_genotypes(plain, drd4_carrier=drd4_carrier)
    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels)


# The item-coded survey: anonymous names (the bfi style: A1..A5, C1..C5, ...).
ITEM_CODES = {"co": "A", "so": "B", "sec": "C", "anx": "D", "avo": "E"}
TRUE_REVERSE = {"sec": ["sec_03"], "anx": ["anx_04"], "avo": ["avo_02", "avo_05"]}


def item_coded(plain: pd.DataFrame, *, shuffled: bool = False, seed: int = 1):
    """Rename the items to codes that carry no construct name; return the frame and the
    truth ``{stem: (new item names, new reverse-keyed names)}``.

    Default: CO -> A1..A12, SO -> B1..B12, secure -> C1..C5, anxious -> D1..D5,
    avoidant -> E1..E5.  ``shuffled=True``: every item becomes Q1..Q39 in a random
    order, so only the answers (correlations) can tell the scales apart."""
    items = item_columns(plain)
    if shuffled:
        order = np.random.default_rng(seed).permutation(len(items))
        new_names = {items[j]: f"Q{k + 1}" for k, j in enumerate(order)}
    else:
        new_names = {c: f"{ITEM_CODES[c.split('_')[0]]}{int(c.split('_')[1])}" for c in items}
    truth = {}
    for stem in ITEM_CODES:
        cols = [c for c in items if c.split("_")[0] == stem]
        truth[stem] = ([new_names[c] for c in cols], [new_names[c] for c in TRUE_REVERSE.get(stem, [])])
    frame = plain.rename(columns=new_names)
    if shuffled:
        others = [c for c in frame.columns if c not in new_names.values()]
        frame = frame[others + [f"Q{k + 1}" for k in range(len(items))]]
    return frame, truth
