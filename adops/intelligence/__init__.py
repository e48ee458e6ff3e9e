"""Recommendations with evidence, applied through workflows, and a memory that learns from outcomes.

`recommend.recommend()` reads the warehouse and returns what to do next (see its kinds);
`memory.ranked()` orders the open ones by expected value x the account's track record;
`memory.apply()` / `dismiss()` / `measure_due()` / `outcomes()` keep the memory (plain store tables,
`adops.intelligence.models`). `truth` reads the sandbox's planted truth for tests and benchmarks.
"""
