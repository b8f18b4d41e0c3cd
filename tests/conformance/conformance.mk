# SingleStepTests conformance runner (tests/conformance/README.md).
#   make conformance [SST=DIR]      run both suites, failure list in build/
#   make conformance-update-known   regenerate tests/conformance/known-failures.txt
# make check runs the full suite against the known-failures list, the
# runner's self-test, and a short sanitizer run.

SST ?= ../shared/testdata/singlestep
SST_KNOWN := tests/conformance/known-failures.txt
SST_SAN_LIMIT ?= 20

SST_COMMON_SRC := tests/conformance/moo.c tests/conformance/json.c tests/conformance/meta.c \
                  tests/conformance/dump.c
SST_RUNNER_SRC := $(SST_COMMON_SRC) tests/conformance/run.c tests/conformance/suite.c \
                  tests/conformance/selftest.c tests/conformance/sst_runner.c
SST_DUMP_SRC   := $(SST_COMMON_SRC) tests/conformance/sst_dump.c

SST_RUNNER_OBJ     := $(SST_RUNNER_SRC:%.c=$(BUILD)/obj/%.o)
SST_RUNNER_OBJ_SAN := $(SST_RUNNER_SRC:%.c=$(BUILD)/san/%.o)
SST_DUMP_OBJ       := $(SST_DUMP_SRC:%.c=$(BUILD)/obj/%.o)

$(BUILD)/sst-runner: $(SST_RUNNER_OBJ) $(LIBPOPEK)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/sst-runner-san: $(SST_RUNNER_OBJ_SAN) $(LIBPOPEK_SAN)
	$(CC) -g $(SAN) -o $@ $^ $(LDLIBS)

# Decodes test files without a CPU (sst-runner --dump does the same).
$(BUILD)/sst-dump: $(SST_DUMP_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: conformance conformance-update-known check-conformance check-conformance-selftest \
        check-conformance-san

conformance: $(BUILD)/sst-runner
	$(BUILD)/sst-runner --failures $(BUILD)/sst-failures.txt $(SST)

conformance-update-known: $(BUILD)/sst-runner
	$(BUILD)/sst-runner --no-thresholds --failures $(SST_KNOWN) $(SST)

check-conformance: $(BUILD)/sst-runner
	$(BUILD)/sst-runner --known $(SST_KNOWN) --failures $(BUILD)/sst-failures.txt $(SST)

check-conformance-selftest: $(BUILD)/sst-runner
	$(BUILD)/sst-runner --self-test $(SST)

# Sanitizer findings abort the runner (non-zero exit); conformance failures
# do not fail this target (--no-thresholds, no --known).
check-conformance-san: $(BUILD)/sst-runner-san
	ASAN_OPTIONS=halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(BUILD)/sst-runner-san --no-thresholds --limit $(SST_SAN_LIMIT) $(SST)
	ASAN_OPTIONS=halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $(BUILD)/sst-runner-san --self-test $(SST)

CHECKS += check-conformance check-conformance-selftest check-conformance-san

-include $(SST_RUNNER_OBJ:.o=.d) $(SST_RUNNER_OBJ_SAN:.o=.d) $(BUILD)/obj/tests/conformance/sst_dump.d
