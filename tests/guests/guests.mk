# Real guests from Debian packages through SeaBIOS (tests/guests/check.py).
.PHONY: guests-check
CHECKS += guests-check
GUESTS_DIR := $(BUILD)/guests

$(GUESTS_DIR)/HELLO.COM: tests/guests/hello.asm
	@mkdir -p $(@D)
	$(NASM) -f bin -o $@ $<

# The installer CD: built once from Debian's packages (no failure if the
# archive cannot be reached: the test then says it skipped).
$(GUESTS_DIR)/di.iso:
	@sh tests/guests/mkdi.sh $(GUESTS_DIR) || echo "guests: the installer CD could not be built"

guests-check: popek $(GUESTS_DIR)/HELLO.COM $(GUESTS_DIR)/di.iso
	python3 tests/guests/check.py --popek ./popek --hello $(GUESTS_DIR)/HELLO.COM --di-iso $(GUESTS_DIR)/di.iso

# make run GUEST=freedos: the shared FreeDOS floppy (a copy, with
# HELLO.COM added) in drive A:, in a window or on the terminal (whatever
# --display picks).
FREEDOS_IMG := ../shared/testdata/guests/freedos/freedos.boot.disk.1.4MB.img
$(GUESTS_DIR)/freedos.img: $(FREEDOS_IMG) $(GUESTS_DIR)/HELLO.COM
	@mkdir -p $(@D)
	cp $(FREEDOS_IMG) $@ && chmod u+w $@
	mcopy -o -i $@ $(GUESTS_DIR)/HELLO.COM ::/HELLO.COM

.PHONY: run-freedos
run-freedos: popek $(GUESTS_DIR)/freedos.img
	./popek --fda $(GUESTS_DIR)/freedos.img
