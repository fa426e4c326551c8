r"""Standardized regression coefficients for moderation models, done right.

In a model with a product term, standardizing the *coefficients* of the fitted
model (``b * sd(x) / sd(y)``) gives a wrong beta for the product, because the
standard deviation of a product is not the product of standard deviations.
The correct standardized solution z-scores every variable first and then forms
the product from the z-scores (Friedrich 1982, *American Journal of Political
Science* 26(4), 797-833; Aiken & West 1991, *Multiple Regression: Testing and
Interpreting Interactions*, ch. 3):

.. math::

    z_y = \beta_0 + \beta_1 z_x + \beta_2 z_w + \beta_3 (z_x z_w) + \sum_k \gamma_k z_{c_k} + e

A 0/1 genotype code is z-scored like any other predictor (the usual SPSS /
PROCESS-style "standardized" column); say so in a table note.  The intercept is
not reported (it is not a standardized effect).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> d = pd.DataFrame({"x": rng.integers(0, 2, 200).astype(float), "w": rng.normal(4, 1, 200)})
>>> d["y"] = 5 + 0.3 * d.x + 0.2 * d.w + 0.4 * d.x * d.w + rng.normal(0, 1, 200)
>>> b = standardized_coefficients(d, outcome="y", focal="x", moderator="w")
>>> b["term"].tolist()
['x', 'w', 'x:w']
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .models import fit_ols

__all__ = ["standardized_coefficients"]


def _z(v: np.ndarray) -> np.ndarray:
    sd = v.std(ddof=1)
    if not np.isfinite(sd) or sd == 0:
        raise ValueError("a variable without variance cannot be standardized")
    return (v - v.mean()) / sd


def standardized_coefficients(data: pd.DataFrame, *, outcome: str, focal: str,
                              moderator: str | None = None,
                              covariates: Sequence[str] = ()) -> pd.DataFrame:
    """Betas of ``outcome ~ focal (+ moderator + focal x moderator) + covariates``.

    Every variable is z-scored on the complete cases (listwise, as the model),
    the product is formed from the z-scores, and the model is refitted.

    Returns
    -------
    DataFrame
        ``term, beta``; terms named as the package's fits name them
        (``focal``, ``moderator``, ``focal:moderator``, covariates).
    """
    cols = [outcome, focal, *([moderator] if moderator else []), *covariates]
    sub = data[cols].apply(pd.to_numeric, errors="coerce").dropna()
    z = {c: _z(sub[c].to_numpy(float)) for c in cols}
    terms, columns = ["Intercept"], [np.ones(len(sub))]
    terms.append(focal)
    columns.append(z[focal])
    if moderator:
        terms += [moderator, f"{focal}:{moderator}"]
        columns += [z[moderator], z[focal] * z[moderator]]
    for c in covariates:
        terms.append(c)
        columns.append(z[c])
    fit = fit_ols(np.column_stack(columns), z[outcome], tuple(terms))
    return pd.DataFrame({"term": terms[1:], "beta": np.asarray(fit.params)[1:]})
