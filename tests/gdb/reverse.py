#!/usr/bin/env python3
"""Reverse execution with real gdb (make gdb-reverse-check).

The gdb tests' kernel with "spin" on its command line: five calls of
add_numbers, a store to `counter`, then a loop for ever.  gdb
(tests/gdb/reverse_session.py) records the state at each call and at the
store going forwards, lets the kernel spin for 3 Mi instructions (with a
checkpoint every 100 Ki, thinned to a 1 MiB limit), then goes backwards: reverse-continue to the
fifth and the fourth call (across the whole spin: many checkpoints back),
reverse-stepi three times, forwards through the history to the store,
reverse-continue with a watchpoint to just before the storing instruction,
and on back to the beginning of the history.  The oracles: the registers,
the stack's bytes and `counter` recorded going forwards must come back
exactly, with the same instruction count; each reverse-stepi must land on
the registers that a separate forward run's --trace shows for that
instruction; the watchpoint must stop at nm's store_insn with the old
value.  Prints "skipped: ..." without gdb or a 32-bit compiler."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check as gdbcheck  # noqa: E402

failures = 0


def check(ok, what, detail=""):
    global failures
    print("check: gdb reverse: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def parse_state(text):
    d = dict(re.findall(r"(\w+)=([0-9a-f]+)", text))
    return d


def trace_regs(line):
    """EIP and registers from a --trace line (cpu/trace.c's format)."""
    m = re.match(r"([0-9a-f]{4}):([0-9a-f]{8}) ", line)
    regs = dict((k.lower(), v) for k, v in re.findall(r"\b(E[A-Z]{2})=([0-9a-f]{8})", line))
    regs["eip"] = m.group(2)
    regs["eflags"] = re.search(r"FL=([0-9a-f]{8})", line).group(1)
    return regs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    if not shutil.which("gdb") or not shutil.which("nm"):
        print("gdb-reverse-check: skipped: gdb or nm is not installed")
        return 0
    kernel, why = gdbcheck.build_kernel(a.build)
    if not kernel:
        print("gdb-reverse-check: skipped: cannot build 32-bit code: " + why.strip().splitlines()[-1])
        return 0
    syms = {}
    for line in subprocess.run(["nm", kernel], stdout=subprocess.PIPE, check=True).stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    tmp = tempfile.mkdtemp(prefix="popek-rev-")
    trace = os.path.join(tmp, "fwd.trace")
    subprocess.run([a.popek, "--kernel", kernel, "--serial", "null", "--append", "spin", "--trace", trace,
                    "--trace-filter", "count=20000", "--at", "1ms:quit"], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=60)
    lines = open(trace).read().splitlines() if os.path.exists(trace) else []
    sock = os.path.join(tmp, "gdb.sock")
    p = subprocess.Popen([a.popek, "--kernel", kernel, "--serial", "null", "--append", "spin", "-S", "--gdb",
                          "unix:" + sock, "--slice", "65536", "--rewind", "gap=100000,limit=1", "--at", "30ms:break"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    end = time.time() + 20
    while not os.path.exists(sock) and time.time() < end:
        time.sleep(0.05)
    g = subprocess.run(["gdb", "-nx", "-batch", "-x", os.path.join(HERE, "reverse_session.py"), kernel],
                       env=dict(os.environ, POPEK_SOCK=sock), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=300)
    out = g.stdout.decode(errors="replace")
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
    err = p.stderr.read().decode(errors="replace")
    got = {}
    for m in re.finditer(r"^(FWD|REV) (\S+) (.*)$", out, re.M):
        got[m.group(1) + " " + m.group(2)] = m.group(3)
    check("SESSION DONE" in out, "the gdb session ran to its end", out[-1500:] + err[-500:])
    fwd_spin = parse_state(got.get("FWD spinning", ""))
    check(int(fwd_spin.get("icount", "0")) > 3000000 - 70000, "the kernel spun for 3 Mi instructions first",
          str(fwd_spin.get("icount")))
    hist = re.search(r"^HISTORY (\d+) checkpoints, ([0-9.]+) MiB of 1 MiB.*; (\d+) taken, (\d+) dropped", out, re.M)
    check(hist and int(hist.group(1)) >= 10 and float(hist.group(2)) <= 1.0 and int(hist.group(4)) > 0,
          "checkpoints kept along the way, thinned to the 1 MiB limit (%s)" % (hist.group(0) if hist else ""),
          out[-500:])
    for n in (4, 3):
        a_, b_ = got.get("FWD call%d" % n), got.get("REV call%d" % n)
        check(a_ is not None and a_ == b_, "reverse-continue to call %d: registers, stack and counter as recorded"
              % n, "%s\nvs\n%s" % (a_, b_))
    call3 = parse_state(got.get("FWD call3", ""))
    for k in (1, 2, 3):
        st = parse_state(got.get("REV step%d" % k, ""))
        ic = int(call3.get("icount", "0")) - k
        ok = int(st.get("icount", "-1")) == ic and 0 <= ic < len(lines)
        if ok:
            want = trace_regs(lines[ic])
            bad = [r for r in ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags")
                   if st.get(r) != want.get(r)]
            ok = not bad
        check(ok, "reverse-stepi %d: instruction %d, registers as the forward trace has them" % (k, ic),
              "%s\nvs trace line %s" % (st, lines[ic] if 0 <= ic < len(lines) else "(none)"))
    check(got.get("FWD store") is not None and got.get("FWD store") == got.get("REV refwd-store"),
          "forwards through the history: the store's watchpoint stops as the first time",
          "%s\nvs\n%s" % (got.get("FWD store"), got.get("REV refwd-store")))
    before = got.get("REV before-store", "")
    st = parse_state(before)
    store = parse_state(got.get("FWD store", ""))
    pcm = re.search(r"pc=0x([0-9a-f]+)", before)
    check(pcm and int(pcm.group(1), 16) == syms.get("store_insn") and st.get("counter") == "0" and
          int(st.get("icount", "-1")) == int(store.get("icount", "0")) - 1,
          "reverse-continue with the watchpoint: just before the storing instruction (nm's store_insn), counter 0",
          before)
    rs = got.get("REV rnext-start", "")
    ms = re.search(r"pc=0x([0-9a-f]+) line=(\d+)", rs)
    pcs = [a_ for a_ in (trace_regs(l_)["eip"] for l_ in lines[:200])]
    store_line = next(n for n, l_ in enumerate(open(os.path.join(HERE, "kernel.c")), 1) if "store_insn:" in l_)
    check(ms and int(ms.group(2)) == store_line and ms.group(1).rjust(8, "0") in pcs,
          "reverse-next from the middle of a line: to its start (line %d, an address the trace passed)"
          % store_line, rs)
    rn = got.get("REV rnext", "")
    m = re.search(r"line=(\d+) from=(\d+) func=(\S+)", rn)
    check(m and m.group(3) == "kmain" and int(m.group(1)) < int(m.group(2)),
          "reverse-next: back a line in kmain, over the call, not into add_numbers", rn)
    begin = got.get("REV begin", "")
    tail = out.split("BEGIN-FOLLOWS", 1)[-1]
    check("No more reverse-execution history" in tail and parse_state(begin).get("icount") == "0",
          "on back: gdb hears the history's beginning, at instruction 0", begin)
    check("Sanitizer" not in err and "internal error" not in err, "no emulator error", err[-300:])
    print("gdb-reverse-check: %s" % ("all passed" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
