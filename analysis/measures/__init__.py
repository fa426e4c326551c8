"""Layer ``analysis.measures``: scoring scales and coding genotypes."""
