#!/usr/bin/python3
"""plugin_compare.py — compare the capture tool's findings with the plugins' expert infos.

usage:
  plugin_compare.py pdml FILE.pdml            print the plugins' findings, one JSON line each
  plugin_compare.py check TOOL.jsonl TWO.pdml [ONE.pdml]
      TOOL.jsonl  output of `mtadiag -r F --json`
      TWO.pdml    two-pass tshark:  tshark -2 -r F -Y 'smtpdiag || osidiag' -T pdml -J 'smtpdiag osidiag'
      ONE.pdml    the same in one pass (optional)
  Exit 0 when they agree, 1 with the differences on stdout.

What is checked, per finding (code, frame, severity, message, and also direction, connection
and related frame):
  * the tool's findings equal the two-pass plugins' findings (as multisets);
  * each rendered finding carries an expert info whose name is the code (the expert hf field of
    that name), whose severity is the finding's severity, and whose message is the finding's
    message (cut at 239 octets, Wireshark's label limit, the only allowed difference);
  * one pass shows a subset of two passes, and whatever it lacks sits on the last frame of its
    connection (contract 1.3: decided only at capture end).
Our expert infos are told apart from Wireshark's own by where they hang: under our protocol's
finding items, which hold the code, severity and full message as fields of their own.
"""
import json
import sys
import xml.etree.ElementTree as ET

PI_SEVERITY = {0x00800000: "error", 0x00600000: "warning", 0x00400000: "note",
               0x00200000: "chat", 0x00100000: "comment"}
PROTOS = ("smtpdiag", "osidiag")
LABEL_MAX = 239  # ITEM_LABEL_LENGTH - 1 octets


def utf8_cut(s, n):
    b = s.encode("utf-8")
    if len(b) <= n:
        return s
    return b[:n].decode("utf-8", "ignore")


def pdml_findings(path, problems):
    """[(frame, code, severity, message)] from a PDML file, checking each expert info."""
    out = []
    for _, pkt in ET.iterparse(path):
        if pkt.tag != "packet":
            continue
        frame = None
        for f in pkt.iter("field"):
            if f.get("name") == "num":
                frame = int(f.get("show"))
                break
        for proto in pkt.findall("proto"):
            pname = proto.get("name")
            if pname not in PROTOS:
                continue
            for item in proto.findall("field"):
                if item.get("name") != pname + ".code":
                    continue
                code = item.get("show")
                fields = {c.get("name"): c for c in item.findall("field")}
                sev = fields[pname + ".severity"].get("show")
                msg = fields[pname + ".message"].get("show")
                where = "frame %s %s" % (frame, code)
                if not code.startswith(pname + "."):
                    problems.append("%s: code shown by the wrong plugin (%s)" % (where, pname))
                experts = [c for c in item.findall("field") if c.get("name") == "_ws.expert"]
                if len(experts) != 1:
                    problems.append("%s: %d expert infos, expected 1" % (where, len(experts)))
                for ex in experts:
                    sub = {c.get("name"): c for c in ex.findall("field")}
                    if code not in sub:
                        problems.append("%s: expert info not named %s (%s)"
                                        % (where, code, sorted(sub)))
                    esev = PI_SEVERITY.get(int(sub["_ws.expert.severity"].get("show")), "?")
                    if esev != sev:
                        problems.append("%s: expert severity %s, finding severity %s"
                                        % (where, esev, sev))
                    emsg = sub["_ws.expert.message"].get("show")
                    if emsg != utf8_cut(msg, LABEL_MAX):
                        problems.append("%s: expert message %r differs from message %r"
                                        % (where, emsg, msg))
                def show(name):
                    f = fields.get(pname + "." + name)
                    return f.get("show") if f is not None else None
                rel = show("related_frame")
                out.append((frame, code, sev, msg, show("dir"), show("client"), show("server"),
                            int(rel) if rel else 0))
        pkt.clear()
    return out


def tool_findings(path):
    findings, last = [], {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            if o.get("kind") == "finding":
                conn = (o["conn"]["client"], o["conn"]["server"])
                findings.append(((o["frame"], o["code"], o["severity"], o["message"], o["dir"],
                                  conn[0], conn[1], o.get("related_frame", 0)), conn))
            elif o.get("kind") in ("smtp_session", "osi_association"):
                key = (o.get("client") or o.get("initiator"), o.get("server") or o.get("responder"))
                last.setdefault(key, set()).add(o.get("last_frame"))
    return findings, last


def multiset_diff(a, b):
    rest = list(b)
    missing = []
    for x in a:
        if x in rest:
            rest.remove(x)
        else:
            missing.append(x)
    return missing, rest


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "pdml":
        problems = []
        for f in pdml_findings(sys.argv[2], problems):
            print(json.dumps({"frame": f[0], "code": f[1], "severity": f[2], "message": f[3],
                              "dir": f[4], "client": f[5], "server": f[6],
                              "related_frame": f[7]}))
        for p in problems:
            print("PROBLEM " + p)
        return 1 if problems else 0
    if len(sys.argv) not in (4, 5) or sys.argv[1] != "check":
        print(__doc__, file=sys.stderr)
        return 2
    problems = []
    tool, last = tool_findings(sys.argv[2])
    tool_set = sorted(f for f, _ in tool)
    two = sorted(pdml_findings(sys.argv[3], problems))
    missing, extra = multiset_diff(tool_set, two)
    for m in missing:
        problems.append("in mtadiag, not in two-pass tshark: %r" % (m,))
    for x in extra:
        problems.append("in two-pass tshark, not in mtadiag: %r" % (x,))
    if len(sys.argv) == 5:
        one = sorted(pdml_findings(sys.argv[4], problems))
        lacking, surplus = multiset_diff(two, one)
        for x in surplus:
            problems.append("in one-pass tshark, not in two-pass: %r" % (x,))
        conn_of = {}
        for f, conn in tool:
            conn_of.setdefault(f, conn)
        for x in lacking:
            conn = conn_of.get(x)
            if conn is None or x[0] not in last.get(conn, set()):
                problems.append("one pass lacks a finding that is not on its connection's "
                                "last frame: %r" % (x,))
    for p in problems:
        print(p)
    print("%d findings from mtadiag, %d from two-pass tshark%s; %d problems"
          % (len(tool_set), len(two), "" if len(sys.argv) == 4 else
             ", %d from one-pass" % len(one), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
