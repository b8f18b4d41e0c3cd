# The screen: the graphics test guest (tests/display/gfx.asm, an option
# ROM run by SeaBIOS) drawn in mode 13h, 12h, mode X and VBE 640x480x32,
# its screendumps compared with independently computed images
# (gfxcheck.py); the display frontends (check.py).
NASM        ?= nasm
DISPLAY_DIR := $(BUILD)/display
GFX_MODES   := 13 12 0x58 0x132 0x13A
GFX_ROMS    := $(GFX_MODES:%=$(DISPLAY_DIR)/gfx-%.rom)

$(DISPLAY_DIR)/gfx-%.rom: tests/display/gfx.asm tests/display/romsum.py
	@mkdir -p $(@D)
	$(NASM) -f bin -DMODE=$* -o $@.raw $<
	python3 tests/display/romsum.py $@.raw $@

.PHONY: gfx-roms
gfx-roms: $(GFX_ROMS)

.PHONY: gfx-check
CHECKS += gfx-check
gfx-check: popek $(GFX_ROMS)
	python3 tests/display/gfxcheck.py --popek ./popek --roms $(DISPLAY_DIR)

$(DISPLAY_DIR)/xclose: tests/display/xclose.c
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) -O2 -o $@ $< -lX11

$(DISPLAY_DIR)/gfx-0x4D.rom: tests/display/gfx.asm tests/display/romsum.py
	@mkdir -p $(@D)
	$(NASM) -f bin -DMODE=0x4D -o $@.raw $<
	python3 tests/display/romsum.py $@.raw $@

.PHONY: display-check
CHECKS += display-check
display-check: popek $(GFX_ROMS) $(DISPLAY_DIR)/gfx-0x4D.rom $(DISPLAY_DIR)/xclose
	python3 tests/display/check.py --popek ./popek --roms $(DISPLAY_DIR) --xclose $(DISPLAY_DIR)/xclose
