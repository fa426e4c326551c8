"""Write data/examples/designs_example.csv: a synthetic file for the `probe` designs.

Deterministic (seed 11). 360 salespeople in 30 companies of 6 to 18. Columns: id,
company (cluster), CO (1-9 score), avoidant and anxious (1-7 scores), drd2 (genotype
text A1/A1, A1/A2, A2/A2: three groups), drd4_7r (carrier / non-carrier), channel
(field / inside / key-account / retail: a four-level text variable), weight (sampling
weight), age.  The numbers are invented for the examples and say nothing about the study.
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(11)
sizes = rng.integers(6, 19, 30)
sizes[-1] += 360 - sizes.sum()
company = np.repeat([f"C{i:02d}" for i in range(1, 31)], sizes)
n = len(company)
firm_effect = dict(zip(np.unique(company), rng.normal(0, 0.4, 30)))
a1 = rng.random((n, 2)) < 0.2
drd2 = np.array(["A2/A2", "A1/A2", "A1/A1"])[a1.sum(1)]
carrier = rng.random(n) < 0.3
avoid = np.clip(rng.normal(3.2, 1.1, n), 1, 7).round(2)
anx = np.clip(rng.normal(3.5, 1.0, n), 1, 7).round(2)
channel = rng.choice(["field", "inside", "key-account", "retail"], n, p=[.35, .25, .2, .2])
age = rng.integers(22, 63, n)
a2a2 = drd2 == "A2/A2"
co = (5.8 + 0.35 * a2a2 * (avoid - 3.2) + 0.3 * carrier * (avoid - 3.2)
      + 0.15 * carrier * (avoid - 3.2) * (anx - 3.5)
      + 0.2 * (channel == "key-account") * (avoid - 3.2)
      + np.vectorize(firm_effect.get)(company) + 0.01 * (age - 40) + rng.normal(0, 0.9, n))
weight = np.round(np.where(channel == "retail", 2.0, 1.0) * rng.uniform(0.6, 1.4, n), 3)
frame = pd.DataFrame({"id": np.arange(1, n + 1), "company": company,
                      "CO": np.clip(co, 1, 9).round(2), "avoidant": avoid, "anxious": anx,
                      "drd2": drd2, "drd4_7r": np.where(carrier, "carrier", "non-carrier"),
                      "channel": channel, "weight": weight, "age": age})
frame.to_csv(Path(__file__).with_name("designs_example.csv"), index=False)
