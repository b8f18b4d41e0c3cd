# The popek command line as a user meets it (tests/frontend/check.py):
# serial output delivered and its write errors reported, halts nothing can
# end, unmapped memory, QEMU's option spellings, the terminal restored on
# every way out, and signals.
NASM         ?= nasm
FRONTEND_DIR := $(BUILD)/frontend
FRONTEND_IMAGES := $(patsubst tests/frontend/%.asm,$(FRONTEND_DIR)/%.bin,$(wildcard tests/frontend/*.asm))

$(FRONTEND_DIR)/%.bin: tests/frontend/%.asm tests/frontend/rom.inc
	@mkdir -p $(@D)
	$(NASM) -f bin -I tests/frontend/ -o $@ $<

$(FRONTEND_DIR)/hello.bin: tests/bench/hello.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

.PHONY: frontend-check
CHECKS += frontend-check
frontend-check: popek $(FRONTEND_IMAGES) $(FRONTEND_DIR)/hello.bin $(BUILD)/boot/mbtest.elf
	python3 tests/frontend/check.py --popek ./popek --images $(FRONTEND_DIR) --build $(BUILD)
