"""Layer ``analysis.io.readers``: reading survey exports, codebooks, validation and data quality."""
