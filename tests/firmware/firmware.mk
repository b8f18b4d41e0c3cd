# Debian's SeaBIOS on the PC, read through its debug port
# (tests/firmware/check.py).
.PHONY: firmware-check
CHECKS += firmware-check
firmware-check: popek
	python3 tests/firmware/check.py --popek ./popek
