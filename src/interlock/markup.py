"""Rich console markup without importing Rich: escaping, and the plain text a pipe receives.

Importing Rich costs a quick command (`migrate lint`, `catalog check`) a tenth of its start-up.
Written to a file or another program, Rich prints markup as its plain text; `plain_text` gives
that same text, so such output needs no Rich at all. Both follow `rich.markup` exactly.
"""

from __future__ import annotations

import re

_TAGS = re.compile(r"((\\*)\[([a-z#/@][^[]*?)])")  # rich.markup.RE_TAGS
_TO_ESCAPE = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
# what Rich would change beyond removing tags: emoji codes, tabs, control characters
_NOT_PLAIN = re.compile(r":\S*?:|[\x00-\x09\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """`text` with square brackets escaped so that it is not read as markup (`rich.markup.escape`)."""

    def double_backslashes(match: re.Match[str]) -> str:
        backslashes, tag = match.groups()
        return f"{backslashes}{backslashes}\\{tag}"

    text = _TO_ESCAPE.sub(double_backslashes, text)
    if text.endswith("\\") and not text.endswith("\\\\"):
        return text + "\\"
    return text


def plain_text(markup: str, is_markup: bool = True) -> str | None:
    """The text Rich prints for `markup` when not writing to a terminal; None when Rich would
    change more than the tags (emoji codes, tabs, control characters): let Rich print it.

    With `is_markup` False (`print(..., markup=False)`) the text is taken as it is."""
    if _NOT_PLAIN.search(markup):
        return None
    if not is_markup or "[" not in markup:
        return markup
    out: list[str] = []
    position = 0
    for match in _TAGS.finditer(markup):
        full, escapes, _ = match.groups()
        start, end = match.span()
        out.append(markup[position:start])
        position = end
        if escapes:
            backslashes, escaped = divmod(len(escapes), 2)
            out.append("\\" * backslashes)
            if escaped:
                out.append(full[len(escapes) :])  # an escaped tag is text
    out.append(markup[position:])
    return "".join(out)
