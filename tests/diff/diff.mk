# Differential test against the host CPU (tests/diff/diff.c).
#   make diffcheck     runs every form on the host and in Popek, compares,
#                      and ends with "N passed, N failed".  The host side is
#                      a 32-bit child process where the kernel runs i386
#                      programs; elsewhere the 64-bit child runs the forms
#                      that behave alike in 64-bit mode (the run says which
#                      path it took and lists what it could not run).
#   make diffcheck-64  the 64-bit path on purpose, so that it is tested on
#                      hosts that also run the 32-bit child.
# Without gcc -m32 (gcc-multilib) the 32-bit child is not built and the
# harness takes the 64-bit path; on a non-x86 host both skip, saying why.

DIFF_SRC := tests/diff/diff.c tests/diff/forms.c tests/diff/longmode.c tests/diff/decode_check.c
DIFF_OBJ := $(DIFF_SRC:%.c=$(BUILD)/obj/%.o)
DIFF_BIN := $(BUILD)/diffcheck
DIFF_CHILD := $(BUILD)/diff-child
DIFF_CHILD64 := $(BUILD)/diff-child64
DIFF_CC32 ?= gcc
DIFF_ARGS ?=
DIFF_HOST_X86 := $(filter x86_64 i386 i486 i586 i686,$(shell uname -m))
DIFF_HOST_X86_64 := $(filter x86_64,$(shell uname -m))

$(DIFF_BIN): $(DIFF_OBJ) $(LIBPOPEK)
	$(CC) $(CFLAGS) -o $@ $(DIFF_OBJ) $(LIBPOPEK) $(LDLIBS)

# Static when the libc has a static archive, else dynamic.  Both children
# must be non-PIE: they map fixed low addresses and jump through absolute
# 32-bit pointers.
$(DIFF_CHILD): tests/diff/child.c tests/diff/proto.h
	@mkdir -p $(@D)
	$(DIFF_CC32) -m32 -std=c11 $(WARN) -O2 -fno-pie -no-pie -I. -static -o $@ $< 2>/dev/null || \
	    $(DIFF_CC32) -m32 -std=c11 $(WARN) -O2 -fno-pie -no-pie -I. -o $@ $<

$(DIFF_CHILD64): tests/diff/child.c tests/diff/proto.h
	@mkdir -p $(@D)
	$(CC) -m64 -std=c11 $(WARN) -O2 -fno-pie -no-pie -I. -static -o $@ $< 2>/dev/null || \
	    $(CC) -m64 -std=c11 $(WARN) -O2 -fno-pie -no-pie -I. -o $@ $<

.PHONY: diffcheck diffcheck-64 diff-children
# Each child is built if it can be; a missing one is the harness's to report.
diff-children:
	@$(MAKE) --no-print-directory $(DIFF_CHILD) || \
	    echo "diffcheck: cannot build the 32-bit child ($(DIFF_CC32) -m32; install gcc-multilib)"
ifneq ($(DIFF_HOST_X86_64),)
	@$(MAKE) --no-print-directory $(DIFF_CHILD64) || echo "diffcheck: cannot build the 64-bit child"
endif

ifeq ($(DIFF_HOST_X86),)
diffcheck diffcheck-64: $(DIFF_BIN)
	$(DIFF_BIN) $(DIFF_ARGS)
else
diffcheck: $(DIFF_BIN) diff-children
	$(DIFF_BIN) --child $(DIFF_CHILD) --child64 $(DIFF_CHILD64) $(DIFF_ARGS)

# Also shows, on any host, that the fallback is taken when execve says
# ENOEXEC (a "32-bit child" that no kernel can run), and that the 64-bit
# path reports a Popek that computes wrong results (--mutate).
diffcheck-64: $(DIFF_BIN) diff-children
	@mkdir -p $(BUILD)/diff
	@printf 'not an executable\n' > $(BUILD)/diff/noexec && chmod +x $(BUILD)/diff/noexec
	@$(DIFF_BIN) --child $(BUILD)/diff/noexec --child64 $(DIFF_CHILD64) --cases 1000 --only ADD_EbGb \
	    > $(BUILD)/diff/fallback.log 2>&1 || { cat $(BUILD)/diff/fallback.log; exit 1; }
	@grep -q "host path: the 64-bit child.*cannot run i386 programs.*Exec format error" $(BUILD)/diff/fallback.log || \
	    { cat $(BUILD)/diff/fallback.log; echo "diffcheck-64: ENOEXEC did not lead to the 64-bit child"; exit 1; }
	@echo "diffcheck-64: self-test: ENOEXEC from the 32-bit child falls back to the 64-bit one"
	@if $(DIFF_BIN) --mode 64 --child64 $(DIFF_CHILD64) --mutate --cases 1000 --only ADD_E --details 0 \
	    > $(BUILD)/diff/mutate.log 2>&1; then \
	    echo "diffcheck-64: self-test: a wrong EAX in Popek was not reported"; exit 1; fi
	@grep -q "^0 passed, [1-9][0-9]* failed" $(BUILD)/diff/mutate.log || \
	    { cat $(BUILD)/diff/mutate.log; echo "diffcheck-64: self-test: some mutated cases passed"; exit 1; }
	@echo "diffcheck-64: self-test: every mutated case fails"
	$(DIFF_BIN) --mode 64 --child64 $(DIFF_CHILD64) $(DIFF_ARGS)
endif

CHECKS += diffcheck diffcheck-64

-include $(DIFF_OBJ:.o=.d)
