# The monitor through --monitor stdio on a pipe, its answers checked
# against nm and objdump (tests/monitor/check.py).
#   make monitor-check
.PHONY: monitor-check
CHECKS += monitor-check
monitor-check: popek
	python3 tests/monitor/check.py --popek ./popek --build $(BUILD)/monitor
