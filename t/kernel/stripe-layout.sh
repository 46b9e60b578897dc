#!/bin/bash
# Data lands where the chunk layout says: chunk c of the device is on
# member c % n at offset (c / n) * chunk. Random data written through the
# device (1M O_DIRECT writes, so requests span chunks, and one small write
# across a chunk boundary) is found in the backing files at those offsets,
# and data put straight into the files reads back through the device in
# that order. For each copy mode, with 4K, 64K and 1M chunks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

n=3
for i in $(seq 0 $((n - 1))); do
	filled_file "$UBR_SCRATCH/m$i.img" $((4 << 20))
done
members=("$UBR_SCRATCH"/m[0-9].img)

# check_layout CHUNK DEVICE_IMAGE: the members hold DEVICE_IMAGE striped.
check_layout() {
	"$PYTHON" - "$1" "$2" "${members[@]}" <<'PY' || fail "layout differs (chunk $1)"
import sys
chunk, image, members = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
n = len(members)
data = open(image, "rb").read()
files = [open(m, "rb").read() for m in members]
bad = 0
for c in range(len(data) // chunk):
    m, off = c % n, (c // n) * chunk
    if files[m][off:off + chunk] != data[c * chunk:(c + 1) * chunk]:
        bad += 1
        if bad < 5:
            print("chunk %d: not at member %d offset %d" % (c, m, off))
print("%d chunks of %d bytes on %d members: %d misplaced" % (len(data) // chunk, chunk, n, bad))
sys.exit(1 if bad else 0)
PY
}

# assemble CHUNK OUT: the device image the members make, by the layout.
assemble() {
	"$PYTHON" - "$1" "$2" "${members[@]}" <<'PY'
import sys
chunk, out, members = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
files = [open(m, "rb").read() for m in members]
per = min(len(f) for f in files) // chunk
with open(out, "wb") as o:
    for c in range(per * len(files)):
        m, off = c % len(files), (c // len(files)) * chunk
        o.write(files[m][off:off + chunk])
PY
}

for mode in $(copy_modes); do
	for chunk in 4096 65536 1048576; do
		echo "--- copy mode $mode, chunk $chunk"
		add_dev stripe --copy-mode "$mode" --chunk-size "$chunk" "${members[@]}"
		size=$(blockdev --getsize64 "$DEV")
		[[ $size == $((12 << 20)) ]] || fail "size $size, not 12M"
		head -c "$size" /dev/urandom >"$UBR_SCRATCH/want.bin"
		dd if="$UBR_SCRATCH/want.bin" of="$DEV" bs=1M oflag=direct status=none ||
			fail "writing the device failed"
		# 8K across the first chunk boundary, from a 512-byte offset.
		head -c 8192 /dev/urandom >"$UBR_SCRATCH/small.bin"
		dd if="$UBR_SCRATCH/small.bin" of="$UBR_SCRATCH/want.bin" bs=512 \
			seek=$((chunk / 512 - 7)) conv=notrunc status=none
		dd if="$UBR_SCRATCH/small.bin" of="$DEV" bs=512 \
			seek=$((chunk / 512 - 7)) oflag=direct status=none ||
			fail "the small write failed"
		del_dev "$DEV_ID"
		check_layout "$chunk" "$UBR_SCRATCH/want.bin"

		# The other way: new data in the files, read through the device.
		for m in "${members[@]}"; do
			head -c $((4 << 20)) /dev/urandom >"$m"
		done
		assemble "$chunk" "$UBR_SCRATCH/want.bin"
		add_dev stripe --copy-mode "$mode" --chunk-size "$chunk" "${members[@]}"
		dd if="$DEV" of="$UBR_SCRATCH/got.bin" bs=1M iflag=direct status=none ||
			fail "reading the device failed"
		cmp "$UBR_SCRATCH/want.bin" "$UBR_SCRATCH/got.bin" ||
			fail "the device does not read the files in layout order"
		del_dev "$DEV_ID"
	done
done
echo "stripe-layout: ok"
