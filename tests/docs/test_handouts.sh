#!/usr/bin/env bash
# Handouts without the answers: the learner's edition of each lesson
# (LESSON.md, written by `make exercise` beside the copy) shows none of the
# exercise's solution lines, only its TODO, while the lesson itself (the
# instructor's edition) does show them, so this test can tell the two apart.
set -uo pipefail
source "$(dirname "$0")/../e2e/lib.sh"
cd "$root"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dir in steps/[0-9][0-9]-*/; do
    step=$(basename "$dir") n=${step%%-*}
    python3 tools/workshop.py exercise "$n" --dir "$work" >/dev/null
    handout=$work/$step/LESSON.md
    check "$step: make exercise writes the learner's edition, LESSON.md" test -s "$handout"
    # The solution's own lines, as the starter leaves them out: every line of
    # the solution copy that the starter copy does not have.
    python3 tools/workshop.py solution "$n" --dir "$work/solution" >/dev/null
    answers=$(for f in "$work/solution/$step"/*.c; do
                  diff "$work/$step/$(basename "$f")" "$f" | sed -n 's/^> *//p'
              done | awk 'length($0) >= 20' | sort -u |
              # A line the starter has too, elsewhere (a declaration another
              # function shares), gives nothing away: the handout may show it.
              while IFS= read -r line; do
                  cat "$work/$step"/*.c | grep -qF -- "$line" || printf '%s\n' "$line"
              done)
    shown_in_lesson=0 shown_in_handout=""
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        grep -qF -- "$line" "$dir/README.md" && shown_in_lesson=$((shown_in_lesson + 1))
        grep -qF -- "$line" "$handout" && shown_in_handout+="$line"$'\n'
    done <<<"$answers"
    check "$step: the lesson (instructor's edition) shows the solution ($shown_in_lesson lines)" \
        test "$shown_in_lesson" -gt 0
    check_equal "$step: the handout shows none of it" "" "${shown_in_handout%$'\n'}"
    check_contains "$step: the handout has the exercise's TODO instead" "TODO (exercise $n)" "$(cat "$handout")"
    # Its links work from where it is (the copy, not steps/NN-name/), and
    # none leads to the answer key.
    broken=$(cd "$(dirname "$handout")" && grep -o '](\([^)#:]*\)[#)]' LESSON.md |
             sed 's/^](//; s/[#)]$//' | sort -u | while read -r target; do
                 [ -e "$target" ] || echo "$target"; done)
    check_equal "$step: every relative link in the handout leads to a file" "" "$broken"
    check_equal "$step: the handout does not lead to the answer key" "" \
        "$(grep -o 'answers\.md[^)]*' "$handout")"
done
finish
