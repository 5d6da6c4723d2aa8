"""Developer tooling: the local stack (`make run`), the schedule runner, and their shared helpers."""
