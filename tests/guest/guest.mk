# Guest-level tests: small kernels (tests/guest/*.asm) that check from
# inside a guest what only a kernel can see (tests/guest/README.md).
#
#   make guestcheck              every test on every model it names;
#                                runs listed in tests/guest/xfail.txt may fail
#   make guestcheck GUEST_ARGS="--model p6 -v"   one model, every line shown
#
# guest-runner boots each image (nasm -f bin, a multiboot kernel at 1 MiB)
# straight into RAM, in 32-bit protected mode, and reads the guest's
# verdict from port 0xF4 and its checks from port 0xE9.

NASM         ?= nasm
GUEST_DIR    := $(BUILD)/guest
GUEST_SRC    := $(sort $(wildcard tests/guest/*.asm))
GUEST_IMAGES := $(GUEST_SRC:tests/guest/%.asm=$(GUEST_DIR)/%.bin)
GUEST_RUNNER := $(BUILD)/guest-runner
GUEST_XFAIL  := tests/guest/xfail.txt
GUEST_ARGS   ?=

$(GUEST_DIR)/%.bin: tests/guest/%.asm tests/guest/lib.inc
	@mkdir -p $(@D)
	$(NASM) -f bin -w-prefix-lock -I tests/guest/ -o $@ $<  # exc.asm tests LOCK on purpose

$(GUEST_RUNNER): $(BUILD)/obj/tests/guest/runner.o $(LIBPOPEK)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

.PHONY: guestcheck guest-images
guest-images: $(GUEST_IMAGES)

guestcheck: $(GUEST_RUNNER) $(GUEST_IMAGES)
	$(GUEST_RUNNER) --xfail $(GUEST_XFAIL) $(GUEST_ARGS) $(GUEST_IMAGES)

CHECKS += guestcheck

-include $(BUILD)/obj/tests/guest/runner.d
