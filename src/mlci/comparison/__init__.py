"""`mlci compare` and `mlci report`: the candidate against the baseline, intervals and the PR report."""
