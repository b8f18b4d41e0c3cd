# Popek build.  `make` builds ./popek; `make check` installs what is missing,
# builds and runs every test; `make bench` measures; `make run` demonstrates.
# Test suites live in fragments (tests/*/*.mk) that add themselves to CHECKS.

CC      ?= cc
OPT     ?= -O2
# Position-dependent executables: the interpreter's switch then jumps
# through a table of absolute addresses, which costs three host
# instructions fewer per guest instruction than the PC-relative table a PIE
# needs (docs/benchmarks.md).  PIE=1 builds position-independent ones; a
# compiler without these options gets its default.
PIE     ?= 0
NOPIE_FLAGS := $(if $(filter 0,$(PIE)),$(shell echo 'int main(void){return 0;}' | \
                 $(CC) -fno-pie -no-pie -x c -o /dev/null - >/dev/null 2>&1 && echo -fno-pie -no-pie))
CFLAGS  ?= $(OPT) -g $(NOPIE_FLAGS)
WARN     = -Wall -Wextra -Wno-unused-parameter
# SDL=0 builds without the SDL2 window (frontends/display_nosdl.c), as the
# cross builds do (tests/cross).
SDL     ?= 1
ifeq ($(SDL),0)
SDL_CFLAGS :=
SDL_LIBS   :=
else
SDL_CFLAGS := $(shell pkg-config --cflags sdl2 2>/dev/null)
SDL_LIBS   := $(shell pkg-config --libs sdl2 2>/dev/null || echo -lSDL2)
endif
# libedit: line editing and history for the monitor on a terminal.
# Optional: without it the monitor reads plain lines (frontends/monitor_edit.c).
EDIT_CFLAGS := $(shell pkg-config --cflags libedit 2>/dev/null && echo -DPOPEK_HAVE_LIBEDIT)
EDIT_LIBS   := $(shell pkg-config --libs libedit 2>/dev/null)
CPPFLAGS = -I. -D_DEFAULT_SOURCE $(SDL_CFLAGS) $(EDIT_CFLAGS)
CSTD     = -std=c11
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(CPPFLAGS) -MMD -MP
LDLIBS  ?= -lelf -lz -lpng -lcapstone

BUILD   := build
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

CORE_SRC  := $(sort $(wildcard cpu/*.c mem/*.c devices/*.c machine/*.c disks/*.c))
FRONT_SRC := $(filter-out frontends/display_$(if $(filter 0,$(SDL)),sdl,nosdl).c,$(sort $(wildcard frontends/*.c)))

CORE_OBJ      := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CORE_OBJ_SAN  := $(CORE_SRC:%.c=$(BUILD)/san/%.o)
FRONT_OBJ     := $(FRONT_SRC:%.c=$(BUILD)/obj/%.o)

LIBPOPEK      := $(BUILD)/libpopek.a
LIBPOPEK_SAN  := $(BUILD)/libpopek-san.a

CHECKS  :=
BENCHES :=

.PHONY: all check bench run deps clean conformance
all: popek

popek: $(FRONT_OBJ) $(LIBPOPEK)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(SDL_LIBS) $(EDIT_LIBS)

# The same program inside the build directory (the cross builds' copy).
$(BUILD)/popek: $(FRONT_OBJ) $(LIBPOPEK)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(SDL_LIBS) $(EDIT_LIBS)

$(LIBPOPEK): $(CORE_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBPOPEK_SAN): $(CORE_OBJ_SAN)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) -MMD -MP -c -o $@ $<

# Every fragment may add rules and append to CHECKS / BENCHES.
include $(sort $(wildcard tests/*/*.mk))

deps:
	@sh tests/deps.sh

check: deps
	$(MAKE) -j2 all
	$(MAKE) check-run

# The suites run popek without --display: whatever the host has (a window
# system, a terminal), they get none.  display-check asks for its own.
.PHONY: check-run
check-run: export POPEK_DISPLAY := none
check-run: $(CHECKS)
	@echo "make check: all suites passed"

# make bench also installs what only it uses (QEMU to compare with,
# valgrind); without them it still runs and says what it skipped.
bench: deps
	@sh tests/deps.sh bench || echo "bench: the bench packages could not be installed: QEMU's figures and callgrind's will say skipped"
	$(MAKE) all
	$(MAKE) bench-run

# The side-by-side table (tests/bench/bench.mk) comes last.
.PHONY: bench-run
bench-run: $(BENCHES) bench-compare

# make run GUEST=freedos: the FreeDOS floppy (tests/guests/guests.mk).
run: deps
	$(MAKE) all
	$(MAKE) $(if $(GUEST),run-$(GUEST),run-demo)

clean:
	rm -rf $(BUILD) popek

-include $(CORE_OBJ:.o=.d) $(CORE_OBJ_SAN:.o=.d) $(FRONT_OBJ:.o=.d)
