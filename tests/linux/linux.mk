# The default guest: Debian's 32-bit Linux kernel with a busybox initramfs.
#   make run          boots it with a shell on the terminal ('poweroff' ends it)
#   make linux-check  boots it with an init that checks the machine from
#                     inside and powers off (part of make check)
# The kernel and busybox come from Debian's archive (tests/linux/fetch.sh)
# and are cached in $(LINUX_DIR).

LINUX_DIR    := $(BUILD)/linux
LINUX_MEM    ?= 128M
# linux-check keeps the kernel's crypto self-tests (about 3.7e9 of its
# instructions: a good workout for the CPU) and a quiet log; a panic
# reboots at once (panic=-1), which ends the run instead of spinning until
# the timeout.
LINUX_APPEND := console=ttyS0,115200 quiet panic=-1
# make run is for a person at a shell: the boot log shows progress, and
# the self-tests, which take most of the boot, are skipped
# (cryptomgr.notests): the prompt comes in about 13 s instead of 24 s.
LINUX_APPEND_RUN ?= console=ttyS0,115200 cryptomgr.notests panic=-1
LINUX_TIMEOUT ?= 900

$(LINUX_DIR)/vmlinuz $(LINUX_DIR)/busybox $(LINUX_DIR)/modules/order: tests/linux/fetch.sh
	@sh tests/linux/fetch.sh $(LINUX_DIR)

# A file with known contents for the in-guest md5sum check (deterministic).
$(LINUX_DIR)/test.bin:
	@mkdir -p $(@D)
	python3 -c "import random,sys; random.seed(20261121); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(65536)))" > $@

$(LINUX_DIR)/test.md5: $(LINUX_DIR)/test.bin
	md5sum $< | cut -d' ' -f1 > $@

$(LINUX_DIR)/initrd-check.gz: tests/linux/init-check tests/linux/mkinitramfs.py $(LINUX_DIR)/busybox \
		$(LINUX_DIR)/test.bin $(LINUX_DIR)/test.md5
	python3 tests/linux/mkinitramfs.py $(LINUX_DIR)/busybox tests/linux/init-check $@ \
		data/test.bin=$(LINUX_DIR)/test.bin data/test.md5=$(LINUX_DIR)/test.md5

$(LINUX_DIR)/initrd-shell.gz: tests/linux/inittab tests/linux/rcS tests/linux/profile tests/linux/mkinitramfs.py \
		$(LINUX_DIR)/busybox
	python3 tests/linux/mkinitramfs.py $(LINUX_DIR)/busybox busybox $@ \
		etc/inittab=tests/linux/inittab etc/rcS=tests/linux/rcS etc/profile=tests/linux/profile

$(LINUX_DIR)/initrd-disk.gz: tests/linux/init-disk tests/linux/mkinitramfs.py $(LINUX_DIR)/busybox \
		$(LINUX_DIR)/modules/order
	python3 tests/linux/mkinitramfs.py $(LINUX_DIR)/busybox tests/linux/init-disk $@ \
		modules/order=$(LINUX_DIR)/modules/order \
		$$(for m in $$(cat $(LINUX_DIR)/modules/order); do printf ' modules/%s=%s' $$m $(LINUX_DIR)/modules/$$m; done)

# The installed-system disk (tests/linux/mkhdd.py): built once; when
# syslinux or mtools are missing the image is not made and the test says it
# skipped.
$(LINUX_DIR)/hdd.img: tests/linux/mkhdd.py tests/linux/init-hdd tests/linux/mkinitramfs.py \
		$(LINUX_DIR)/vmlinuz $(LINUX_DIR)/busybox $(LINUX_DIR)/modules/order
	@python3 tests/linux/mkhdd.py $(LINUX_DIR) $@ || echo "linux: the hard-disk image could not be built"

$(LINUX_DIR)/initrd-kallsyms.gz: tests/linux/init-kallsyms tests/linux/mkinitramfs.py $(LINUX_DIR)/busybox
	python3 tests/linux/mkinitramfs.py $(LINUX_DIR)/busybox tests/linux/init-kallsyms $@

# Real gdb against the kernel (tests/gdb/linux.py): a breakpoint on a kernel
# function by its /proc/kallsyms address, backtrace, the monitor.
.PHONY: gdb-linux-check
CHECKS += gdb-linux-check
gdb-linux-check: popek $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-kallsyms.gz
	python3 tests/gdb/linux.py ./popek $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-kallsyms.gz

.PHONY: linux-check run-demo bench-linux-boot linux-disk-check linux-hdd-check
CHECKS += linux-hdd-check
linux-hdd-check: popek $(LINUX_DIR)/hdd.img
	python3 tests/linux/hddcheck.py ./popek $(LINUX_DIR)/hdd.img $(LINUX_TIMEOUT)

CHECKS += linux-disk-check
linux-disk-check: popek $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-disk.gz
	python3 tests/linux/diskcheck.py ./popek $(LINUX_DIR) $(LINUX_TIMEOUT)
CHECKS += linux-check
linux-check: popek $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-check.gz
	@sh tests/linux/check.sh ./popek $(LINUX_DIR) "$(LINUX_MEM)" "$(LINUX_APPEND)" $(LINUX_TIMEOUT)

# One boot with the full checks, timed (make bench-linux-boot); make bench's
# table boots the same kernel and initramfs on Popek and QEMU instead.
bench-linux-boot: popek $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-check.gz
	@sh tests/linux/check.sh ./popek $(LINUX_DIR) "$(LINUX_MEM)" "$(LINUX_APPEND)" $(LINUX_TIMEOUT) bench

# make run: the shell guest on this terminal.
run-demo: popek $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-shell.gz
	./popek --kernel $(LINUX_DIR)/vmlinuz --initrd $(LINUX_DIR)/initrd-shell.gz -m $(LINUX_MEM) \
		--append "$(LINUX_APPEND_RUN)"
