# The gdb stub: real gdb against a multiboot test kernel with symbols, and
# the raw protocol's error paths (tests/gdb/check.py, which builds the
# kernel itself so that it can say "skipped" without gcc-multilib or gdb).
#   make gdb-check
GDB_DIR := $(BUILD)/gdb

.PHONY: gdb-check
CHECKS += gdb-check
gdb-check: popek
	python3 tests/gdb/check.py --popek ./popek --build $(GDB_DIR)

# Real gdb (i8086) against a DOS program on the FreeDOS floppy in real mode
# (tests/gdb/dos.py with dos_session.py).
.PHONY: gdb-dos-check
CHECKS += gdb-dos-check
gdb-dos-check: popek
	python3 tests/gdb/dos.py --popek ./popek --build $(GDB_DIR)/dos --shared ../shared

# Reverse execution with real gdb: reverse-continue across checkpoints,
# reverse-stepi against a forward trace, a watchpoint backwards, the
# history's beginning (tests/gdb/reverse.py with reverse_session.py).
.PHONY: gdb-reverse-check
CHECKS += gdb-reverse-check
gdb-reverse-check: popek
	python3 tests/gdb/reverse.py --popek ./popek --build $(GDB_DIR)/reverse
