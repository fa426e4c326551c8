"""Write data/examples/probe_example.csv: a small, fully synthetic file for `salesgxe probe`.

Deterministic (seed 7). Columns: id, CO (1-9 score), avoidant (1-7 score),
drd4_7r ("carrier"/"non-carrier": text, to show the 0/1 recoding), age.
The numbers are invented for the example and say nothing about the study.
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(7)
n = 180
carrier = rng.random(n) < 0.3
avoid = np.clip(rng.normal(3.2, 1.1, n), 1, 7).round(2)
age = rng.integers(22, 63, n)
co = 5.8 + 0.45 * carrier * (avoid - 3.2) + 0.01 * (age - 40) + rng.normal(0, 0.9, n)
frame = pd.DataFrame({"id": np.arange(1, n + 1), "CO": np.clip(co, 1, 9).round(2),
                      "avoidant": avoid, "drd4_7r": np.where(carrier, "carrier", "non-carrier"),
                      "age": age})
frame.loc[[5, 77], "avoidant"] = np.nan
frame.to_csv(Path(__file__).with_name("probe_example.csv"), index=False)
