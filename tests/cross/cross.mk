# Cross-architecture check (tests/cross/README.md):
#   make cross-check ARCH=s390x|arm64
# builds Popek, its unit tests and the SingleStepTests runner with clang for
# ARCH against a root of Debian's ARCH packages (root.sh), and runs them
# under qemu-user with -L to that root: the unit tests, the full
# SingleStepTests, the guest kernels, the compiled-C benchmark (checksum and exact instruction
# count equal to this host's) and, with CROSS_LINUX=1, the Linux boot
# (serial output and instruction count equal to this host's).

ARCH ?= s390x
CROSS_DIR := $(BUILD)/cross/$(ARCH)

.PHONY: cross-check
cross-check: deps
	$(MAKE) -j2 all guest-images
	sh tests/cross/check.sh $(ARCH) $(CROSS_DIR)

# make check runs the s390x (big-endian) check, so that a portability
# regression fails CI.
.PHONY: cross-check-s390x
CHECKS += cross-check-s390x
cross-check-s390x: all guest-images
	sh tests/cross/check.sh s390x $(BUILD)/cross/s390x
