"""The kit's bug catalogue as mutants: each wheat and chaff a diff of the kit's source."""

from __future__ import annotations

import difflib

from orderkit.suite_quality.suite import KIT


def hand_made_mutant(name: str) -> str:
    """A wheat or chaff of the kit's bug catalogue, as a diff of the file it changes.

    The catalogue's entries are mutants too, each chosen by hand: a chaff is a bug a teacher
    wants tests to catch, a wheat a change that no valid test may catch.
    """
    from orderkit.classroom import load  # the classroom only when asked: it is heavier

    implementation = load().named(name)
    after: dict[str, str] = {}
    for change in implementation.changes:  # in order, each on the file as changed so far
        text = after.get(change.file, (KIT / change.file).read_text())
        after[change.file] = text.replace(change.find, change.replace, change.count)
    parts = []
    for file, text in after.items():
        before = (KIT / file).read_text().splitlines()
        diff = difflib.unified_diff(before, text.splitlines(), lineterm="", n=1)
        parts += [line for line in diff if not line.startswith(("---", "+++"))]
    return f"{implementation.kind} {name!r}: {implementation.title}\n" + "\n".join(parts)


# mutmut stops a mutant's tests after (their clean run's time + ``timeout_constant``) x 15
# seconds of wall-clock time: with the default constant of 1, about 15 s, which a forked
# child can spend waiting for a core on a very busy machine (and a killed mutant would then
# count as a timeout, changing the lesson's counts). None of the services' mutants loops.
