#!/usr/bin/python3
"""
skips.py LOG - the skipped tests of a `python3 -m unittest -v` log, one per line:

    allowed<TAB>test<TAB>reason     a skip the test declared legitimate (harness.skip_allowed)
    refused<TAB>test<TAB>reason     any other skip: tests/run counts it as a failure

A skip proves nothing; only one whose reason starts with the marker of
tests/api/harness.py (ALLOWED_SKIP) may pass a stage: a module's coverage check
when only part of it ran, a machine without an IPv6 loopback, …
"""

import ast
import re
import sys

ALLOWED_SKIP = "allowed skip: "  # tests/api/harness.py
# "name (module.Class.name) ... skipped 'reason'", the description possibly on the line before
# (a docstring's first line), subtests indented with their parameters.
SKIP_RE = re.compile(r"^(?P<head>.*?)\s*\.\.\. skipped (?P<reason>(['\"]).*\3)\s*$")
NAME_RE = re.compile(r"^\s*(\S+ \([\w.]+\)(?: \(.*\))?)")


def skips(lines):
    """[(allowed, test, reason)] of the skip lines of a verbose unittest log."""
    out = []
    prev = ""
    for line in lines:
        line = line.rstrip("\n")
        m = SKIP_RE.match(line)
        if m:
            try:
                reason = ast.literal_eval(m.group("reason"))
            except (ValueError, SyntaxError):
                reason = m.group("reason")[1:-1]
            name = NAME_RE.match(m.group("head"))
            if name is None:  # the description line of a test with a docstring
                name = NAME_RE.match(prev)
            test = name.group(1) if name else m.group("head").strip()
            out.append((str(reason).startswith(ALLOWED_SKIP), test, str(reason)))
        prev = line
    return out


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: skips.py UNITTEST_LOG")
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        for allowed, test, reason in skips(f):
            print(f"{'allowed' if allowed else 'refused'}\t{test}\t{reason}")


if __name__ == "__main__":
    main(sys.argv)
