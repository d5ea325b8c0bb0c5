#!/usr/bin/python3
"""gen_osi_pcaps.py — deterministic OSI scenario captures for mtadiag (RFC 1006 / X.224 class 0 /
X.225 session / X.410 RTS), one per row of the anomaly catalogue plus clean look-alikes.

Writes pcaps/osi/NAME.pcap and NAME.expect (JSON Lines: code + frame [+ related_frame] for every
finding of severity note or higher).  Addresses come from the documentation ranges (RFC 5737),
timestamps and sequence numbers are fixed, checksums are computed by scapy: running it twice
gives identical files.

    /usr/bin/python3 tests/gen/gen_osi_pcaps.py [OUTDIR]
"""
import json
import os
import struct
import sys

from scapy.all import IP, TCP, Ether, wrpcap  # noqa: E402  (Debian python3-scapy)

CLI = "192.0.2.10"
SRV = "198.51.100.20"
T0 = 1700000000.0


# ---- octet builders ---------------------------------------------------------------------------

def li(n):
    return bytes([n]) if n < 255 else b"\xff" + struct.pack(">H", n)


def unit(code, value):
    return bytes([code]) + li(len(value)) + value


def spdu(si, params=b"", uinfo=b""):
    return bytes([si]) + li(len(params)) + params + uinfo


def serial(n):
    return unit(42, str(n).encode())


def ber(tag, value):
    n = len(value)
    if n < 128:
        ln = bytes([n])
    elif n < 256:
        ln = b"\x81" + bytes([n])
    else:
        ln = b"\x82" + struct.pack(">H", n)
    return bytes([tag]) + ln + value


def ber_int(tag, v):
    return ber(tag, bytes([v & 0xFF]) if v < 128 else struct.pack(">H", v))


def pconnect(ckpt=None, window=None, dialogue=0, recover=False):
    inner = b""
    if ckpt is not None:
        inner += ber_int(0x80, ckpt)
    if window is not None:
        inner += ber_int(0x81, window)
    inner += ber_int(0x82, dialogue)
    inner += ber(0xA3, ber(0xA1, ber(0x04, b"\x01\x02")) if recover else ber(0x80, b""))
    return ber(0x31, ber(0xA0, ber_int(0x80, 0)) + ber(0xA1, inner))


def paccept(ckpt=None, window=None):
    inner = b""
    if ckpt is not None:
        inner += ber_int(0x80, ckpt)
    if window is not None:
        inner += ber_int(0x81, window)
    inner += ber(0xA2, ber(0x80, b""))
    return ber(0x31, ber(0xA0, ber_int(0x80, 0)) + ber(0xA1, inner))


def cn(sur=0x0249, version=2, token_set=None, ulsn=None, udata=b"", proto_opt=None):
    ca = b""
    if proto_opt is not None:
        ca += unit(19, bytes([proto_opt]))
    ca += unit(22, bytes([version]))
    if token_set is not None:
        ca += unit(26, bytes([token_set]))
    if ulsn is not None:
        ca += unit(56, bytes([ulsn]))
    p = unit(5, ca) + unit(20, struct.pack(">H", sur))
    if udata:
        p += unit(193, udata)
    return spdu(13, p)


def ac(sur=0x0249, version=2, token_set=None, isn=None, udata=b"", proto_opt=None):
    ca = b""
    if proto_opt is not None:
        ca += unit(19, bytes([proto_opt]))
    ca += unit(22, bytes([version]))
    if isn is not None:
        ca += unit(23, str(isn).encode())
    if token_set is not None:
        ca += unit(26, bytes([token_set]))
    p = unit(5, ca) + unit(20, struct.pack(">H", sur))
    if udata:
        p += unit(193, udata)
    return spdu(14, p)


GT0 = spdu(1)
PT0 = spdu(2)


def gt_dt(data):
    return GT0 + spdu(1, b"", data)


def gt_as(n):
    return GT0 + spdu(45, unit(41, ber_int(0x02, n)))


def gt_ar(old_id, last_sn, new_id):
    link = unit(41, ber_int(0x02, old_id)) + serial(last_sn)
    return GT0 + spdu(29, unit(33, link) + unit(41, ber_int(0x02, new_id)))


def gt_mip(sn, sync_type=None, extra=b""):
    p = b""
    if sync_type is not None:
        p += unit(15, bytes([sync_type]))
    p += extra
    if sn is not None:
        p += serial(sn) if isinstance(sn, int) else unit(42, sn)
    return GT0 + spdu(49, p)


def pt_mia(sn):
    return PT0 + spdu(50, serial(sn))


def gt_ae(sn):
    return GT0 + spdu(41, serial(sn))


def pt_aea(sn):
    return PT0 + spdu(42, serial(sn))


def ab(tdisc=0x05, udata=b""):
    p = unit(17, bytes([tdisc]))
    if udata:
        p += unit(193, udata)
    return spdu(25, p)


FN = spdu(9, unit(17, b"\x01"))
DN = spdu(10)


def tpkt(tpdu):
    return b"\x03\x00" + struct.pack(">H", len(tpdu) + 4) + tpdu


def dt(tsdu, eot=True):
    return tpkt(b"\x02\xf0" + bytes([0x80 if eot else 0]) + tsdu)


CR_BODY = bytes([0xE0, 0, 0, 0, 1, 0, 0xC0, 1, 0x0B, 0xC1, 2, 0, 1, 0xC2, 2, 0, 1])
CR = tpkt(bytes([len(CR_BODY)]) + CR_BODY)
CC_BODY = bytes([0xD0, 0, 1, 0, 2, 0, 0xC0, 1, 0x0B, 0xC2, 2, 0, 1])
CC = tpkt(bytes([len(CC_BODY)]) + CC_BODY)


# ---- a TCP connection ---------------------------------------------------------------------------

class Conn:
    def __init__(self, cport=40001, syn=True, t0=T0, iseq=(1000000, 2000000)):
        self.pkts = []
        self.seq = list(iseq)
        self.cport = cport
        self.t = t0
        self.expect = []
        self.spdu_frames = []
        if syn:
            self._pkt(0, "S", b"", seq_adv=1)
            self._pkt(1, "SA", b"", seq_adv=1)
            self._pkt(0, "A", b"")

    @property
    def frame(self):
        return len(self.pkts)

    def _pkt(self, d, flags, payload, seq_adv=0):
        src, dst = (CLI, SRV) if d == 0 else (SRV, CLI)
        sport, dport = (self.cport, 102) if d == 0 else (102, self.cport)
        ack = self.seq[1 - d]
        if flags == "S":
            ack = 0
        p = Ether(src="02:00:00:00:00:01" if d == 0 else "02:00:00:00:00:02",
                  dst="02:00:00:00:00:02" if d == 0 else "02:00:00:00:00:01") / \
            IP(src=src, dst=dst, id=len(self.pkts) + 1, flags="DF", ttl=64) / \
            TCP(sport=sport, dport=dport, seq=self.seq[d], ack=ack, flags=flags, window=8192) / payload
        p.time = self.t
        self.t += 0.010
        self.pkts.append(p)
        self.seq[d] = (self.seq[d] + len(payload) + seq_adv) & 0xFFFFFFFF
        return len(self.pkts)

    def send(self, d, payload, flags="PA"):
        return self._pkt(d, flags, payload)

    def tsdu(self, d, t):
        """One TSDU in one DT TPDU (EOT) in one segment; returns its frame."""
        return self.send(d, dt(t))

    def tsdu_split_dt(self, d, t, parts):
        """One TSDU over several DT TPDUs, each in its own segment; returns the EOT frame."""
        step = max(1, (len(t) + parts - 1) // parts)
        chunks = [t[i:i + step] for i in range(0, len(t), step)]
        f = 0
        for i, ch in enumerate(chunks):
            f = self.send(d, dt(ch, eot=(i == len(chunks) - 1)))
        return f

    def tpkt_split_tcp(self, d, t, segs):
        """One TPKT (DT with EOT) cut over several TCP segments; returns the last frame."""
        raw = dt(t)
        step = max(1, (len(raw) + segs - 1) // segs)
        f = 0
        for i in range(0, len(raw), step):
            f = self.send(d, raw[i:i + step], flags="A" if i + step < len(raw) else "PA")
        return f

    def setup(self, cn_spdu=None, ac_spdu=None):
        self.send(0, CR)
        self.send(1, CC)
        c = self.tsdu(0, cn_spdu if cn_spdu is not None else cn())
        a = self.tsdu(1, ac_spdu if ac_spdu is not None else ac())
        return c, a

    def fin(self, d):
        return self._pkt(d, "FA", b"", seq_adv=1)

    def rst(self, d):
        return self._pkt(d, "RA", b"")

    def release(self):
        self.tsdu(0, FN)
        self.tsdu(1, DN)
        self.fin(1)
        self.fin(0)
        self._pkt(1, "A", b"")

    def exp(self, code, frame, related=None):
        e = {"code": code, "frame": frame}
        if related is not None:
            e["related_frame"] = related
        self.expect.append(e)


def write(outdir, name, c):
    path = os.path.join(outdir, name + ".pcap")
    wrpcap(path, c.pkts)
    with open(os.path.join(outdir, name + ".expect"), "w") as f:
        for e in sorted(c.expect, key=lambda e: (e["frame"], e["code"])):
            f.write(json.dumps(e, sort_keys=True) + "\n")


# ---- scenarios ------------------------------------------------------------------------------------

SCEN = {}


def scenario(name):
    def deco(fn):
        SCEN[name] = fn
        return fn
    return deco


def rts_setup(c, ckpt=4, window=3, ac_ckpt=None, ac_window=None, recover=False):
    return c.setup(cn(udata=pconnect(ckpt, window, recover=recover)),
                   ac(udata=paccept(ckpt if ac_ckpt is None else ac_ckpt,
                                    window if ac_window is None else ac_window)))


def activity(c, n, chunks, data=b"P1 APDU " * 64, confirm=True):
    """An ISODE-style RT-TRANSFER: AS, DT, (MIP, MIA, DT)*, AE, AEA."""
    c.tsdu(0, gt_as(n))
    c.tsdu(0, gt_dt(data))
    sn = 1
    for _ in range(chunks - 1):
        c.tsdu(0, gt_mip(sn))
        if confirm:
            c.tsdu(1, pt_mia(sn))
        c.tsdu(0, gt_dt(data))
        sn += 1
    c.tsdu(0, gt_ae(sn))
    c.tsdu(1, pt_aea(sn))


@scenario("clean_rts_transfer")
def s_clean_rts(fault):
    """ISODE-style X.410 RTS: three activities with checkpoints inside the window, release."""
    c = Conn()
    rts_setup(c, ckpt=1, window=3)
    activity(c, 1, 4, data=b"A" * 1000)
    activity(c, 2, 1, data=b"B" * 200)
    # a transfer whose receiver confirms every second checkpoint (window 3 allows it)
    c.tsdu(0, gt_as(3))
    c.tsdu(0, gt_dt(b"C" * 1024))
    c.tsdu(0, gt_mip(1))
    c.tsdu(0, gt_dt(b"C" * 1024))
    c.tsdu(0, gt_mip(2))
    c.tsdu(1, pt_mia(2))
    c.tsdu(0, gt_dt(b"C" * 100))
    c.tsdu(0, gt_ae(3))
    c.tsdu(1, pt_aea(3))
    c.release()
    return c


@scenario("clean_split")
def s_clean_split(fault):
    """A TSDU over several DT TPDUs and a TPKT over several TCP segments."""
    c = Conn()
    rts_setup(c, ckpt=8, window=3)
    c.tsdu(0, gt_as(1))
    c.tsdu_split_dt(0, gt_dt(b"S" * 3000), 4)
    c.tpkt_split_tcp(0, gt_mip(1), 3)
    c.tpkt_split_tcp(1, pt_mia(1), 5)
    c.tpkt_split_tcp(0, gt_dt(b"T" * 2000), 4)
    c.tsdu(0, gt_ae(2))
    c.tsdu(1, pt_aea(2))
    c.release()
    return c


@scenario("seed003_invalid_mip_abort")
def s_seed003(fault):
    """Field report 003: the gateway sends an invalid MIP serial, the foreign MTA aborts."""
    c = Conn()
    rts_setup(c, ckpt=1, window=3)
    c.tsdu(0, gt_as(1))
    c.tsdu(0, gt_dt(b"M" * 1000))
    c.tsdu(0, gt_mip(1))
    c.tsdu(1, pt_mia(1))
    c.tsdu(0, gt_dt(b"M" * 1000))
    bad = c.tsdu(0, gt_mip(3 if fault else 2))
    if fault:
        c.exp("osidiag.mip_serial", bad)
        a = c.tsdu(1, ab(0x05))
        c.exp("osidiag.abort", a)
        c.exp("osidiag.abort_cause", a, related=bad)
        c.tsdu(0, spdu(26))
        c.fin(1)
        c.fin(0)
        return c
    c.tsdu(1, pt_mia(2))
    c.tsdu(0, gt_dt(b"M" * 10))
    c.tsdu(0, gt_ae(3))
    c.tsdu(1, pt_aea(3))
    c.release()
    return c


def simple_bad(build_bad, build_ok, code, setup_kw=None, activity_open=True, related=None):
    """Setup, AS, then one TSDU that carries the fault (or its clean twin), then clean close."""
    def fn(fault):
        c = Conn()
        c.setup(**(setup_kw or {}))
        if activity_open:
            c.tsdu(0, gt_as(1))
        pre = c.frame
        f = (build_bad if fault else build_ok)(c)
        if fault and code:
            rel = related(c, pre) if related else None
            c.exp(code, f, rel)
        c.release()
        return c
    return fn


def one(tsdu_bad, tsdu_ok, d=0, ae_sn=2):
    def bad(c):
        c.ae_sn = ae_sn
        return c.tsdu(d, tsdu_bad)

    def ok(c):
        c.ae_sn = ae_sn
        return c.tsdu(d, tsdu_ok)
    return bad, ok


def reg(name, code, bad, ok, **kw):
    SCEN[name] = simple_bad(bad, ok, code, **kw)


# S rows
reg("s1_spdu_overrun", "osidiag.spdu_overrun", *one(GT0 + b"\x31\x09\x2a\x01\x31", gt_mip(1)))
reg("s2_bad_concatenation", "osidiag.bad_concatenation", *one(spdu(49, serial(1)), gt_mip(1)))
reg("s3_token_item_misuse", "osidiag.token_item_misuse",
    *one(spdu(1, unit(193, b"\x01\x02")) + spdu(49, serial(1)), gt_mip(1)))
reg("s4_pi_order", "osidiag.pi_order", *one(GT0 + spdu(49, serial(1) + unit(15, b"\x00")), gt_mip(1)))
reg("s5_serial_malformed", "osidiag.serial_malformed", *one(gt_mip(b"1A"), gt_mip(1)))
reg("s6_reserved_bits", "osidiag.reserved_bits", *one(gt_mip(1, sync_type=0x80), gt_mip(1)))
reg("s7_v1_limit", "osidiag.v1_limit",
    *one(GT0 + spdu(49, unit(25, b"\x03") + serial(1)), gt_mip(1)),
    setup_kw={"cn_spdu": cn(version=1), "ac_spdu": ac(version=1)})

# N rows
reg("n1_fu_not_selected", "osidiag.fu_not_selected", *one(gt_mip(1), gt_dt(b"x"), ae_sn=2),
    setup_kw={"ac_spdu": ac(sur=0x0241)})


def s_n1_ok(fault):
    c = Conn()
    c.setup(ac_spdu=ac(sur=0x0241) if fault else ac())
    c.tsdu(0, gt_as(1))
    f = c.tsdu(0, gt_mip(1))
    if fault:
        c.exp("osidiag.fu_not_selected", f)
    c.tsdu(0, gt_ae(2))
    c.tsdu(1, pt_aea(2))
    c.release()
    return c


SCEN["n1_fu_not_selected"] = s_n1_ok


@scenario("n2_negotiation_inconsistent")
def s_n2(fault):
    c = Conn()
    cf, af = c.setup(cn(sur=0x024B if fault else 0x0249), ac(sur=0x024B if fault else 0x0249))
    if fault:
        c.exp("osidiag.negotiation_inconsistent", af)
    c.release()
    return c


# M rows
def m_scen(name, code, steps_bad, steps_ok, related_idx=None, setup_kw=None, tail=True):
    """steps: list of (dir, tsdu); the last step of steps_bad carries the fault."""
    def fn(fault):
        c = Conn()
        c.setup(**(setup_kw or {}))
        frames = [c.tsdu(d, t) for d, t in (steps_bad if fault else steps_ok)]
        if fault and code:
            c.exp(code, frames[-1], frames[related_idx] if related_idx is not None else None)
        if tail:
            c.release()
        return c
    SCEN[name] = fn


AS1 = (0, gt_as(1))
m_scen("m1_mip_serial_gap", "osidiag.mip_serial",
       [AS1, (0, gt_mip(1)), (1, pt_mia(1)), (0, gt_mip(3))],
       [AS1, (0, gt_mip(1)), (1, pt_mia(1)), (0, gt_mip(2))], related_idx=1)
m_scen("m1_mip_serial_duplicate", "osidiag.mip_serial",
       [AS1, (0, gt_mip(1)), (0, gt_mip(1))], [AS1, (0, gt_mip(1)), (0, gt_mip(2))], related_idx=1)
m_scen("m1_mip_serial_regress", "osidiag.mip_serial",
       [AS1, (0, gt_mip(1)), (0, gt_mip(2)), (0, gt_mip(3)), (0, gt_mip(1))],
       [AS1, (0, gt_mip(1)), (0, gt_mip(2)), (0, gt_mip(3)), (0, gt_mip(4))], related_idx=3)
m_scen("m1_mip_serial_not_reset", "osidiag.mip_serial",
       [AS1, (0, gt_mip(1)), (0, gt_ae(2)), (1, pt_aea(2)), (0, gt_as(2)), (0, gt_mip(2))],
       [AS1, (0, gt_mip(1)), (0, gt_ae(2)), (1, pt_aea(2)), (0, gt_as(2)), (0, gt_mip(1))])
m_scen("m1_mip_serial_ar_off_by_one", "osidiag.mip_serial",
       [(0, gt_ar(1, 4, 2)), (0, gt_mip(4))], [(0, gt_ar(1, 4, 2)), (0, gt_mip(5))])
RS_RESTART2 = GT0 + spdu(53, unit(27, b"\x00") + serial(2))
RA_RESTART2 = PT0 + spdu(34, unit(27, b"\x00") + serial(2))
m_scen("m1_mip_serial_after_ra", "osidiag.mip_serial",
       [AS1, (0, gt_mip(1)), (0, gt_mip(2)), (0, RS_RESTART2), (1, RA_RESTART2), (0, gt_mip(3))],
       [AS1, (0, gt_mip(1)), (0, gt_mip(2)), (0, RS_RESTART2), (1, RA_RESTART2), (0, gt_mip(2))])
m_scen("m2_mip_outside_activity", "osidiag.mip_outside_activity",
       [AS1, (0, gt_ae(1)), (1, pt_aea(1)), (0, gt_mip(2))],
       [AS1, (0, gt_ae(1)), (1, pt_aea(1)), (0, gt_dt(b"after"))])
m_scen("m3_mip_without_minor_token", "osidiag.mip_without_minor_token",
       [AS1, (1, gt_mip(1))], [AS1, (0, gt_mip(1))])
m_scen("m4_mip_without_data_token", "osidiag.mip_without_data_token",
       [AS1, (0, spdu(1, unit(16, b"\x04"))), (1, gt_mip(1))],
       [AS1, (0, spdu(1, unit(16, b"\x05"))), (1, gt_mip(1))])
m_scen("m5_mip_wrong_state", "osidiag.mip_wrong_state",
       [AS1, (0, gt_ae(1)), (0, gt_mip(2))], [AS1, (0, gt_ae(1)), (1, pt_aea(1))], related_idx=1)
m_scen("m6_mip_serial_limit", "osidiag.mip_serial_limit",
       [AS1, (0, gt_mip(1)), (0, gt_mip(1000))], [AS1, (0, gt_mip(1)), (0, gt_mip(2))],
       setup_kw={"cn_spdu": cn(ulsn=3)})
m_scen("m7_mip_data_separation", "osidiag.mip_data_separation",
       [AS1, (0, gt_mip(1, sync_type=0x02))], [AS1, (0, gt_mip(1, sync_type=0x00))])

# A rows
m_scen("a1_mia_not_outstanding", "osidiag.mia_not_outstanding",
       [AS1, (0, gt_mip(1)), (0, gt_mip(2)), (1, pt_mia(5))],
       [AS1, (0, gt_mip(1)), (0, gt_mip(2)), (1, pt_mia(2))])
m_scen("a2_mia_wrong_side", "osidiag.mia_wrong_side",
       [AS1, (0, gt_mip(1)), (0, pt_mia(1))], [AS1, (0, gt_mip(1)), (1, pt_mia(1))], related_idx=1)
m_scen("a3_mia_names_major", "osidiag.mia_names_major",
       [AS1, (0, gt_mip(1)), (0, gt_ae(2)), (1, pt_mia(2))],
       [AS1, (0, gt_mip(1)), (0, gt_ae(2)), (1, pt_mia(1))], related_idx=2)
m_scen("a4_mia_nothing_pending", "osidiag.mia_nothing_pending",
       [AS1, (0, gt_mip(1)), (1, pt_mia(1)), (1, pt_mia(1))],
       [AS1, (0, gt_mip(1)), (1, pt_mia(1)), (0, gt_mip(2))], related_idx=1)
m_scen("a5_mia_unrequested", None,  # chat: not in .expect
       [AS1, (0, gt_mip(1, sync_type=0x01)), (1, pt_mia(1))],
       [AS1, (0, gt_mip(1)), (1, pt_mia(1))])

# J rows
m_scen("j1_major_serial", "osidiag.major_serial",
       [AS1, (0, gt_mip(1)), (0, gt_ae(1))], [AS1, (0, gt_mip(1)), (0, gt_ae(2))])
m_scen("j2_major_ack_serial", "osidiag.major_ack_serial",
       [AS1, (0, gt_ae(1)), (1, pt_aea(2))], [AS1, (0, gt_ae(1)), (1, pt_aea(1))], related_idx=1)
m_scen("j3_activity_misuse", "osidiag.activity_misuse",
       [AS1, (0, gt_as(2))], [AS1, (0, gt_ae(1)), (1, pt_aea(1)), (0, gt_as(2))])
m_scen("j4_resync_serial", "osidiag.resync_serial",
       [AS1, (0, gt_mip(1)), (0, GT0 + spdu(53, unit(27, b"\x00") + serial(7)))],
       [AS1, (0, gt_mip(1)), (0, GT0 + spdu(53, unit(27, b"\x00") + serial(1)))])


# W rows (RTS)
def w_scen(name, code, body_bad, body_ok, **kw):
    def fn(fault):
        c = Conn()
        rts_setup(c, **kw)
        f = (body_bad if fault else body_ok)(c)
        if fault and code:
            c.exp(code, f)
        c.release()
        return c
    SCEN[name] = fn


def w1_bad(c):
    c.tsdu(0, gt_as(1))
    for sn in (1, 2, 3):
        c.tsdu(0, gt_dt(b"w" * 500))
        c.tsdu(0, gt_mip(sn))
    c.tsdu(0, gt_dt(b"w" * 500))
    f = c.tsdu(0, gt_mip(4))
    c.tsdu(1, pt_mia(4))
    c.tsdu(0, gt_ae(5))
    c.tsdu(1, pt_aea(5))
    return f


def w1_ok(c):
    c.tsdu(0, gt_as(1))
    for sn in (1, 2, 3):
        c.tsdu(0, gt_dt(b"w" * 500))
        c.tsdu(0, gt_mip(sn))
    c.tsdu(1, pt_mia(3))
    c.tsdu(0, gt_dt(b"w" * 500))
    f = c.tsdu(0, gt_mip(4))
    c.tsdu(1, pt_mia(4))
    c.tsdu(0, gt_ae(5))
    c.tsdu(1, pt_aea(5))
    return f


w_scen("w1_rts_window_exceeded", "osidiag.rts_window_exceeded", w1_bad, w1_ok, ckpt=1, window=3)


def w2(size):
    def b(c):
        c.tsdu(0, gt_as(1))
        c.tsdu(0, gt_dt(b"x" * 600))
        f = c.tsdu(0, gt_dt(b"x" * size))
        c.tsdu(0, gt_ae(1))
        c.tsdu(1, pt_aea(1))
        return f
    return b


w_scen("w2_rts_checkpoint_overrun", "osidiag.rts_checkpoint_overrun", w2(500), w2(400), ckpt=1, window=3)


def w3(ckpt_mip):
    def b(c):
        c.tsdu(0, gt_as(1))
        c.tsdu(0, gt_dt(b"y" * 100))
        f = c.tsdu(0, gt_mip(1)) if ckpt_mip else c.tsdu(0, gt_dt(b"y" * 100))
        c.tsdu(0, gt_ae(2 if ckpt_mip else 1))
        c.tsdu(1, pt_aea(2 if ckpt_mip else 1))
        return f
    return b


w_scen("w3_rts_mip_without_checkpointing", "osidiag.rts_mip_without_checkpointing", w3(True), w3(False),
       ckpt=0, window=3)


@scenario("w4_rts_negotiation_raised")
def s_w4(fault):
    c = Conn()
    _, a = rts_setup(c, ckpt=2, window=3, ac_window=5 if fault else 2)
    if fault:
        c.exp("osidiag.rts_negotiation_raised", a)
    c.release()
    return c


def w5(noconf):
    def b(c):
        c.tsdu(0, gt_as(1))
        f = c.tsdu(0, gt_mip(1, sync_type=0x01 if noconf else None))
        c.tsdu(0, gt_ae(2))
        c.tsdu(1, pt_aea(2))
        return f
    return b


w_scen("w5_rts_mip_unconfirmed", "osidiag.rts_mip_unconfirmed", w5(True), w5(False), ckpt=1, window=3)


def w6(outside):
    def b(c):
        if outside:
            return c.tsdu(0, gt_dt(b"no activity"))
        c.tsdu(0, gt_as(1))
        f = c.tsdu(0, gt_dt(b"in activity"))
        c.tsdu(0, gt_ae(1))
        c.tsdu(1, pt_aea(1))
        return f
    return b


w_scen("w6_rts_data_outside_turn", "osidiag.rts_data_outside_turn", w6(True), w6(False), ckpt=1, window=3)


# T rows
@scenario("t1_tpkt_bad_header")
def s_t1(fault):
    c = Conn()
    c.setup()
    c.tsdu(0, gt_as(1))
    if fault:
        f = c.send(0, b"\x03\x00\x00\x05\x02")
        c.exp("osidiag.tpkt_bad_header", f)
    c.tsdu(0, gt_dt(b"after the bad header"))
    c.tsdu(0, gt_ae(1))
    c.tsdu(1, pt_aea(1))
    c.release()
    return c


@scenario("t2_cotp_unexpected_tpdu")
def s_t2(fault):
    c = Conn()
    c.setup()
    f = c.send(1, tpkt(bytes([4, 0x60, 0, 1, 0])) if fault else dt(gt_dt(b"reply")))
    if fault:
        c.exp("osidiag.cotp_unexpected_tpdu", f)
    c.release()
    return c


@scenario("t3_tsdu_truncated")
def s_t3(fault):
    c = Conn()
    c.setup()
    c.send(0, dt(gt_dt(b"first half "), eot=False))
    if not fault:
        c.send(0, dt(b"second half", eot=True))
        c.release()
        return c
    f = c.fin(0)
    c.exp("osidiag.tsdu_truncated", f)
    c.fin(1)
    return c


@scenario("t4_cotp_disconnect")
def s_t4(fault):
    """After a completed release a DR is only a note; the look-alike closes with TCP alone."""
    c = Conn()
    c.setup()
    c.tsdu(0, FN)
    c.tsdu(1, DN)
    if fault:
        f = c.send(0, tpkt(bytes([6, 0x80, 0, 2, 0, 1, 0])))
        c.exp("osidiag.cotp_disconnect", f)
    c.fin(1)
    c.fin(0)
    return c


@scenario("t4_cotp_dr_abort")
def s_t4b(fault):
    """A DR on an open association: a disconnect and an abort."""
    c = Conn()
    c.setup()
    c.tsdu(0, gt_dt(b"data"))
    if fault:
        f = c.send(1, tpkt(bytes([6, 0x80, 0, 1, 0, 2, 1])))
        c.exp("osidiag.cotp_disconnect", f)
        c.exp("osidiag.abort", f)
        c.fin(1)
        c.fin(0)
        return c
    c.release()
    return c


# C rows and the end of associations
@scenario("c2_abrupt_end")
def s_c2(fault):
    c = Conn()
    c.setup()
    c.tsdu(0, gt_as(1))
    c.tsdu(0, gt_mip(1))
    if fault:
        f = c.fin(0)
        c.exp("osidiag.abrupt_end", f)
        c.fin(1)
        return c
    c.tsdu(1, pt_mia(1))
    c.tsdu(0, gt_ae(2))
    c.tsdu(1, pt_aea(2))
    c.release()
    return c


@scenario("c3_recovery_failure")
def s_c3(fault):
    c = Conn()
    c.send(0, CR)
    c.send(1, CC)
    c.tsdu(0, cn(udata=pconnect(1, 3, recover=True)))
    if fault:
        f = c.tsdu(1, spdu(12, unit(50, b"\x02")))
        c.exp("osidiag.recovery_failure", f)
        c.fin(1)
        c.fin(0)
        return c
    c.tsdu(1, ac(udata=paccept(1, 3)))
    c.tsdu(0, gt_ar(1, 2, 2))
    c.tsdu(0, gt_mip(3))
    c.tsdu(1, pt_mia(3))
    c.tsdu(0, gt_ae(4))
    c.tsdu(1, pt_aea(4))
    c.release()
    return c


@scenario("c3_resume_wrong_checkpoint")
def s_c3b(fault):
    """An interrupted transfer resumed (AR) at a checkpoint that was never confirmed."""
    c = Conn()
    c.setup()
    c.tsdu(0, gt_as(1))
    for sn in (1, 2):
        c.tsdu(0, gt_dt(b"q" * 100))
        c.tsdu(0, gt_mip(sn))
        c.tsdu(1, pt_mia(sn))
    c.tsdu(0, gt_dt(b"q" * 100))
    c.tsdu(0, gt_mip(3))
    c.tsdu(0, GT0 + spdu(25))                        # AI: checkpoint 3 never confirmed
    c.tsdu(1, PT0 + spdu(26))                        # AIA
    f = c.tsdu(0, gt_ar(1, 3 if fault else 2, 2))
    if fault:
        c.exp("osidiag.recovery_failure", f)
    c.tsdu(0, gt_dt(b"q" * 100))
    c.tsdu(0, gt_mip(4 if fault else 3))
    c.tsdu(1, pt_mia(4 if fault else 3))
    c.tsdu(0, gt_ae(5 if fault else 4))
    c.tsdu(1, pt_aea(5 if fault else 4))
    c.release()
    return c


@scenario("tcp_rst_mid_activity")
def s_rst(fault):
    """A RST inside an activity: tcp_rst, abort and abrupt_end on one frame."""
    c = Conn()
    c.setup()
    c.tsdu(0, gt_as(1))
    c.tsdu(0, gt_dt(b"z" * 100))
    if fault:
        f = c.rst(1)
        c.exp("osidiag.tcp_rst", f)
        c.exp("osidiag.abort", f)
        c.exp("osidiag.abrupt_end", f)
        return c
    c.tsdu(0, gt_ae(1))
    c.tsdu(1, pt_aea(1))
    c.release()
    return c


@scenario("tcp_rst_after_release")
def s_rst2(fault):
    c = Conn()
    c.setup()
    c.tsdu(0, FN)
    c.tsdu(1, DN)
    if fault:
        f = c.rst(0)
        c.exp("osidiag.tcp_rst", f)
        return c
    c.fin(1)
    c.fin(0)
    return c


@scenario("exception_report_after_bad_mip")
def s_er(fault):
    c = Conn()
    rts_setup(c, ckpt=1, window=3)
    c.tsdu(0, gt_as(1))
    bad_t = gt_mip(2 if fault else 1)
    bad = c.tsdu(0, bad_t)
    if fault:
        c.exp("osidiag.mip_serial", bad)
        er = c.tsdu(1, PT0 + spdu(0, unit(49, bad_t[2:11])))
        c.exp("osidiag.exception_report", er, related=bad)
        a = c.tsdu(0, ab(0x03, ber(0x31, ber_int(0x80, 4))))
        c.exp("osidiag.abort", a)
        c.exp("osidiag.abort_cause", a, related=bad)
        c.fin(0)
        c.fin(1)
        return c
    c.tsdu(1, pt_mia(1))
    c.tsdu(0, gt_ae(2))
    c.tsdu(1, pt_aea(2))
    c.release()
    return c


@scenario("mid_association_start")
def s_mid(fault):
    """The capture starts inside an activity (no SYN, no CN/AC): the model learns."""
    c = Conn(syn=False)
    for sn in (7, 8, 9):
        c.tsdu(0, gt_dt(b"m" * 200))
        c.tsdu(0, gt_mip(sn))
        c.tsdu(1, pt_mia(sn))
    bad = c.tsdu(0, gt_mip(11 if fault else 10))
    if fault:
        c.exp("osidiag.mip_serial", bad)
    c.tsdu(1, pt_mia(11 if fault else 10))
    c.tsdu(0, gt_ae(12 if fault else 11))
    c.tsdu(1, pt_aea(12 if fault else 11))
    c.release()
    return c


@scenario("clean_interrupt_discard_turn")
def s_clean_idt(fault):
    """Activity interrupted (AI/AIA) and discarded (AD/ADA), the turn handed over with GTC/GTA,
    then a transfer by the responder with a checkpoint: all valid."""
    c = Conn()
    c.setup()
    c.tsdu(0, gt_as(1))
    c.tsdu(0, gt_dt(b"i" * 300))
    c.tsdu(0, gt_mip(1))
    c.tsdu(1, pt_mia(1))
    c.tsdu(0, GT0 + spdu(25, unit(50, b"\x00")))   # AI
    c.tsdu(1, PT0 + spdu(26))                        # AIA
    c.tsdu(0, gt_as(2))
    c.tsdu(0, gt_dt(b"d" * 300))
    c.tsdu(0, GT0 + spdu(57))                        # AD
    c.tsdu(1, PT0 + spdu(58))                        # ADA
    c.tsdu(0, spdu(21))                              # GTC: all tokens to the responder
    c.tsdu(1, spdu(22))                              # GTA
    c.tsdu(1, gt_as(3))
    c.tsdu(1, gt_dt(b"r" * 300))
    c.tsdu(1, gt_mip(1))
    c.tsdu(0, pt_mia(1))
    c.tsdu(1, gt_ae(2))
    c.tsdu(0, pt_aea(2))
    c.release()
    return c


@scenario("t1_tpkt_bad_version")
def s_t1v(fault):
    c = Conn()
    c.setup()
    if fault:
        f = c.send(1, b"\x04\x00\x00\x0b\x02\xf0\x80\x01\x00\x01\x00")
        c.exp("osidiag.tpkt_bad_header", f)
    c.tsdu(1, gt_dt(b"reply"))
    c.release()
    return c


@scenario("t2_ed_without_expedited")
def s_t2ed(fault):
    """An expedited TPDU although CR/CC did not agree expedited data (no 0xC6 option)."""
    c = Conn()
    c.setup()
    if fault:
        f = c.send(0, tpkt(bytes([2, 0x10, 0x80]) + spdu(5, b"", b"x")))
        c.exp("osidiag.cotp_unexpected_tpdu", f)
    c.tsdu(0, gt_dt(b"normal data"))
    c.release()
    return c


@scenario("not_session_s7comm")
def s_s7(fault):
    """Port-102 S7comm look-alike: no osidiag finding at all, even for the RST."""
    c = Conn()
    c.send(0, CR)
    c.send(1, CC)
    c.tsdu(0, bytes.fromhex("320100000000000800000f00000100010001e0"))
    c.tsdu(1, bytes.fromhex("320300000000000800000000f0000001000100f0"))
    c.send(0, dt(b"\x32\x01", eot=False))
    c.rst(1)
    return c


@scenario("not_session_raw_cotp")
def s_raw(fault):
    """Raw data TSDUs over RFC 1006 without a session layer, a bad TPKT and a RST: silent."""
    c = Conn()
    c.send(0, CR)
    c.send(1, CC)
    c.tsdu(0, b"hello, this is not a session SPDU")
    c.tsdu(1, b"\x01\x00\x05")
    c.send(0, b"\x03\x00\x00\x02")
    c.rst(0)
    return c


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "pcaps", "osi")
    os.makedirs(outdir, exist_ok=True)
    for name in sorted(SCEN):
        fn = SCEN[name]
        single = name.startswith("not_session") or name.startswith("clean_")
        write(outdir, name, fn(True))
        if not single:
            write(outdir, name + "-ok", fn(False))


if __name__ == "__main__":
    main()
