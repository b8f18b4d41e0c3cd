# Unit tests (Criterion), included by the top Makefile.
#   build/unit-tests      the tests against build/libpopek.a
#   build/unit-tests-san  the same tests and library built with ASan+UBSan
# Both runs are added to CHECKS; `make unit-check` / `make unit-check-san`
# run one.  Any sanitizer report fails the run.  Test objects reuse the top
# Makefile's pattern rules (build/obj/... and build/san/...).
#
# Every tests/unit/test_*.c is one part of both binaries; shared helpers
# are headers here (unit.h).  To build a subset, e.g. without the CPU:
#   make unit-check UNIT_SRC="tests/unit/test_bus_mem.c ..."

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))

UNIT_OBJ     := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ_SAN := $(UNIT_SRC:%.c=$(BUILD)/san/%.o)
UNIT_BIN     := $(BUILD)/unit-tests
UNIT_BIN_SAN := $(BUILD)/unit-tests-san
UNIT_LIBS    := -lcriterion $(LDLIBS)
UNIT_JOBS    ?= 2

# UNIT_CRITERION=mini builds the tests against tests/unit/minicrit, the
# subset of Criterion's API they use, for targets Debian packages no
# Criterion for (s390x); the cross build (tests/cross) sets it.
UNIT_CRITERION ?= lib
ifeq ($(UNIT_CRITERION),mini)
UNIT_OBJ     += $(BUILD)/obj/tests/unit/minicrit/runner.o
UNIT_OBJ_SAN += $(BUILD)/san/tests/unit/minicrit/runner.o
UNIT_LIBS    := $(LDLIBS)
$(UNIT_OBJ) $(UNIT_OBJ_SAN): CPPFLAGS += -Itests/unit/minicrit
endif

# halt_on_error makes the first report fatal, and Criterion counts that
# test as failed.  A leak, though, is reported when a test's worker exits,
# after the test has passed, and Criterion ignores it; so the run's output
# is also searched for any sanitizer report.  lsan.supp hides a leak of
# Criterion's own runner; full unwinding lets the suppression see its stack.
UNIT_SAN_ENV := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0 \
                LSAN_OPTIONS=suppressions=$(CURDIR)/tests/unit/lsan.supp:print_suppressions=0 \
                UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
UNIT_SAN_LOG := $(BUILD)/unit-tests-san.log

# The binaries remember which tests they hold: building a subset
# (UNIT_SRC=...) and then the whole set must relink, not reuse the subset.
UNIT_LIST := $(BUILD)/unit-src.list
$(shell mkdir -p $(BUILD) && (echo '$(UNIT_SRC)' | cmp -s - $(UNIT_LIST) || echo '$(UNIT_SRC)' > $(UNIT_LIST)))

$(UNIT_BIN): $(UNIT_OBJ) $(LIBPOPEK) $(UNIT_LIST)
	$(CC) $(CFLAGS) -o $@ $(UNIT_OBJ) $(LIBPOPEK) $(UNIT_LIBS)

$(UNIT_BIN_SAN): $(UNIT_OBJ_SAN) $(LIBPOPEK_SAN) $(UNIT_LIST)
	$(CC) -g $(SAN) -o $@ $(UNIT_OBJ_SAN) $(LIBPOPEK_SAN) $(UNIT_LIBS)

.PHONY: unit unit-check unit-check-san
unit: $(UNIT_BIN) $(UNIT_BIN_SAN)

unit-check: $(UNIT_BIN)
	$(UNIT_BIN) --jobs $(UNIT_JOBS) --short-filename

unit-check-san: $(UNIT_BIN_SAN)
	@rc=0; $(UNIT_SAN_ENV) $(UNIT_BIN_SAN) --jobs $(UNIT_JOBS) --short-filename \
	    >$(UNIT_SAN_LOG) 2>&1 || rc=$$?; \
	cat $(UNIT_SAN_LOG); \
	if grep -qE 'Sanitizer|runtime error:' $(UNIT_SAN_LOG); then \
	    echo "unit-check-san: sanitizer report above" >&2; exit 1; fi; \
	exit $$rc

# A host without IA-32 emulation, imitated: the compatibility-mode probe
# far-calls a data selector and faults, as a far call to 23h does on such a
# kernel.  The test must skip with its reason, and the expected fault must
# not look like a sanitizer report (it once did).
UNIT_PROBE_LOG := $(BUILD)/unit-tests-san-probe.log
.PHONY: unit-check-probe
unit-check-probe: $(UNIT_BIN_SAN)
	@if [ "$$(uname -m)" != x86_64 ]; then \
	    echo "unit-check-probe: skipped: the compatibility-mode probe exists only on x86-64 hosts"; exit 0; fi; \
	$(UNIT_SAN_ENV) POPEK_TEST_COMPAT_SEL=0x2b $(UNIT_BIN_SAN) --filter 'cpu_oracle/bcd' --verbose \
	    >$(UNIT_PROBE_LOG) 2>&1 || { cat $(UNIT_PROBE_LOG); exit 1; }; \
	if grep -qE 'Sanitizer|ASan|runtime error:' $(UNIT_PROBE_LOG); then \
	    cat $(UNIT_PROBE_LOG); echo "unit-check-probe: the failing 32-bit probe gave a sanitizer report" >&2; exit 1; fi; \
	grep -q 'SKIP.*cpu_oracle::bcd: skipped: this host cannot run 32-bit code' $(UNIT_PROBE_LOG) || \
	    { cat $(UNIT_PROBE_LOG); echo "unit-check-probe: the BCD test did not skip" >&2; exit 1; }; \
	echo "unit-check-probe: a failing 32-bit probe skips the BCD test cleanly under ASan"

CHECKS += unit-check unit-check-san unit-check-probe

-include $(UNIT_OBJ:.o=.d) $(UNIT_OBJ_SAN:.o=.d)
