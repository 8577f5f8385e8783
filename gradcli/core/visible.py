"""Untrusted text made visible before it is printed: the one place that decides it.

A quiz file's title, a program's comment, an option's value or a file's name can hold
characters a terminal obeys instead of showing: ESC starts sequences that clear the screen
or retitle the window (`\\x1b[2J`, `\\x1b]0;pwned\\x07`), CR and BEL act, U+2028 ends a line
for some readers, and bidi overrides (U+202E) reorder what follows so text reads other
than it is. `visible` writes each such character as its escape (`\\x1b`, `\\u202e`), so
the reader sees what the text holds and the terminal is told nothing.
"""

from __future__ import annotations

import re

# C0 controls except \t and \n, DEL, C1 controls (U+0080-U+009F, including U+0085 NEL),
# the Arabic letter mark, zero-width space, LRM/RLM, the line and paragraph separators,
# bidi embeddings, overrides and isolates, invisible operators, the byte-order mark, the
# interlinear annotation characters, the tag characters, and lone surrogates (bytes that
# were not UTF-8 on the command line). Zero-width (non-)joiners stay: scripts need them.
_HIDDEN = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f"
)
_HIDDEN_KEEP_LINES = re.compile(f"[{_HIDDEN}]")
_HIDDEN_ONE_LINE = re.compile(f"[{_HIDDEN}\t\n]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str, *, lines: bool = True) -> str:
    """`text` with every character a terminal would act on, or that hides or reorders
    text, written as its escape (ESC as `\\x1b`, U+202E as `\\u202e`). Tabs and line
    breaks (\\n) are kept, unless `lines` is False: a value meant for one line."""
    pattern = _HIDDEN_KEEP_LINES if lines else _HIDDEN_ONE_LINE
    return pattern.sub(_escape, str(text))


# rich's own styles: Select Graphic Rendition, `ESC [ numbers m`, and nothing else.
_STYLE = re.compile(r"\x1b\[[0-9;]*m")


def visible_keeping_styles(text: str) -> str:
    """`visible`, except for the colour codes gradcli's own renderers wrote (SGR,
    `\\x1b[1m`): for a stream that styled output shares with text already made visible."""
    out, at = [], 0
    for match in _STYLE.finditer(text):
        out += [visible(text[at : match.start()]), match.group()]
        at = match.end()
    out.append(visible(text[at:]))
    return "".join(out)
