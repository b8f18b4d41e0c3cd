# Savestates: the monitor's savevm/loadvm and damaged files on a multiboot
# kernel, Debian's Linux resumed at its shell (a million instructions traced
# as in the run never saved), FreeDOS resumed mid-boot (the same screen).
#   make savestate-check
.PHONY: savestate-check
CHECKS += savestate-check
savestate-check: popek $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd-shell.gz
	python3 tests/savestate/check.py --popek ./popek --build $(BUILD)/savestate --linux $(LINUX_DIR) \
		--shared ../shared
