"""What every stage uses: errors and exit codes, progress, the artifacts contract, provenance, row keys, the model file."""
