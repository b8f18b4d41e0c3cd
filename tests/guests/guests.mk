# Real guests from Debian packages through SeaBIOS (tests/guests/check.py).
.PHONY: guests-check
CHECKS += guests-check
GUESTS_DIR := $(BUILD)/guests

$(GUESTS_DIR)/HELLO.COM: tests/guests/hello.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

guests-check: popek $(GUESTS_DIR)/HELLO.COM
	python3 tests/guests/check.py --popek ./popek --hello $(GUESTS_DIR)/HELLO.COM

# make run GUEST=freedos: the shared FreeDOS floppy, in a window or on the
# terminal (whatever --display picks), booted from a CD that carries the
# floppy image (El Torito floppy emulation) until the floppy controller
# lands.
FREEDOS_IMG := ../shared/testdata/guests/freedos/freedos.boot.disk.1.4MB.img
$(GUESTS_DIR)/freedos.iso: $(FREEDOS_IMG) $(GUESTS_DIR)/HELLO.COM
	@mkdir -p $(GUESTS_DIR)/freedos-iso
	cp $(FREEDOS_IMG) $(GUESTS_DIR)/freedos-iso/fd.img && chmod u+w $(GUESTS_DIR)/freedos-iso/fd.img
	mcopy -o -i $(GUESTS_DIR)/freedos-iso/fd.img $(GUESTS_DIR)/HELLO.COM ::/HELLO.COM
	xorriso -as mkisofs -quiet -b fd.img -o $@ $(GUESTS_DIR)/freedos-iso

.PHONY: run-freedos
run-freedos: popek $(GUESTS_DIR)/freedos.iso
	./popek --cdrom $(GUESTS_DIR)/freedos.iso --boot order=d
