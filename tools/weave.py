#!/usr/bin/env python3
"""weave: keeps the lessons' code, diffs and output in step with the code.

A lesson (any Markdown file) marks what comes from elsewhere:

    <!-- weave: function steps/03-naive-reply/main.c write_echo_reply -->
    ...filled in by weave...
    <!-- /weave -->

Directives:
    function FILE NAME   a C function with the comment above it
    diff OLD NEW         `diff -u` of two files: what a step changed (without
                         the comment each file opens with)
    file FILE            a whole file, as text
    run COMMAND...       what a command prints (stdout and stderr), run from
                         the project root; it must print the same every time
    table FILE           a file of |-separated lines as a Markdown table,
                         the first line its header

Exercise markers in the source (the `/* [exercise NN: ...] */`,
`/* [starter] ... */` and `/* [end exercise] */` lines that
tools/workshop.py reads) are left out of every excerpt.

    tools/weave.py FILE.md...          rewrite the files in place
    tools/weave.py --check FILE.md...  exit 1, with a diff, if any is stale
    tools/weave.py --links FILE.md...  exit 1 if a relative link is broken
"""
import difflib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"(<!-- weave: (.*?) -->\n)(.*?)(<!-- /weave -->)", re.S)
MARKER = re.compile(r"^\s*/\* \[(exercise [0-9]{2}: .*\]|starter\] .*|end exercise\]) \*/\s*$")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def without_markers(text):
    return "".join(line for line in text.splitlines(True) if not MARKER.match(line))


def c_function(path, name):
    """The function `name` in `path`: its leading comment, its signature and
    its body, up to the closing brace in column 0."""
    lines = without_markers(read(path)).splitlines(True)
    start = next((i for i, line in enumerate(lines)
                  if re.match(r"^[a-z][^;(]*\b%s\(" % re.escape(name), line) and not line.rstrip().endswith(";")),
                 None)
    if start is None:
        raise SystemExit("weave: no function %s in %s" % (name, path))
    first = start
    while first > 0 and (lines[first - 1].startswith((" *", "/*")) or lines[first - 1].strip().startswith("*/")):
        first -= 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("}"))
    return "```c\n" + "".join(lines[first:end + 1]) + "```\n"


def without_opening_comment(text):
    """The file without the comment it opens with (each step's says what
    the step is, so it differs between any two steps and would bury the
    code's changes in a diff), and how many lines that took."""
    match = re.match(r"/\*.*?\*/\n", text, re.S)
    if not match:
        return text, 0
    return text[match.end():], match.group(0).count("\n")


def diff(old, new):
    a, skip_a = without_opening_comment(without_markers(read(old)))
    b, skip_b = without_opening_comment(without_markers(read(new)))
    text = "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), old, new, n=2))
    # Hunk headers count lines in the whole files, comments included.
    text = re.sub(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@",
                  lambda m: "@@ -%d%s +%d%s @@" % (int(m.group(1)) + skip_a, m.group(2) or "",
                                                  int(m.group(3)) + skip_b, m.group(4) or ""),
                  text, flags=re.M)
    return ("```diff\n" + text + "```\n\n(The files' opening comments are left out; "
            "`diff -u %s %s` shows everything.)\n" % (old, new))


def run(command):
    result = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit("weave: '%s' failed:\n%s%s" % (command, result.stdout, result.stderr))
    return "```\n" + result.stdout + result.stderr + "```\n"


def render(directive):
    kind, _, rest = directive.partition(" ")
    args = rest.split()
    if kind == "function" and len(args) == 2:
        return c_function(*args)
    if kind == "diff" and len(args) == 2:
        return diff(*args)
    if kind == "file" and len(args) == 1:
        return "```\n" + read(args[0]) + "```\n"
    if kind == "run" and args:
        return run(rest)
    if kind == "table" and len(args) == 1:
        rows = [line.split("|") for line in read(args[0]).splitlines() if line]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        return "\n".join(lines) + "\n"
    raise SystemExit("weave: cannot understand '<!-- weave: %s -->'" % directive)


def weave(text):
    return BLOCK.sub(lambda m: m.group(1) + render(m.group(2)) + m.group(4), text)


def broken_links(path, text):
    here = os.path.dirname(os.path.join(ROOT, path))
    text = re.sub(r"```.*?```", "", text, flags=re.S)     # code is not links
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        if not os.path.exists(os.path.join(here, target.split("#")[0])):
            yield target


def main(argv):
    mode = "write"
    if argv and argv[0] in ("--check", "--links"):
        mode, argv = argv[0][2:], argv[1:]
    status = 0
    for path in argv:
        path = os.path.relpath(os.path.abspath(path), ROOT)
        text = read(path)
        if mode == "links":
            for target in broken_links(path, text):
                print("%s: broken link to %s" % (path, target))
                status = 1
            continue
        woven = weave(text)
        if woven == text:
            continue
        if mode == "check":
            print("%s is out of date with the code; run 'make lessons' and read the diff:" % path)
            sys.stdout.writelines(list(difflib.unified_diff(
                text.splitlines(True), woven.splitlines(True), path, "woven", n=1))[:60])
            status = 1
        else:
            with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
                f.write(woven)
            print("wove %s" % path)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
