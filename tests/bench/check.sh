#!/bin/sh
# Runs a guest once and checks what it printed.
# Usage: check.sh NAME EXPECTED COMMAND [ARG]...
# Passes when COMMAND exits 0 within $CHECK_TIMEOUT seconds (default 60)
# and its standard output equals the file EXPECTED byte for byte.  When
# $EXPECT_INSNS is set, COMMAND gets --stats appended and must report that
# many executed instructions exactly (REP iterations count one each).
set -u
name=$1 expected=$2
shift 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if [ -n "${EXPECT_INSNS:-}" ]; then
    set -- "$@" --stats
fi
timeout "${CHECK_TIMEOUT:-60}" "$@" >"$out" 2>"$err"
rc=$?
if [ "$rc" -ne 0 ]; then
    if [ "$rc" -eq 124 ]; then
        echo "check: $name: FAILED: timed out after ${CHECK_TIMEOUT:-60} s: $*"
    else
        echo "check: $name: FAILED: exit status $rc: $*"
    fi
    sed 's/^/  stderr: /' "$err" | head -40
    exit 1
fi
if ! cmp -s "$out" "$expected"; then
    echo "check: $name: FAILED: wrong output from: $*"
    printf "  expected:%s\n" "$(head -c 200 "$expected" | od -An -c | tr -s ' \n' ' ')"
    printf "  got:     %s\n" "$(head -c 200 "$out" | od -An -c | tr -s ' \n' ' ')"
    sed 's/^/  stderr: /' "$err" | head -40
    exit 1
fi
if [ -n "${EXPECT_INSNS:-}" ]; then
    n=$(sed -n 's/^popek: \([0-9][0-9]*\) instructions in .*/\1/p' "$err" | tail -n 1)
    if [ -z "$n" ] || [ "$n" -ne "$EXPECT_INSNS" ]; then
        echo "check: $name: FAILED: executed ${n:-an unreported number of} instructions, expected $EXPECT_INSNS"
        exit 1
    fi
fi
echo "check: $name: ok"
