#!/usr/bin/python3
"""
skips.py LOG - the skipped tests of a `python3 -m unittest -v` log, one per line:

    allowed<TAB>test<TAB>reason     a skip the test declared legitimate (harness.skip_allowed)
    refused<TAB>test<TAB>reason     any other skip: tests/run counts it as a failure
    known<TAB>test<TAB>…            an expected failure: a known server bug (harness.known_bug), listed only

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
KNOWN_RE = re.compile(r"^(?P<head>.*?)\s*\.\.\. expected failure\s*$")
NAME_RE = re.compile(r"^\s*(\S+ \([\w.]+\)(?: \(.*\))?)")


def _name(head, prev):
    name = NAME_RE.match(head) or NAME_RE.match(prev)  # else the description line of a test with a docstring
    return name.group(1) if name else head.strip()


def skips(lines):
    """[(kind, test, reason)] of the skip and expected-failure lines of a verbose unittest log."""
    out = []
    prev = ""
    for line in lines:
        line = line.rstrip("\n")
        k = KNOWN_RE.match(line)
        if k:
            out.append(("known", _name(k.group("head"), prev), "expected failure: a known server bug (known_bug)"))
        m = SKIP_RE.match(line)
        if m:
            try:
                reason = ast.literal_eval(m.group("reason"))
            except (ValueError, SyntaxError):
                reason = m.group("reason")[1:-1]
            kind = "allowed" if str(reason).startswith(ALLOWED_SKIP) else "refused"
            out.append((kind, _name(m.group("head"), prev), str(reason)))
        prev = line
    return out


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: skips.py UNITTEST_LOG")
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        for kind, test, reason in skips(f):
            print(f"{kind}\t{test}\t{reason}")


if __name__ == "__main__":
    main(sys.argv)
