# Random-guest robustness check (included by the top Makefile).
#   make fuzz-check   runs tests/fuzz/run.py: seeded random firmware images
#                     (real-mode noise, and protected mode with a random
#                     GDT/IDT/paging) on a sanitizer build of popek; fails on
#                     a signal or a sanitizer report
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_RUNS  ?= 24
FRONT_OBJ_SAN := $(FRONT_SRC:%.c=$(BUILD)/san/%.o)

$(BUILD)/popek-san: $(FRONT_OBJ_SAN) $(LIBPOPEK_SAN)
	$(CC) -g $(SAN) -o $@ $^ $(LDLIBS) $(SDL_LIBS)

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
