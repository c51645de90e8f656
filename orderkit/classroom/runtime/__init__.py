"""What runs beside the student's code: cells, collection, the tripwire, each test's run.

A clean run carries this subpackage as source in its copy of the kit, so it imports
nothing of the classroom package but itself (and :mod:`orderkit.notebook`)."""
