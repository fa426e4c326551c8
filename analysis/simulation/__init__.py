"""Layer ``analysis.simulation``: Monte Carlo: power curves and replication probabilities."""
