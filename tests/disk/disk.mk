# Disks through the firmware: SeaBIOS boots an IDE disk whose boot sector
# (tests/disk/mbr.asm) reads and writes it through INT 13h
# (tests/disk/check.py).
NASM     ?= nasm
DISK_DIR := $(BUILD)/disk

$(DISK_DIR)/mbr.bin: tests/disk/mbr.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

.PHONY: disk-check
CHECKS += disk-check
disk-check: popek $(DISK_DIR)/mbr.bin
	python3 tests/disk/check.py --popek ./popek --mbr $(DISK_DIR)/mbr.bin

# Crash safety: the writer guest on a qcow2 image killed with SIGKILL at
# random moments (tests/disk/crash.py).  make check runs CRASH_KILLS_CHECK
# of them; make disk-crash-check KILLS=N as many as asked.
KILLS ?= 100
CRASH_KILLS_CHECK ?= 15

$(DISK_DIR)/writer.bin: tests/disk/writer.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

.PHONY: disk-crash-check disk-crash-quick
disk-crash-check: popek $(DISK_DIR)/writer.bin
	python3 tests/disk/crash.py --popek ./popek --writer $(DISK_DIR)/writer.bin --kills $(KILLS)

CHECKS += disk-crash-quick
disk-crash-quick: popek $(DISK_DIR)/writer.bin
	python3 tests/disk/crash.py --popek ./popek --writer $(DISK_DIR)/writer.bin --kills $(CRASH_KILLS_CHECK)
