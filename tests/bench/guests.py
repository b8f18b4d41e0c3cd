"""Builds the guests of make bench's side-by-side table (tests/bench/compare.py)
and says what each must print: the real-mode loop (bench.asm), the DOS-style
loop (dosloop.asm), the compiled-C benchmark (cbench/) and the Linux boot's
files.  Each builder returns a dict or raises Skip with the reason, so that a
host without nasm, gcc-multilib or the Linux files gets "skipped: ..." for that
row and the others still run.  Every guest comes in a long and a short
(one-iteration) variant: the difference of the two is the work that counts,
without start-up."""
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The compiled-C guest: the flags of tests/gdb/check.py's kernel, optimised,
# for the family-6 CPU both emulators are told to be (no MMX or SSE), and
# without unwind tables, which nothing reads.
CBENCH_CFLAGS = ["-m32", "-march=i686", "-O2", "-std=c11", "-ffreestanding", "-fno-pic", "-fno-pie",
                 "-nostdlib", "-fno-stack-protector", "-fno-asynchronous-unwind-tables",
                 "-Wall", "-Wextra", "-I" + ROOT]
CBENCH_SRC = ["work.c", "sort.c", "bytecode.c"]
# The isa-debug-exit status guest.c ends with: (0x2A << 1) | 1.
CBENCH_STATUS = 85


class Skip(Exception):
    """This benchmark cannot run here; the message says why."""


def _run(cmd, what, skip=True):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    except OSError as e:
        raise Skip("%s: %s not found" % (what, cmd[0])) if skip else RuntimeError(str(e))
    if r.returncode:
        last = (r.stdout.decode(errors="replace").strip().splitlines() or ["status %d" % r.returncode])[-1]
        if skip:
            raise Skip("%s: %s" % (what, last))
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), last))
    return r.stdout.decode()


def _host_cc(out, sources, what):
    cc = os.environ.get("CC", "cc")
    _run([cc, "-std=c11", "-Wall", "-Wextra", "-O2", "-I" + ROOT, "-o", out] + sources, what)


def _nasm_images(src, build, stem, iters):
    if not shutil.which("nasm"):
        raise Skip("nasm not installed")
    paths = {}
    for variant, n in iters.items():
        path = os.path.join(build, "%s-%s.bin" % (stem, variant))
        _run(["nasm", "-f", "bin", "-DITER=%d" % n, "-o", path, src], "nasm")
        paths[variant] = path
    return paths


def _asm_bench(build, stem, asm, ref_c, long_iter):
    """A boot image and its C reference (checksum and instruction count)."""
    os.makedirs(build, exist_ok=True)
    iters = {"long": long_iter, "short": 1}
    images = _nasm_images(os.path.join(HERE, asm), build, stem, iters)
    ref = os.path.join(build, stem + "_ref")
    _host_cc(ref, [os.path.join(HERE, ref_c)], "the reference " + ref_c)
    g = {"image": images, "expected": {}, "count": {}}
    for variant, n in iters.items():
        g["expected"][variant] = _run([ref, str(n)], ref_c, skip=False).encode()
        g["count"][variant] = int(_run([ref, "--count", str(n)], ref_c, skip=False))
    return g


def realmode(build, long_iter):
    return _asm_bench(build, "bench", "bench.asm", "bench_ref.c", long_iter)


def dosloop(build, long_iter):
    return _asm_bench(build, "dosloop", "dosloop.asm", "dosloop_ref.c", long_iter)


def cbench(build, iters):
    """The multiboot ELF for each iteration count in iters ({variant: n}),
    and what each must print, from the same C built for the host."""
    os.makedirs(build, exist_ok=True)
    src = os.path.join(HERE, "cbench")
    objs = []
    for name in CBENCH_SRC:
        obj = os.path.join(build, name[:-2] + ".o")
        _run(["gcc"] + CBENCH_CFLAGS + ["-c", "-o", obj, os.path.join(src, name)],
             "cannot build 32-bit code (gcc-multilib?)")
        objs.append(obj)
    entry = os.path.join(build, "entry.o")
    _run(["gcc", "-m32", "-c", "-o", entry, os.path.join(ROOT, "tests", "gdb", "entry.S")],
         "cannot build 32-bit code (gcc-multilib?)")
    ref = os.path.join(build, "cbench_ref")
    _host_cc(ref, [os.path.join(src, "host.c")] + [os.path.join(src, n) for n in CBENCH_SRC],
             "the reference cbench/host.c")
    g = {"image": {}, "expected": {}, "iters": dict(iters)}
    for variant, n in iters.items():
        obj = os.path.join(build, "guest-%s.o" % variant)
        _run(["gcc"] + CBENCH_CFLAGS + ["-DCBENCH_ITER=%d" % n, "-c", "-o", obj, os.path.join(src, "guest.c")],
             "cannot build 32-bit code (gcc-multilib?)")
        elf = os.path.join(build, "cbench-%s.elf" % variant)
        _run(["ld", "-m", "elf_i386", "--no-warn-rwx-segments", "-T", os.path.join(ROOT, "tests", "gdb", "kernel.ld"),
              "-o", elf, entry, obj] + objs, "cannot link the 32-bit guest")
        g["image"][variant] = elf
        g["expected"][variant] = _run([ref, str(n)], "cbench_ref", skip=False).encode()
    return g


def linux(linux_dir):
    files = {"kernel": os.path.join(linux_dir, "vmlinuz"), "initrd": os.path.join(linux_dir, "initrd-check.gz")}
    for path in files.values():
        if not os.path.exists(path):
            raise Skip("%s missing (make %s fetches and builds it)" % (path, files["initrd"]))
    return files
