#!/usr/bin/python3
"""smtp_abort_client.py HOST PORT - an SMTP client that aborts in the middle of DATA.

Sends EHLO, MAIL, RCPT, DATA, part of a body, then closes with SO_LINGER 0 so the kernel sends
a RST instead of a FIN (the wire pattern of a crashed or killed gateway).  Every socket call has
a timeout; exit status 0 when the sequence ran up to the abort.
"""
import socket
import struct
import sys


def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed early")
        if line[3:4] != b"-":
            return int(line[:3])


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(10)
    f = s.makefile("rb")
    if reply(f) != 220:
        raise SystemExit("no 220 greeting")
    for cmd, want in ((b"EHLO abort.example.org", 250), (b"MAIL FROM:<abort@example.org>", 250),
                      (b"RCPT TO:<bob@example.net>", 250), (b"DATA", 354)):
        s.sendall(cmd + b"\r\n")
        code = reply(f)
        if code != want:
            raise SystemExit("%s: got %d" % (cmd.decode(), code))
    s.sendall(b"Subject: aborted\r\n\r\n" + b"x" * 70 + b"\r\n" * 1 + (b"y" * 70 + b"\r\n") * 40)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
