# Differential test against the host CPU (tests/diff/diff.c).
#   make diffcheck   runs every form on the host (a 32-bit child process) and
#                    in Popek, compares, and ends with "N passed, N failed"
# The child needs gcc -m32 (gcc-multilib); without it, or on a non-x86
# host, the target says why and skips.

DIFF_SRC := tests/diff/diff.c tests/diff/forms.c tests/diff/decode_check.c
DIFF_OBJ := $(DIFF_SRC:%.c=$(BUILD)/obj/%.o)
DIFF_BIN := $(BUILD)/diffcheck
DIFF_CHILD := $(BUILD)/diff-child
DIFF_CC32 ?= gcc
DIFF_ARGS ?=
DIFF_HOST_X86 := $(filter x86_64 i386 i486 i586 i686,$(shell uname -m))

$(DIFF_BIN): $(DIFF_OBJ) $(LIBPOPEK)
	$(CC) $(CFLAGS) -o $@ $(DIFF_OBJ) $(LIBPOPEK) $(LDLIBS)

# Static when the 32-bit libc has a static archive, else dynamic.
$(DIFF_CHILD): tests/diff/child.c tests/diff/proto.h
	@mkdir -p $(@D)
	$(DIFF_CC32) -m32 -std=c11 $(WARN) -O2 -fno-pie -no-pie -I. -static -o $@ $< 2>/dev/null || \
	    $(DIFF_CC32) -m32 -std=c11 $(WARN) -O2 -fno-pie -no-pie -I. -o $@ $<

.PHONY: diffcheck
ifeq ($(DIFF_HOST_X86),)
diffcheck: $(DIFF_BIN)
	$(DIFF_BIN) $(DIFF_ARGS)
else
diffcheck: $(DIFF_BIN)
	@if $(MAKE) --no-print-directory $(DIFF_CHILD); then \
	    $(DIFF_BIN) --child $(DIFF_CHILD) $(DIFF_ARGS); \
	else \
	    echo "diffcheck: skipped: cannot build the 32-bit child ($(DIFF_CC32) -m32; install gcc-multilib)"; \
	    echo "0 passed, 0 failed"; \
	fi
endif

CHECKS += diffcheck

-include $(DIFF_OBJ:.o=.d)
