#!/usr/bin/python3
"""gen_smtp_pcaps.py - deterministic SMTP scenario captures with their .expect files.

Writes pcaps/smtp/NAME.pcap and pcaps/smtp/NAME.expect (contract section 4: one JSON object per
expected finding of severity note or higher, with code, frame and, where it matters,
related_frame).  Every smtpdiag code has a capture that triggers it and a close look-alike that
must not; seeds 000/001/002 are reproduced as seed00N-*.pcap.

Deterministic: fixed timestamps, sequence numbers, MAC and IP addresses (documentation ranges
192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32); scapy computes the checksums; the pcap file is
written here byte by byte, so the output depends on nothing but this script.

Run with Debian's interpreter (it has scapy):  /usr/bin/python3 tests/gen/gen_smtp_pcaps.py
[--outdir DIR] [NAME ...]   (tests/scripts/test_smtp_gen.sh checks the committed files match)
"""
import json
import os
import struct
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw

T0_US = 1767261600 * 1000000  # 2026-01-01 10:00:00 UTC
MSS = 1448

GREETING = b"220 mx.example.net ESMTP Postfix\r\n"
EHLO_PIPE = (b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
             b"250-CHUNKING\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n")
EHLO_NOPIPE = b"250-mx.example.net\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"
BODY = (b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n"
        b"Subject: quarterly report\r\nDate: Thu, 01 Jan 2026 10:00:00 +0000\r\n\r\n"
        b"Hello Bob,\r\n..this line was dot-stuffed by the client.\r\n\r\nRegards\r\n")


class Capture:
    """Frames of one pcap file (Ethernet), numbered from 1 as Wireshark numbers them."""

    def __init__(self):
        self.frames = []
        self.t = T0_US
        self.expect = []

    def add(self, raw, dt_us):
        self.t += dt_us
        self.frames.append((self.t, raw))
        return len(self.frames)

    def exp(self, code, frame, related=None):
        e = {"code": code, "frame": frame}
        if related is not None:
            e["related_frame"] = related
        self.expect.append(e)

    def write(self, outdir, name):
        path = os.path.join(outdir, name + ".pcap")
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, raw in self.frames:
                f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(raw), len(raw)))
                f.write(raw)
        with open(os.path.join(outdir, name + ".expect"), "w") as f:
            for e in sorted(self.expect, key=lambda e: (e["frame"], e["code"])):
                f.write(json.dumps(e, sort_keys=False) + "\n")


class Conn:
    """One TCP connection; c()/s() send a segment from the client/server and return its frame."""

    def __init__(self, cap, cli="192.0.2.10", srv="198.51.100.25", cport=40001, sport=25,
                 v6=False, cisn=1000000, sisn=5000000):
        self.cap = cap
        self.addr = {"c": cli, "s": srv}
        self.port = {"c": cport, "s": sport}
        self.mac = {"c": "02:00:5e:00:53:0a", "s": "02:00:5e:00:53:19"}
        self.v6 = v6
        self.nxt = {"c": cisn, "s": sisn}
        self.win = {"c": 64240, "s": 65160}
        self.ipid = {"c": 0x1000, "s": 0x2000}
        self.acked = {"c": cisn, "s": sisn}

    def seg(self, side, flags, payload=b"", dt=10000, seq=None, ack=None, win=None,
            advance=True):
        peer = "s" if side == "c" else "c"
        if seq is None:
            seq = self.nxt[side]
        if ack is None:
            ack = self.nxt[peer]
        if win is None:
            win = self.win[side]
        ip = (IPv6(src=self.addr[side], dst=self.addr[peer], hlim=64) if self.v6 else
              IP(src=self.addr[side], dst=self.addr[peer], id=self.ipid[side], ttl=64, flags="DF"))
        self.ipid[side] = (self.ipid[side] + 1) & 0xFFFF
        opts = [("MSS", MSS)] if "S" in flags else []
        tcp = TCP(sport=self.port[side], dport=self.port[peer], seq=seq & 0xFFFFFFFF,
                  ack=(ack & 0xFFFFFFFF) if "A" in flags else 0, flags=flags, window=win,
                  options=opts)
        pkt = Ether(src=self.mac[side], dst=self.mac[peer]) / ip / tcp
        if payload:
            pkt = pkt / Raw(load=payload)
        if advance:
            end = seq + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
            if end - self.nxt[side] > 0:
                self.nxt[side] = end
        return self.cap.add(bytes(pkt), dt)

    def c(self, payload=b"", flags="PA", dt=10000, **kw):
        return self.seg("c", flags, payload, dt, **kw)

    def s(self, payload=b"", flags="PA", dt=10000, **kw):
        return self.seg("s", flags, payload, dt, **kw)

    def handshake(self):
        self.c(flags="S", dt=0)
        self.s(flags="SA", dt=500)
        self.c(flags="A", dt=300)

    def bulk(self, side, data, last_flags="PA", mid_flags="A", dt=200):
        """Send data in MSS-sized segments; only the last carries PSH (a normal bulk send)."""
        chunks = [data[i:i + MSS] for i in range(0, len(data), MSS)]
        frames = []
        for i, ch in enumerate(chunks):
            fl = last_flags if i == len(chunks) - 1 else mid_flags
            frames.append(self.seg(side, fl, ch, dt))
        return frames

    def greet_ehlo(self, ehlo_reply=EHLO_PIPE, name=b"client.example.org"):
        self.handshake()
        g = self.s(GREETING, dt=5000)
        self.c(b"EHLO " + name + b"\r\n")
        self.s(ehlo_reply, dt=1000)
        return g

    def envelope(self, rcpts=(b"bob@example.net",), sender=b"alice@example.org"):
        self.c(b"MAIL FROM:<" + sender + b"> SIZE=%d\r\n" % len(BODY))
        self.s(b"250 2.1.0 Ok\r\n", dt=2000)
        for r in rcpts:
            self.c(b"RCPT TO:<" + r + b">\r\n")
            self.s(b"250 2.1.5 Ok\r\n", dt=2000)

    def quit_close(self):
        self.c(b"QUIT\r\n")
        self.s(b"221 2.0.0 Bye\r\n", dt=1000)
        self.s(flags="FA", dt=100)
        self.c(flags="FA", dt=300)
        self.s(flags="A", dt=300)

    def message(self, body=BODY, split=True):
        self.c(b"DATA\r\n")
        self.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
        if split:
            self.bulk("c", body + b".\r\n")
        else:
            self.c(body + b".\r\n")
        return self.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)


# ---- scenarios ------------------------------------------------------------------------------

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn


@scenario
def clean_basic(cap):
    """A complete submission: 2 recipients, a body in several segments, QUIT, FIN both ways."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope(rcpts=(b"bob@example.net", b"carol@example.net"))
    k.message(body=BODY * 40)
    k.quit_close()


@scenario
def seed000_rst_during_data(cap):
    """Seed 000 "Network dropped connection or reset": the server resets during the body."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    k.bulk("c", (BODY * 60)[:MSS * 5], last_flags="A")
    r = k.s(flags="R", dt=3000, ack=0)
    cap.exp("smtpdiag.rst", r)
    cap.exp("smtpdiag.message_lost", r)


@scenario
def rst_after_quit(cap):
    """A client that resets instead of closing after 221: a RST (warning), nothing lost."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.message()
    k.c(b"QUIT\r\n")
    k.s(b"221 2.0.0 Bye\r\n", dt=1000)
    r = k.c(flags="RA", dt=200)
    cap.exp("smtpdiag.rst", r)


@scenario
def missing_psh_command(cap):
    """MAIL FROM completes a command in a segment without PSH (the server answers anyway)."""
    k = Conn(cap)
    k.greet_ehlo()
    f = k.c(b"MAIL FROM:<alice@example.org>\r\n", flags="A")
    cap.exp("smtpdiag.missing_psh", f)
    k.s(b"250 2.1.0 Ok\r\n", dt=2000)
    k.c(b"RCPT TO:<bob@example.net>\r\n")
    k.s(b"250 2.1.5 Ok\r\n", dt=2000)
    k.message()
    k.quit_close()


@scenario
def bulk_body_no_psh(cap):
    """Look-alike of missing_psh: a large body whose middle segments lack PSH (normal)."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.message(body=BODY * 100)
    k.quit_close()


@scenario
def seed001_stall_missing_psh(cap):
    """Seed 001 "Network_read: Lost network connection": RCPT TO is sent without PSH, the
    server (whose stack waits for PSH) never answers; 45 s later it gives up and closes."""
    k = Conn(cap)
    k.greet_ehlo()
    k.c(b"MAIL FROM:<alice@example.org>\r\n")
    k.s(b"250 2.1.0 Ok\r\n", dt=2000)
    f = k.c(b"RCPT TO:<bob@example.net>\r\n", flags="A")
    cap.exp("smtpdiag.missing_psh", f)
    k.s(flags="A", dt=40000)  # the stack acknowledges, the application never sees it
    fin = k.s(flags="FA", dt=45000000)
    cap.exp("smtpdiag.stall", fin, f)
    cap.exp("smtpdiag.abrupt_close", fin)
    k.c(flags="FA", dt=300)
    k.s(flags="A", dt=300)


@scenario
def stall_lookalike_slow_reply(cap):
    """Look-alike of stall: a slow RCPT check answered after 25 s (threshold 30 s)."""
    k = Conn(cap)
    k.greet_ehlo()
    k.c(b"MAIL FROM:<alice@example.org>\r\n")
    k.s(b"250 2.1.0 Ok\r\n", dt=2000)
    k.c(b"RCPT TO:<bob@example.net>\r\n")
    k.s(flags="A", dt=40000)
    k.s(b"250 2.1.5 Ok\r\n", dt=25000000)
    k.message()
    k.quit_close()


@scenario
def abrupt_close_server_fin(cap):
    """The server closes (FIN) right after a RCPT reply, without 421 and before QUIT."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    fin = k.s(flags="FA", dt=500000)
    cap.exp("smtpdiag.abrupt_close", fin)
    k.c(flags="FA", dt=300)
    k.s(flags="A", dt=300)


@scenario
def fin_after_221(cap):
    """Look-alike of abrupt_close: 221 and FIN in one segment, then the client's FIN."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.message()
    k.c(b"QUIT\r\n")
    k.s(b"221 2.0.0 Bye\r\n", flags="FPA", dt=1000)
    k.c(flags="FA", dt=300)
    k.s(flags="A", dt=300)


@scenario
def quit_with_fin(cap):
    """Look-alike of abrupt_close and data_after_close: QUIT carried by the FIN segment."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.message()
    k.c(b"QUIT\r\n", flags="FPA")
    k.s(b"221 2.0.0 Bye\r\n", flags="FPA", dt=1000)
    k.c(flags="A", dt=300)


@scenario
def seed002_data_after_close(cap):
    """Seed 002 "write: Socket is not connected": the server closed an idle connection (FIN);
    the client writes MAIL FROM later and the server answers with RST."""
    k = Conn(cap)
    k.greet_ehlo()
    fin = k.s(flags="FA", dt=20000000)
    cap.exp("smtpdiag.abrupt_close", fin)
    k.c(flags="A", dt=300)
    m = k.c(b"MAIL FROM:<alice@example.org>\r\n", dt=5000000)
    r = k.s(flags="R", dt=300, ack=0)
    cap.exp("smtpdiag.rst", r)
    cap.exp("smtpdiag.data_after_close", r, m)


@scenario
def data_after_own_fin(cap):
    """The client half-closes (FIN) and then still sends a command: payload after its own FIN."""
    k = Conn(cap)
    k.greet_ehlo()
    fin = k.c(flags="FA", dt=1000)
    cap.exp("smtpdiag.abrupt_close", fin)
    k.s(flags="A", dt=300)
    # a buggy stack sends again from the sequence number its FIN took
    k.nxt["c"] -= 1
    d = k.c(b"NOOP\r\n", dt=1000)
    cap.exp("smtpdiag.data_after_close", d)
    r = k.s(flags="R", dt=300, ack=0)
    cap.exp("smtpdiag.rst", r)


@scenario
def message_lost_server_fin_in_data(cap):
    """The server closes during the body: error abrupt close, and the message is lost."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope(rcpts=(b"bob@example.net", b"carol@example.net"))
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    k.bulk("c", (BODY * 30)[:MSS * 3], last_flags="A")
    fin = k.s(flags="FA", dt=2000)
    cap.exp("smtpdiag.abrupt_close", fin)
    cap.exp("smtpdiag.message_lost", fin)
    k.c(flags="FA", dt=300)
    k.s(flags="A", dt=300)


@scenario
def capture_ends_in_data(cap):
    """Look-alike of message_lost: the capture merely ends during the body (no FIN, no RST)."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    k.bulk("c", (BODY * 30)[:MSS * 3], last_flags="A")
    k.s(flags="A", dt=300)


@scenario
def reply_errors(cap):
    """A 5xx (warning) and a 4xx (note) to RCPT; the message still goes to the good one."""
    k = Conn(cap)
    k.greet_ehlo()
    k.c(b"MAIL FROM:<alice@example.org>\r\n")
    k.s(b"250 2.1.0 Ok\r\n", dt=2000)
    r1 = k.c(b"RCPT TO:<nobody@example.net>\r\n")
    e1 = k.s(b"550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown\r\n")
    cap.exp("smtpdiag.reply_error", e1, r1)
    r2 = k.c(b"RCPT TO:<full@example.net>\r\n")
    e2 = k.s(b"452 4.2.2 <full@example.net>: Mailbox full\r\n")
    cap.exp("smtpdiag.reply_error", e2, r2)
    k.c(b"RCPT TO:<bob@example.net>\r\n")
    k.s(b"250 2.1.5 Ok\r\n")
    k.message()
    k.quit_close()


@scenario
def reply_ok_variants(cap):
    """Look-alike of reply_error: positive replies other than 250 (251, 252, 214, 211)."""
    k = Conn(cap)
    k.greet_ehlo()
    k.c(b"HELP\r\n")
    k.s(b"214-Commands supported:\r\n214 HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY\r\n")
    k.c(b"VRFY bob\r\n")
    k.s(b"252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n")
    k.c(b"MAIL FROM:<alice@example.org>\r\n")
    k.s(b"250 2.1.0 Ok\r\n")
    k.c(b"RCPT TO:<bob@example.org>\r\n")
    k.s(b"251 2.1.5 User not local; will forward to <bob@example.net>\r\n")
    k.message()
    k.c(b"NOOP\r\n")
    k.s(b"250 2.0.0 Ok\r\n")
    k.quit_close()


@scenario
def pipelining_unadvertised(cap):
    """The server did not advertise PIPELINING; the client sends MAIL, RCPT, RCPT, DATA at once."""
    k = Conn(cap)
    k.greet_ehlo(ehlo_reply=EHLO_NOPIPE)
    f = k.c(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
            b"RCPT TO:<carol@example.net>\r\nDATA\r\n")
    cap.exp("smtpdiag.protocol_violation", f)
    k.s(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
    k.bulk("c", BODY + b".\r\n")
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def pipelining_advertised(cap):
    """Look-alike: the same pipelined group after the server advertised PIPELINING (RFC 2920)."""
    k = Conn(cap)
    k.greet_ehlo()
    k.c(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n"
        b"RCPT TO:<carol@example.net>\r\nDATA\r\n")
    k.s(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
    k.bulk("c", BODY + b".\r\n")
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.c(b"RSET\r\nQUIT\r\n")
    k.s(b"250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n")
    k.s(flags="FA", dt=100)
    k.c(flags="FA", dt=300)
    k.s(flags="A", dt=300)


@scenario
def protocol_violations(cap):
    """Syntax and sequencing breaches, one per line: command before the greeting, bare LF,
    an over-long command line, a reply without a code, a reply with no command outstanding,
    body data sent before the 354."""
    k = Conn(cap)
    k.handshake()
    f = k.c(b"EHLO early.example.org\r\n", dt=1000)
    cap.exp("smtpdiag.protocol_violation", f)
    k.s(GREETING, dt=5000)
    k.s(EHLO_PIPE, dt=1000)
    f = k.c(b"NOOP\n")
    cap.exp("smtpdiag.protocol_violation", f)
    k.s(b"250 2.0.0 Ok\r\n")
    f = k.c(b"HELP " + b"x" * 600 + b"\r\n")
    cap.exp("smtpdiag.protocol_violation", f)
    k.s(b"214 2.0.0 see https://www.example.net/help\r\n")
    f = k.s(b"OK thanks\r\n")
    cap.exp("smtpdiag.protocol_violation", f)
    f = k.s(b"250 2.0.0 Ok\r\n")
    cap.exp("smtpdiag.protocol_violation", f)
    k.c(b"MAIL FROM:<alice@example.org>\r\n")
    k.s(b"250 2.1.0 Ok\r\n")
    k.c(b"RCPT TO:<bob@example.net>\r\n")
    k.s(b"250 2.1.5 Ok\r\n")
    k.c(b"DATA\r\n")
    f = k.c(BODY + b".\r\n", dt=200)
    cap.exp("smtpdiag.protocol_violation", f)
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def tcp_gap(cap):
    """A body segment is missing from the capture (the server acknowledges it): tcp_gap on the
    acknowledging frame; the transaction completes after the gap."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    data = (BODY * 10)
    k.c(data[:MSS], flags="A", dt=200)
    seq = k.nxt["c"]
    k.nxt["c"] += MSS  # the next segment is not in the capture
    k.c(data[2 * MSS:2 * MSS + 500] + b".\r\n", dt=200)
    a = k.s(flags="A", dt=300)
    cap.exp("smtpdiag.tcp_gap", a)
    del seq
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def midstream_start(cap):
    """Look-alike of tcp_gap: the capture starts inside a body (no SYN, no greeting)."""
    k = Conn(cap, cport=40123)
    k.c(b"ng of a body line that started before the capture\r\nmore body\r\n", flags="A", dt=0)
    k.c(b"last line\r\n.\r\n")
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.c(b"MAIL FROM:<alice@example.org>\r\n")
    k.s(b"250 2.1.0 Ok\r\n")
    k.c(b"RCPT TO:<bob@example.net>\r\n")
    k.s(b"250 2.1.5 Ok\r\n")
    k.message()
    k.quit_close()


@scenario
def retransmission(cap):
    """The client re-sends its RCPT segment after 300 ms (the first copy was not acknowledged)."""
    k = Conn(cap)
    k.greet_ehlo()
    k.c(b"MAIL FROM:<alice@example.org>\r\n")
    k.s(b"250 2.1.0 Ok\r\n")
    seq = k.nxt["c"]
    k.c(b"RCPT TO:<bob@example.net>\r\n")
    f = k.c(b"RCPT TO:<bob@example.net>\r\n", seq=seq, dt=300000)
    cap.exp("smtpdiag.retransmission", f)
    k.s(b"250 2.1.5 Ok\r\n")
    k.message()
    k.quit_close()


@scenario
def dup_ack_no_retrans(cap):
    """Look-alike of retransmission: duplicate pure ACKs and back-to-back segments."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    k.bulk("c", BODY * 5 + b".\r\n")
    k.s(flags="A", dt=100)
    k.s(flags="A", dt=100)
    k.s(flags="A", dt=100)
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def zero_window(cap):
    """The server's receive buffer fills during the body: it advertises window 0, then opens."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    body = BODY * 40 + b".\r\n"
    k.c(body[:MSS], flags="A", dt=200)
    z = k.s(flags="A", win=0, dt=200)
    cap.exp("smtpdiag.zero_window", z)
    k.s(flags="A", win=0, dt=200000)   # still closed: same episode
    k.s(flags="A", dt=300000)          # window update
    k.bulk("c", body[MSS:])
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def small_window(cap):
    """Look-alike of zero_window: a tiny but non-zero window throughout."""
    k = Conn(cap)
    k.win["s"] = 512
    k.greet_ehlo()
    k.envelope()
    k.message()
    k.quit_close()


@scenario
def starttls(cap):
    """STARTTLS accepted: a chat finding, then only TLS records (not parsed)."""
    k = Conn(cap, sport=587, cport=40587)
    k.greet_ehlo()
    k.c(b"STARTTLS\r\n")
    f = k.s(b"220 2.0.0 Ready to start TLS\r\n")
    cap.exp("smtpdiag.starttls", f)
    k.c(b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + bytes(range(64)) + b"\r\n.\r\n")
    k.s(b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03" + bytes(range(100, 200)))
    k.c(b"\x17\x03\x03\x00\x40" + bytes(range(64)))
    k.s(b"\x17\x03\x03\x00\x20" + bytes(range(32)))
    k.c(b"\x15\x03\x03\x00\x1a" + bytes(range(26)), flags="FPA")
    k.s(flags="FA", dt=300)
    k.c(flags="A", dt=300)


@scenario
def starttls_refused(cap):
    """Look-alike of starttls: the server refuses (454), the session goes on in clear text."""
    k = Conn(cap, sport=587, cport=40588)
    k.greet_ehlo()
    k.c(b"STARTTLS\r\n")
    f = k.s(b"454 4.7.0 TLS not available due to local problem\r\n")
    cap.exp("smtpdiag.reply_error", f, f - 1)
    k.envelope()
    k.message()
    k.quit_close()


@scenario
def memcap(cap):
    """A hole in the client's stream that is never filled nor acknowledged while more than the
    reassembly cap (1 MiB) of later data arrives: the engine drops buffered octets."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    hole = k.nxt["c"]
    k.nxt["c"] += MSS  # lost on the wire and never retransmitted in the capture
    line = b"x" * 70 + b"\r\n"
    data = line * ((MSS * 760) // len(line))
    frames = []
    for i in range(0, len(data), MSS):
        frames.append(k.c(data[i:i + MSS], flags="A", dt=50, ack=k.nxt["s"]))
    del hole
    # The default cap (MTA_DEFAULT_MAX_BUF_PER_DIR, 1 MiB) holds 724 out-of-order segments of
    # 1448 octets; the 725th overflows it and the engine gives up on the hole there.
    cap_octets = 1 << 20
    cap.exp("smtpdiag.memcap", frames[cap_octets // MSS])


@scenario
def ooo_filled(cap):
    """Look-alike of memcap and tcp_gap: a segment arrives late (out of order) and fills the hole."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    body = BODY * 20 + b".\r\n"  # three segments; the second arrives last
    s0 = k.nxt["c"]
    k.c(body[:MSS], flags="A", dt=200)
    s1 = k.nxt["c"]
    k.nxt["c"] += MSS
    k.c(body[2 * MSS:], dt=200)
    k.c(body[MSS:2 * MSS], flags="A", seq=s1, dt=5000, advance=False)
    del s0
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def unsolicited_421(cap):
    """The server announces shutdown with an unsolicited 421 and closes: a note, not abrupt."""
    k = Conn(cap)
    k.greet_ehlo()
    f = k.s(b"421 4.3.2 mx.example.net Service shutting down\r\n", dt=2000000)
    cap.exp("smtpdiag.reply_error", f)
    k.s(flags="FA", dt=100)
    k.c(flags="FA", dt=300)
    k.s(flags="A", dt=300)


@scenario
def multiline_replies(cap):
    """Multi-line greeting, EHLO reply and final reply; replies split across segments."""
    k = Conn(cap)
    k.handshake()
    k.s(b"220-mx.example.net ESMTP\r\n220-Unsolicited bulk mail is not welcome here\r\n",
        flags="A", dt=5000)
    k.s(b"220 mx.example.net ready\r\n", dt=100)
    k.c(b"EHLO client.example.org\r\n")
    k.s(EHLO_PIPE[:40], flags="A")
    k.s(EHLO_PIPE[40:], dt=100)
    k.envelope()
    k.c(b"DATA\r\n")
    k.s(b"354 End data with <CR><LF>.<CR><LF>\r\n", dt=1000)
    k.bulk("c", BODY + b".\r\n")
    k.s(b"250-2.0.0 Ok\r\n250 2.0.0 queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def bdat_chunking(cap):
    """CHUNKING (RFC 3030): BDAT chunks, pipelined, binary data containing CRLF.CRLF."""
    k = Conn(cap)
    k.greet_ehlo()
    k.envelope()
    chunk1 = BODY + b"\r\n.\r\nQUIT\r\n"
    chunk2 = b"tail of the message\r\n"
    k.c(b"BDAT %d\r\n" % len(chunk1) + chunk1)
    k.c(b"BDAT %d LAST\r\n" % len(chunk2) + chunk2)
    k.s(b"250 2.0.0 %d octets received\r\n" % len(chunk1), dt=1000)
    k.s(b"250 2.0.0 Ok: queued as 4dJ7Kx3Q2Bz\r\n", dt=20000)
    k.quit_close()


@scenario
def ipv6_auth_plain(cap):
    """Submission over IPv6 (port 587) with AUTH PLAIN; the credential never shows."""
    k = Conn(cap, cli="2001:db8::10", srv="2001:db8:1::25", sport=587, cport=40600, v6=True)
    k.greet_ehlo(ehlo_reply=b"250-mx.example.net\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
                 b"250 8BITMIME\r\n")
    k.c(b"AUTH PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2U=\r\n")
    k.s(b"235 2.7.0 Authentication successful\r\n")
    k.envelope()
    k.message()
    k.quit_close()


@scenario
def auth_login(cap):
    """AUTH LOGIN with 334 challenges and continuation lines."""
    k = Conn(cap, sport=587, cport=40601)
    k.greet_ehlo(ehlo_reply=b"250-mx.example.net\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n")
    k.c(b"AUTH LOGIN\r\n")
    k.s(b"334 VXNlcm5hbWU6\r\n")
    k.c(b"YWxpY2U=\r\n")
    k.s(b"334 UGFzc3dvcmQ6\r\n")
    k.c(b"Y29ycmVjdCBob3JzZQ==\r\n")
    k.s(b"235 2.7.0 Authentication successful\r\n")
    k.envelope()
    k.message()
    k.quit_close()


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    outdir = os.path.join(root, "pcaps", "smtp")
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--outdir":
        outdir = args[1]
        args = args[2:]
    os.makedirs(outdir, exist_ok=True)
    only = set(args)
    for name, fn in SCENARIOS.items():
        if only and name not in only:
            continue
        cap = Capture()
        fn(cap)
        cap.write(outdir, name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
