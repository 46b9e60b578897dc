#!/bin/bash
# make check-bench-smoke: the benchmark's smoke run on Debian sid's kernel.
exec "$(dirname "$0")/smoke" sid
