/* SPDX-License-Identifier: MIT */
/*
 * Kernel devices this daemon does not serve: their sysfs names parse to
 * IDs and nothing else does, each kind of owner is told apart, and the
 * list rows, the add --id message and the JSON say what the kind is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ubr_kdev.h"

static bool name_is(const char *name, uint32_t want)
{
	uint32_t id = 0xdead;

	return ubr_kdev_parse_name(name, &id) == 0 && id == want;
}

static bool name_bad(const char *name)
{
	uint32_t id;

	return ubr_kdev_parse_name(name, &id) < 0;
}

static void names(void)
{
	ok(name_is("ublkc0", 0), "ublkc0 is 0");
	ok(name_is("ublkc1048575", 1048575), "the largest ID parses");
	ok(name_bad("ublkc1048576"), "an ID past the minor space is refused");
	ok(name_bad("ublkc"), "no number");
	ok(name_bad("ublkb3"), "a block device name is not a char device's");
	ok(name_bad("ublkc3x"), "trailing junk");
	ok(name_bad("ublkc-1"), "a sign");
	ok(name_bad("."), "a dot entry");
}

static struct ublksrv_ctrl_dev_info info(unsigned state, int pid,
					 uint64_t flags)
{
	struct ublksrv_ctrl_dev_info i;

	memset(&i, 0, sizeof(i));
	i.state = (__u16)state;
	i.ublksrv_pid = pid;
	i.flags = flags;
	i.nr_hw_queues = 2;
	i.queue_depth = 64;
	return i;
}

static void classify(void)
{
	struct ublksrv_ctrl_dev_info i;
	uint64_t rec = UBLK_F_USER_RECOVERY;

	i = info(UBLK_S_DEV_DEAD, 0, 0);
	is_int(ubr_kdev_classify(&i, 10, false, false), UBR_KDEV_DEAD,
	       "DEAD without a pid: dead");
	i = info(UBLK_S_DEV_LIVE, 77, 0);
	is_int(ubr_kdev_classify(&i, 10, false, false), UBR_KDEV_DEAD,
	       "LIVE whose server is gone (the kernel has not noticed): dead");
	is_int(ubr_kdev_classify(&i, 10, true, false), UBR_KDEV_OTHER,
	       "LIVE with a live server: another's");
	is_int(ubr_kdev_classify(&i, 77, true, false), UBR_KDEV_OURS,
	       "its pid is ours: ours");
	is_int(ubr_kdev_classify(&i, 10, true, true), UBR_KDEV_WAITING,
	       "a record of ours wins over anything");
	i = info(UBLK_S_DEV_DEAD, 77, 0);
	is_int(ubr_kdev_classify(&i, 10, true, false), UBR_KDEV_OTHER,
	       "DEAD with a live pid: being added by another process");
	i = info(UBLK_S_DEV_QUIESCED, 77, rec);
	is_int(ubr_kdev_classify(&i, 10, false, false), UBR_KDEV_ORPHAN,
	       "QUIESCED with recovery, server gone: kept for its recovery");
	i = info(UBLK_S_DEV_FAIL_IO, 77, rec);
	is_int(ubr_kdev_classify(&i, 10, false, false), UBR_KDEV_ORPHAN,
	       "FAIL_IO likewise");
	i = info(UBLK_S_DEV_DEAD, 77, rec);
	is_int(ubr_kdev_classify(&i, 10, false, false), UBR_KDEV_DEAD,
	       "DEAD with recovery flags: nothing to recover, dead");
}

static void states(void)
{
	is_str(ubr_kdev_state_name(UBLK_S_DEV_DEAD), "DEAD", "DEAD");
	is_str(ubr_kdev_state_name(UBLK_S_DEV_LIVE), "LIVE", "LIVE");
	is_str(ubr_kdev_state_name(UBLK_S_DEV_QUIESCED), "QUIESCED", "QUIESCED");
	is_str(ubr_kdev_state_name(UBLK_S_DEV_FAIL_IO), "FAIL_IO", "FAIL_IO");
	is_str(ubr_kdev_state_name(9), "?", "an unknown state");
}

/* What fn prints for k, in a buffer the caller frees. */
static char *render(void (*fn)(FILE *, const struct ubr_kdev *),
		    const struct ubr_kdev *k)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fn(f, k);
	fclose(f);
	return text;
}

static bool has(const char *text, const char *part)
{
	if (text && strstr(text, part))
		return true;
	diag("'%s' lacks '%s'", text ? text : "(null)", part);
	return false;
}

static void rows(void)
{
	struct ubr_kdev k = { .id = 7, .info = info(UBLK_S_DEV_LIVE, 4242, 0),
			      .has_disk = true, .owner = UBR_KDEV_OTHER,
			      .comm = "kublk" };
	char msg[256], *t;

	t = render(ubr_kdev_text_row, &k);
	ok(has(t, "7    /dev/ublkb7   -       LIVE           2    64"),
	   "text row: ID, disk, the kernel's state, queues, depth");
	ok(has(t, "not ours: served by pid 4242 (kublk)"), "text row: whose");
	free(t);
	t = render(ubr_kdev_json_row, &k);
	ok(has(t, "\"kernel_state\": \"LIVE\"") && has(t, "\"owner\": \"other\"") &&
		   has(t, "\"server_pid\": 4242") &&
		   has(t, "\"server_command\": \"kublk\""),
	   "JSON row: state, owner, server");
	free(t);
	ubr_kdev_in_use_msg(&k, msg, sizeof(msg));
	ok(has(msg, "device ID 7 is already in use, served by another process, pid 4242 (kublk)"),
	   "add --id: whose");

	k.info = info(UBLK_S_DEV_DEAD, 0, 0);
	k.has_disk = false;
	k.owner = UBR_KDEV_DEAD;
	t = render(ubr_kdev_text_row, &k);
	ok(has(t, "7    -             -       DEAD") &&
		   has(t, "not ours: dead, no server"),
	   "text row: a dead device has no disk");
	free(t);
	t = render(ubr_kdev_json_row, &k);
	ok(has(t, "\"device\": null") && has(t, "\"owner\": \"dead\"") &&
		   has(t, "\"server_pid\": null"),
	   "JSON row: dead, no disk, no server");
	free(t);
	ubr_kdev_in_use_msg(&k, msg, sizeof(msg));
	ok(has(msg, "device ID 7 is already in use by a dead device") &&
		   has(msg, "'ublk-reactor del 7' removes it"),
	   "add --id on a dead device's ID: del removes it");

	k.owner = UBR_KDEV_WAITING;
	ubr_kdev_in_use_msg(&k, msg, sizeof(msg));
	ok(has(msg, "'ublk-reactor recover 7'"), "add --id: waiting for recover");
	k.err = -13;
	k.owner = UBR_KDEV_OTHER;
	t = render(ubr_kdev_text_row, &k);
	ok(has(t, "GET_DEV_INFO failed: Permission denied"),
	   "text row: the kernel refused to tell");
	free(t);
}

static void json_escape(void)
{
	struct ubr_kdev k = { .id = 1, .info = info(UBLK_S_DEV_LIVE, 5, 0),
			      .owner = UBR_KDEV_OTHER, .comm = "a\"b\\c\n" };
	char *t = render(ubr_kdev_json_row, &k);

	ok(has(t, "\"server_command\": \"a\\\"b\\\\c\\u000a\""),
	   "a process name is escaped in JSON");
	free(t);
}

int main(void)
{
	names();
	classify();
	states();
	rows();
	json_escape();
	return done_testing();
}
