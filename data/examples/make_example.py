"""Write data/examples/survey.sav: a simulated, item-level SPSS export for `salesgxe validate`.

Fully synthetic (seed 20140301): 240 invented salespeople, not real people, and
the numbers say nothing about the study.  The layout imitates a Qualtrics ->
SPSS export:

* ``ResponseId``: Qualtrics-style ids (``R_`` + 15 characters).
* ``Q1_1`` .. ``Q1_12``: customer-orientation (CO) items, 1-9 (SOCO format,
  Saxe & Weitz 1982); ``Q2_1`` .. ``Q2_12``: sales-orientation (SO) items, 1-9.
* ``ATT_1`` .. ``ATT_15``: attachment items, 1-7; ATT_1-5 secure, ATT_6-10
  anxious, ATT_11-15 avoidant; **ATT_3 and ATT_13 are reverse-worded**.
* ``DRD2_Taq1A`` as ``"A1/A2"``; ``DRD4_VNTR`` as ``"4R/7R"``.
* ``age`` (years), ``gender`` (1 = male, 2 = female, value-labelled).

SPSS metadata: variable labels (question text), value labels on the rating
items, and user-missing codes -9 ("not answered") and 99 ("don't know")
declared as MISSING VALUES on every item, age and gender.

Entries that deserve warnings, not errors: one DRD2 no-call
(``"undetermined"``), one empty DRD4 cell, one respondent who answered only 5
of the 12 CO items, scattered -9/99 codes, and the naturally small A1/A1 group.

Data-generating process (self-contained; the study's simulator is
``analysis/simulate.py``): attachment latents are correlated normals; DRD2 and
DRD4 alleles are drawn independently (Hardy-Weinberg); CO rises with
avoidance among 7R carriers; each item is a loading-0.75 indicator of its
latent, scaled, rounded and clipped to the response range.

The SPSS header's creation date and time are set to a fixed value so that the
file is byte-for-byte reproducible.  Run: ``python data/examples/make_example.py``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20140301
N = 240
LOADING = 0.75
DRD4_ALLELES = {2: 0.09, 3: 0.04, 4: 0.65, 5: 0.02, 7: 0.20}
DRD2_A1 = 0.20
ATTACH_CORR = np.array([[1.0, -0.3, -0.4], [-0.3, 1.0, 0.2], [-0.4, 0.2, 1.0]])
REVERSED = ("ATT_3", "ATT_13")
_FIXED_STAMP = b"01 Mar 1400:00:00"  # dd mmm yy + hh:mm:ss, 17 bytes at offset 92

CO_TEXT = ["I try to help customers achieve their goals",
           "I try to achieve my goals by satisfying customers",
           "A good salesperson has to have the customer's best interest in mind",
           "I try to get customers to discuss their needs with me",
           "I try to influence a customer by information rather than by pressure",
           "I offer the product that is best suited to the customer's problem",
           "I try to find out what kind of product would be most helpful to a customer",
           "I answer a customer's questions about products as correctly as I can",
           "I try to bring a customer with a problem together with a product that helps",
           "I am willing to disagree with a customer to help make a better decision",
           "I try to give customers an accurate expectation of what the product will do",
           "I try to figure out what a customer's needs are"]
SO_TEXT = ["I try to sell a customer all I can convince them to buy",
           "I try to sell as much as I can rather than to satisfy a customer",
           "I keep alert for weaknesses in a customer's personality to put pressure on them",
           "If I am not sure a product is right for a customer, I still apply pressure",
           "I decide what products to offer on the basis of what I can convince customers to buy",
           "I paint too rosy a picture of my products, to make them sound as good as possible",
           "I spend more time trying to persuade a customer to buy than discovering needs",
           "It is necessary to stretch the truth in describing a product to a customer",
           "I pretend to agree with customers to please them",
           "I imply to a customer that something is beyond my control when it is not",
           "I begin the sales talk for a product before exploring a customer's needs",
           "I treat a customer as a rival"]
ATT_TEXT = {"secure": ["I find it relatively easy to get close to others",
                       "I am comfortable depending on others",
                       "I find it hard to trust others completely (reversed)",
                       "I am comfortable having others depend on me",
                       "I rarely worry about being abandoned"],
            "anxious": ["I often worry that my partner doesn't really love me",
                        "I want to merge completely with another person",
                        "Others are reluctant to get as close as I would like",
                        "I worry that others won't care about me as much as I care about them",
                        "My desire to be very close sometimes scares people away"],
            "avoidant": ["I am somewhat uncomfortable being close to others",
                         "I get nervous when anyone gets too close",
                         "I am comfortable when others want to be very intimate (reversed)",
                         "Others often want me to be more intimate than I feel comfortable being",
                         "I prefer not to show others how I feel deep down"]}


def _items(rng, latent, n_items: int, low: int, high: int) -> np.ndarray:
    centre, spread = (low + high) / 2, (high - low) / 4
    noise = rng.standard_normal((latent.size, n_items))
    x = LOADING * latent[:, None] + np.sqrt(1 - LOADING ** 2) * noise
    return np.clip(np.round(centre + spread * x), low, high)


def _standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def _genotypes(rng) -> tuple[np.ndarray, list, list]:
    a1 = rng.random((N, 2)) < DRD2_A1
    drd2 = ["/".join(sorted("A1" if x else "A2" for x in row)) for row in a1]
    alleles = np.array(list(DRD4_ALLELES))
    d4 = np.sort(rng.choice(alleles, size=(N, 2), p=list(DRD4_ALLELES.values())), axis=1)
    drd4 = [f"{a}R/{b}R" for a, b in d4]
    return (d4 == 7).any(axis=1).astype(float), drd2, drd4


def simulate(seed: int = SEED) -> pd.DataFrame:
    """The example survey as a DataFrame (user-missing codes still as numbers)."""
    rng = np.random.default_rng(seed)
    attach = rng.multivariate_normal(np.zeros(3), ATTACH_CORR, size=N)
    secure, anxious, avoidant = attach.T
    carrier7, drd2, drd4 = _genotypes(rng)
    co = _standardise(0.25 * carrier7 + 0.35 * carrier7 * avoidant + 0.15 * secure
                      + 0.9 * rng.standard_normal(N))
    so = _standardise(0.2 * anxious + 0.95 * rng.standard_normal(N))
    ids = ["R_" + "".join(rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
                                          "0123456789"), 15)) for _ in range(N)]
    cols = {"ResponseId": ids}
    cols |= {f"Q1_{i + 1}": v for i, v in enumerate(_items(rng, co, 12, 1, 9).T)}
    cols |= {f"Q2_{i + 1}": v for i, v in enumerate(_items(rng, so, 12, 1, 9).T)}
    att = np.hstack([_items(rng, z, 5, 1, 7) for z in (secure, anxious, avoidant)])
    cols |= {f"ATT_{i + 1}": v for i, v in enumerate(att.T)}
    frame = pd.DataFrame(cols)
    for col in REVERSED:
        frame[col] = 8 - frame[col]
    frame["DRD2_Taq1A"], frame["DRD4_VNTR"] = drd2, drd4
    frame["age"] = rng.integers(22, 64, N).astype(float)
    frame["gender"] = rng.choice([1.0, 2.0], N, p=[0.58, 0.42])
    return _warnable_entries(frame, rng)


def _warnable_entries(frame: pd.DataFrame, rng) -> pd.DataFrame:
    """Codes and gaps a real export has; each deserves a warning, not an error."""
    items = [c for c in frame.columns if c.startswith(("Q1_", "Q2_", "ATT_"))]
    values = frame[items].to_numpy()
    skipped = rng.random(values.shape) < 0.01
    dont_know = (rng.random(values.shape) < 0.004) & ~skipped
    values[skipped], values[dont_know] = -9, 99
    frame[items] = values
    frame.loc[16, [f"Q1_{i}" for i in range(1, 8)]] = -9      # answered 5 of 12 CO items
    frame.loc[41, "DRD2_Taq1A"] = "undetermined"               # a DRD2 no-call
    frame.loc[107, "DRD4_VNTR"] = ""                           # an empty DRD4 cell
    frame.loc[[5, 200], "age"] = -9
    return frame


def _metadata(frame: pd.DataFrame) -> dict:
    labels = {"ResponseId": "Response ID", "DRD2_Taq1A": "DRD2 Taq1A (rs1800497) genotype",
              "DRD4_VNTR": "DRD4 exon III VNTR genotype", "age": "Age in years",
              "gender": "Gender"}
    labels |= {f"Q1_{i + 1}": f"CO{i + 1}: {t}" for i, t in enumerate(CO_TEXT)}
    labels |= {f"Q2_{i + 1}": f"SO{i + 1}: {t}" for i, t in enumerate(SO_TEXT)}
    att = [(k, t) for k, texts in ATT_TEXT.items() for t in texts]
    labels |= {f"ATT_{i + 1}": f"Attachment ({k}) {i + 1}: {t}" for i, (k, t) in enumerate(att)}
    soco = {1.0: "True for NONE of your customers - NEVER", 9.0: "True for ALL of your "
            "customers - ALWAYS", -9.0: "Not answered", 99.0: "Don't know"}
    agree = {1.0: "Strongly disagree", 4.0: "Neither agree nor disagree",
             7.0: "Strongly agree", -9.0: "Not answered", 99.0: "Don't know"}
    value_labels = {c: (soco if c.startswith("Q") else agree)
                    for c in frame.columns if c.startswith(("Q1_", "Q2_", "ATT_"))}
    value_labels["gender"] = {1.0: "male", 2.0: "female", -9.0: "Not answered"}
    numeric = [c for c in frame.columns if c not in ("ResponseId", "DRD2_Taq1A", "DRD4_VNTR")]
    return {"column_labels": labels, "variable_value_labels": value_labels,
            "missing_ranges": {c: [-9.0, 99.0] for c in numeric},
            "file_label": "Simulated example survey (salesgxe), not real people"}


def _fix_stamp(path: Path) -> None:
    """Overwrite the SPSS header's creation date/time (bytes 92-108) with a constant."""
    raw = bytearray(path.read_bytes())
    if raw[:4] in (b"$FL2", b"$FL3") and raw[103:104] == b":" and raw[106:107] == b":":
        raw[92:109] = _FIXED_STAMP
        path.write_bytes(bytes(raw))


def write(out: Path) -> Path:
    import pyreadstat
    frame = simulate()
    pyreadstat.write_sav(frame, str(out), **_metadata(frame))
    _fix_stamp(out)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("survey.sav")
    print(write(target))
