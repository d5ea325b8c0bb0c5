#!/usr/bin/python3
"""make_seeds.py — writes the small hand-made seed inputs under tests/fuzz/corpus/<harness>/.

The seeds are committed; rerun this only to change them.  Each is a few dozen octets: a valid
unit and a few near-misses, so that the fuzzers start from the interesting shapes.

    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


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


def ber(tag, value):
    n = len(value)
    ln = bytes([n]) if n < 128 else b"\x81" + bytes([n]) if n < 256 else b"\x82" + struct.pack(">H", n)
    return bytes([tag]) + ln + value


CR = tpkt(bytes([9, 0xE0, 0, 0, 0, 1, 0, 0xC0, 1, 0x0B]))
CC = tpkt(bytes([9, 0xD0, 0, 1, 0, 2, 0, 0xC0, 1, 0x0B]))
DR = tpkt(bytes([6, 0x80, 0, 1, 0, 2, 0x80]))
ER = tpkt(bytes([4, 0x70, 0, 1, 2]))
CN = spdu(13, unit(5, unit(22, b"\x02")) + unit(20, b"\x02\x49") +
          unit(193, ber(0x31, ber(0xA0, ber(0x80, b"\x00")) + ber(0xA1, ber(0x80, b"\x04") + ber(0x81, b"\x03") + ber(0x82, b"\x00")))))
AC = spdu(14, unit(5, unit(22, b"\x02") + unit(23, b"1")) + unit(20, b"\x02\x49"))
GT = spdu(1)
PT = spdu(2)
MIP = GT + spdu(49, unit(15, b"\x00") + unit(42, b"3"))
MIA = PT + spdu(50, unit(42, b"3"))
AS = GT + spdu(45, unit(41, b"\x02\x01\x01"))
AR = GT + spdu(29, unit(33, unit(41, b"\x02\x01\x01") + unit(42, b"7")) + unit(41, b"\x02\x01\x02"))
AB = spdu(25, unit(17, b"\x05") + unit(193, ber(0xA0, ber(0x80, b"\x02"))))
FN = spdu(9, unit(17, b"\x01"))
DN = spdu(10)
DTS = GT + spdu(1, b"", b"hello")
ERS = spdu(0, unit(49, b"\x01\x00"))

SMTP_CLIENT = [b"EHLO client.example.org\r\n", b"MAIL FROM:<a@example.org> SIZE=100\r\n",
               b"RCPT TO:<b@example.net>\r\n", b"DATA\r\n", b"Subject: x\r\n\r\nbody\r\n.\r\n",
               b"BDAT 5 LAST\r\nhello", b"STARTTLS\r\n", b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
               b"QUIT\r\n"]
SMTP_SERVER = [b"220 mx.example.net ESMTP\r\n",
               b"250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-CHUNKING\r\n"
               b"250-STARTTLS\r\n250-AUTH=LOGIN PLAIN\r\n250 ENHANCEDSTATUSCODES\r\n",
               b"250 2.1.0 Ok\r\n", b"354 End data with <CR><LF>.<CR><LF>\r\n",
               b"250 2.0.0 Ok: queued as 4Xy1Z2abcD\r\n", b"550 5.7.1 rejected\r\n",
               b"421 4.3.2 shutting down\r\n", b"221 2.0.0 Bye\r\n"]


def chunks(parts):
    """fuzz_stream framing: 2-octet length + bytes, alternating sides."""
    return b"".join(struct.pack(">H", len(p)) + p for p in parts)


SEEDS = {
    "fuzz_smtp_parse": {
        "session": b"".join(SMTP_CLIENT + SMTP_SERVER),
        "ehlo_reply": SMTP_SERVER[1],
        "bare_lf": b"MAIL FROM:<x@y>\nRCPT TO: <z@w>\n250-x\n",
        "body": b"line\r\n..stuffed\r\n.\r\nMAIL FROM:<a@b>\r\n",
        "bdat": b"BDAT 0 LAST\r\nBDAT 18446744073709551615\r\nBDAT 12 junk\r\n",
        "queue_ids": b"250 OK id=1MuZRF-0005uK-Ao\r\n250 2.0.0 u4HKN5s8013546 Message accepted for delivery\r\n",
    },
    "fuzz_tpkt_cotp": {
        "cr_cc_dt": CR + CC + dt(CN) + dt(AC) + dt(DTS),
        "split_tsdu": dt(GT, eot=False) + dt(spdu(1, b"", b"x" * 20)),
        "dr_er": DR + ER,
        "bad_header": b"\x03\x00\x00\x05\x02" + b"\x03\x01\x00\x07\x02\xf0\x80" + dt(FN),
    },
    "fuzz_ses": {
        "cn": CN, "ac": AC, "mip": MIP, "mia": MIA, "as": AS, "ar": AR, "ab": AB, "fn": FN,
        "dn": DN, "dt": DTS, "er": ERS,
        "overrun": GT + b"\x01\xff\xff\xff" + b"hello",
        "long_li": spdu(13, unit(193, b"u" * 300)),
    },
    "fuzz_ber": {
        "pconnect": CN[CN.index(b"\x31"):],
        "rtab": ber(0xA0, ber(0x80, b"\x02")),
        "indefinite": b"\x31\x80\xa0\x80\x80\x01\x00\x00\x00\x00\x00",
        "long_form": b"\x04\x82\x00\x03abc\x02\x08\x7f\xff\xff\xff\xff\xff\xff\xff",
    },
    "fuzz_stream": {
        # first octet: bit 0 -> port 102; second: mode bits (PSH off, split, RST, FIN)
        "smtp": b"\x00\x00" + chunks([SMTP_SERVER[0], SMTP_CLIENT[0], SMTP_SERVER[1],
                                      SMTP_CLIENT[1], SMTP_SERVER[2], SMTP_CLIENT[2],
                                      SMTP_SERVER[2], SMTP_CLIENT[3], SMTP_SERVER[3],
                                      SMTP_CLIENT[4], SMTP_SERVER[4], SMTP_CLIENT[8],
                                      SMTP_SERVER[7]]),
        "smtp_rst_split": b"\x00\x06" + chunks([SMTP_SERVER[0], SMTP_CLIENT[0], SMTP_SERVER[1],
                                               SMTP_CLIENT[5]]),
        "osi": b"\x01\x00" + chunks([CR, CC, dt(CN), dt(AC), dt(AS), dt(PT), dt(MIP), dt(MIA),
                                     dt(FN), dt(DN)]),
        "osi_abort": b"\x01\x08" + chunks([CR, CC, dt(CN), dt(AC), dt(MIP), dt(AB)]),
    },
}


def main():
    for harness, seeds in SEEDS.items():
        d = os.path.join(HERE, "corpus", harness)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
