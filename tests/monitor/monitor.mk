# The monitor through --monitor stdio on a pipe, its answers checked
# against nm and objdump (tests/monitor/check.py); its other channels,
# tcp:, unix: and pty, driven as clients (tests/monitor/channels.py).
#   make monitor-check
#   make monitor-channels-check
.PHONY: monitor-check monitor-channels-check
CHECKS += monitor-check monitor-channels-check
monitor-check: popek
	python3 tests/monitor/check.py --popek ./popek --build $(BUILD)/monitor

monitor-channels-check: popek
	python3 tests/monitor/channels.py --popek ./popek --build $(BUILD)/monitor-channels
