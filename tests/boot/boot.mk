# Boot-path tests: a multiboot ELF kernel with two modules and a command
# line, booted by popek --kernel, must see exactly what it was given; and
# malformed kernels must be refused with a message, not a crash.
#   make bootcheck

NASM     ?= nasm
BOOT_DIR := $(BUILD)/boot

$(BOOT_DIR)/mbtest.o: tests/boot/mbtest.asm
	@mkdir -p $(@D)
	$(NASM) -f elf32 -o $@ $<

$(BOOT_DIR)/mbtest.elf: $(BOOT_DIR)/mbtest.o tests/boot/mbtest.ld
	ld -m elf_i386 --no-warn-rwx-segments -T tests/boot/mbtest.ld -o $@ $<

.PHONY: bootcheck
CHECKS += bootcheck
$(BOOT_DIR)/triplereset.bin: tests/boot/triplereset.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

bootcheck: popek $(BOOT_DIR)/mbtest.elf $(BOOT_DIR)/triplereset.bin
	@sh tests/boot/check.sh ./popek $(BOOT_DIR)
