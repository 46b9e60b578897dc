#!/bin/bash
# An ext4 file system on the stripe target survives del and add: made and
# filled in one copy mode, then checked (fsck.ext4 -fn, sha256 of every
# file) through a new device on the same backing files in the next mode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program mkfs.ext4
require_program fsck.ext4

ext4_scratch "$UBR_SCRATCH/ext4" 160M
d=$UBR_SCRATCH/ext4
for i in 0 1 2; do
	filled_file "$d/s$i.img" $((40 << 20))
done

modes=($(copy_modes))
for i in "${!modes[@]}"; do
	next=${modes[$(((i + 1) % ${#modes[@]}))]}
	fs_roundtrip "${modes[i]}" "$next" stripe --chunk-size 16K \
		"$d/s0.img" "$d/s1.img" "$d/s2.img"
done
echo "stripe-fs: ok"
