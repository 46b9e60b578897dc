/* SPDX-License-Identifier: MIT */
/*
 * The nbd target's pieces (src/targets/nbd*.c): the connection the client
 * makes (nbd_connect.c), the device and its handshake (nbd.c), and the
 * requests on the shared ring (nbd_io.c). The protocol itself is in the
 * pure layer: nbd_uri.h, nbd_handshake.h, nbd_wire.h.
 */
#ifndef UBR_TGT_NBD_H
#define UBR_TGT_NBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ubr_dev.h"
#include "ubr_target.h"
#include "nbd_handshake.h"
#include "nbd_uri.h"
#include "nbd_wire.h"

/* --connections: how many the option takes (only 1 is served yet). */
#define UBR_NBD_MAX_CONNECTIONS 16U

struct ubr_nbd_opts {
	unsigned connections; /* 0: the default, one */
};

/* One request's life on the connection. */
struct ubr_nbd_slot {
	struct ubr_nbd_req req;
	uint8_t hdr[UBR_NBD_REQUEST_LEN];
	uint32_t next;	  /* the send queue's link (index + 1, 0: none) */
	uint32_t covered; /* read: bytes of its range answered (data, holes) */
	int32_t result;	  /* first error, else 0 */
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

/* A device's state (dev->tgt). */
struct ubr_nbd {
	struct ubr_dev *dev;
	int fd;
	bool dead;	  /* the connection failed: every request gets EIO */
	struct ubr_nbd_export_info info;
	struct ubr_nbd_uri uri;
	unsigned depth;
	struct ubr_nbd_slot *slots; /* nr_queues * depth */
	uint32_t seq;
	unsigned awaiting;
	/* send: a FIFO of slots, one sendmsg in flight */
	uint32_t sq_head, sq_tail; /* index + 1, 0: empty */
	bool send_busy;
	uint32_t send_owner; /* the slot whose tag the sendmsg SQE carries */
	struct msghdr msg;
	struct iovec iov[2 * UBR_NBD_SEND_BATCH];
	unsigned iov_nr;
	/* receive: one recv in flight, into rx or straight into a buffer */
	bool recv_busy, recv_direct;
	uint8_t *rx;
	uint32_t rx_off, rx_len;
	enum ubr_nbd_rx_state rx_state;
	uint32_t need; /* HDR, PREFIX: bytes wanted */
	struct ubr_nbd_reply reply;
	uint32_t cur;	 /* the slot the reply belongs to */
	uint8_t *dst;	 /* DATA: where the next byte goes */
	uint32_t left;	 /* DATA: bytes still due */
};

/* The client's connection to the URI `word` (the connect hook). */
int ubr_nbd_connect(const char *word, int *fd, char *err, size_t len);

/* nbd_io.c */
void ubr_nbd_queue_io(struct ubr_queue *q, unsigned tag,
		      const struct ublksrv_io_desc *iod);
void ubr_nbd_io_done(struct ubr_queue *q, unsigned tag, uint32_t tgt_data,
		     const struct io_uring_cqe *cqe);

#endif /* UBR_TGT_NBD_H */
