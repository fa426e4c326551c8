"""Layer ``analysis.stats``: model fits, covariances, probing, bootstrap and batched OLS."""
