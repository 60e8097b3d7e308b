#!/usr/bin/env python3
"""workshop: makes a learner's starter copy of a step from its real source.

The solution marks, in its own source, the regions a learner writes:

    /* [exercise 04: the hint the learner sees] */
    ...the solution's lines...
    /* [starter] a line of code the starter has instead */
    /* [end exercise] */

    tools/workshop.py exercise NN [--dir DIR] [--force]
        writes DIR/NN-name/ (default workshop/): the step's main.c and every
        common/*.c that holds a region of exercise NN, each region replaced
        by a TODO with its hint and the starter's lines. The starter builds,
        runs, and does at least what the previous step did.
    tools/workshop.py files NN
        lists those source files, for scripts/check.sh.
    tools/workshop.py hints NN
        what the learner is asked to write, file by file (for the lessons).
    tools/workshop.py solution NN [--dir DIR] [--force]
        the same copy with the solution in place (to prove the checks pass).
    tools/workshop.py handout NN
        the learner's edition of the lesson: steps/NN-name/README.md with
        the exercise's solution lines taken out of its listings and diffs,
        a TODO in their place, as the starter has them. `exercise` writes
        it beside the copy as LESSON.md; the lesson itself stays the
        instructor's edition.
"""
import glob
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPEN = re.compile(r"^(\s*)/\* \[exercise ([0-9]{2}): (.*)\] \*/\s*$")
STARTER = re.compile(r"^(\s*)/\* \[starter\] (.*) \*/\s*$")
END = re.compile(r"^\s*/\* \[end exercise\] \*/\s*$")


def step_dir(number):
    found = glob.glob(os.path.join(ROOT, "steps", number + "-*"))
    if len(found) != 1:
        steps = " ".join(sorted(os.path.basename(d) for d in glob.glob(os.path.join(ROOT, "steps", "[0-9][0-9]-*"))))
        raise SystemExit("workshop: there is no step %s: choose one of %s." % (number, steps))
    return found[0]


def files_for(number):
    """The step's main.c, and the common/*.c files with a region for it."""
    main = os.path.join(step_dir(number), "main.c")
    files = [main]
    for path in sorted(glob.glob(os.path.join(ROOT, "common", "*.c"))):
        with open(path, encoding="utf-8") as f:
            if any((m := OPEN.match(line)) and m.group(2) == number for line in f):
                files.append(path)
    return files


def transform(text, number, keep_solution):
    """The source with exercise `number` as a starter (or as the solution),
    and every marker line of every exercise taken out."""
    out, region = [], None
    for line in text.splitlines(True):
        opened = OPEN.match(line)
        if opened:
            region = opened.group(2)
            if region == number and not keep_solution:
                out.append("%s/* TODO (exercise %s): %s */\n" % (opened.group(1), number, opened.group(3)))
            continue
        starter = STARTER.match(line)
        if starter:
            if region == number and not keep_solution:
                out.append(starter.group(1) + starter.group(2) + "\n")
            continue
        if END.match(line):
            region = None
            continue
        if region == number and not keep_solution:
            continue                    # the solution's own lines
        out.append(line)
    if region is not None:
        raise SystemExit("workshop: an exercise region is not closed")
    return "".join(out)


def solution_lines(number):
    """The lines the learner writes in exercise `number`, stripped, each
    with the TODO line of its region."""
    lines, todo = {}, None
    for path in files_for(number):
        region = None
        with open(path, encoding="utf-8") as f:
            for line in f:
                opened = OPEN.match(line)
                if opened:
                    region = opened.group(2)
                    todo = "/* TODO (exercise %s): %s */" % (number, opened.group(3))
                elif END.match(line):
                    region = None
                elif region == number and not STARTER.match(line) and line.strip():
                    lines[line.strip()] = todo
    return lines


def handout(number):
    """The lesson with every run of solution lines in its code blocks
    replaced by the exercise's TODO. A run counts only if one of its lines
    is long enough to be the solution's own (a lone `}` or `return 0;`
    elsewhere in a listing stays), and if it is at least half of its
    region."""
    with open(os.path.join(step_dir(number), "README.md"), encoding="utf-8") as f:
        text = f.read().splitlines(True)
    answers = solution_lines(number)
    out, run, blanks, fence = [], [], [], None

    # How many lines each region has: a run must show at least half of
    # its region, so a line the solution shares with another function (a
    # declaration, a refuse() call) stays where that function is listed.
    region_size = {}
    for todo in answers.values():
        region_size[todo] = region_size.get(todo, 0) + 1

    def flush():
        if (run and any(len(code.strip()) >= 20 for _, code, _ in run)
                and 2 * sum(1 for _, code, _ in run if code) >= region_size[answers[run[0][1].strip()]]):
            prefix, code, _ = run[0]
            indent = code[:len(code) - len(code.lstrip())]
            out.append("%s%s%s\n" % (prefix if prefix != "-" else " ", indent, answers[code.strip()]))
            # A region inside a function may end just before the function
            # does: its closing brace (column 0) is the listing's, not the
            # solution's.
            if indent and run[-1][1] == "}":
                out.append(run[-1][2])
        else:
            out.extend(line for _, _, line in run)
        run.clear()
        out.extend(blanks)          # blank lines after a run are not its own
        blanks.clear()

    for line in text:
        if line.startswith("```"):
            flush()
            fence = None if fence else line[3:].strip() or "text"
            out.append(line)
            continue
        if fence:
            prefix, code = "", line.rstrip("\n")
            if fence == "diff" and code[:1] in ("+", "-", " "):
                prefix, code = code[0], code[1:]
            if code.strip() in answers:
                run.extend(("", "", blank) for blank in blanks)  # a blank line inside
                blanks.clear()                                   # a region is part of it
                run.append((prefix, code, line))
                continue
            if run and not code.strip():
                blanks.append(line)
                continue
        flush()
        out.append(line)
    flush()
    return "".join(out)


LINK = re.compile(r"\]\(([^)#\s]*)(#[^)\s]*)?\)")


def relink(text, from_dir, to_dir):
    """The lesson's relative links (to other lessons, the diagrams) point
    from steps/NN-name/; LESSON.md lives in the learner's copy, elsewhere.
    Each relative link is rewritten to reach the same file from there. The
    line that points to the answer key is left out of the learner's copy."""
    out, fence = [], False
    for line in text.splitlines(True):
        if line.startswith("```"):
            fence = not fence
        elif not fence:
            if "docs/answers.md" in line:
                continue

            def moved(m):
                target, fragment = m.group(1), m.group(2) or ""
                if not target or re.match(r"[a-z]+:", target) or target.startswith("/"):
                    return m.group(0)
                path = os.path.normpath(os.path.join(from_dir, target))
                return "](%s%s)" % (os.path.relpath(path, to_dir), fragment)
            line = LINK.sub(moved, line)
        out.append(line)
    return "".join(out)


def shown(path):
    """A path as short as it can be said from here."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def give_back(directory):
    """Under sudo, the copy belongs to the user who typed sudo: they edit
    it, and their `make check` writes in it, as themselves."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if os.geteuid() != 0 or not uid or uid == "0":
        return
    for top, dirs, files in os.walk(directory):
        for name in [top] + [os.path.join(top, n) for n in dirs + files]:
            os.chown(name, int(uid), int(gid or uid))


def make_copy(number, directory, force, keep_solution):
    name = os.path.basename(step_dir(number))
    target = os.path.join(directory, name)
    if os.path.exists(target):
        if not force:
            raise SystemExit("workshop: %s exists and may hold your work: keep it, or start over "
                             "with 'make exercise STEP=%s FORCE=1'." % (shown(target), number))
        shutil.rmtree(target)
    os.makedirs(target)
    regions = 0
    for path in files_for(number):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        regions += sum(1 for m in map(OPEN.match, text.splitlines()) if m and m.group(2) == number)
        with open(os.path.join(target, os.path.basename(path)), "w", encoding="utf-8") as f:
            f.write(transform(text, number, keep_solution))
    # A step whose lesson is still being written has no LESSON.md yet.
    has_lesson = os.path.exists(os.path.join(step_dir(number), "README.md"))
    with open(os.path.join(target, "README.txt"), "w", encoding="utf-8") as f:
        f.write("Exercise %s, %s: your copy of the step.\n\n"
                "Fill in every TODO (grep -n TODO *.c), then, from the project root:\n\n"
                "    make check STEP=%s\n\n"
                "It builds this copy against the same tests as the solution and, where the\n"
                "machine allows namespaces, pings it. %s\n"
                % (number, name, number,
                   "The lesson, without the answer,\nis LESSON.md beside this file." if has_lesson
                   else "The TODOs say what to write; this\nstep's lesson is not written yet."))
    if has_lesson:
        with open(os.path.join(target, "LESSON.md"), "w", encoding="utf-8") as f:
            if keep_solution:
                with open(os.path.join(step_dir(number), "README.md"), encoding="utf-8") as lesson:
                    f.write(lesson.read())
            else:
                f.write(relink(handout(number), step_dir(number), os.path.abspath(target)))
    give_back(directory)
    what = "solution" if keep_solution else "starter"
    print("%s %s: %s (%d region%s to write)" % (what, name, shown(target),
                                                regions, "" if regions == 1 else "s"))


def main(argv):
    if len(argv) < 2 or argv[0] not in ("exercise", "solution", "files", "hints", "handout"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command, number = argv[0], argv[1]
    if not re.fullmatch(r"[0-9]{2}", number):
        number = "%02d" % int(number) if number.isdigit() else number
    if command == "files":
        print("\n".join(os.path.relpath(p, ROOT) for p in files_for(number)))
        return 0
    if command == "handout":
        sys.stdout.write(handout(number))
        return 0
    if command == "hints":
        for path in files_for(number):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    m = OPEN.match(line)
                    if m and m.group(2) == number:
                        print("%s: %s" % (os.path.basename(path), m.group(3)))
        return 0
    directory = os.path.join(ROOT, "workshop")
    if "--dir" in argv:
        directory = os.path.abspath(argv[argv.index("--dir") + 1])
    make_copy(number, directory, "--force" in argv, command == "solution")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
