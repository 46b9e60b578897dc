/* SPDX-License-Identifier: MIT */
/*
 * The exit statuses of ublk-reactor's commands (ublk-reactor(8), EXIT
 * STATUS). Every layer that ends a command may return one (the admin
 * commands, `config check`), so they live here, below all of them, and
 * not in the admin layer's header: nothing else is declared here.
 */
#ifndef UBR_EXIT_H
#define UBR_EXIT_H

enum ubr_exit {
	UBR_EXIT_OK = 0,
	UBR_EXIT_FAIL = 1,  /* runtime failure */
	UBR_EXIT_USAGE = 2, /* bad command line */
};

#endif /* UBR_EXIT_H */
