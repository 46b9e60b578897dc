#!/bin/bash
# Bad backing files for loop and stripe get one clear error and no device:
# a missing file, a directory, a file smaller than one block (or chunk), an
# immutable file without --read-only, --size larger than the file. The
# daemon checks the descriptors it is handed as well (a raw client passes a
# directory, a FIFO, a read-only descriptor). A backing file system that
# fills up fails writes with EIO while reads still work, another device
# keeps serving and the daemon lives on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/files.bash"

require_program fio
require_program chattr

M=$((1 << 20))

refused() { # refused MESSAGE ADD-ARGS...: add fails with MESSAGE, no device
	local before
	before=$(ls /dev/ublkb* 2>/dev/null || true)
	check_exit 1 "$UBR" add "${@:2}"
	grep -qF -- "$1" "$ERR" || fail "add ${*:2}: stderr lacks '$1'"
	[[ $(ls /dev/ublkb* 2>/dev/null || true) == "$before" ]] ||
		fail "add ${*:2} left a device"
}

cd "$UBR_SCRATCH"
ext4_scratch "$UBR_SCRATCH/ext4" 64M
truncate -s 16M ok.img
mkdir adir
mkfifo afifo
truncate -s 100 tiny.img
truncate -s 3K small3k.img
truncate -s 32K small32k.img
truncate -s 16M ext4/immutable.img
chattr +i ext4/immutable.img
on_exit chattr -i "$UBR_SCRATCH/ext4/immutable.img"

# A device first, so that the daemon runs for the raw client below.
add_dev loop ok.img
ok_id=$DEV_ID

refused "No such file or directory" loop nosuch.img
refused "adir is a directory" loop adir
refused "smaller than one block (512 bytes)" loop tiny.img
refused "smaller than one block (4096 bytes)" loop --logical-block-size 4096 small3k.img
refused "is read-only (Operation not permitted): use --read-only" loop ext4/immutable.img
refused "--size 32M is larger than $UBR_SCRATCH/ok.img (16M)" loop --size 32M ok.img
refused "small32k.img is smaller than one chunk (64K)" stripe ok.img small32k.img
refused "adir is a directory" stripe ok.img adir

# Read-only is fine with --read-only, and the device is read-only.
add_dev loop --read-only ext4/immutable.img
[[ $(blockdev --getro "$DEV") == 1 ]] || fail "$DEV is not read-only"
dd if=/dev/zero of="$DEV" bs=4k count=1 oflag=direct status=none 2>/dev/null &&
	fail "a write to the read-only $DEV succeeded"
dd if="$DEV" of=/dev/null bs=1M iflag=direct status=none || fail "reading $DEV failed"
del_dev "$DEV_ID"

# The daemon's own checks, past the client's: descriptors from a raw client.
"$PYTHON" - "$UBLK_REACTOR_RUNDIR/ublk-reactor.sock" "$UBR_SCRATCH" <<'PY' ||
import array, os, socket, struct, sys

sock, scratch = sys.argv[1], sys.argv[2]
MAGIC, VERSION, REQUEST, EXIT = 0x55425241, 1, 1, 4

def add(words, path, flags):
    payload = b"".join(w.encode() + b"\0" for w in words)
    msg = struct.pack("=IHHII", MAGIC, VERSION, REQUEST, len(words), len(payload)) + payload
    fd = os.open(path, flags)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sock)
    s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    os.close(fd)
    out, status = b"", None
    while status is None:
        m = s.recv(70000)
        if not m:
            break
        typ, count = struct.unpack("=IHHII", m[:16])[2:4]
        if typ == EXIT:
            status = count
        else:
            out += m[16:]
    return status, out.decode()

def refused(words, path, flags, want):
    status, text = add(words, path, flags)
    print("%s: status %s: %s" % (" ".join(words), status, text.strip()))
    assert status == 1 and want in text, "wanted '%s'" % want

d = scratch + "/adir"
refused(["add", "loop", "--read-only", d], d, os.O_RDONLY, "is a directory")
f = scratch + "/afifo"
refused(["add", "loop", f], f, os.O_RDWR | os.O_NONBLOCK, "is not a regular file or a block device")
f = scratch + "/ok.img"
refused(["add", "loop", f], f, os.O_RDONLY, "is open read-only: use --read-only")
f = scratch + "/tiny.img"
refused(["add", "loop", f], f, os.O_RDWR, "smaller than one block")
PY
	fail "the daemon accepted a bad descriptor"

# A backing file system that fills up: a 64M sparse file on a 16M ext4.
ext4_scratch "$UBR_SCRATCH/small" 16M
truncate -s $((64 * M)) small/sparse.img
add_dev loop small/sparse.img
full=$DEV
full_id=$DEV_ID
expect_in_list "$full_id" "(direct)"
pid=$(daemon_pid)

# The other device keeps serving (verified I/O) while the full one fails.
fio --name=other --filename=/dev/ublkb$ok_id --ioengine=io_uring --direct=1 \
	--rw=randwrite --bs=4k --iodepth=16 --size=8M --verify=crc32c \
	--verify_fatal=1 --loops=4 --output="$UBR_SCRATCH/other.log" &
other=$!
head -c $((4 * M)) /dev/urandom >first4m.bin
dd if=first4m.bin of="$full" bs=1M oflag=direct status=none ||
	fail "the first 4M should fit"
if dd if=/dev/urandom of="$full" bs=1M seek=4 count=40 oflag=direct \
	status=none 2>dd.err; then
	fail "40M more fitted on a 16M file system"
fi
cat dd.err
grep -q "Input/output error" dd.err || fail "the write did not fail with EIO"
wait "$other" || { cat other.log; fail "fio on the other device failed"; }
cmp first4m.bin <(dd if="$full" bs=1M count=4 iflag=direct status=none) ||
	fail "reading what fitted failed"
kill -0 "$pid" || fail "the daemon died"
check_exit 0 "$UBR" list
grep -q "^$full_id " "$OUT" || fail "the full device left the list"
del_dev "$full_id"
del_dev "$ok_id"
echo "loop-bad-input: ok"
