"""Defaults of the classroom tools, each written once."""

TEST_TIMEOUT = 10.0
"""Seconds one test may run on one implementation before it is stopped."""

SUBMISSION_TIMEOUT = 60.0
"""Seconds one submission may take in the batch grader, its cells and all its runs."""

MEMORY_MIB = 1024
"""MiB of memory (address space) one submission may use in the batch grader."""
