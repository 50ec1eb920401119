"""Loading the data set and the deterministic train/holdout split."""
