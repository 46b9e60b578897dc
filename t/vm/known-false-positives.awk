# Copies a kernel log, leaving out the reports known to be false positives
# and noting each one in the file named by the variable logfile (awk -v
# logfile=FILE -f known-false-positives.awk KERNEL_LOG). Used by
# t/vm/guest-suite (amd64, gawk or mawk) and t/vm/arm64-smoke-guest
# (busybox awk): plain POSIX awk.
#
# - Linux 7.x io_buffer_register_bvec() fills imu->bvec[] before setting the
#   __counted_by count imu->nr_bvecs, so UBSAN_BOUNDS flags bvec[0] the first
#   time a ublk request buffer is registered (zero copy, AUTO_BUF_REG). The
#   array itself is allocated large enough: nothing is written out of bounds.
#   Seen on amd64 and arm64 (7.2.13).
#
# Only a whole report (UBSAN line to the end of its stack trace: x86's
# </TASK> or the "---[ end trace" line every architecture prints) matching
# both the site and the function is removed; anything else is kept.
function flush(   i, known) {
	known = blk ~ /UBSAN: array-index-out-of-bounds in [^ ]*io_uring\/rsrc\.c/ &&
		blk ~ /bio_vec \[\*\]/ && blk ~ /io_buffer_register_bvec/
	if (known)
		print "# harness: ignored a known kernel false positive: " first >>logfile
	else
		for (i = 1; i <= n; i++) print lines[i]
	n = 0; blk = ""; inblk = 0
}
/UBSAN: / { if (inblk) flush(); inblk = 1; first = $0 }
{ if (inblk) { lines[++n] = $0; blk = blk "\n" $0 } else print }
inblk && (/<\/TASK>/ || /---\[ end trace/) { flush() }
END { if (inblk) flush() }
