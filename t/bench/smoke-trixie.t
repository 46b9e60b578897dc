#!/bin/bash
# make check-bench-smoke: the benchmark's smoke run on Debian trixie's kernel.
exec "$(dirname "$0")/smoke" trixie
