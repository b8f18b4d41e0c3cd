#!/bin/sh
# Times a guest several times and prints the median guest MIPS.
# Usage: bench.sh NAME RUNS EXPECTED COMMAND [ARG]...
# COMMAND is run RUNS times with --stats appended; every run must exit 0
# within $BENCH_TIMEOUT seconds (default 600), print exactly the file
# EXPECTED on standard output (so a broken CPU cannot report a speed) and
# execute the same number of instructions; when $EXPECT_INSNS is set, that
# number must equal it exactly (the MIPS figure rests on the CPU's own
# count).  Prints one line:
#   bench: NAME median of RUNS: M MIPS (runs: M1 M2 ...; N instructions)
set -u
name=$1 runs=$2 expected=$3
shift 3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
all="" count=""
i=1
while [ "$i" -le "$runs" ]; do
    timeout "${BENCH_TIMEOUT:-600}" "$@" --stats >"$out" 2>"$err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "bench: $name: FAILED: run $i: exit status $rc: $* --stats"
        sed 's/^/  stderr: /' "$err" | head -40
        exit 1
    fi
    if ! cmp -s "$out" "$expected"; then
        printf "bench: %s: FAILED: run %s printed '%s', expected '%s'\n" "$name" "$i" \
            "$(head -c 100 "$out" | tr '\n' ' ')" "$(tr '\n' ' ' <"$expected")"
        exit 1
    fi
    # popek: N instructions in S s: M MIPS
    stats=$(sed -n 's/^popek: \([0-9][0-9]*\) instructions in \([0-9.][0-9.]*\) s: \([0-9.][0-9.]*\) MIPS$/\1 \3/p' "$err" | tail -n 1)
    if [ -z "$stats" ]; then
        echo "bench: $name: FAILED: run $i: no statistics line on standard error"
        sed 's/^/  stderr: /' "$err" | head -40
        exit 1
    fi
    n=${stats% *} mips=${stats#* }
    if [ -n "$count" ] && [ "$n" != "$count" ]; then
        echo "bench: $name: FAILED: run $i executed $n instructions, run 1 executed $count"
        exit 1
    fi
    if [ -n "${EXPECT_INSNS:-}" ] && [ "$n" -ne "$EXPECT_INSNS" ]; then
        echo "bench: $name: FAILED: run $i executed $n instructions, the reference says $EXPECT_INSNS"
        exit 1
    fi
    count=$n
    all="$all $mips"
    i=$((i + 1))
done
median=$(printf '%s\n' $all | sort -n | awk '{ v[NR] = $1 }
    END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }')
echo "bench: $name median of $runs: $median MIPS (runs:$all; $count instructions)"
