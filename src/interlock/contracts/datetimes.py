"""Date and time formats of Pact matchers and generators (Java `DateTimeFormatter` patterns).

Patterns such as `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` are translated to `strptime`/`strftime` ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from functools import lru_cache

_LETTERS = {
    "yyyy": "%Y",
    "uuuu": "%Y",
    "yy": "%y",
    "y": "%Y",
    "u": "%Y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%m",
    "LL": "%m",
    "dd": "%d",
    "d": "%d",
    "DDD": "%j",
    "D": "%j",
    "HH": "%H",
    "H": "%H",
    "kk": "%H",
    "hh": "%I",
    "h": "%I",
    "mm": "%M",
    "m": "%M",
    "ss": "%S",
    "s": "%S",
    "a": "%p",
    "EEEE": "%A",
    "EEE": "%a",
    "EE": "%a",
    "E": "%a",
    "XXX": "%z",
    "XX": "%z",
    "X": "%z",
    "xxx": "%z",
    "xx": "%z",
    "ZZZ": "%z",
    "ZZ": "%z",
    "Z": "%z",
    "z": "%Z",
}

DEFAULT_FORMATS = {
    "date": "yyyy-MM-dd",
    "time": "HH:mm:ss",
    "datetime": "yyyy-MM-dd'T'HH:mm:ss",
    "timestamp": "yyyy-MM-dd'T'HH:mm:ss",
}


class DateFormatError(ValueError):
    """A date/time pattern with a letter Interlock does not know."""


@lru_cache(maxsize=256)
def to_strftime(pattern: str) -> str:
    """Translate a Java date/time pattern into a `strptime`/`strftime` format string."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise DateFormatError(f"date format {pattern!r}: quote at {i} is never closed")
            literal = pattern[i + 1 : end] or "'"
            out.append(literal.replace("%", "%%"))
            i = end + 1
            continue
        if ch.isalpha():
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            run = pattern[i:j]
            if ch == "S":
                out.append("%f")
            elif run in _LETTERS:
                out.append(_LETTERS[run])
            elif ch in "yMdHhmsE" and run[:4] in _LETTERS:
                out.append(_LETTERS[run[:4]])
            else:
                raise DateFormatError(f"date format {pattern!r}: unknown pattern letters {run!r}")
            i = j
            continue
        out.append("%%" if ch == "%" else ch)
        i += 1
    return "".join(out)


_REGEX_PIECES = {
    "yyyy": r"(?P<y>\d{4})",
    "uuuu": r"(?P<y>\d{4})",
    "yy": r"\d{2}",
    "MM": r"(?P<M>0[1-9]|1[0-2])",
    "M": r"(?P<M>1[0-2]|[1-9])",
    "dd": r"(?P<d>0[1-9]|[12]\d|3[01])",
    "d": r"(?P<d>[12]\d|3[01]|[1-9])",
    "HH": r"(?:[01]\d|2[0-3])",
    "H": r"(?:1\d|2[0-3]|\d)",
    "hh": r"(?:0[1-9]|1[0-2])",
    "h": r"(?:1[0-2]|[1-9])",
    "mm": r"[0-5]\d",
    "ss": r"[0-5]\d",
    "a": r"(?:AM|PM|am|pm)",
    "X": r"(?:Z|[+-]\d{2}(?:\d{2})?)",
    "XX": r"(?:Z|[+-]\d{4})",
    "XXX": r"(?:Z|[+-]\d{2}:\d{2})",
    "xxx": r"[+-]\d{2}:\d{2}",
    "xx": r"[+-]\d{4}",
    "Z": r"[+-]\d{4}",
}


@lru_cache(maxsize=256)
def _fast_pattern(pattern: str) -> tuple[re.Pattern[str], bool]:
    """A regex for the pattern, and whether `strptime` must still confirm a match
    (month and day names). Day-of-month validity is checked separately."""
    out: list[str] = []
    confirm = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            out.append(re.escape(pattern[i + 1 : end] or "'"))
            i = end + 1
            continue
        if ch.isalpha():
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            run = pattern[i:j]
            if ch == "S":
                out.append(r"\d{" + str(len(run)) + "}")
            elif run in _REGEX_PIECES:
                out.append(_REGEX_PIECES[run])
            else:
                out.append(r"[A-Za-z0-9+:/ _-]+?")
                confirm = True
            i = j
            continue
        out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out)), confirm


def format_checker(kind: str, pattern: str | None) -> Callable[[object], bool]:
    """A reusable test "is this value a date/time in `pattern`", with the pattern compiled once."""
    if pattern is None or _fast_pattern(pattern)[1]:
        return lambda v: isinstance(v, str) and matches_format(v, kind, pattern)
    regex, _confirm = _fast_pattern(pattern)
    fullmatch = regex.fullmatch
    with_day = "(?P<d>" in regex.pattern and "(?P<M>" in regex.pattern

    def check(value: object) -> bool:
        if value.__class__ is not str:
            return False
        found = fullmatch(str(value))
        if found is None:
            return False
        if not with_day or int(found["d"]) <= 28:
            return True
        try:
            date(int(found["y"] or 2000), int(found["M"]), int(found["d"]))
        except (ValueError, IndexError):
            return False
        return True

    return check


def matches_format(text: str, kind: str, pattern: str | None) -> bool:
    """Whether `text` is a date/time/datetime written in `pattern` (ISO 8601 when None)."""
    if pattern is None:
        try:
            if kind == "date":
                date.fromisoformat(text)
            elif kind == "time":
                time.fromisoformat(text)
            else:
                datetime.fromisoformat(text)
        except ValueError:
            return False
        return True
    regex, confirm = _fast_pattern(pattern)
    found = regex.fullmatch(text)
    if found is None:
        return False
    if confirm:
        try:
            datetime.strptime(text, to_strftime(pattern))
        except ValueError:
            return False
        return True
    parts = found.groupdict()
    if parts.get("d") and parts.get("M"):
        try:
            date(int(parts.get("y") or 2000), int(parts["M"]), int(parts["d"]))
        except ValueError:
            return False
    return True


def format_datetime(moment: datetime, pattern: str) -> str:
    """Write `moment` in a Java pattern (fractions as milliseconds, zones as the letters ask)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            end = pattern.find("'", i + 1)
            out.append(pattern[i + 1 : end] or "'")
            i = end + 1
            continue
        if not ch.isalpha():
            out.append(ch)
            i += 1
            continue
        j = i
        while j < n and pattern[j] == ch:
            j += 1
        run = pattern[i:j]
        i = j
        if ch == "S":
            out.append(f"{moment.microsecond:06d}"[: len(run)].ljust(len(run), "0"))
        elif ch in "XxZ":
            out.append(_zone(moment, run))
        else:
            out.append(moment.strftime(to_strftime(run)))
    return "".join(out)


def _zone(moment: datetime, run: str) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0 and run[0] == "X":
        return "Z"
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    if run in ("XXX", "xxx"):
        return f"{sign}{hours:02d}:{mins:02d}"
    if run == "X" and mins == 0:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}{mins:02d}"
