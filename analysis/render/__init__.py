"""Layer ``analysis.render``: figures, tables, APA text, the report and the manuscript."""
