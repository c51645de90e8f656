"""Defaults of the classroom tools, each written once (the test limit is the kit's own)."""

from orderkit.defaults import TEST_TIMEOUT as TEST_TIMEOUT

SUBMISSION_TIMEOUT = 60.0
"""Seconds of CPU time one run of a submission may use in the batch grader (its cells and
all its tests on one implementation); five times that of wall-clock time stops it too."""

MEMORY_MIB = 1024
"""MiB of memory (address space) one run of a submission may use in the batch grader."""
