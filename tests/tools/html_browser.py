#!/usr/bin/env python3
"""html_browser.py — load mtadiag HTML reports in headless Chromium and check what they show.

Drives one Chromium through the DevTools protocol over a pipe (--remote-debugging-pipe: the
browser reads NUL-terminated JSON commands on fd 3 and writes answers and events on fd 4), so
the console and uncaught exceptions are read directly, not guessed from a DOM dump.

  html_browser.py all MTADIAG WORKDIR PCAP...
      report of every capture: the page's status is "ok", no exception, no console error,
      as many findings in the table as mtadiag --json reports, and every diagram draws
  html_browser.py scenarios MTADIAG WORKDIR SRC SHOTDIR
      seed-003 OSI scenario and seed-000 SMTP scenario: table rows equal the findings,
      the diagram marks the invalid MIP and the abort and links them; screenshots to SHOTDIR
  html_browser.py load REPORT [RUNS]
      time opening REPORT (navigation to the load event, the page's own performance.now() at
      the end of its first drawing) and drawing the ladder of its middle session, RUNS times
Exit status 0 when every check passed, 1 otherwise (each failure on a line of its own).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "chromium")
TIMEOUT = 60


class Browser:
    def __init__(self, width=1820, height=1000):
        self.profile = tempfile.mkdtemp(prefix="mtadiag-chromium-")
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()

        def child_fds():
            # The pipes may already sit on 3 or 4: copy them out of the way first.
            a, b = os.dup(cmd_r), os.dup(res_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--user-data-dir=" + self.profile, "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--window-size=%d,%d" % (width, height), "about:blank"],
            close_fds=False, preexec_fn=child_fds,
            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("CHROMIUM_LOG", os.devnull), "w"))
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = [t for t in targets if t["type"] == "page"][0]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True})["sessionId"]
        self.call("Runtime.enable", session=True)
        self.call("Page.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=True)

    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=False):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + TIMEOUT
        while True:
            m = self._read_msg(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method):
        deadline = time.time() + TIMEOUT
        for i, m in enumerate(self.events):
            if m["method"] == method:
                del self.events[: i + 1]
                return m
        while True:
            m = self._read_msg(deadline)
            if m.get("method") == method:
                return m
            if "method" in m:
                self.events.append(m)

    def load(self, url):
        """Navigate and wait for the load event; returns the console errors and exceptions."""
        self.events = []
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")
        return self.problems()

    def problems(self):
        out = []
        for m in self.events:
            if m["method"] == "Runtime.exceptionThrown":
                d = m["params"]["exceptionDetails"]
                out.append("exception: " + d.get("exception", {}).get("description", d.get("text", "?")))
            elif m["method"] == "Runtime.consoleAPICalled" and m["params"]["type"] in ("error", "assert"):
                out.append("console.%s: %s" % (m["params"]["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in m["params"]["args"])))
        return out

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, session=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate %r: %s" % (expr[:60], r["exceptionDetails"]))
        return r["result"].get("value")

    def screenshot(self, path, selector):
        rect = self.eval("(function(){var r=document.querySelector(%s).getBoundingClientRect();"
                         "return [r.left+scrollX, r.top+scrollY, r.width, r.height];})()"
                         % json.dumps(selector))
        x, y, w, h = rect
        r = self.call("Page.captureScreenshot",
                      {"format": "png", "captureBeyondViewport": True,
                       "clip": {"x": x, "y": y, "width": w, "height": min(h, 1400), "scale": 1}},
                      session=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            os.close(self.cmd_w)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        os.close(self.res_r)
        shutil.rmtree(self.profile, ignore_errors=True)


def report(mtadiag, pcap, out, cwd=None):
    """Write the report of pcap to out; returns mtadiag's findings and summaries.  With cwd, pcap
    is given relative to it (the page then names the capture as a user would see it)."""
    if cwd:
        pcap = os.path.relpath(pcap, cwd)
    r = subprocess.run([os.path.abspath(mtadiag), "-r", pcap, "--json", "--html", os.path.abspath(out)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    # 2 with a page: a capture corrupt after some frame, reported up to the damage.
    if r.returncode not in (0, 1, 2) or not os.path.exists(out) or os.path.getsize(out) == 0:
        raise RuntimeError("%s: mtadiag exited %d: %s" % (pcap, r.returncode, r.stderr.strip()))
    recs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return [x for x in recs if x["kind"] == "finding"], [x for x in recs if x["kind"] in
                                                          ("smtp_session", "osi_association")]


def status(b):
    return json.loads(b.eval("document.getElementById('mtadiag-status').textContent") or "{}")


TABLE_ROWS = """(function(){
  document.querySelector('#findings button[data-all]') &&
    document.querySelector('#findings button[data-all]').click();
  return Array.from(document.querySelectorAll('#findings-table tbody tr')).map(function(r){
    return [+r.dataset.frame, r.dataset.code, r.dataset.sev, +r.dataset.conn,
            r.querySelector('code').textContent, !!r.querySelector('a.dlink')];});})()"""

DIAGRAM = """(function(){
  var svg = document.getElementById('ladder');
  if (!svg) return null;
  function box(e){ var b = e.getBBox(); return [b.y, b.y + b.height]; }
  return {
    conn: +svg.dataset.conn,
    rows: Array.from(svg.querySelectorAll('g.row')).map(function(g){
      return {frame: +g.dataset.frame, kind: g.dataset.kind, label: g.dataset.label,
              cls: g.getAttribute('class'), text: g.textContent, y: box(g.querySelector('rect.bg'))};}),
    findings: Array.from(svg.querySelectorAll('g.finding')).map(function(g){
      return {frame: +g.dataset.frame, code: g.dataset.code, sev: g.dataset.sev,
              row: +g.closest('g.row').dataset.frame, y: box(g.querySelector('circle'))};}),
    rel: Array.from(svg.querySelectorAll('path.rel')).map(function(p){
      var l = p.getTotalLength(), a = p.getPointAtLength(0), z = p.getPointAtLength(l);
      return {from: +p.dataset.from, to: +p.dataset.to, code: p.dataset.code,
              y0: a.y, y1: z.y, arrow: p.getAttribute('marker-end')};})
  };})()"""


INTERACT = """(function(){
  function rows(){ return Array.from(document.querySelectorAll('#findings-table tbody tr')); }
  function set(id, v, ev){ var e = document.getElementById(id); e.value = v;
    e.dispatchEvent(new Event(ev)); }
  var out = {};
  set('f-sev', '3', 'change');
  out.errors = rows().map(function(r){ return +r.dataset.frame; });
  set('f-sev', '0', 'change');
  var th = document.querySelector('#findings-table th[data-col="3"]');
  th.click();
  document.querySelector('#findings-table th[data-col="3"]').click();
  out.code_desc = rows().map(function(r){ return r.dataset.code; });
  set('f-conn', '192.0.2.10:40001', 'input');
  out.conn = rows().length;
  set('f-conn', '203.0.113.99', 'input');
  out.none = rows().length;
  set('f-conn', '', 'input');
  document.querySelector('#overview a.codelink[data-code="osidiag.abort"]').click();
  out.by_code_link = rows().map(function(r){ return r.dataset.code; });
  set('f-code', '', 'change');
  document.querySelector('#findings-table th[data-col="0"]').click();
  return out;})()"""


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, ok, what):
        if not ok:
            self.failures += 1
            print("FAIL: " + what)
        return ok


def check_table(c, b, name, findings):
    rows = b.eval(TABLE_ROWS)
    want = sorted((f["frame"], f["code"], f["severity"]) for f in findings)
    got = sorted((r[0], r[1], r[2]) for r in rows)
    c.check(got == want, "%s: findings table rows %s, mtadiag --json says %s" % (name, got, want))
    for r in rows:
        c.check(r[4] == "frame.number == %d" % r[0], "%s: row of frame %d has filter %r" % (name, r[0], r[4]))
        c.check(r[3] < 0 or r[5], "%s: row of frame %d has no diagram link" % (name, r[0]))


def row_of(d, frame):
    rows = [r for r in d["rows"] if r["frame"] == frame]
    return rows[-1] if rows else None


def cmd_all(mtadiag, work, pcaps):
    c = Checker()
    b = Browser()
    n_conns = 0
    try:
        for i, pcap in enumerate(pcaps):
            name = os.path.relpath(pcap)
            out = os.path.join(work, "r%d.html" % i)
            try:
                findings, sums = report(mtadiag, pcap, out)
            except RuntimeError as e:
                c.check(False, str(e))
                continue
            probs = b.load("file://" + os.path.abspath(out))
            st = status(b)
            c.check(st.get("state") == "ok" and not st.get("errors"),
                    "%s: page status %s" % (name, st))
            c.check(st.get("findings") == len(findings),
                    "%s: page has %s findings, mtadiag --json %d" % (name, st.get("findings"), len(findings)))
            c.check(st.get("conns") == len(sums),
                    "%s: page has %s sessions/associations, mtadiag --json %d" % (name, st.get("conns"), len(sums)))
            drawn = b.eval("mtadiag.drawAll()")
            c.check(drawn == len(sums), "%s: drew %s diagrams of %d" % (name, drawn, len(sums)))
            st = status(b)
            c.check(st.get("state") == "ok", "%s: status after drawing every diagram: %s" % (name, st))
            probs += b.problems()
            c.check(not probs, "%s: script errors: %s" % (name, probs))
            n_conns += len(sums)
            os.unlink(out)
    finally:
        b.close()
    print("%d reports, %d diagrams, %d failures" % (len(pcaps), n_conns, c.failures))
    return 1 if c.failures else 0


def cmd_scenarios(mtadiag, work, src, shots):
    c = Checker()
    b = Browser()
    try:
        # --- OSI seed 003: invalid MIP (serial 3 where 2 was due), the responder aborts ---
        pcap = os.path.join(src, "pcaps/osi/seed003_invalid_mip_abort.pcap")
        out = os.path.join(work, "seed003.html")
        findings, sums = report(mtadiag, pcap, out, cwd=src)
        mip = [f for f in findings if f["code"] == "osidiag.mip_serial"]
        cause = [f for f in findings if f["code"] == "osidiag.abort_cause"]
        c.check(len(mip) == 1 and len(cause) == 1, "seed003: expected one mip_serial and one abort_cause")
        probs = b.load("file://" + os.path.abspath(out))
        check_table(c, b, "seed003", findings)
        # Filtering and sorting the table as a user would.
        ui = b.eval(INTERACT)
        c.check(ui == {"errors": [13, 14], "code_desc": ["osidiag.mip_serial", "osidiag.abort_cause",
                                                          "osidiag.abort"],
                       "conn": 3, "none": 0, "by_code_link": ["osidiag.abort"]},
                "seed003: table filter/sort gave %s" % ui)
        link = b.eval("(function(){var a=document.querySelector('#findings-table tr[data-code=\"osidiag.abort_cause\"] a.dlink');return a&&a.getAttribute('href');})()")
        c.check(link == "#c-0-f-%d" % cause[0]["frame"], "seed003: abort_cause links to %r" % link)
        b.eval("location.hash = %s; 1" % json.dumps(link or "#c-0"))
        time.sleep(0.2)
        d = b.eval(DIAGRAM)
        if c.check(d is not None, "seed003: no diagram after following the link"):
            mrow = row_of(d, mip[0]["frame"])
            arow = row_of(d, cause[0]["frame"])
            c.check(mrow and mrow["kind"] == "spdu" and "MIP(3)" in mrow["label"],
                    "seed003: row of frame %d is %s, not the MIP(3)" % (mip[0]["frame"], mrow))
            c.check(mrow and "V(M) 2\u21924" in mrow["text"], "seed003: MIP row lacks V(M) 2->4: %s" % mrow)
            c.check(arow and "AB (transport released, protocol error)" in arow["text"],
                    "seed003: the AB row does not give its reason: %s" % arow)
            c.check(arow and arow["label"].startswith("AB") and " bad" in arow["cls"],
                    "seed003: row of frame %d is %s, not a marked AB" % (cause[0]["frame"], arow))
            c.check(arow and "hl" in arow["cls"].split(), "seed003: the linked frame is not highlighted")
            flt = b.eval("document.querySelector('#diagram .dhead .filter-copy').textContent")
            c.check(flt == "ip.addr == 192.0.2.10 && tcp.port == 40001 && frame.number >= 1 && "
                    "frame.number <= 17", "seed003: connection filter %r" % flt)
            fm = [f for f in d["findings"] if f["code"] == "osidiag.mip_serial"]
            c.check(len(fm) == 1 and fm[0]["row"] == mip[0]["frame"] and fm[0]["sev"] == "error",
                    "seed003: mip_serial marker %s" % fm)
            fa = [f for f in d["findings"] if f["code"] in ("osidiag.abort", "osidiag.abort_cause")]
            c.check(len(fa) == 2 and all(f["row"] == cause[0]["frame"] for f in fa),
                    "seed003: abort markers %s" % fa)
            rel = [r for r in d["rel"] if r["code"] == "osidiag.abort_cause"]
            ok = len(rel) == 1 and rel[0]["from"] == mip[0]["frame"] and rel[0]["to"] == cause[0]["frame"]
            if c.check(ok, "seed003: arrow MIP -> abort: %s" % d["rel"]):
                # The curve starts on the MIP's row and ends on the abort_cause marker.
                r0 = rel[0]
                c.check(mrow["y"][0] <= r0["y0"] <= mrow["y"][1],
                        "seed003: arrow starts at y=%s, MIP row spans %s" % (r0["y0"], mrow["y"]))
                mk = [f for f in d["findings"] if f["code"] == "osidiag.abort_cause"][0]
                c.check(abs(r0["y1"] - (mk["y"][0] + mk["y"][1]) / 2) < 1.5,
                        "seed003: arrow ends at y=%s, abort_cause marker at %s" % (r0["y1"], mk["y"]))
                c.check(r0["arrow"] == "url(#rh)", "seed003: the curve has no arrowhead")
        probs += b.problems()
        c.check(not probs and status(b).get("state") == "ok", "seed003: script errors %s %s" % (probs, status(b)))
        b.screenshot(os.path.join(shots, "html-osi-seed003.png"), "#diagram")
        b.eval("location.hash = ''; scrollTo(0, 0); 1")
        b.screenshot(os.path.join(shots, "html-overview-seed003.png"), "main")

        # --- SMTP seed 000: the server resets the connection during DATA ---
        pcap = os.path.join(src, "pcaps/smtp/seed000-rst-during-data.pcap")
        out = os.path.join(work, "seed000.html")
        findings, sums = report(mtadiag, pcap, out, cwd=src)
        probs = b.load("file://" + os.path.abspath(out) + "#c-0")
        check_table(c, b, "seed000", findings)
        d = b.eval(DIAGRAM)
        if c.check(d is not None, "seed000: no diagram for #c-0"):
            rst = [f for f in findings if f["code"] == "smtpdiag.rst"][0]
            r = row_of(d, rst["frame"])
            c.check(r and r["kind"] == "tcp" and r["label"] == "RST" and " bad" in r["cls"],
                    "seed000: row of frame %d is %s, not a marked RST" % (rst["frame"], r))
            got = sorted((f["frame"], f["code"]) for f in d["findings"])
            want = sorted((f["frame"], f["code"]) for f in findings)
            c.check(got == want, "seed000: diagram findings %s, want %s" % (got, want))
            labels = [(x["frame"], x["label"]) for x in d["rows"]]
            for frame, verb in [(5, "EHLO client.example.org"), (7, "MAIL FROM:<alice@example.org> SIZE=195"),
                                (11, "DATA")]:
                c.check((frame, verb) in labels, "seed000: no command %r at frame %d in %s" % (verb, frame, labels))
            r354 = row_of(d, 12)
            c.check(r354 and r354["kind"] == "reply" and r354["label"].startswith("354")
                    and "(1.00 ms)" in r354["text"], "seed000: 354 reply row %s" % r354)
        probs += b.problems()
        c.check(not probs and status(b).get("state") == "ok", "seed000: script errors %s %s" % (probs, status(b)))
        b.screenshot(os.path.join(shots, "html-smtp-seed000.png"), "#diagram")

        # --- SMTP seed 001: a RCPT line without PSH, then the stall it caused ---
        pcap = os.path.join(src, "pcaps/smtp/seed001-stall-missing-psh.pcap")
        out = os.path.join(work, "seed001.html")
        findings, sums = report(mtadiag, pcap, out)
        probs = b.load("file://" + os.path.abspath(out) + "#c-0")
        check_table(c, b, "seed001", findings)
        d = b.eval(DIAGRAM)
        mp = [f for f in findings if f["code"] == "smtpdiag.missing_psh"][0]
        stall = [f for f in findings if f["code"] == "smtpdiag.stall"][0]
        nopsh = [r for r in d["rows"] if r["frame"] == mp["frame"] and r["label"].startswith("no-PSH")]
        c.check(len(nopsh) == 1 and "warnarrow" in nopsh[0]["cls"],
                "seed001: no marked no-PSH row at frame %d: %s" % (mp["frame"], d["rows"]))
        rel = [r for r in d["rel"] if r["code"] == "smtpdiag.stall"]
        c.check(len(rel) == 1 and rel[0]["from"] == stall["related_frame"] == mp["frame"]
                and rel[0]["to"] == stall["frame"], "seed001: curve RCPT -> stall: %s" % d["rel"])
        # The same session drawn from the summary's dialogue alone (a report without events).
        fb = b.eval("(function(){var c = mtadiag.data.conns[0]; c.ev = []; mtadiag.draw(0);"
                    "return Array.from(document.querySelectorAll('#ladder g.row')).map("
                    "function(g){return [+g.dataset.frame, g.dataset.kind, g.dataset.label];});})()")
        # RCPT (frame 9) never got its reply; the stall's frame 11 is a bare row.
        c.check([4, "reply", "220"] in fb and fb[-2:] == [[9, "cmd", "RCPT"], [11, "frame", ""]],
                "seed001: diagram from the dialogue: %s" % fb)
        probs += b.problems()
        c.check(not probs and status(b).get("state") == "ok", "seed001: script errors %s" % probs)

        # --- tcp-gap: 1448 octets the capture lost ---
        pcap = os.path.join(src, "pcaps/smtp/tcp-gap.pcap")
        out = os.path.join(work, "gap.html")
        findings, sums = report(mtadiag, pcap, out)
        probs = b.load("file://" + os.path.abspath(out) + "#c-0")
        d = b.eval(DIAGRAM)
        gap = [f for f in findings if f["code"] == "smtpdiag.tcp_gap"][0]
        r = row_of(d, gap["frame"])
        c.check(r and r["label"] == "gap 1448" and r["kind"] == "tcp",
                "tcp-gap: row of frame %d: %s" % (gap["frame"], r))
        c.check([(f["row"], f["code"]) for f in d["findings"]] == [(gap["frame"], "smtpdiag.tcp_gap")],
                "tcp-gap: markers %s" % d["findings"])
        has_gapline = b.eval("!!document.querySelector('#ladder g.row[data-frame=\"%d\"] path.gapline')" % gap["frame"])
        c.check(has_gapline, "tcp-gap: the gap is not drawn as a broken line")
        probs += b.problems()
        c.check(not probs and status(b).get("state") == "ok", "tcp-gap: script errors %s" % probs)
    finally:
        b.close()
    for f in ("html-osi-seed003.png", "html-smtp-seed000.png", "html-overview-seed003.png"):
        p = os.path.join(shots, f)
        c.check(os.path.exists(p) and os.path.getsize(p) > 10000, "screenshot %s missing or empty" % p)
    print("scenarios: %d failures" % c.failures)
    return 1 if c.failures else 0


def cmd_load(path, runs):
    b = Browser()
    try:
        for _ in range(runs):
            t = time.time()
            probs = b.load("file://" + os.path.abspath(path))
            t_load = time.time() - t
            st = status(b)
            mid = st.get("conns", 0) // 2
            t = time.time()
            d = b.eval("mtadiag.draw(%d)" % mid)
            t_draw = time.time() - t
            print("load %.2f s, page script done at %s ms, status %s, ladder %d (%s rows) %.3f s%s" % (
                t_load, st.get("load_ms"), st.get("state"), mid, d and d.get("rows"), t_draw,
                ", problems: %s" % probs if probs else ""))
    finally:
        b.close()
    return 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "all":
        return cmd_all(sys.argv[2], sys.argv[3], sys.argv[4:])
    if len(sys.argv) in (3, 4) and sys.argv[1] == "load":
        return cmd_load(sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 3)
    if len(sys.argv) == 6 and sys.argv[1] == "scenarios":
        return cmd_scenarios(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
