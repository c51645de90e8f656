"""Finding a class's submissions: files, folders and LMS zips; who each is from; which counts.

:func:`find` checks every path first (one that does not exist stops the command before
anything is graded), unpacks zip files (a Canvas or Moodle download) into the output folder,
and lists the notebooks. :func:`collect` names each one's student (from the LMS's file
name, matched to the roster when there is one), flags late ones (the LMS's marker, or the
file's time after the deadline), and keeps one submission per student and exercise: the
latest, with the others listed beside it.
"""

from __future__ import annotations

import os
import re
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from orderkit.classroom.batch import lms
from orderkit.classroom.batch.gradebook import row_key
from orderkit.classroom.errors import ClassroomError

UNPACKED = "unpacked"
"""The folder of the output folder that zip files are unpacked into, one folder per zip."""
MAX_UNPACKED = 2 * 1024**3  # bytes of notebooks one zip may unpack to


@dataclass(frozen=True)
class Found:
    """One submitted notebook, who it is from and when."""

    path: Path
    student: str  # as shown: the roster's name, else the name the LMS gave the file
    student_id: str = ""  # the roster's id, else the LMS's id, else ""
    email: str = ""
    lms: str = ""  # "canvas", "moodle" or ""
    lms_id: str = ""  # Canvas user id or Moodle participant id, from the file name
    submitted: str = ""  # the file's time, ISO 8601 in UTC
    late: bool = False
    older: tuple[str, ...] = ()  # this student's other files for the exercise, not graded
    rostered: bool = False  # matched to a roster line
    exercise: str | None = None  # the exercise graded (None: the notebook names none)
    attempt: int = 0

    @property
    def key(self) -> str:
        """What a row of the gradebook is for: this file, and this exercise of it."""
        return row_key(str(self.path.resolve()), self.exercise)


def exercises_in(path: Path, given: str | None = None) -> list[str | None]:
    """The exercises a notebook holds, each graded on its own: ``given`` if set, else those
    its metadata and ``check("id")`` cells name, else ``[None]`` (the whole catalogue).
    A file that cannot be read holds ``[given]``: grading it says why."""
    from orderkit.classroom.grading.notebooks import exercises_of, read_notebook

    if given is not None:
        return [given]
    try:
        held = exercises_of(read_notebook(path.read_bytes(), path.name))
    except (ClassroomError, OSError):
        return [None]
    return list(held) or [None]


@dataclass
class Class:
    """What :func:`collect` found: the submissions to grade, and who sent nothing."""

    submissions: list[Found] = field(default_factory=list)
    missing: list[lms.Student] = field(default_factory=list)  # on the roster, no file
    unknown: list[Found] = field(default_factory=list)  # a file no roster line matches


def find(paths: Sequence[Path], unpack_to: Path) -> list[tuple[Path, Path | None]]:
    """Every notebook the paths stand for, with the root its name is read from.

    A folder stands for the notebooks in it (recursively, checkpoints left out); a ``.zip``
    file is unpacked into ``unpack_to`` and stands for the notebooks in it. Every path is
    checked before any is opened: one that does not exist raises :class:`ClassroomError`.
    """
    absent = [str(p) for p in paths if not p.exists()]
    if absent:
        raise ClassroomError(f"no such file or folder: {', '.join(absent)} (nothing was graded)")
    found: list[tuple[Path, Path | None]] = []
    for path in paths:
        if path.is_file() and path.suffix.lower() == ".zip":
            folder = _unpack(path, unpack_to / re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem))
            found += [(p, folder) for p in _notebooks(folder, path)]
        elif path.is_dir():
            found += [(p, path) for p in _notebooks(path, path)]
        else:
            found.append((path, None))
    return found


def _notebooks(folder: Path, given: Path) -> list[Path]:
    notebooks = sorted(
        p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and p.is_file()
    )
    if not notebooks:
        what = "a zip file" if given.suffix.lower() == ".zip" else "a folder"
        raise ClassroomError(f"{given}: {what} with no .ipynb file in it")
    return notebooks


def _unpack(archive: Path, folder: Path) -> Path:
    """The notebooks of ``archive`` under ``folder``, with their times; nothing outside it."""
    try:
        with zipfile.ZipFile(archive) as opened:
            members = [m for m in opened.infolist() if m.filename.lower().endswith(".ipynb")]
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                raise ClassroomError(f"{archive}: unpacks to more than {MAX_UNPACKED} bytes")
            for member in members:
                parts = PurePosixPath(member.filename.replace("\\", "/")).parts
                if member.is_dir() or not parts or parts[0] == "/" or ".." in parts:
                    continue  # a name that would land outside the folder
                target = folder.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(opened.read(member))
                stamp = time.mktime((*member.date_time, 0, 0, -1))
                os.utime(target, (stamp, stamp))
    except (zipfile.BadZipFile, OSError) as error:
        raise ClassroomError(f"{archive}: not a readable zip file ({error})") from None
    return folder


def _stamp(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    except OSError:
        return datetime.fromtimestamp(0, tz=timezone.utc)


def collect(
    found: Sequence[tuple[Path, Path | None]],
    *,
    roster: Sequence[lms.Student] = (),
    deadline: datetime | None = None,
    exercises: Callable[[Path], Sequence[str | None]] = exercises_in,
) -> Class:
    """Name each submission's student, flag the late ones, keep the latest per student.

    Without a roster a student is the name the LMS gave the file (its Canvas or Moodle id
    telling two of the same name apart), or the file's name (its folder's when file names
    repeat). With one, files are matched to its lines (:func:`lms.match`); a file no line
    matches is still graded, under its own name, and listed in ``unknown``. A student's
    latest file for an exercise counts (the LMS's attempt number, then the file's time).
    ``exercises`` says which exercises a file holds: a notebook with several gives one
    submission per exercise, each graded on its own.
    """
    plain = [p for p, root in found if lms.parse(p, root).lms == ""]
    stems = [p.stem for p in plain]
    repeated = len(set(stems)) != len(stems)
    groups: dict[tuple[str, str | None], list[Found]] = defaultdict(list)
    result = Class()
    for path, root in found:
        named = lms.parse(path, root)
        if named.lms == "" and repeated:
            named = replace(named, key=path.resolve().parent.name, name=path.resolve().parent.name)
        when = _stamp(path)
        late = named.late or (deadline is not None and when > deadline)
        match = lms.match(named, roster) if roster else None
        for exercise in exercises(path) or [None]:
            item = Found(
                path,
                match.name if match and match.name else named.name,
                match.id if match else named.lms_id,
                match.email if match else "",
                named.lms,
                named.lms_id,
                when.isoformat(timespec="seconds"),
                late,
                rostered=match is not None,
                exercise=exercise,
                attempt=named.attempt,
            )
            who = f"id:{match.id}" if match else f"{named.lms}:{named.lms_id or named.key}"
            groups[(who, item.exercise)].append(item)
    for items in groups.values():
        items.sort(key=lambda f: (f.attempt, f.submitted, str(f.path)))
        latest = items[-1]
        older = tuple(str(f.path) for f in items[:-1])
        chosen = replace(latest, older=older)
        result.submissions.append(chosen)
        if roster and not chosen.rostered:
            result.unknown.append(chosen)
    order = {str(p): i for i, (p, _) in enumerate(found)}
    result.submissions.sort(key=lambda f: order[str(f.path)])  # stable: exercises in order
    sent = {f.student_id for f in result.submissions if f.rostered}
    result.missing = [s for s in roster if s.id not in sent]
    return result
