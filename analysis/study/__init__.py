"""Layer ``analysis.study``: the study: config, simulation, model families, claims and verdicts, replication metrics, susceptibility and the multiverse."""
