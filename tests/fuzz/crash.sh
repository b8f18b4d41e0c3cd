#!/bin/sh
# Stands in for popek in fuzz-check's self-test: an emulator that dies of a
# signal, which run.py must report as a failure.
kill -SEGV $$
