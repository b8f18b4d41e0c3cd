# Real guests from Debian packages through SeaBIOS (tests/guests/check.py).
.PHONY: guests-check
CHECKS += guests-check
guests-check: popek
	python3 tests/guests/check.py --popek ./popek
