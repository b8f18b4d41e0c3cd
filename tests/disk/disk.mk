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
