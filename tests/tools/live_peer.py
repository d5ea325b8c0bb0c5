#!/usr/bin/python3
"""live_peer.py — small TCP peers for the live capture tests; every socket call has a timeout.

usage:
  live_peer.py silent-server ADDR PORT SECONDS
      accept one connection, send an SMTP greeting, then read without ever answering until
      the peer closes or SECONDS pass
  live_peer.py hanging-client ADDR PORT SECONDS
      connect, read the greeting, send EHLO, then keep the connection open for SECONDS (or
      until killed) without sending anything else
  live_peer.py sink ADDR PORT SECONDS
      accept connections one after another and discard what they send, for SECONDS
  live_peer.py bulk ADDR PORT OCTETS
      connect, send OCTETS octets, close with FIN and wait for the peer's close
  live_peer.py session ADDR PORT
      a complete short SMTP dialogue against an SMTP server (EHLO, MAIL, RCPT, DATA, QUIT)
  live_peer.py smtp-server ADDR PORT SECONDS
      a minimal SMTP server answering any number of sessions one after another for SECONDS
"""
import socket
import sys
import time


def listen(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    return s


def silent_server(addr, port, secs):
    s = listen(addr, port)
    s.settimeout(secs)
    c, _ = s.accept()
    c.sendall(b"220 silent.example.org ESMTP\r\n")
    c.settimeout(secs)
    end = time.time() + secs
    try:
        while time.time() < end and c.recv(4096):
            pass
    except socket.timeout:
        pass


def hanging_client(addr, port, secs):
    c = socket.create_connection((addr, port), timeout=10)
    f = c.makefile("rb")
    if not f.readline().startswith(b"220"):
        raise SystemExit("no greeting")
    c.sendall(b"EHLO hanging.example.org\r\n")
    time.sleep(secs)


def sink(addr, port, secs):
    s = listen(addr, port)
    end = time.time() + secs
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            c, _ = s.accept()
        except socket.timeout:
            return
        c.settimeout(10)
        while c.recv(1 << 16):
            pass
        c.close()


def bulk(addr, port, octets):
    c = socket.create_connection((addr, port), timeout=10)
    block = b"x" * 65536
    left = octets
    while left > 0:
        n = min(left, len(block))
        c.sendall(block[:n])
        left -= n
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()


def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed early")
        if line[3:4] != b"-":
            return int(line[:3])


def session(addr, port):
    c = socket.create_connection((addr, port), timeout=10)
    f = c.makefile("rb")
    if reply(f) != 220:
        raise SystemExit("no greeting")
    for cmd, want in ((b"EHLO peer.example.org", 250), (b"MAIL FROM:<a@example.org>", 250),
                      (b"RCPT TO:<b@example.net>", 250), (b"DATA", 354),
                      (b"Subject: t\r\n\r\nhello\r\n.", 250), (b"QUIT", 221)):
        c.sendall(cmd + b"\r\n")
        if reply(f) != want:
            raise SystemExit("%r: unexpected reply" % cmd)
    c.close()


def smtp_server(addr, port, secs):
    s = listen(addr, port)
    end = time.time() + secs
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            c, _ = s.accept()
        except socket.timeout:
            return
        c.settimeout(10)
        f = c.makefile("rb")
        c.sendall(b"220 test.example.org ESMTP\r\n")
        in_data = False
        for line in f:
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    c.sendall(b"250 2.0.0 Ok: queued as TESTQ1\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                c.sendall(b"250-test.example.org\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                in_data = True
                c.sendall(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                break
            else:
                c.sendall(b"250 ok\r\n")
        c.close()


def main(argv):
    cmd, addr, port = argv[1], argv[2], int(argv[3])
    if cmd == "silent-server":
        silent_server(addr, port, float(argv[4]))
    elif cmd == "hanging-client":
        hanging_client(addr, port, float(argv[4]))
    elif cmd == "sink":
        sink(addr, port, float(argv[4]))
    elif cmd == "bulk":
        bulk(addr, port, int(argv[4]))
    elif cmd == "session":
        session(addr, port)
    elif cmd == "smtp-server":
        smtp_server(addr, port, float(argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
