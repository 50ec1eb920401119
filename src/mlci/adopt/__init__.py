"""`mlci init`: what a new table needs (plan), the files it gets (render), writing them (project)."""
