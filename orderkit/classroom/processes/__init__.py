"""The one process layer: the C library looked up once, how a child ended, the run loop.

``check()``'s forked runs (:mod:`orderkit.classroom.grading.runs`) and the batch's clean
runs (:mod:`orderkit.classroom.batch.cleanrun`) start differently, but both are children
that the same loop (:mod:`orderkit.classroom.processes.loop`) starts, waits for and stops,
and whose endings are described by the same types.
"""
