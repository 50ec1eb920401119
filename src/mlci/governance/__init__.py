"""`mlci govern`: the release rules, the evidence they read and the approvals."""
