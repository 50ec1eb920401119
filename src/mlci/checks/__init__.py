"""Data and model checks that gate a pull request: schema (pandera), deepchecks suites, drift, gates floors.

Pure pieces (schema rules, frames, gates, summaries) import no deepchecks; `suites` imports it lazily.
"""
