"""`mlci image` and `mlci records`: build, smoke-test, push and promote the serving image; the release records."""
