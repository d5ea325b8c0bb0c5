#!/usr/bin/python3
"""gen_hostile.py — deterministic hostile captures for mtadiag's resource bounds and error paths.

Pure Python (struct only, no scapy) so that the large ones are quick to write.  Every file is a
function of its name and the options: no clock, no unseeded randomness.  The files are large
(up to ~60 MB) and are therefore generated at test time (tests/scripts/test_hostile.sh) and not
committed.  docs/hardening.md lists what each one checks.

    /usr/bin/python3 tests/gen/gen_hostile.py OUTDIR [NAME ...] [--syn-count N]

With no NAME every capture is written.  Names (file = OUTDIR/NAME.pcap, or .pcapng):
  syn_flood        N (default 1 000 000) SYNs to port 25 from distinct clients
  syn_ref          65 536 SYNs from distinct clients (the cost reference for hash_flood)
  hash_flood       65 536 SYNs whose 4-tuples all fall into one bucket of the engine's
                   connection hash table (its default seed is public)
  ooo_flood        SMTP DATA body: one lost segment, then 100 000 out-of-order 200-octet segments
                   (20 MB that an unbounded reassembler would hold)
  ooo_mid          the same body in 100 000 segments with a gap after each (none merge), sent
                   lowest, highest, second lowest, second highest, ...: each lands in the middle
                   of what the reassembler buffers (its list's worst order)
  ooo_none         ooo_mid's segments without its gaps and in order (the reference: nothing
                   is buffered)
  endless_line     SMTP client line of 16 MiB without CRLF
  huge_reply       multi-line EHLO reply of ~8 MB (200 000 lines), then QUIT / 221
  spdu_overrun     OSI: a DT SPDU whose LI says 65 535 inside an 18-octet TSDU
  tpkt_short       OSI: a TPKT header with length 5 (< 7), then a normal release
  nested_pgi       OSI: CN with PGIs nested 300 deep, AC whose user data is BER nested 5 000 deep
  endless_tsdu     OSI: 16 MiB of DT TPDUs without EOT, then EOT and a normal release
  caplen_snaplen   pcap whose header snaplen is 64 while its records carry up to 120 octets
  caplen_huge      pcap with a record of caplen 300 000 (> 256 KiB) after 6 good frames
  pcapng_unknown   pcapng with unknown, custom and name-resolution blocks between packets
  pcapng_bad_trailer  pcapng: a block whose trailing length differs from its leading one
  pcapng_bad_len   pcapng: a block with a total length of 8 (below the 12-octet minimum)
  pcapng_huge_block  pcapng: a block claiming 0x7ffffff0 octets
  smtp_base        the short SMTP session the capture-format cases are made of (16 frames:
                   a 550 reply at frame 8, a client RST inside DATA at frame 16)
  pcapng_huge_time smtp_base as pcapng whose timestamps jump to ~1.8e13 s at frame 9
  truncated        smtp_base cut in the middle of frame 9's data
"""
import os
import random
import struct
import sys

T0 = 1700000000
ETH_CLI = b"\x02\x00\x00\x00\x00\x01"
ETH_SRV = b"\x02\x00\x00\x00\x00\x02"
LT_ETHERNET = 1
LT_RAW = 101


def ip4(s):
    return bytes(int(x) for x in s.split("."))


CLI = ip4("192.0.2.10")
SRV = ip4("198.51.100.25")


def csum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, payload, win=65535, ident=0):
    """An IPv4 packet holding one TCP segment, both checksums right."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, win, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0x4000, 64, 6, 0,
                      src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + tcp


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


# ---- file writers ------------------------------------------------------------------------------

class Pcap:
    """Classic pcap, microsecond timestamps, little endian."""

    def __init__(self, path, linktype=LT_ETHERNET, snaplen=262144):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        self.n = 0

    def add(self, usec, data, caplen=None, wirelen=None):
        caplen = len(data) if caplen is None else caplen
        wirelen = len(data) if wirelen is None else wirelen
        self.f.write(struct.pack("<IIII", usec // 1000000, usec % 1000000, caplen, wirelen))
        self.f.write(data)
        self.n += 1

    def close(self):
        self.f.close()


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def pcapng_shb():
    return pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))


def pcapng_idb(linktype=LT_ETHERNET, snaplen=262144):
    return pcapng_block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen))


def pcapng_epb(usec, data):
    return pcapng_block(0x00000006, struct.pack("<IIIII", 0, usec >> 32, usec & 0xFFFFFFFF,
                                                len(data), len(data)) + data)


# ---- a TCP connection between CLI and SRV, Ethernet framed --------------------------------------

class Conn:
    """Frames of one connection (d = 0: client to server, 1: server to client), in order."""

    def __init__(self, sink, sport=25, cport=40001, t0=T0 * 1000000, step=1000,
                 iseq=(1000000, 2000000)):
        self.sink = sink          # callable(usec, frame bytes)
        self.sport, self.cport = sport, cport
        self.seq = list(iseq)
        self.t = t0
        self.step = step
        self.frames = 0

    def raw(self, d, flags, payload=b"", seq=None, advance=True, ack=None):
        src, dst = (CLI, SRV) if d == 0 else (SRV, CLI)
        sp, dp = (self.cport, self.sport) if d == 0 else (self.sport, self.cport)
        s = self.seq[d] if seq is None else seq
        a = self.seq[1 - d] if ack is None else ack
        if flags == SYN:
            a = 0
        ipp = ipv4_tcp(src, dst, sp, dp, s, a, flags | (ACK if flags != SYN else 0), payload,
                       ident=self.frames + 1)
        eth = (ETH_SRV + ETH_CLI if d == 0 else ETH_CLI + ETH_SRV) + b"\x08\x00"
        self.sink(self.t, eth + ipp)
        self.t += self.step
        self.frames += 1
        if advance and seq is None:
            self.seq[d] = (self.seq[d] + len(payload) + (1 if flags & (SYN | FIN) else 0)) \
                & 0xFFFFFFFF
        return self.frames

    def handshake(self):
        self.raw(0, SYN)
        self.raw(1, SYN | ACK)
        self.raw(0, 0)

    def send(self, d, payload, push=True):
        return self.raw(d, PSH if push else 0, payload)

    def send_bulk(self, d, data, mss=1448, ack_every=8):
        """data in mss-sized segments, PSH on the last; the peer ACKs every ack_every."""
        last = 0
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            last = self.raw(d, PSH if i + mss >= len(data) else 0, chunk)
            if ack_every and (i // mss) % ack_every == ack_every - 1:
                self.raw(1 - d, 0)
        return last

    def fin(self, d):
        return self.raw(d, FIN)

    def rst(self, d):
        return self.raw(d, RST)


# ---- SMTP ---------------------------------------------------------------------------------------

def smtp_open(c, ehlo_reply=b"250 mx.example.net\r\n"):
    c.handshake()
    c.send(1, b"220 mx.example.net ESMTP\r\n")
    c.send(0, b"EHLO client.example.org\r\n")
    c.send(1, ehlo_reply)


def gen_syn_flood(path, count):
    """count SYNs, each from its own client (10.0.0.0/8 + port), to SRV:25, raw IPv4 frames.
    The IP and TCP checksums are updated incrementally from a template (speed)."""
    p = Pcap(path, LT_RAW)
    f, pack = p.f, struct.pack
    base = ipv4_tcp(b"\0\0\0\0", SRV, 0, 25, 0, 0, SYN, b"")
    # one's-complement sums of the template without source address, port and sequence
    ip_rest = sum(struct.unpack("!10H", base[:20])) - 0  # address words are 0 in the template
    tcp_rest = sum(struct.unpack("!10H", base[20:40]))
    tcp_rest -= struct.unpack("!H", base[36:38])[0]  # drop the template's checksum
    tcp_rest += sum(struct.unpack("!2H", SRV)) + 6 + 20  # pseudo-header (sans src)
    ip_rest -= struct.unpack("!H", base[10:12])[0]

    def fold(s):
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return (~s) & 0xFFFF

    rec = pack("<II", 40, 40)
    usec = T0 * 1000000
    for i in range(count):
        a = 0x0A000000 + 1 + i // 8                      # 10.0.0.1 ...
        sport = 1024 + (i % 8) * 7919 % 64000
        seq = (i * 2654435761) & 0xFFFFFFFF
        aw = (a >> 16) + (a & 0xFFFF)
        ipc = fold(ip_rest + aw)
        tc = fold(tcp_rest + aw + sport + (seq >> 16) + (seq & 0xFFFF))
        t = usec + i * 10
        f.write(pack("<II", t // 1000000, t % 1000000) + rec)
        f.write(base[:10] + pack("!HI", ipc, a) + base[16:20] + pack("!H", sport) + base[22:24]
                + pack("!I", seq) + base[28:36] + pack("!H", tc) + base[38:40])
    p.close()


# flow_hash() of lib/flow.c (murmur3-style mixing, seeded with MTA_DEFAULT_HASH_SEED) and its
# inverse: with the seed known, any wanted hash value can be reached through the port pair.
M32 = 0xFFFFFFFF
HASH_SEED = 0x6d746164
_C1, _C2 = 0xcc9e2d51, 0x1b873593


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def _rotr(x, r):
    return ((x >> r) | (x << (32 - r))) & M32


def _inv(a):
    return pow(a, -1, 1 << 32)


def _mix(h, k):
    k = _rotl((k * _C1) & M32, 15) * _C2 & M32
    return (_rotl(h ^ k, 13) * 5 + 0xe6546b64) & M32


def _unmix(h, x):
    """k such that _mix(h, k) == x."""
    y = _rotr(((x - 0xe6546b64) * _inv(5)) & M32, 13) ^ h
    return (_rotr((y * _inv(_C2)) & M32, 15) * _inv(_C1)) & M32


def _fmix(h):
    h ^= h >> 16
    h = (h * 0x85ebca6b) & M32
    h ^= h >> 13
    h = (h * 0xc2b2ae35) & M32
    return h ^ (h >> 16)


def _unfmix(h):
    h ^= h >> 16
    h = (h * _inv(0xc2b2ae35)) & M32
    h ^= (h >> 13) ^ (h >> 26)
    h = (h * _inv(0x85ebca6b)) & M32
    return h ^ (h >> 16)


def flow_hash_v4(a, pa, b, pb, seed=HASH_SEED):
    """The engine's hash of an IPv4 key (a, pa) <= (b, pb); addresses are read as native
    (little-endian) 32-bit words."""
    h = seed ^ 4
    h = _mix(h, struct.unpack("<I", a)[0])
    h = _mix(h, struct.unpack("<I", b)[0])
    return _fmix(_mix(h, (pa << 16) | pb) ^ 4)


def gen_hash_flood(path, count=65536):
    """count SYNs from 10.0.0.1 to 10.0.0.2 whose port pairs are chosen so that every
    connection hashes to bucket 0 of any power-of-two table of up to 65 536 buckets (the hash
    values differ in their upper 16 bits only).  An engine whose seed is known to the sender
    keeps them all in one hash chain."""
    p = Pcap(path, LT_RAW)
    a, b = ip4("10.0.0.1"), ip4("10.0.0.2")
    h = _mix(_mix(HASH_SEED ^ 4, struct.unpack("<I", a)[0]), struct.unpack("<I", b)[0])
    usec = T0 * 1000000
    for j in range(count):
        k = _unmix(h, _unfmix((j + 1) << 16 & M32) ^ 4)
        pa, pb = k >> 16, k & 0xFFFF
        assert flow_hash_v4(a, pa, b, pb) & 0xFFFF == 0
        p.add(usec + j * 10, ipv4_tcp(a, b, pa, pb, j * 7919, 0, SYN, b""))
    p.close()


def ooo_body(path, offsets, seglen=200):
    """An SMTP session up to DATA/354, then one 200-octet body line per entry of offsets (its
    stream offset after the 354, in sending order); nothing is acknowledged."""
    p = Pcap(path)
    c = Conn(p.add)
    smtp_open(c)
    c.send(0, b"MAIL FROM:<a@example.org>\r\n")
    c.send(1, b"250 2.1.0 Ok\r\n")
    c.send(0, b"RCPT TO:<b@example.net>\r\n")
    c.send(1, b"250 2.1.5 Ok\r\n")
    c.send(0, b"DATA\r\n")
    c.send(1, b"354 End data with <CR><LF>.<CR><LF>\r\n")
    base = c.seq[0]
    for i, off in offsets:
        line = (b"body line %06d " % i).ljust(seglen - 2, b"x") + b"\r\n"
        c.raw(0, 0, line, seq=base + off)
    p.close()


def gen_ooo_flood(path, nseg=100000, seglen=200):
    """A DATA body whose first segment is lost; the 100 000 segments after the hole arrive in a
    seeded random order and the receiver never acknowledges past the hole."""
    order = list(range(nseg))
    random.Random(20261124).shuffle(order)
    ooo_body(path, [(i, seglen + i * seglen) for i in order], seglen)


def gen_ooo_mid(path, nseg=100000, seglen=200):
    """Segments with a gap after each (none merge), sent lowest, highest, second lowest, ..."""
    lo, hi = 0, nseg - 1
    order = []
    while lo <= hi:
        order.append(lo)
        lo += 1
        if lo <= hi:
            order.append(hi)
            hi -= 1
    ooo_body(path, [(i, seglen + 2 * i * seglen) for i in order], seglen)


def gen_ooo_none(path, nseg=100000, seglen=200):
    """ooo_mid's body lines in order and without gaps."""
    ooo_body(path, [(i, i * seglen) for i in range(nseg)], seglen)


def gen_endless_line(path, size=16 << 20):
    p = Pcap(path)
    c = Conn(p.add)
    smtp_open(c)
    c.send_bulk(0, b"A" * size, ack_every=16)
    p.close()


def gen_huge_reply(path, nlines=200000):
    p = Pcap(path)
    c = Conn(p.add)
    c.handshake()
    c.send(1, b"220 mx.example.net ESMTP\r\n")
    c.send(0, b"EHLO client.example.org\r\n")
    reply = b"250-mx.example.net\r\n" + b"".join(
        b"250-X-EXTENSION-%06d some parameters\r\n" % i for i in range(nlines)) + \
        b"250 SIZE 10240000\r\n"
    c.send_bulk(1, reply, ack_every=8)
    c.raw(0, 0)
    c.send(0, b"QUIT\r\n")
    c.send(1, b"221 2.0.0 Bye\r\n")
    c.fin(1)
    c.fin(0)
    c.raw(1, 0)
    p.close()


# ---- OSI (RFC 1006 / X.224 class 0 / X.225) -----------------------------------------------------

def li(n):
    return bytes([n]) if n < 255 else b"\xff" + struct.pack(">H", n)


def unit(code, value):
    return bytes([code]) + li(len(value)) + value


def spdu(si, params=b"", uinfo=b""):
    return bytes([si]) + li(len(params)) + params + uinfo


def tpkt(tpdu):
    return b"\x03\x00" + struct.pack(">H", len(tpdu) + 4) + tpdu


def dt(tsdu, eot=True):
    return tpkt(b"\x02\xf0" + bytes([0x80 if eot else 0]) + tsdu)


CR_BODY = bytes([0xE0, 0, 0, 0, 1, 0, 0xC0, 1, 0x0B])
CC_BODY = bytes([0xD0, 0, 1, 0, 2, 0, 0xC0, 1, 0x0B])
GT0 = spdu(1)


def cn(extra=b""):
    return spdu(13, unit(5, unit(22, b"\x02")) + unit(20, b"\x02\x49") + extra)


def ac(extra=b""):
    return spdu(14, unit(5, unit(22, b"\x02")) + unit(20, b"\x02\x49") + extra)


FN = spdu(9, unit(17, b"\x01"))
DN = spdu(10)


def osi_open(c, cn_spdu=None, ac_spdu=None):
    c.handshake()
    c.send(0, tpkt(bytes([len(CR_BODY)]) + CR_BODY))
    c.send(1, tpkt(bytes([len(CC_BODY)]) + CC_BODY))
    c.send(0, dt(cn_spdu if cn_spdu is not None else cn()))
    c.send(1, dt(ac_spdu if ac_spdu is not None else ac()))


def osi_release(c):
    c.send(0, dt(FN))
    c.send(1, dt(DN))
    c.fin(1)
    c.fin(0)
    c.raw(1, 0)


def gen_spdu_overrun(path):
    p = Pcap(path)
    c = Conn(p.add, sport=102)
    osi_open(c)
    c.send(0, dt(GT0 + spdu(1, b"", b"user data")))     # a normal GT+DT first
    # GT, then DT with LI = 65 535 (0xFF 0xFF 0xFF) and only 11 octets behind it
    c.send(0, dt(GT0 + b"\x01\xff\xff\xff" + b"hello world"))
    osi_release(c)
    p.close()


def gen_tpkt_short(path):
    p = Pcap(path)
    c = Conn(p.add, sport=102)
    osi_open(c)
    c.send(0, b"\x03\x00\x00\x05\x02")                    # TPKT length 5 < 7
    c.send(0, dt(GT0 + spdu(1, b"", b"after the bad header")))
    osi_release(c)
    p.close()


def gen_nested_pgi(path, pgi_depth=300, ber_depth=5000):
    p = Pcap(path)
    c = Conn(p.add, sport=102)
    v = unit(22, b"\x02")
    for i in range(pgi_depth):
        v = unit(1 if i % 2 else 33, v)                  # PGI 1 / PGI 33 inside each other
    cn_spdu = spdu(13, v + unit(5, unit(22, b"\x02")) + unit(20, b"\x02\x49"))
    deep = b"\xa0\x80" * ber_depth + b"\x00\x00" * ber_depth       # indefinite lengths
    deep2 = b""
    for _ in range(40):                                            # definite lengths, 40 deep
        deep2 = b"\x31" + (bytes([len(deep2)]) if len(deep2) < 128 else
                           b"\x82" + struct.pack(">H", len(deep2))) + deep2
    ac_spdu = ac(unit(193, deep + deep2))
    osi_open(c, cn_spdu, ac_spdu)
    c.send(0, dt(GT0 + spdu(1, b"", b"data")))
    osi_release(c)
    p.close()


def gen_endless_tsdu(path, total=16 << 20, chunk=8000):
    p = Pcap(path)
    c = Conn(p.add, sport=102)
    osi_open(c)
    body = GT0 + spdu(1, b"", b"")
    c.send(0, dt(body + b"U" * (chunk - len(body)), eot=False))
    n = chunk
    k = 0
    while n < total:
        c.send_bulk(0, dt(b"U" * chunk, eot=False), ack_every=0)
        n += chunk
        k += 1
        if k % 8 == 0:
            c.raw(1, 0)
    c.send(0, dt(b"end", eot=True))
    osi_release(c)
    p.close()


# ---- capture-format cases -----------------------------------------------------------------------

def base_session(sink):
    """A short SMTP session with a 5xx reply (frame 8) and a client RST inside DATA (frame 16)."""
    c = Conn(sink)
    smtp_open(c)                                          # frames 1-6
    c.send(0, b"MAIL FROM:<a@example.org>\r\n")           # 7
    c.send(1, b"550 5.7.1 Sender rejected\r\n")           # 8: smtpdiag.reply_error
    c.send(0, b"MAIL FROM:<c@example.org>\r\n")           # 9
    c.send(1, b"250 2.1.0 Ok\r\n")                        # 10
    c.send(0, b"RCPT TO:<b@example.net>\r\n")             # 11
    c.send(1, b"250 2.1.5 Ok\r\n")                        # 12
    c.send(0, b"DATA\r\n")                                # 13
    c.send(1, b"354 go ahead\r\n")                        # 14
    c.send(0, b"Subject: x\r\n\r\nbody\r\n")              # 15
    c.rst(0)                                              # 16: smtpdiag.rst, message_lost
    return c


def gen_caplen_snaplen(path):
    p = Pcap(path, snaplen=64)
    base_session(p.add)
    p.close()


def gen_caplen_huge(path):
    p = Pcap(path)
    frames = []
    base_session(lambda t, d: frames.append((t, d)))
    for t, d in frames[:6]:
        p.add(t, d)
    p.add(frames[6][0], b"\0" * 300000)                    # caplen 300 000 > 262 144
    for t, d in frames[7:]:
        p.add(t, d)
    p.close()


def pcapng_frames():
    frames = []
    base_session(lambda t, d: frames.append((t, d)))
    return frames


def gen_pcapng_unknown(path):
    out = [pcapng_shb(), pcapng_idb()]
    nrb = pcapng_block(0x00000004, struct.pack("<HH", 1, 8) + SRV + b"mx\0\0" +
                       struct.pack("<HH", 0, 0))
    for i, (t, d) in enumerate(pcapng_frames()):
        out.append(pcapng_epb(t, d))
        if i == 2:
            out.append(pcapng_block(0x0BADB10C, b"unknown block type, to be skipped"))
        if i == 5:
            out.append(pcapng_block(0x00000BAD, struct.pack("<I", 32473) + b"custom data"))
            out.append(nrb)
        if i == 9:
            out.append(pcapng_block(0x80000001, b"\xff" * 64))  # local-use block type
    with open(path, "wb") as f:
        f.write(b"".join(out))


def gen_pcapng_bad(path, kind):
    out = [pcapng_shb(), pcapng_idb()]
    for i, (t, d) in enumerate(pcapng_frames()):
        out.append(pcapng_epb(t, d))
        if i == 7:                                        # after 8 good frames
            if kind == "trailer":
                b = bytearray(pcapng_block(0x0BADB10C, b"x" * 20))
                b[-4:] = struct.pack("<I", 36)
                out.append(bytes(b))
            elif kind == "len":
                out.append(struct.pack("<II", 0x0BADB10C, 8))
            else:
                out.append(struct.pack("<II", 0x00000006, 0x7FFFFFF0) + b"\0" * 64)
    with open(path, "wb") as f:
        f.write(b"".join(out))


def gen_pcapng_huge_time(path):
    """From frame 9 on, timestamps of ~1.8e13 s (a 64-bit pcapng timestamp near its maximum):
    seconds * 10^6 no longer fits in 63 bits."""
    out = [pcapng_shb(), pcapng_idb()]
    for i, (t, d) in enumerate(pcapng_frames()):
        out.append(pcapng_epb(t if i < 8 else (0xFFFFFFF0 << 32) + t - T0 * 1000000, d))
    with open(path, "wb") as f:
        f.write(b"".join(out))


def gen_truncated(path):
    p = Pcap(path)
    base_session(p.add)
    p.close()
    # cut in the middle of frame 9's data: header 24, records 16 + len each
    frames = []
    base_session(lambda t, d: frames.append(d))
    cut = 24 + sum(16 + len(d) for d in frames[:8]) + 16 + len(frames[8]) // 2
    with open(path, "r+b") as f:
        f.truncate(cut)


def gen_smtp_base(path):
    p = Pcap(path)
    base_session(p.add)
    p.close()


CASES = {
    "smtp_base": ("pcap", gen_smtp_base),
    "syn_flood": ("pcap", None),
    "syn_ref": ("pcap", lambda p: gen_syn_flood(p, 65536)),
    "hash_flood": ("pcap", gen_hash_flood),
    "ooo_flood": ("pcap", gen_ooo_flood),
    "ooo_mid": ("pcap", gen_ooo_mid),
    "ooo_none": ("pcap", gen_ooo_none),
    "endless_line": ("pcap", gen_endless_line),
    "huge_reply": ("pcap", gen_huge_reply),
    "spdu_overrun": ("pcap", gen_spdu_overrun),
    "tpkt_short": ("pcap", gen_tpkt_short),
    "nested_pgi": ("pcap", gen_nested_pgi),
    "endless_tsdu": ("pcap", gen_endless_tsdu),
    "caplen_snaplen": ("pcap", gen_caplen_snaplen),
    "caplen_huge": ("pcap", gen_caplen_huge),
    "pcapng_unknown": ("pcapng", gen_pcapng_unknown),
    "pcapng_bad_trailer": ("pcapng", lambda p: gen_pcapng_bad(p, "trailer")),
    "pcapng_bad_len": ("pcapng", lambda p: gen_pcapng_bad(p, "len")),
    "pcapng_huge_block": ("pcapng", lambda p: gen_pcapng_bad(p, "huge")),
    "pcapng_huge_time": ("pcapng", gen_pcapng_huge_time),
    "truncated": ("pcap", gen_truncated),
}


def main(argv):
    args = argv[1:]
    count = 1000000
    if "--syn-count" in args:
        i = args.index("--syn-count")
        count = int(args[i + 1])
        del args[i:i + 2]
    if not args:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    outdir, names = args[0], args[1:] or list(CASES)
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        if name not in CASES:
            print("gen_hostile.py: unknown capture %s" % name, file=sys.stderr)
            return 2
        ext, fn = CASES[name]
        path = os.path.join(outdir, "%s.%s" % (name, ext))
        if name == "syn_flood":
            gen_syn_flood(path, count)
        else:
            fn(path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
