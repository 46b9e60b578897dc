# jq -r -f t/bench/check.jq bench-KERNEL.json: prints every point of the
# benchmark that has no number (one per line); nothing when all are there.
# A copy mode the kernel refused is {"na": reason} and counts as measured.

def num: type == "number";
def runs: type == "array" and length == 2 and all(.[]; num);
def need(path; test): if (try (getpath(path) | test) catch false) then empty else path | map(tostring) | join(" ") end;

need(["kernel"]; type == "string"),
need(["date"]; type == "string"),
need(["machine", "host_nproc"]; num),
need(["guest", "nproc"]; num),
need(["binary", "bytes"]; num),
need(["binary", "stripped_bytes"]; num),
(("randread", "randwrite") as $rw | (1, 64) as $d | ("ublk", "null_blk") as $t |
	need(["null", "\($rw) qd\($d)", $t]; runs)),
need(["loop", "kernel_loop"]; runs),
need(["loop", "modes", "buffer"]; runs),
(("user", "zero") as $m | need(["loop", "modes", $m]; runs or (type == "object" and (.na | type) == "string"))),
(("1", "2", "4", "8", "16") as $n | need(["scaling", "ublk", $n]; runs)),
need(["scaling", "null_blk_x4"]; runs),
need(["syscalls", "method"]; . == "stats" or . == "strace"),
(("1", "4") as $n | need(["syscalls", "points", $n, "enters_per_io"]; runs)),
need(["add_ms", "median"]; num),
(("never", "always") as $thp |
	((("1", "4", "16", "64") as $n | ("rss_kib", "pss_kib", "threads") as $f |
		need(["footprint", "idle", $thp, $n, $f]; num)),
	 (("during_write", "after_write") as $when | ("rss_kib", "pss_kib", "threads") as $f |
		need(["footprint", $when, $thp, $f]; num)))),
# A static build, when one was given (t/bench/run --static).
(if .static_binary then
	need(["static", "binary", "stripped_bytes"]; num),
	need(["static", "add_ms", "median"]; num),
	(("never", "always") as $thp | ("rss_kib", "pss_kib") as $f |
		("1", "4", "16", "64") as $n | need(["static", "footprint", "idle", $thp, $n, $f]; num))
 else empty end),
# kublk (t/bench/guest-kublk): either why there is none, or two runs of
# every expected point in every mode not refused for a missing feature,
# each with IOPS, CPU and switches per I/O, and the kernel's device.
(.kublk // {}) as $k
| if ($k.unavailable | type) == "string" then empty
  elif ($k.expected_points | type) != "array" or ($k.expected_points | length) == 0 then "kublk expected_points"
  else
	([$k.na // {} | to_entries[] | select(.value | startswith("error")) | "kublk mode \(.key) (\(.value))"][]),
	($k.expected_points[] as $p
	 | (([$k.ours_modes[] | "ours \(.)"] + [$k.modes[] | "kublk \(.)"])[]
	    | select(($k.na // {})[.] == null)) as $c
	 | need(["kublk", "points", $p, $c];
		type == "array" and length == 2 and all(.[]; type == "object" and
			(.iops | num) and (.cpu_us_per_io | num) and (.cs_per_io | num)))),
	($k.expected_points[] as $p | need(["kublk", "points", $p, "reference"]; runs))
  end
,
# nbd (t/bench/guest-nbd): why there is no comparison, or every point over
# both transports with a run per round for each client (ours in zero copy
# too where the kernel has it).
(.nbd // {}) as $n | (.rounds // 2) as $rounds
| if ($n.na | type) == "string" then empty
  else
	(("unix", "tcp") as $t
	 | ("randread_4k_qd1", "randread_4k_qd64", "randwrite_4k_qd1", "randwrite_4k_qd64", "read_1m_qd8") as $p
	 | ("ours", "kernel", (if $n.zero_copy == true then "ours_zero" else empty end)) as $w
	 | need(["nbd", "points", $t, $p, $w];
		type == "array" and length == $rounds and all(.[]; type == "object" and
			(.iops | num) and (.cpu_us_per_io | num))))
  end
