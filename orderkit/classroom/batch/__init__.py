"""Grading a class: submissions read as data, clean sandboxed runs, the gradebook."""
