"""Defaults of the experiment statistics that the command line shows, kept free of scipy so that
`adops ab --help` can show them without loading it."""

#: gbstats' default tuning of the sequential test: the total sample size where its interval is tightest
DEFAULT_SEQUENTIAL_TUNING = 5000.0
