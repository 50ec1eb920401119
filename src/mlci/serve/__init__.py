"""HTTP serving of one verified model: request schema from the training data, limits, metrics, logs."""
