#!/usr/bin/python3
"""gen_bench.py — deterministic benchmark captures for mtadiag (stdlib only, classic pcap).

Ethernet / IPv4 / TCP, MSS 1460.  IP and TCP checksums are left at zero: mtadiag does not check
them and tshark validates them only when asked to (off by default).  The same arguments always
give the same file (seeded PRNG, fixed start time).

Kinds:
  smtp  OUT [--sessions N] [--mean-body B] [--rate R] [--gap-ms G] [--seed S] [--client-acks]
        SMTP sessions; R new sessions per second of capture time, packets of a session G ms
        apart on average (so about R x packets-per-session x G/1000 sessions are open at once).  Full dialogue (greeting, EHLO, MAIL, 1-4 RCPT, DATA, body, QUIT); the client writes
        the body in bursts of 8-64 KiB and only the last segment of a burst carries PSH; the
        server acknowledges every second segment.  Some RCPTs get 550/452, some greetings 554;
        every 97th session ends with a RST (half of them in the middle of DATA).
  osi   OUT [--sessions N] [--mean-body B] [--rate R] [--gap-ms G] [--seed S]
        X.400-style RTS transfers over TPKT / COTP class 0 (TPDU size 2048) / ISO 8327 session
        v2: CR/CC, CN/AC with RTS checkpointSize 4 (KiB) and windowSize 3, 1-7 activities per
        association (AS, data TSDUs of one checkpoint each, MIP after each, MIA one checkpoint
        later, so never more than 2 unconfirmed), AE/AEA, FN/DN release, FIN.
  open  OUT [--sessions N] [--seed S]
        N SMTP connections (1000 new per second) that all stay open to the end of the capture:
        each got as far as DATA and one body segment, so the engine holds N live connections
        mid-transaction.

Typical use (tests/bench/run.sh):
  gen_bench.py smtp big.pcap --sessions 9000 --mean-body 20000        # ~0.5 M packets, ~220 MB
  gen_bench.py smtp conns.pcap --sessions 60000 --mean-body 1500 --rate 50   # ~2 M packets
  gen_bench.py osi osi.pcap --sessions 5500                           # ~0.5 M packets
"""
import argparse
import heapq
import random
import struct
import sys

MSS = 1460
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
T0 = 1767225600  # 2026-01-01 00:00:00 UTC

ETH_C2S = bytes.fromhex("020000000002" "020000000001" "0800")
ETH_S2C = bytes.fromhex("020000000001" "020000000002" "0800")
# IPv4 (no options) + TCP (no options); checksums zero.
IPTCP = struct.Struct("!BBHHHBBH4s4sHHIIBBHHH")
REC = struct.Struct("<IIII")


class Writer:
    """Buffered classic-pcap writer (microsecond timestamps, LINKTYPE_ETHERNET)."""

    def __init__(self, f):
        self.f = f
        self.buf = []
        self.nbuf = 0
        self.packets = 0
        self.bytes = 0
        self.ipid = 0
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def frame(self, usec, s2c, src, dst, sport, dport, seq, ack, flags, win, payload):
        self.ipid = (self.ipid + 1) & 0xFFFF
        hdr = IPTCP.pack(0x45, 0, 40 + len(payload), self.ipid, 0x4000, 64, 6, 0, src, dst,
                         sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, win, 0, 0)
        n = 54 + len(payload)
        self.buf.append(REC.pack(usec // 1000000, usec % 1000000, n, n))
        self.buf.append(ETH_S2C if s2c else ETH_C2S)
        self.buf.append(hdr)
        if payload:
            self.buf.append(payload)
        self.packets += 1
        self.bytes += n + 16
        self.nbuf += 1
        if self.nbuf >= 4096:
            self.flush()

    def flush(self):
        self.f.write(b"".join(self.buf))
        self.buf = []
        self.nbuf = 0


class Tcp:
    """One TCP connection; methods yield (s2c, flags, seq, ack, payload, tcp) tuples."""

    def __init__(self, rng, cli, srv, cport, sport):
        self.cli, self.srv, self.cport, self.sport = cli, srv, cport, sport
        self.seq = [rng.getrandbits(32), rng.getrandbits(32)]  # [client, server]

    def seg(self, s2c, flags, payload=b""):
        d = 1 if s2c else 0
        pkt = (s2c, flags, self.seq[d], self.seq[1 - d] if flags & ACK else 0, payload, self)
        self.seq[d] += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return pkt

    def handshake(self):
        yield self.seg(False, SYN)
        yield self.seg(True, SYN | ACK)
        yield self.seg(False, ACK)

    def write(self, s2c, data, ack_every=2):
        """One application write: MSS segments, PSH on the last; the peer ACKs every
        ack_every-th segment (delayed ACK) and the last one."""
        n = len(data)
        off = 0
        k = 0
        while off < n:
            chunk = data[off:off + MSS]
            off += len(chunk)
            k += 1
            last = off >= n
            yield self.seg(s2c, (PSH | ACK) if last else ACK, chunk)
            if ack_every and (k % ack_every == 0) and not last:
                yield self.seg(not s2c, ACK)

    def close(self, first_s2c):
        yield self.seg(first_s2c, FIN | ACK)
        yield self.seg(not first_s2c, FIN | ACK)
        yield self.seg(first_s2c, ACK)


# ---- SMTP ----------------------------------------------------------------------------------

WORDS = (b"gateway relay message queue delivery report invoice meeting schedule budget "
         b"network server customer order shipment account update project review contract "
         b"the of and to in is for on with as by at from this that be are was it an or").split()
B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def text_body(rng, size):
    """Header block plus text lines and, for bigger messages, a base64 attachment part."""
    out = []
    n = 0
    text_part = size if size < 4000 else size // 4
    while n < text_part:
        k = rng.randint(6, 14)
        line = b" ".join(WORDS[rng.randrange(len(WORDS))] for _ in range(k)) + b"\r\n"
        out.append(line)
        n += len(line)
    if size >= 4000:
        out.append(b"\r\n--b0\r\nContent-Type: application/pdf\r\n"
                   b"Content-Transfer-Encoding: base64\r\n\r\n")
        seed = bytes(B64[rng.randrange(64)] for _ in range(76))
        i = 0
        while n < size:
            out.append(seed[i % 76:] + seed[:i % 76] + b"\r\n")
            n += 78
            i += 7
        out.append(b"--b0--\r\n")
    return b"".join(out)


def smtp_session(rng, i, mean_body, client_acks=False):
    cli = bytes((10, 1 + (i >> 16) % 200, (i >> 8) & 255, (i & 255) or 1))
    srv = bytes((10, 0, 0, 25 + i % 4))
    t = Tcp(rng, cli, srv, 1024 + (i * 7919) % 60000, 25)
    host = b"mx%d.bench.example" % (i % 4)

    def cmd(line):
        yield t.seg(False, PSH | ACK, line)

    def reply(text):
        yield t.seg(True, PSH | ACK, text)
        if client_acks:  # the client's delayed ACK fires before its next write
            yield t.seg(False, ACK)

    yield from t.handshake()
    if i % 401 == 7:  # a busy server turns the client away
        yield from reply(b"554 5.3.2 " + host + b" busy, try later\r\n")
        yield from cmd(b"QUIT\r\n")
        yield from reply(b"221 2.0.0 Bye\r\n")
        yield from t.close(True)
        return
    yield from reply(b"220 " + host + b" ESMTP service ready\r\n")
    if not client_acks:
        yield t.seg(False, ACK)
    yield from cmd(b"EHLO relay%d.sender.example\r\n" % (i % 97))
    yield from reply(b"250-" + host + b"\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
                     b"250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n")
    yield from cmd(b"MAIL FROM:<user%d@sender.example> SIZE=%d\r\n" % (i, mean_body))
    yield from reply(b"250 2.1.0 Sender ok\r\n")
    nrcpt = 1 + rng.randrange(4)
    for r in range(nrcpt):
        yield from cmd(b"RCPT TO:<rcpt%d.%d@bench.example>\r\n" % (i, r))
        if r > 0 and i % 13 == r:
            yield from reply(b"550 5.1.1 <rcpt%d.%d@bench.example>: user unknown\r\n" % (i, r))
        elif r > 0 and i % 29 == r:
            yield from reply(b"452 4.2.2 mailbox full\r\n")
        else:
            yield from reply(b"250 2.1.5 Recipient ok\r\n")
    yield from cmd(b"DATA\r\n")
    yield from reply(b"354 End data with <CR><LF>.<CR><LF>\r\n")
    size = max(300, min(int(rng.expovariate(1.0 / mean_body)), 4 << 20))
    hdr = (b"Received: from relay%d.sender.example by %s; Thu, 1 Jan 2026 00:00:00 +0000\r\n"
           b"From: <user%d@sender.example>\r\nTo: <rcpt%d.0@bench.example>\r\n"
           b"Subject: benchmark message %d\r\nMessage-ID: <%d.%d@sender.example>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
           % (i % 97, host, i, i, i, i, size))
    msg = hdr + text_body(rng, size) + b".\r\n"
    rst_mid = i % 97 == 0 and i % 194 == 0
    off = 0
    while off < len(msg):
        burst = rng.choice((8192, 16384, 32768, 65536))
        if rst_mid and off + burst >= len(msg) // 2:
            yield from t.write(False, msg[off:off + burst])
            yield t.seg(True, RST | ACK)  # server resets in the middle of the body
            return
        yield from t.write(False, msg[off:off + burst])
        off += burst
    yield from reply(b"250 2.0.0 Ok: queued as Q%08X\r\n" % i)
    if i % 97 == 0:
        yield t.seg(False, RST | ACK)  # client resets instead of QUIT
        return
    yield from cmd(b"QUIT\r\n")
    yield from reply(b"221 2.0.0 Bye\r\n")
    yield from t.close(True)


def open_session(rng, i):
    """An SMTP connection that stops in the middle of DATA and stays open."""
    cli = bytes((10, 2 + (i >> 16) % 200, (i >> 8) & 255, (i & 255) or 1))
    srv = bytes((10, 0, 0, 25))
    t = Tcp(rng, cli, srv, 1024 + (i * 7919) % 60000, 25)
    yield from t.handshake()
    yield t.seg(True, PSH | ACK, b"220 mx.bench.example ESMTP service ready\r\n")
    yield from t.write(False, b"EHLO relay%d.sender.example\r\n" % i)
    yield t.seg(True, PSH | ACK, b"250-mx.bench.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
    yield from t.write(False, b"MAIL FROM:<user%d@sender.example>\r\n" % i)
    yield t.seg(True, PSH | ACK, b"250 2.1.0 Sender ok\r\n")
    yield from t.write(False, b"RCPT TO:<rcpt%d@bench.example>\r\n" % i)
    yield t.seg(True, PSH | ACK, b"250 2.1.5 Recipient ok\r\n")
    yield from t.write(False, b"DATA\r\n")
    yield t.seg(True, PSH | ACK, b"354 go ahead\r\n")
    body = text_body(rng, 2 * MSS)
    yield t.seg(False, ACK, body[:MSS])  # first segment of a burst: no PSH, ends mid-line
    yield t.seg(True, ACK)


# ---- OSI: RFC 1006 / X.224 class 0 / ISO 8327 session / X.410 RTS ---------------------------------

def o_li(n):
    return bytes((n,)) if n < 255 else b"\xff" + struct.pack(">H", n)


def o_param(code, value):
    return bytes((code,)) + o_li(len(value)) + value


def o_spdu(si, params=b"", user=b""):
    return bytes((si,)) + o_li(len(params)) + params + user


def o_ber(tag, value):
    n = len(value)
    if n < 0x80:
        return bytes((tag, n)) + value
    if n < 0x100:
        return bytes((tag, 0x81, n)) + value
    if n < 0x10000:
        return bytes((tag, 0x82)) + struct.pack(">H", n) + value
    return bytes((tag, 0x83)) + struct.pack(">I", n)[1:] + value


def o_int(tag, v):
    return o_ber(tag, bytes((v,)) if v < 0x80 else struct.pack(">H", v))


SN = 42          # Serial Number PI
GIVE_TOKENS = o_spdu(1)
PLEASE_TOKENS = o_spdu(2)
CKPT_KIB, WINDOW = 4, 3
TPDU_SIZE_CODE, TPDU_SIZE = 0x0B, 2048


def o_serial(n):
    return o_param(SN, b"%d" % n)


def rts_pconnect():
    """X.410 PConnect: checkpointSize, windowSize, dialogueMode monologue, initial data."""
    params = o_int(0x80, CKPT_KIB) + o_int(0x81, WINDOW) + o_int(0x82, 0) + \
        o_ber(0xA3, o_ber(0x80, b""))
    return o_ber(0x31, o_ber(0xA0, o_int(0x80, 0)) + o_ber(0xA1, params))


def rts_paccept():
    params = o_int(0x80, CKPT_KIB) + o_int(0x81, WINDOW) + o_ber(0xA2, o_ber(0x80, b""))
    return o_ber(0x31, o_ber(0xA0, o_int(0x80, 0)) + o_ber(0xA1, params))


def ses_connect(accept):
    """CN (SI 13) or AC (SI 14): Connect/Accept item (protocol options, version 2 [, initial
    serial 1 on AC]), session requirements (half duplex, minor sync, activity management,
    exceptions, typed data), user data carrying the RTS PDU."""
    item = o_param(19, b"\x00") + o_param(22, b"\x02")
    if accept:
        item += o_param(23, b"1")
    params = o_param(5, item) + o_param(20, struct.pack(">H", 0x0249))
    params += o_param(193, rts_paccept() if accept else rts_pconnect())
    return o_spdu(14 if accept else 13, params)


def tpkt(tpdu):
    return b"\x03\x00" + struct.pack(">H", len(tpdu) + 4) + tpdu


def cotp_dt(tsdu):
    """A TSDU as DT TPDUs of at most TPDU_SIZE octets (3-octet header), EOT on the last."""
    room = TPDU_SIZE - 3
    out = []
    for off in range(0, max(1, len(tsdu)), room):
        last = off + room >= len(tsdu)
        out.append(tpkt(b"\x02\xf0" + (b"\x80" if last else b"\x00") + tsdu[off:off + room]))
    return b"".join(out)


def cotp_cr(cref):
    body = bytes((0xE0, 0, 0)) + struct.pack(">H", cref) + b"\x00" + \
        bytes((0xC0, 1, TPDU_SIZE_CODE, 0xC1, 2, 0, 1, 0xC2, 2, 0, 1))
    return tpkt(bytes((len(body),)) + body)


def cotp_cc(cref, sref):
    body = bytes((0xD0,)) + struct.pack(">HH", cref, sref) + b"\x00" + \
        bytes((0xC0, 1, TPDU_SIZE_CODE, 0xC1, 2, 0, 1, 0xC2, 2, 0, 1))
    return tpkt(bytes((len(body),)) + body)


def p1_content(rng, n):
    """Opaque P1 octets: a BER-looking envelope header followed by message text."""
    body = text_body(rng, n)
    return o_ber(0x30, b"\x31\x00" + body[:n])


def osi_session(rng, i, mean_body):
    cli = bytes((10, 3 + (i >> 16) % 200, (i >> 8) & 255, (i & 255) or 1))
    srv = bytes((10, 0, 1, 102 + i % 2))
    t = Tcp(rng, cli, srv, 1024 + (i * 7919) % 60000, 102)

    def send(s2c, spdus):
        yield from t.write(s2c, cotp_dt(spdus))

    yield from t.handshake()
    yield from t.write(False, cotp_cr(i & 0xFFFF or 1))
    yield from t.write(True, cotp_cc(i & 0xFFFF or 1, 0x4000 | (i & 0x3FFF)))
    yield from send(False, ses_connect(False))
    yield from send(True, ses_connect(True))
    chunk = CKPT_KIB * 1024
    for act in range(1, 2 + rng.randrange(7)):
        yield from send(False, GIVE_TOKENS + o_spdu(45, o_param(41, o_int(0x02, act))))
        data = p1_content(rng, max(500, min(int(rng.expovariate(1.0 / mean_body)), 1 << 20)))
        sn = 1
        confirmed = 0
        for off in range(0, len(data), chunk):
            yield from send(False, GIVE_TOKENS + o_spdu(1, b"", data[off:off + chunk]))
            if confirmed < sn - 1:  # the receiver confirms one checkpoint behind
                yield from send(True, PLEASE_TOKENS + o_spdu(50, o_serial(sn - 1)))
                confirmed = sn - 1
            if off + chunk < len(data):
                yield from send(False, GIVE_TOKENS + o_spdu(49, o_serial(sn)))
                sn += 1
        if confirmed < sn - 1:
            yield from send(True, PLEASE_TOKENS + o_spdu(50, o_serial(sn - 1)))
        yield from send(False, GIVE_TOKENS + o_spdu(41, o_serial(sn)))   # AE
        yield from send(True, PLEASE_TOKENS + o_spdu(42, o_serial(sn)))  # AEA
    yield from send(False, o_spdu(9, o_param(17, b"\x01")))  # FN, release transport
    yield from send(True, o_spdu(10))                        # DN
    yield from t.close(True)


# ---- scheduling --------------------------------------------------------------------------------

def run(w, make, n, rate, gap_ms, rng):
    """Sessions start at random (exponential) intervals, `rate` per second of capture time on
    average; within a session packets follow each other at random intervals of mean `gap_ms`
    milliseconds (round trips and peers' processing).  Packets of all open sessions are merged
    in time order, so sessions overlap as they would on a gateway's link."""
    heap = []  # (time in usec, tie-breaker, generator)
    tie = 0
    t = T0 * 1000000
    for i in range(n):
        t += max(1, int(rng.expovariate(rate) * 1e6))
        heapq.heappush(heap, (t, tie, make(i)))
        tie += 1
        # keep the heap small: emit everything due before the next session starts
        while heap and heap[0][0] <= t:
            emit(w, heap, rng, gap_ms, tie)
            tie += 1
    while heap:
        emit(w, heap, rng, gap_ms, tie)
        tie += 1


def emit(w, heap, rng, gap_ms, tie):
    """Write the earliest session's next packet and reschedule the session."""
    usec, _, g = heapq.heappop(heap)
    try:
        s2c, flags, seq, ack, payload, tcp = next(g)
    except StopIteration:
        return
    if s2c:
        w.frame(usec, True, tcp.srv, tcp.cli, tcp.sport, tcp.cport, seq, ack, flags, 65535,
                payload)
    else:
        w.frame(usec, False, tcp.cli, tcp.srv, tcp.cport, tcp.sport, seq, ack, flags, 64240,
                payload)
    heapq.heappush(heap, (usec + 1 + int(rng.expovariate(1.0) * gap_ms * 1000), tie, g))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=("smtp", "osi", "open"))
    ap.add_argument("out")
    ap.add_argument("--sessions", type=int, default=9000)
    ap.add_argument("--mean-body", type=int, default=None)
    ap.add_argument("--rate", type=float, default=5.0, help="new sessions per capture second")
    ap.add_argument("--gap-ms", type=float, default=100.0,
                    help="mean time between two packets of one session (ms)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--client-acks", action="store_true",
                    help="smtp: the client acknowledges every reply in a segment of its own")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "wb") as f:
        w = Writer(f)
        if a.kind == "smtp":
            mb = a.mean_body or 20000
            make = lambda i: smtp_session(rng, i, mb, a.client_acks)
            run(w, make, a.sessions, a.rate, a.gap_ms, rng)
        elif a.kind == "osi":
            mb = a.mean_body or 12000
            make = lambda i: osi_session(rng, i, mb)
            run(w, make, a.sessions, a.rate, a.gap_ms, rng)
        else:
            make = lambda i: open_session(rng, i)
            # connections open 1000 per second and none ends
            run(w, make, a.sessions, 1000.0, a.gap_ms, rng)
        w.flush()
    print("%s: %d packets, %d bytes" % (a.out, w.packets, w.bytes), file=sys.stderr)


if __name__ == "__main__":
    main()
