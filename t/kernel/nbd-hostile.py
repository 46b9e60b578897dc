#!/usr/bin/python3
# A small NBD server for nbd-hostile.sh: a fixed-newstyle handshake that
# agrees structured replies, then an export of zeros whose reads below
# 4 MiB and from 8 MiB on are answered correctly (the kernel's and
# udev's probes at both ends), those in between as the mode says:
#   short  one OFFSET_DATA chunk for the first half only, flagged DONE
#   magic  a reply header with a wrong magic
# Writes get a simple success reply. One client at a time.
# Usage: nbd-hostile.py SOCKET MODE SIZE
import socket
import struct
import sys

REQ_MAGIC = 0x25609513
SIMPLE = 0x67446698
CHUNK = 0x668E33EF
REP_MAGIC = 0x0003E889045565A9


def recv_all(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def opt_reply(c, opt, rtype, data=b""):
    c.sendall(struct.pack(">QIII", REP_MAGIC, opt, rtype, len(data)) + data)


def handshake(c, size):
    c.sendall(b"NBDMAGIC" + b"IHAVEOPT" + struct.pack(">H", 3))
    recv_all(c, 4)
    while True:
        _, opt, ln = struct.unpack(">QII", recv_all(c, 16))
        recv_all(c, ln)
        if opt == 8:  # STRUCTURED_REPLY
            opt_reply(c, opt, 1)
        elif opt in (7, 1):  # GO, EXPORT_NAME
            flags = 1 | (1 << 2)  # HAS_FLAGS, SEND_FLUSH
            if opt == 1:
                c.sendall(struct.pack(">QH", size, flags))
                return
            opt_reply(c, opt, 3, struct.pack(">HQH", 0, size, flags))
            opt_reply(c, opt, 1)
            return
        else:
            opt_reply(c, opt, (1 << 31) | 1)


def serve(c, mode, size):
    handshake(c, size)
    while True:
        _, _, typ, cookie, off, ln = struct.unpack(">IHHQQI", recv_all(c, 28))
        if typ == 1:  # WRITE
            recv_all(c, ln)
        if typ == 2:  # DISC
            return
        if typ != 0 or off + ln <= 4 << 20 or off >= 8 << 20:
            if typ == 0:
                c.sendall(struct.pack(">IHHQI", CHUNK, 1, 1, cookie, 8 + ln) +
                          struct.pack(">Q", off) + bytes(ln))
            else:
                c.sendall(struct.pack(">IIQ", SIMPLE, 0, cookie))
        elif mode == "short":
            half = ln // 2
            c.sendall(struct.pack(">IHHQI", CHUNK, 1, 1, cookie, 8 + half) +
                      struct.pack(">Q", off) + bytes(half))
        else:
            c.sendall(struct.pack(">IIQ", 0x12345678, 0, cookie))


def main():
    path, mode, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(4)
    while True:
        c, _ = s.accept()
        try:
            serve(c, mode, size)
        except (EOFError, OSError):
            pass
        c.close()


main()
