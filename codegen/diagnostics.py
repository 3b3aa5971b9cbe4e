"""Diagnostics a person can act on: file:line:col, the offending line with a caret,
and a hint. Every stage collects into one Diagnostics so the user sees all errors."""
import difflib


WIDTH = 120   # characters of a source line shown under a diagnostic


class Source:
    """One input file's text, kept so any stage can quote the offending line."""

    def __init__(self, path, text, bad_utf8=False):
        self.path = path
        self.text = text
        self.lines = text.split("\n")
        self.bad_utf8 = bad_utf8  # its undecodable bytes were reported once, at the first

    def line(self, n):
        return self.lines[n - 1] if 0 < n <= len(self.lines) else ""


class Pos:
    __slots__ = ("source", "line", "col", "length")

    def __init__(self, source, line, col, length=1):
        self.source, self.line, self.col, self.length = source, line, col, max(1, length)

    def __repr__(self):
        return f"{self.source.path}:{self.line}:{self.col}"


class Diagnostic:
    def __init__(self, pos, message, hint=None, severity="error"):
        self.pos, self.message, self.hint, self.severity = pos, message, hint, severity

    def sort_key(self):
        if self.pos is None:
            return ("", 0, 0, self.message)
        return (self.pos.source.path, self.pos.line, self.pos.col, self.message)

    def render(self):
        if self.pos is None:
            out = [f"{self.severity}: {self.message}"]
        else:
            p = self.pos
            text = p.source.line(p.line).replace("\t", " ")
            col, length = p.col, min(p.length, WIDTH)
            # A long line is shown as a window around the column, so a minified or
            # generated file does not print megabytes once per error.
            if len(text) > WIDTH:
                first = max(0, col - 1 - WIDTH // 2)
                shown = text[first:first + WIDTH]
                lead = "..." if first else ""
                text = lead + shown + ("..." if first + WIDTH < len(text) else "")
                col = col - first + len(lead)
                length = max(1, min(length, WIDTH - (col - len(lead)) + 1))
            text = "".join(ch if ch.isprintable() else "?" for ch in text)
            out = [f"{p.source.path}:{p.line}:{p.col}: {self.severity}: {self.message}",
                   f"    {text}",
                   "    " + " " * (col - 1) + "^" + "~" * (length - 1)]
        if self.hint:
            out.append(f"    hint: {self.hint}")
        return "\n".join(out)


class GenError(Exception):
    """Raised once a stage has finished and found errors; carries all of them."""

    def __init__(self, diagnostics):
        super().__init__(f"{len(diagnostics)} error(s)")
        self.diagnostics = diagnostics

    def render(self):
        return "\n".join(d.render() for d in self.diagnostics)


class Diagnostics:
    def __init__(self):
        self.items = []
        self.places = set()

    def error(self, pos, message, hint=None):
        # One error per place: a later stage that trips over what an earlier one already
        # reported there (a bad number, then its range) would only repeat the cause.
        if pos is not None:
            key = (pos.source.path, pos.line, pos.col)
            if key in self.places:
                return
            self.places.add(key)
        self.items.append(Diagnostic(pos, message, hint))

    def __len__(self):
        return len(self.items)

    def raise_if_any(self):
        if self.items:
            # Sorted by position so the report reads top to bottom, and so tests are stable.
            raise GenError(sorted(self.items, key=Diagnostic.sort_key))


def did_you_mean(name, candidates):
    """A hint naming the closest known name, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
