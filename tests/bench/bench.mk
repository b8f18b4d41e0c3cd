# Guest benchmark and smoke tests (included by the top Makefile).
#
#   make bench       bench-cpu-loop: times build/bench/bench.bin BENCH_RUNS
#                    times, checking its checksum every run, and prints the
#                    median guest MIPS; then bench-compare's table
#   make bench-compare   the side-by-side table alone: the real-mode loop,
#                    the DOS-style loop, the compiled-C benchmark and a Linux
#                    boot on Popek and QEMU TCG, interleaved, and callgrind's
#                    host instructions per guest instruction
#                    (tests/bench/compare.py, docs/benchmarks.md)
#   make bench-callgrind  only that last figure (about a minute)
#   make check       check-hello, check-bench-quick, check-bench-guests:
#                    exact-output runs
#   make bench-demo  runs the benchmark once with --stats
#
# bench.asm's work is BENCH_ITER iterations of about 143 instructions each
# (429 million at the default); tests/bench/bench_ref.c computes the checksum
# the guest must print for a given count, and how many instructions it
# executes (checked too, since the MIPS figure rests on the CPU's count).

NASM             ?= nasm
BENCH_DIR        := $(BUILD)/bench
BENCH_ITER       ?= 3000000
BENCH_ITER_QUICK := 50000
BENCH_RUNS       ?= 5
BENCH_MODELS     ?= 8086 286 386 486 pentium p6

# The iteration count is baked into the image: a stamp file named after it
# makes a changed BENCH_ITER rebuild the image and its expected checksum.
BENCH_STAMP := $(BENCH_DIR)/iter-$(BENCH_ITER).stamp

$(BENCH_STAMP):
	@mkdir -p $(@D)
	@rm -f $(BENCH_DIR)/iter-*.stamp
	@touch $@

$(BENCH_DIR)/bench.bin: tests/bench/bench.asm $(BENCH_STAMP)
	@mkdir -p $(@D)
	$(NASM) -f bin -DITER=$(BENCH_ITER) -o $@ $<

$(BENCH_DIR)/bench-quick.bin: tests/bench/bench.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -DITER=$(BENCH_ITER_QUICK) -o $@ $<

$(BENCH_DIR)/hello.bin: tests/bench/hello.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

$(BENCH_DIR)/bench_ref: tests/bench/bench_ref.c tests/bench/ref_args.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -o $@ $<

$(BENCH_DIR)/bench.expected: $(BENCH_DIR)/bench_ref $(BENCH_STAMP)
	$(BENCH_DIR)/bench_ref $(BENCH_ITER) > $@

$(BENCH_DIR)/bench-quick.expected: $(BENCH_DIR)/bench_ref
	$(BENCH_DIR)/bench_ref $(BENCH_ITER_QUICK) > $@

# How many instructions the guest executes, REP iterations counting one each.
$(BENCH_DIR)/bench.insns: $(BENCH_DIR)/bench_ref $(BENCH_STAMP)
	$(BENCH_DIR)/bench_ref --count $(BENCH_ITER) > $@

$(BENCH_DIR)/bench-quick.insns: $(BENCH_DIR)/bench_ref
	$(BENCH_DIR)/bench_ref --count $(BENCH_ITER_QUICK) > $@

.PHONY: bench-images bench-cpu-loop check-hello check-bench-quick bench-demo
bench-images: $(BENCH_DIR)/bench.bin $(BENCH_DIR)/bench-quick.bin $(BENCH_DIR)/hello.bin

BENCHES += bench-cpu-loop
bench-cpu-loop: popek $(BENCH_DIR)/bench.bin $(BENCH_DIR)/bench.expected $(BENCH_DIR)/bench.insns
	@EXPECT_INSNS=$$(cat $(BENCH_DIR)/bench.insns) \
		sh tests/bench/bench.sh cpu-loop $(BENCH_RUNS) $(BENCH_DIR)/bench.expected \
		./popek --bios $(BENCH_DIR)/bench.bin

$(BENCH_DIR)/repsmc.bin: tests/bench/repsmc.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

# A REP MOVSB that overwrites itself: the same result whatever cuts the run
# (slices, and the frequent timer deadlines the image programs).
CHECKS += check-repsmc
check-repsmc: popek $(BENCH_DIR)/repsmc.bin
	@for m in 8086 286 386 p6; do for s in "" "--slice 1" "--slice 2" "--slice 3" "--slice 997"; do \
		CHECK_TIMEOUT=20 sh tests/bench/check.sh "rep-smc ($$m $${s:-default slice})" tests/bench/repsmc.expected \
			./popek --cpu $$m $$s --bios $(BENCH_DIR)/repsmc.bin || exit 1; \
	done; done

CHECKS += check-hello
check-hello: popek $(BENCH_DIR)/hello.bin
	@for m in $(BENCH_MODELS); do \
		sh tests/bench/check.sh "hello ($$m)" tests/bench/hello.expected \
			./popek --cpu $$m --bios $(BENCH_DIR)/hello.bin || exit 1; \
	done

CHECKS += check-bench-quick
check-bench-quick: popek $(BENCH_DIR)/bench-quick.bin $(BENCH_DIR)/bench-quick.expected \
		$(BENCH_DIR)/bench-quick.insns
	@EXPECT_INSNS=$$(cat $(BENCH_DIR)/bench-quick.insns) \
		sh tests/bench/check.sh "bench quick ($(BENCH_ITER_QUICK) iterations)" \
		$(BENCH_DIR)/bench-quick.expected ./popek --bios $(BENCH_DIR)/bench-quick.bin
	@# The same run cut into odd slices: instructions interrupted at a run
	@# boundary (a REP string half done) must resume exactly.
	@EXPECT_INSNS=$$(cat $(BENCH_DIR)/bench-quick.insns) \
		sh tests/bench/check.sh "bench quick, slices of 997" \
		$(BENCH_DIR)/bench-quick.expected ./popek --slice 997 --bios $(BENCH_DIR)/bench-quick.bin

# The side-by-side table (docs/benchmarks.md).  Not in BENCHES: the top
# Makefile runs it after them, so that the table ends the output.  The
# Linux files are made first when they can be; without them (no network)
# that row says skipped, as do QEMU's cells without qemu-system-i386.
COMPARE := python3 tests/bench/compare.py --popek ./popek --build $(BENCH_DIR)/compare
.PHONY: bench-compare bench-callgrind check-bench-guests
bench-compare: popek
	@$(MAKE) --no-print-directory $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-check.gz || \
		echo "bench: the Linux files could not be made: the Linux row will say skipped"
	@$(COMPARE) --linux $(LINUX_DIR) --runs $(BENCH_RUNS)

bench-callgrind: popek
	@$(COMPARE) --only callgrind

# The three benchmark guests once each on Popek, a few iterations: their
# checksums and instruction counts (make bench relies on them).
CHECKS += check-bench-guests
check-bench-guests: popek
	@$(COMPARE) --check

# The benchmark guest once, with --stats (make bench-demo).
bench-demo: popek $(BENCH_DIR)/bench.bin $(BENCH_DIR)/bench.expected
	./popek --bios $(BENCH_DIR)/bench.bin --stats | tee $(BENCH_DIR)/demo.out
	@if cmp -s $(BENCH_DIR)/demo.out $(BENCH_DIR)/bench.expected; then \
		echo "bench-demo: checksum matches the reference"; \
	else \
		echo "bench-demo: WRONG checksum, the reference says $$(cat $(BENCH_DIR)/bench.expected)"; \
		exit 1; \
	fi

# The renderer's cost per frame (tests/bench/render_bench.c): the SeaBIOS
# text screen and the graphics test guest's modes.
$(BENCH_DIR)/render_bench: tests/bench/render_bench.c $(LIBPOPEK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBPOPEK) $(LDLIBS)

.PHONY: bench-render
BENCHES += bench-render
bench-render: $(BENCH_DIR)/render_bench gfx-roms
	$(BENCH_DIR)/render_bench
	@for m in $(GFX_MODES); do $(BENCH_DIR)/render_bench $(DISPLAY_DIR)/gfx-$$m.rom || exit 1; done
