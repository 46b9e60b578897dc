#!/bin/bash
# An ext4 file system on the loop target survives del and add: made and
# filled in one copy mode, then checked (fsck.ext4 -fn, sha256 of every
# file) through a new device on the same backing file in the next mode.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program mkfs.ext4
require_program fsck.ext4

ext4_scratch "$UBR_SCRATCH/ext4" 160M
img=$UBR_SCRATCH/ext4/fs.img
filled_file "$img" $((128 << 20))

modes=($(copy_modes))
for i in "${!modes[@]}"; do
	next=${modes[$(((i + 1) % ${#modes[@]}))]}
	fs_roundtrip "${modes[i]}" "$next" loop "$img"
done
echo "loop-fs: ok"
