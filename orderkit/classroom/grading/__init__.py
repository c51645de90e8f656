"""One set of tests on every implementation, in the student's kernel, and what it means."""
