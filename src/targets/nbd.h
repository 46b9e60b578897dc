/* SPDX-License-Identifier: MIT */
/*
 * The nbd target's pieces (src/targets/nbd*.c): the connection the client
 * makes (nbd_connect.c), the device and its handshake (nbd.c), the
 * requests on the shared ring (nbd_io.c) and the connection made again
 * when lost (nbd_reconnect.c). The protocol itself is in the pure layer:
 * nbd_uri.h, nbd_handshake.h, nbd_wire.h, nbd_retry.h.
 */
#ifndef UBR_TGT_NBD_H
#define UBR_TGT_NBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ev.h>

#include "ubr_dev.h"
#include "ubr_target.h"
#include "nbd_conns.h"
#include "nbd_handshake.h"
#include "nbd_uri.h"
#include "nbd_wire.h"

struct ubr_nbd_opts {
	unsigned connections; /* 0: the default (nbd_conns.h) */
	/* --reconnect-timeout in seconds (0: the default, 30) */
	unsigned reconnect_timeout;
};

/* One request's life on its connection. */
struct ubr_nbd_slot {
	struct ubr_nbd_req req;
	uint8_t hdr[UBR_NBD_REQUEST_LEN];
	uint32_t next;	  /* the send queue's link (index + 1, 0: none) */
	uint32_t covered; /* read: bytes of its range answered (data, holes) */
	int32_t result;	  /* first error, else 0 */
	uint64_t lost_at; /* ms its connection was first lost, 0: never */
	bool awaiting;	  /* sent or queued, no final reply yet */
	bool replied;	  /* answered, completed once no SQE holds its tag */
};

enum ubr_nbd_rx_state {
	UBR_NBD_RX_HDR,	   /* a reply or chunk header */
	UBR_NBD_RX_PREFIX, /* a chunk's payload before its data */
	UBR_NBD_RX_DATA,   /* read data for a request's buffer */
};

/* The size of the receive buffer: many small replies per recv. */
#define UBR_NBD_RX_BUF (256U << 10)
/* Requests gathered into one sendmsg. */
#define UBR_NBD_SEND_BATCH 64U
/*
 * SQEs of one linked send chain in zero copy: sendmsgs of headers, each
 * write's data sent from its request's registered buffer after its header.
 */
#define UBR_NBD_CHAIN 32U
/*
 * Zero copy: while a read this large awaits its reply, replies are
 * received a header (and a data chunk's offset) at a time, so that its
 * data, not yet received, goes straight into the request rather than
 * through the receive buffer.
 */
#define UBR_NBD_BIG_READ (64U << 10)
/* A hole's zeros are copied from this many bytes of zero pages at a time. */
#define UBR_NBD_ZEROS (1U << 20)

/*
 * A connection's state (nbd_reconnect.c). UP: requests go out. DOWN:
 * lost, reconnecting; requests are held. FAILED: down for longer than
 * --reconnect-timeout; held requests failed with EIO, new ones fail at
 * once, reconnecting goes on.
 */
enum ubr_nbd_state {
	UBR_NBD_UP,
	UBR_NBD_DOWN,
	UBR_NBD_FAILED,
};

/* Reconnecting: one attempt at a time, driven by the loop (libev). */
struct ubr_nbd_reconnect {
	ev_timer retry;	 /* the backoff; during an attempt, its deadline */
	ev_timer expire; /* --reconnect-timeout after the loss */
	ev_io io;	 /* the attempt's socket: connect, then handshake */
	int fd;		 /* the attempt's socket, or -1 */
	bool connecting; /* connect() in progress, else the handshake */
	bool first;	 /* the device's first handshake (init), not a reconnect */
	bool joining;	 /* connection 2..N at init: one attempt, no retry */
	struct ubr_nbd_hs *hs;
	unsigned backoff_ms; /* the last wait, 0: start from the minimum */
	unsigned attempts;   /* failed attempts since the loss */
	uint64_t timeout_ms;
	/* TCP: the address the first connection reached */
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

struct ubr_nbd;

/*
 * One connection to the server: it carries the requests of the queues
 * ubr_nbd_conn_of_queue() gives it, and loses, reconnects and resends on
 * its own.
 */
struct ubr_nbd_conn {
	struct ubr_nbd *nb;
	unsigned idx; /* in nb->conns */
	int fd;	      /* -1 while down */
	int old_fd;   /* a lost one, open until its SQEs are back; or -1 */
	enum ubr_nbd_state state;
	/* the SQEs in flight belong to a lost connection */
	bool send_stale, recv_stale;
	struct ubr_nbd_reconnect rc;
	struct ubr_nbd_export_info info; /* its last handshake's */
	uint32_t seq;
	unsigned awaiting;
	unsigned big_reads; /* zero copy: awaiting reads of UBR_NBD_BIG_READ */
	/*
	 * send: a FIFO of slots; one sendmsg in flight, or in zero copy one
	 * chain of up to UBR_NBD_CHAIN SQEs
	 */
	uint32_t sq_head, sq_tail; /* index + 1, 0: empty */
	unsigned sends;		   /* send SQEs in flight */
	uint32_t send_owner; /* the slot whose tag the sendmsg SQE carries */
	struct msghdr msg[UBR_NBD_CHAIN];
	uint32_t chain_len[UBR_NBD_CHAIN]; /* zero copy: bytes each must send */
	struct iovec iov[2 * UBR_NBD_SEND_BATCH];
	unsigned iov_nr;
	/* receive: one recv in flight, into rx or straight into a buffer */
	bool recv_busy, recv_direct;
	uint8_t *rx;
	uint32_t rx_off, rx_len;
	enum ubr_nbd_rx_state rx_state;
	uint32_t need; /* HDR, PREFIX: bytes wanted */
	struct ubr_nbd_reply reply;
	uint32_t cur;	  /* the slot the reply belongs to */
	uint32_t dst_off; /* DATA: where the next byte goes in its data */
	uint32_t left;	  /* DATA: bytes still due */
};

/* A device's state (dev->tgt). */
struct ubr_nbd {
	struct ubr_dev *dev;
	struct ubr_nbd_export_info info; /* the first handshake's: params */
	struct ubr_nbd_uri uri;
	unsigned depth;
	struct ubr_nbd_slot *slots; /* nr_queues * depth */
	unsigned nr_conns;	    /* fixed once the first handshake is done */
	unsigned joining;	    /* connections still being made at init */
	struct ubr_nbd_conn *conns[UBR_NBD_MAX_CONNECTIONS];
};

/* The client's connection to the URI `word` (the connect hook). */
int ubr_nbd_connect(const char *word, int *fd, char *err, size_t len);

/* nbd.c: `list`'s line, with the connections' state. */
int ubr_nbd_desc(struct ubr_nbd *nb);

/* nbd_io.c */
/* The connection is lost (why: one line): hold its requests, reconnect. */
void ubr_nbd_conn_lost(struct ubr_nbd_conn *c, const char *why);
/* A new connection is up on fd with info: resend what had no reply. */
void ubr_nbd_conn_up(struct ubr_nbd_conn *c, int fd,
		     const struct ubr_nbd_export_info *info);
/* Fail every request of the connection without a reply with EIO. */
void ubr_nbd_fail_held(struct ubr_nbd_conn *c);
void ubr_nbd_queue_io(struct ubr_queue *q, unsigned tag,
		      const struct ublksrv_io_desc *iod);
void ubr_nbd_io_done(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
		     const struct io_uring_cqe *cqe);

/* nbd_reconnect.c */
/*
 * Does the export info a handshake found fit a device of params p (its
 * size, writable, flush, FUA, trim, write-zeroes, block sizes)? 0, or
 * -ESTALE with why. For a reconnect, a further connection and a recovery.
 */
int ubr_nbd_export_fits(const struct ublk_params *p,
			const struct ubr_nbd_export_info *in, char *why,
			size_t len);
/*
 * Remember where to reconnect to: the peer of c->fd (the first
 * connection), or for a further one (c->fd -1) where the first went.
 */
void ubr_nbd_reconnect_init(struct ubr_nbd_conn *c);
/* The connection was lost: start reconnecting. */
void ubr_nbd_reconnect_start(struct ubr_nbd_conn *c);
/* A reconnected server answered: the next loss starts the backoff over. */
static inline void ubr_nbd_reconnect_proven(struct ubr_nbd_conn *c)
{
	c->rc.backoff_ms = 0;
}
void ubr_nbd_reconnect_stop(struct ubr_nbd_conn *c);
/*
 * The device's first handshake, on the socket the client connected
 * (c->fd of connection 0, which it takes), on the loop like a
 * reconnect's: 0, then ubr_nbd_first_done() once; or -errno at once.
 */
int ubr_nbd_first_handshake(struct ubr_nbd_conn *c, unsigned timeout_ms);
/*
 * nbd.c: it ended. 0 with the socket back in c->fd and info; or -errno
 * and why, one line. The device may be freed by it.
 */
void ubr_nbd_first_done(struct ubr_nbd_conn *c, int err, const char *why,
			const struct ubr_nbd_export_info *info);
/*
 * A further connection at init, made by the daemon as a reconnect is:
 * one attempt, started from the loop; ubr_nbd_join_done() once.
 */
void ubr_nbd_join_start(struct ubr_nbd_conn *c);
/* nbd.c: it ended (0: up in c->fd; or -errno and why). May free c. */
void ubr_nbd_join_done(struct ubr_nbd_conn *c, int err, const char *why);

#endif /* UBR_TGT_NBD_H */
