"""`mlci run`: train, evaluate, plots and the model card, written as one artifacts folder."""
