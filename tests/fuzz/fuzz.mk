# Random-guest robustness check (included by the top Makefile).
#   make fuzz-check   runs tests/fuzz/run.py: seeded random firmware images
#                     (real-mode noise, and protected mode with a random
#                     GDT/IDT/paging) on a sanitizer build of popek; fails on
#                     a signal or a sanitizer report
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_RUNS  ?= 24
FRONT_OBJ_SAN := $(FRONT_SRC:%.c=$(BUILD)/san/%.o)

$(BUILD)/popek-san: $(FRONT_OBJ_SAN) $(LIBPOPEK_SAN)
	$(CC) -g $(SAN) -o $@ $^ $(LDLIBS) $(SDL_LIBS) $(EDIT_LIBS)

$(FUZZ_DIR)/prologue.bin: tests/fuzz/prologue.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

.PHONY: fuzz-check
CHECKS += fuzz-check
fuzz-check: $(BUILD)/popek-san $(FUZZ_DIR)/prologue.bin
	@if python3 tests/fuzz/run.py --popek tests/fuzz/crash.sh \
		--prologue $(FUZZ_DIR)/prologue.bin --runs 1 > $(FUZZ_DIR)/selftest.log; then \
		echo "fuzz: self-test: an emulator killed by a signal was not reported"; exit 1; \
	else grep -q "signal 11" $(FUZZ_DIR)/selftest.log && echo "fuzz: self-test: a crash is reported"; fi
	python3 tests/fuzz/run.py --popek $(BUILD)/popek-san \
		--prologue $(FUZZ_DIR)/prologue.bin --runs $(FUZZ_RUNS)

-include $(FRONT_OBJ_SAN:.o=.d)

# libFuzzer targets (clang): the qcow2 parser, the IDE/ATAPI command
# streams, the floppy controller with its DMA, and the gdb stub's packets
# and commands on a whole machine, the savestate loader.  Not in make check
# (they run for as long as they are told):
#   make fuzz-qcow2 FUZZ_SECONDS=600     make fuzz-ide FUZZ_SECONDS=600
#   make fuzz-fdc FUZZ_SECONDS=600       make fuzz-gdb FUZZ_SECONDS=600
#   make fuzz-savestate FUZZ_SECONDS=600
FUZZ_CLANG   ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -std=c11 -g -O1 -I. -D_DEFAULT_SOURCE -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all
FUZZ_QCOW2_SRC := tests/fuzz/fuzz_qcow2.c $(wildcard disks/*.c)
FUZZ_IDE_SRC   := tests/fuzz/fuzz_ide.c devices/ide.c devices/ata.c devices/ide_atapi.c devices/atapi.c \
                  devices/pci.c mem/bus.c $(wildcard disks/*.c)
FUZZ_FDC_SRC   := tests/fuzz/fuzz_fdc.c devices/fdc.c devices/fdc_cmd.c devices/dma8237.c devices/clock.c \
                  mem/bus.c $(wildcard disks/*.c)

FUZZ_GDB_SRC   := tests/fuzz/fuzz_gdb.c frontends/gdbstub.c frontends/gdb_packet.c frontends/gdb_regs.c $(CORE_SRC)
FUZZ_SV_SRC    := tests/fuzz/fuzz_savestate.c $(CORE_SRC)

$(BUILD)/fuzz/fuzz-savestate: $(FUZZ_SV_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_SV_SRC) -lelf -lz -lcapstone

# The seed is the target's own baseline state, written on its first run.
fuzz-savestate: $(BUILD)/fuzz/fuzz-savestate
	@mkdir -p $(BUILD)/fuzz/corpus-savestate
	@test -n "$$(ls $(BUILD)/fuzz/corpus-savestate)" || \
	    FUZZ_SV_SEED=$(BUILD)/fuzz/corpus-savestate/seed $(BUILD)/fuzz/fuzz-savestate -runs=1 >/dev/null 2>&1
	$(BUILD)/fuzz/fuzz-savestate -max_total_time=$(FUZZ_SECONDS) -max_len=4194304 -timeout=20 -rss_limit_mb=4096 \
	    $(BUILD)/fuzz/corpus-savestate

$(BUILD)/fuzz/fuzz-gdb: $(FUZZ_GDB_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_GDB_SRC) -lelf -lz -lcapstone

$(BUILD)/fuzz/fuzz-qcow2: $(FUZZ_QCOW2_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_QCOW2_SRC) -lz

$(BUILD)/fuzz/fuzz-ide: $(FUZZ_IDE_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_IDE_SRC) -lz

$(BUILD)/fuzz/fuzz-fdc: $(FUZZ_FDC_SRC)
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -o $@ $(FUZZ_FDC_SRC) -lz

.PHONY: fuzz-qcow2 fuzz-ide fuzz-fdc fuzz-gdb fuzz-savestate
fuzz-gdb: $(BUILD)/fuzz/fuzz-gdb
	@mkdir -p $(BUILD)/fuzz/corpus-gdb
	@python3 tests/fuzz/gdb_seeds.py $(BUILD)/fuzz/corpus-gdb
	$(BUILD)/fuzz/fuzz-gdb -max_total_time=$(FUZZ_SECONDS) -max_len=40000 -timeout=10 $(BUILD)/fuzz/corpus-gdb

fuzz-qcow2: $(BUILD)/fuzz/fuzz-qcow2
	@mkdir -p $(BUILD)/fuzz/corpus-qcow2
	@test -n "$$(ls $(BUILD)/fuzz/corpus-qcow2)" || for c in 9 12 16; do \
	    qemu-img create -q -f qcow2 -o cluster_size=$$((1 << c)) $(BUILD)/fuzz/corpus-qcow2/seed$$c 1M; done
	$(BUILD)/fuzz/fuzz-qcow2 -max_total_time=$(FUZZ_SECONDS) -max_len=262144 -timeout=10 \
	    $(BUILD)/fuzz/corpus-qcow2

fuzz-ide: $(BUILD)/fuzz/fuzz-ide
	@mkdir -p $(BUILD)/fuzz/corpus-ide
	$(BUILD)/fuzz/fuzz-ide -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 $(BUILD)/fuzz/corpus-ide

fuzz-fdc: $(BUILD)/fuzz/fuzz-fdc
	@mkdir -p $(BUILD)/fuzz/corpus-fdc
	@python3 tests/fuzz/fdc_seeds.py $(BUILD)/fuzz/corpus-fdc
	$(BUILD)/fuzz/fuzz-fdc -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -len_control=0 -timeout=10 \
	    $(BUILD)/fuzz/corpus-fdc

# One target per PC device (tests/fuzz/fuzz_pc.c, FUZZ_DEV names it), all
# linked against one fuzzer-instrumented build of the core:
#   make fuzz-dev-pic FUZZ_SECONDS=900   ... one of $(FUZZ_DEVICES)
#   make fuzz FUZZ_SECONDS=900           every target, one after another
# Seeds come from tests/fuzz/pc_seeds.py; inputs that once crashed a target
# are kept in tests/fuzz/regress/<target>/, and make check replays both
# (fuzz-replay).
FUZZ_DEVICES := pic pit uart rtc ps2 pci apic acpi vga fwcfg dma
FUZZ_LIB_FLAGS := -std=c11 -g -O1 -I. -D_DEFAULT_SOURCE -fsanitize=fuzzer-no-link,address,undefined \
                  -fno-sanitize-recover=all
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/fuzzobj/%.o)
FUZZ_CORE_LIB := $(BUILD)/fuzz/libcore.a

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_LIB_FLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_CORE_LIB): $(FUZZ_CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz-dev-%: tests/fuzz/fuzz_pc.c $(FUZZ_CORE_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CLANG) $(FUZZ_FLAGS) -DFUZZ_DEV='"$*"' -o $@ $< $(FUZZ_CORE_LIB) $(LDLIBS)

.PHONY: fuzz $(FUZZ_DEVICES:%=fuzz-dev-%) fuzz-replay
$(FUZZ_DEVICES:%=fuzz-dev-%): fuzz-dev-%: $(BUILD)/fuzz/fuzz-dev-%
	@mkdir -p $(BUILD)/fuzz/corpus-dev-$*
	@python3 tests/fuzz/pc_seeds.py $* $(BUILD)/fuzz/corpus-dev-$*
	$(BUILD)/fuzz/fuzz-dev-$* -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	    $(BUILD)/fuzz/corpus-dev-$* $(wildcard tests/fuzz/regress/dev-$*)

fuzz: $(FUZZ_DEVICES:%=fuzz-dev-%) fuzz-qcow2 fuzz-ide fuzz-fdc fuzz-gdb fuzz-savestate

# make check replays every device target's seeds and its kept crash inputs
# (tests/fuzz/regress/dev-NAME/), built with gcc's ASan+UBSan against the
# sanitizer library the unit tests use and tests/fuzz/replay_main.c in
# place of libFuzzer: no fuzzer build, a few seconds.
$(BUILD)/fuzz/replay-dev-%: tests/fuzz/fuzz_pc.c tests/fuzz/replay_main.c $(LIBPOPEK_SAN)
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) -I. -D_DEFAULT_SOURCE -DFUZZ_DEV='"$*"' -o $@ \
	    tests/fuzz/fuzz_pc.c tests/fuzz/replay_main.c $(LIBPOPEK_SAN) $(LDLIBS)

CHECKS += fuzz-replay
fuzz-replay: $(FUZZ_DEVICES:%=$(BUILD)/fuzz/replay-dev-%)
	@for d in $(FUZZ_DEVICES); do \
	    rm -rf $(BUILD)/fuzz/replay-$$d && mkdir -p $(BUILD)/fuzz/replay-$$d && \
	    python3 tests/fuzz/pc_seeds.py $$d $(BUILD)/fuzz/replay-$$d && \
	    if [ -d tests/fuzz/regress/dev-$$d ]; then cp tests/fuzz/regress/dev-$$d/* $(BUILD)/fuzz/replay-$$d/; fi && \
	    ASAN_OPTIONS=halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(BUILD)/fuzz/replay-dev-$$d $(BUILD)/fuzz/replay-$$d > $(BUILD)/fuzz/replay-$$d.log 2>&1 || \
	    { tail -30 $(BUILD)/fuzz/replay-$$d.log; echo "fuzz-replay: dev-$$d failed"; exit 1; }; \
	    echo "fuzz-replay: dev-$$d: $$(tail -1 $(BUILD)/fuzz/replay-$$d.log), no sanitizer report"; \
	done

-include $(FUZZ_CORE_OBJ:.o=.d)

# Random guests at scale (tests/fuzz/guests.c): short random programs in
# real, protected, paged and V86 mode on every model, in one process.
#   make fuzz-long                 a million programs (GUESTS_LONG)
# make check runs a few thousand on the sanitizer build (fuzz-guests).
GUESTS_LONG  ?= 1000000
GUESTS_CHECK ?= 3000
$(BUILD)/fuzz/guests: $(BUILD)/obj/tests/fuzz/guests.o $(LIBPOPEK)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/guests-san: $(BUILD)/san/tests/fuzz/guests.o $(LIBPOPEK_SAN)
	@mkdir -p $(@D)
	$(CC) -g $(SAN) -o $@ $^ $(LDLIBS)

.PHONY: fuzz-long fuzz-guests
fuzz-long: $(BUILD)/fuzz/guests
	$(BUILD)/fuzz/guests --count $(GUESTS_LONG)

CHECKS += fuzz-guests
fuzz-guests: $(BUILD)/fuzz/guests-san
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(BUILD)/fuzz/guests-san --count $(GUESTS_CHECK)

-include $(BUILD)/obj/tests/fuzz/guests.d $(BUILD)/san/tests/fuzz/guests.d
