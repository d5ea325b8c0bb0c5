/* html_report.js — the HTML report's script (embedded into mtadiag at build time)
 *
 * Reads the JSON document in #mtadiag-data (layout in capture-tool/html.c), draws the overview,
 * the findings table and the list of sessions and associations, and draws a ladder diagram when
 * one is asked for (location hash #c-CONN or #c-CONN-f-FRAME).  When done it writes a
 * machine-readable status into #mtadiag-status (data-state "ok" or "error", and a JSON text
 * with counts and every script error caught), which the browser tests read.
 */
(function () {
	'use strict';

	var SEV = ['chat', 'note', 'warning', 'error'];
	var KIND = ['tcp', 'cmd', 'reply', 'data', 'tls', 'tpdu', 'spdu'];
	var PAGE = 250;          /* table rows drawn at a time */
	var MAX_ROWS = 3000;     /* ladder rows drawn before "draw all" is offered */
	var MAX_FROW = 12;       /* findings drawn on one row; the table lists the rest */

	var status = { state: 'loading', errors: [], findings: 0, conns: 0, table_rows: 0,
		conn_rows: 0, diagram: null, load_ms: 0 };
	var statusEl = document.getElementById('mtadiag-status');
	var t_start = Date.now();

	function publish() {
		statusEl.setAttribute('data-state', status.state);
		statusEl.textContent = JSON.stringify(status);
	}
	function fail(msg) {
		status.errors.push(String(msg));
		status.state = 'error';
		publish();
	}
	window.addEventListener('error', function (e) {
		fail((e.message || 'error') + (e.lineno ? ' (line ' + e.lineno + ')' : ''));
	});
	window.addEventListener('unhandledrejection', function (e) {
		fail('unhandled rejection: ' + e.reason);
	});

	function esc(s) {
		return String(s).replace(/[&<>"']/g, function (c) {
			return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
		});
	}
	function el(tag, attrs, html) {
		var e = document.createElement(tag);
		if (attrs)
			Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
		if (html !== undefined)
			e.innerHTML = html;
		return e;
	}
	function fmtTime(t) {
		if (!t && t !== 0)
			return '';
		var d = new Date(Math.floor(t * 1000));
		var us = Math.round((t - Math.floor(t)) * 1e6);
		if (isNaN(d.getTime())) /* beyond what Date holds (a hostile or broken capture) */
			return t.toFixed(6) + ' s';
		return d.toISOString().replace('T', ' ').slice(0, 19) + '.' +
			String(us).padStart(6, '0');
	}
	function fmtMs(usec) {
		var ms = usec / 1000;
		return ms >= 1000 ? (ms / 1000).toFixed(3) + ' s' : ms.toFixed(ms < 10 ? 2 : 1) + ' ms';
	}
	function sevBadge(s) {
		return '<span class="sev sev-' + SEV[s] + '">' + SEV[s] + '</span>';
	}

	var D = JSON.parse(document.getElementById('mtadiag-data').textContent);
	var conns = D.conns;
	var multi = D.files.length > 1;
	var findings = D.findings.map(function (a, i) {
		return { i: i, conn: a[0], file: a[1], frame: a[2], time: a[3], code: a[4], sev: a[5],
			dir: a[6], msg: a[7], rel: a[8], detail: a[9], client: a[10], server: a[11] };
	});
	var byConn = {};
	findings.forEach(function (f) {
		if (f.conn >= 0)
			(byConn[f.conn] = byConn[f.conn] || []).push(f);
	});
	status.findings = findings.length;
	status.conns = conns.length;

	function connName(c) {
		return c.client + ' \u2192 ' + c.server;
	}
	function fileTag(i) {
		return multi ? D.files[i].name + ': ' : '';
	}
	/* How a session or association ended, in a few words. */
	function outcome(c) {
		var e = c.sum && c.sum.end;
		if (!e)
			return 'unknown';
		var how = e.how || 'unknown';
		return how + (e.by ? ' by ' + e.by : '');
	}
	function maxSev(list) {
		var m = -1;
		(list || []).forEach(function (f) { if (f.sev > m) m = f.sev; });
		return m;
	}

	/* ---- overview ---------------------------------------------------------------------- */
	function countBy(list, key) {
		var m = {};
		list.forEach(function (x) { var k = key(x); m[k] = (m[k] || 0) + 1; });
		return m;
	}
	function kvTable(m, cls) {
		var keys = Object.keys(m).sort(function (a, b) { return m[b] - m[a] || (a < b ? -1 : 1); });
		if (!keys.length)
			return '<p class="muted">none</p>';
		return '<table class="' + (cls || '') + '">' + keys.map(function (k) {
			return '<tr><td>' + esc(k) + '</td><td class="num">' + m[k] + '</td></tr>';
		}).join('') + '</table>';
	}
	function drawOverview() {
		var sec = document.getElementById('overview');
		var first = Infinity, last = -Infinity;
		conns.forEach(function (c) {
			var s = c.sum || {};
			if (s.first_time !== undefined && s.first_time < first) first = s.first_time;
			if (s.last_time !== undefined && s.last_time > last) last = s.last_time;
		});
		findings.forEach(function (f) {
			if (f.time < first) first = f.time;
			if (f.time > last) last = f.time;
		});
		var h = '<h2>Overview</h2><div class="cards">';
		h += '<div class="card"><h3>Captures</h3><table>';
		D.files.forEach(function (f) {
			var st = f.stats || {};
			h += '<tr><td class="mono">' + esc(f.name) + '</td><td>' + (st.frames || 0) +
				' frames, ' + (st.connections || 0) + ' TCP connections</td></tr>';
		});
		h += '</table>';
		if (first !== Infinity)
			h += '<p>From ' + esc(fmtTime(first)) + ' UTC<br>to ' + esc(fmtTime(last)) +
				' UTC (' + (last - first).toFixed(3) + ' s)</p>';
		h += '<p class="muted">mtadiag ' + esc(D.version) + '</p></div>';

		var smtp = conns.filter(function (c) { return c.proto === 'smtp'; });
		var osi = conns.filter(function (c) { return c.proto === 'osi'; });
		h += '<div class="card"><h3>SMTP sessions</h3><div class="big">' + smtp.length +
			'</div>' + kvTable(countBy(smtp, outcome));
		var tx = [];
		smtp.forEach(function (c) { (c.sum.transactions || []).forEach(function (t) { tx.push(t); }); });
		if (tx.length)
			h += '<h3>Mail transactions</h3>' + kvTable(countBy(tx, function (t) {
				return t.outcome || 'unknown';
			}));
		h += '</div>';
		h += '<div class="card"><h3>OSI associations</h3><div class="big">' + osi.length +
			'</div>' + kvTable(countBy(osi, outcome)) + '</div>';

		var sevs = countBy(findings, function (f) { return SEV[f.sev]; });
		h += '<div class="card"><h3>Findings</h3><div class="big">' + findings.length + '</div><table>';
		for (var s = 3; s >= 0; s--)
			h += '<tr><td>' + sevBadge(s) + '</td><td class="num">' + (sevs[SEV[s]] || 0) + '</td></tr>';
		h += '</table></div>';
		var codes = countBy(findings, function (f) { return f.code; });
		var codeSev = {};
		findings.forEach(function (f) { codeSev[f.code] = Math.max(codeSev[f.code] || 0, f.sev); });
		h += '<div class="card"><h3>Findings by code</h3>';
		var ck = Object.keys(codes).sort(function (a, b) {
			return codeSev[b] - codeSev[a] || codes[b] - codes[a] || (a < b ? -1 : 1);
		});
		if (!ck.length)
			h += '<p class="muted">none</p>';
		else
			h += '<table>' + ck.map(function (k) {
				return '<tr><td>' + sevBadge(codeSev[k]) + '</td><td><a href="#findings" data-code="' +
					esc(k) + '" class="codelink mono">' + esc(k) + '</a></td><td class="num">' +
					codes[k] + '</td></tr>';
			}).join('') + '</table>';
		h += '</div></div>';
		sec.innerHTML = h;
		sec.addEventListener('click', function (e) {
			var a = e.target.closest('a.codelink');
			if (!a)
				return;
			var sel = document.getElementById('f-code');
			sel.value = a.getAttribute('data-code');
			findingsTable.refresh();
		});
	}

	/* ---- a sortable, filterable, paged table ------------------------------------------- */
	/* cols: [{key, title, get (sort value), html (cell), cls}]; rows: array; filter(row)
	 * returns whether it is shown. */
	function Table(container, id, cols, rows, filter, rowAttrs, sortCol, sortDir) {
		this.c = container; this.id = id; this.cols = cols; this.rows = rows;
		this.filter = filter; this.rowAttrs = rowAttrs;
		this.sortCol = sortCol; this.sortDir = sortDir; this.shown = PAGE;
		this.table = el('table', { 'class': 'grid', id: id });
		this.more = el('div', { 'class': 'more' });
		container.appendChild(this.table);
		container.appendChild(this.more);
		var self = this;
		this.table.addEventListener('click', function (e) {
			var th = e.target.closest('th');
			if (!th)
				return;
			var k = +th.getAttribute('data-col');
			if (self.sortCol === k)
				self.sortDir = -self.sortDir;
			else {
				self.sortCol = k; self.sortDir = 1;
			}
			self.draw();
		});
		this.more.addEventListener('click', function (e) {
			if (e.target.tagName !== 'BUTTON')
				return;
			self.shown += e.target.getAttribute('data-all') ? Infinity : PAGE;
			self.draw();
		});
	}
	Table.prototype.refresh = function () { this.shown = PAGE; this.draw(); };
	Table.prototype.draw = function () {
		var self = this, col = this.cols[this.sortCol], dir = this.sortDir;
		var list = this.rows.filter(this.filter);
		list.sort(function (a, b) {
			var x = col.get(a), y = col.get(b);
			if (x < y) return -dir;
			if (x > y) return dir;
			return a.i - b.i;
		});
		var h = '<thead><tr>' + this.cols.map(function (c, k) {
			var cls = k === self.sortCol ? (dir > 0 ? 'sorted-asc' : 'sorted-desc') : '';
			return '<th data-col="' + k + '" class="' + cls + '">' + c.title + '</th>';
		}).join('') + '</tr></thead><tbody>';
		var n = Math.min(list.length, this.shown);
		for (var i = 0; i < n; i++) {
			var r = list[i];
			h += '<tr ' + this.rowAttrs(r) + '>' + this.cols.map(function (c) {
				return '<td' + (c.cls ? ' class="' + c.cls + '"' : '') + '>' + c.html(r) + '</td>';
			}).join('') + '</tr>';
		}
		this.table.innerHTML = h + '</tbody>';
		this.more.innerHTML = list.length > n ?
			'Showing ' + n + ' of ' + list.length + ' <button>Show ' + Math.min(PAGE, list.length - n) +
			' more</button> <button data-all="1">Show all</button>' :
			'<span class="muted">' + list.length + ' of ' + this.rows.length + ' shown</span>';
		this.drawn = n;
		this.matching = list.length;
	};

	/* ---- the findings table -------------------------------------------------------------- */
	var findingsTable, connsTable;
	function connLink(ci, frame, text) {
		return '<a href="#c-' + ci + (frame ? '-f-' + frame : '') + '" class="dlink">' + text + '</a>';
	}
	function drawFindings() {
		var sec = document.getElementById('findings');
		sec.innerHTML = '<h2>Findings</h2>';
		var codes = {};
		findings.forEach(function (f) { codes[f.code] = 1; });
		var ctl = el('div', { 'class': 'controls' },
			'<label>severity <select id="f-sev"><option value="0">all</option>' +
			'<option value="1">note and above</option><option value="2">warning and above</option>' +
			'<option value="3">error</option></select></label>' +
			'<label>code <select id="f-code"><option value="">all</option>' +
			Object.keys(codes).sort().map(function (c) {
				return '<option>' + esc(c) + '</option>';
			}).join('') + '</select></label>' +
			'<label>connection <input id="f-conn" size="22" placeholder="address or port"></label>' +
			'<label>text <input id="f-text" size="22" placeholder="in the message"></label>');
		sec.appendChild(ctl);
		var cols = [
			{ title: 'Frame', get: function (f) { return f.file * 1e12 + f.frame; }, cls: 'num',
			  html: function (f) { return esc(fileTag(f.file)) + f.frame; } },
			{ title: 'Time (UTC)', get: function (f) { return f.time; },
			  html: function (f) { return '<span class="mono">' + esc(fmtTime(f.time)) + '</span>'; } },
			{ title: 'Severity', get: function (f) { return -f.sev; },
			  html: function (f) { return sevBadge(f.sev); } },
			{ title: 'Code', get: function (f) { return f.code; },
			  html: function (f) { return '<span class="mono">' + esc(f.code) + '</span>'; } },
			{ title: 'Connection', get: function (f) { return f.client + ' ' + f.server; },
			  html: function (f) {
				return '<span class="mono">' + esc(f.client) + '<br>\u2192 ' + esc(f.server) +
					'</span>';
			  } },
			{ title: 'Message', get: function (f) { return f.msg; },
			  html: function (f) {
				return esc(f.msg) + (f.rel ? ' <span class="muted">(related: frame ' + f.rel + ')</span>' : '');
			  } },
			{ title: 'Wireshark filter', get: function (f) { return f.frame; },
			  html: function (f) {
				return '<code class="filter-copy" title="click to copy">frame.number == ' + f.frame +
					'</code>';
			  } },
			{ title: 'Diagram', get: function (f) { return f.conn; },
			  html: function (f) {
				return f.conn >= 0 ? connLink(f.conn, f.frame, 'ladder') : '<span class="muted">\u2014</span>';
			  } }
		];
		var sevSel = ctl.querySelector('#f-sev'), codeSel = ctl.querySelector('#f-code');
		var connIn = ctl.querySelector('#f-conn'), textIn = ctl.querySelector('#f-text');
		function filter(f) {
			if (f.sev < +sevSel.value)
				return false;
			if (codeSel.value && f.code !== codeSel.value)
				return false;
			var q = connIn.value.trim();
			if (q && (f.client + ' ' + f.server).indexOf(q) < 0)
				return false;
			q = textIn.value.trim().toLowerCase();
			if (q && f.msg.toLowerCase().indexOf(q) < 0)
				return false;
			return true;
		}
		findingsTable = new Table(sec, 'findings-table', cols, findings, filter, function (f) {
			return 'data-frame="' + f.frame + '" data-code="' + esc(f.code) + '" data-sev="' +
				SEV[f.sev] + '" data-conn="' + f.conn + '" data-file="' + f.file + '"';
		}, 0, 1);
		[sevSel, codeSel].forEach(function (x) {
			x.addEventListener('change', function () { findingsTable.refresh(); });
		});
		[connIn, textIn].forEach(function (x) {
			x.addEventListener('input', function () { findingsTable.refresh(); });
		});
		document.addEventListener('click', function (e) {
			var c = e.target.closest('.filter-copy');
			if (c && navigator.clipboard)
				navigator.clipboard.writeText(c.textContent).catch(function () {});
		});
		findingsTable.draw();
	}

	/* ---- sessions and associations ------------------------------------------------------ */
	function drawConns() {
		var sec = document.getElementById('conns');
		sec.innerHTML = '<h2>Sessions and associations</h2>';
		var outs = {};
		conns.forEach(function (c, i) { c.i = i; outs[outcome(c)] = 1; });
		var ctl = el('div', { 'class': 'controls' },
			'<label>protocol <select id="c-proto"><option value="">all</option>' +
			'<option value="smtp">SMTP</option><option value="osi">OSI</option></select></label>' +
			'<label>ended <select id="c-end"><option value="">any way</option>' +
			Object.keys(outs).sort().map(function (o) { return '<option>' + esc(o) + '</option>'; }).join('') +
			'</select></label><label><input type="checkbox" id="c-bad"> with findings of note or above' +
			'</label><label>connection <input id="c-text" size="22" placeholder="address or port"></label>');
		sec.appendChild(ctl);
		var cols = [
			{ title: '#', get: function (c) { return c.i; }, cls: 'num',
			  html: function (c) { return String(c.i + 1); } },
			{ title: 'Protocol', get: function (c) { return c.proto; },
			  html: function (c) { return c.proto === 'osi' ? 'OSI' : 'SMTP'; } },
			{ title: 'Client / initiator', get: function (c) { return c.client; },
			  html: function (c) { return '<span class="mono">' + esc(c.client) + '</span>'; } },
			{ title: 'Server / responder', get: function (c) { return c.server; },
			  html: function (c) { return '<span class="mono">' + esc(c.server) + '</span>'; } },
			{ title: 'Frames', get: function (c) { return c.file * 1e12 + c.first; }, cls: 'num',
			  html: function (c) { return esc(fileTag(c.file)) + c.first + '\u2013' + c.last; } },
			{ title: 'Ended', get: function (c) { return outcome(c); },
			  html: function (c) { return esc(outcome(c)); } },
			{ title: 'Findings', get: function (c) { return -(maxSev(byConn[c.i]) * 1e6 + (byConn[c.i] || []).length); },
			  html: function (c) {
				var l = byConn[c.i] || [];
				return l.length ? sevBadge(maxSev(l)) + ' ' + l.length : '<span class="muted">0</span>';
			  } },
			{ title: 'Diagram', get: function (c) { return c.i; },
			  html: function (c) { return connLink(c.i, 0, 'ladder'); } }
		];
		var p = ctl.querySelector('#c-proto'), en = ctl.querySelector('#c-end');
		var bad = ctl.querySelector('#c-bad'), tx = ctl.querySelector('#c-text');
		function filter(c) {
			if (p.value && c.proto !== p.value)
				return false;
			if (en.value && outcome(c) !== en.value)
				return false;
			if (bad.checked && maxSev(byConn[c.i]) < 1)
				return false;
			var q = tx.value.trim();
			if (q && (c.client + ' ' + c.server).indexOf(q) < 0)
				return false;
			return true;
		}
		connsTable = new Table(sec, 'conns-table', cols, conns, filter, function (c) {
			return 'data-conn="' + c.i + '" data-proto="' + c.proto + '"';
		}, 0, 1);
		[p, en, bad].forEach(function (x) {
			x.addEventListener('change', function () { connsTable.refresh(); });
		});
		tx.addEventListener('input', function () { connsTable.refresh(); });
		connsTable.draw();
	}

	/* ---- the ladder diagram -------------------------------------------------------------- */
	/* Rows of the diagram: the connection's events, plus a bare row for every frame a finding
	 * or a related_frame names that has no event of its own. */
	function ladderRows(c) {
		var rows = c.ev.map(function (e) {
			return { frame: e[0], us: e[1], dir: e[2], kind: KIND[e[3]] || 'tcp', label: e[4],
				x: e[5] || {}, findings: [] };
		});
		if (!rows.length && c.sum && c.sum.dialogue) {
			/* No events (an old report or events not kept): the SMTP dialogue of the summary. */
			c.sum.dialogue.forEach(function (d) {
				var reply = typeof d[1] === 'number';
				rows.push({ frame: d[0], us: null, dir: reply ? 1 : 0, kind: reply ? 'reply' : 'cmd',
					label: String(d[1]), x: reply ? { rc: d[1] } : {}, findings: [] });
			});
		}
		var have = new Set(rows.map(function (r) { return r.frame; }));
		var miss = new Set();
		(byConn[c.i] || []).forEach(function (f) {
			[f.frame, f.rel].forEach(function (fr) {
				if (fr && !have.has(fr))
					miss.add(fr);
			});
		});
		if (!miss.size)
			return rows;
		var add = Array.from(miss).sort(function (a, b) { return a - b; });
		var out = [], j = 0;
		rows.forEach(function (r) {
			for (; j < add.length && add[j] < r.frame; j++)
				out.push(bareRow(add[j]));
			out.push(r);
		});
		for (; j < add.length; j++)
			out.push(bareRow(add[j]));
		return out;
	}
	function bareRow(fr) {
		return { frame: fr, us: null, dir: -1, kind: 'frame', label: '', x: {}, findings: [] };
	}
	/* Row index by frame: the first and the last row of each frame. */
	function frameIndex(rows) {
		var first = new Map(), last = new Map();
		rows.forEach(function (r, k) {
			if (!first.has(r.frame))
				first.set(r.frame, k);
			last.set(r.frame, k);
		});
		return { first: first, last: last };
	}

	var G = { time: 8, frame: 100, client: 230, server: 590, state: 685, tokens: 925, rel: 1085,
		find: 1105, width: 1800, head: 60, row: 30, fline: 16 };

	function rowText(c, r) {
		var x = r.x, parts = [];
		if (c.proto === 'osi') {
			if (x.vm)
				parts.push('V(M) ' + (x.vm[0] !== x.vm[1] ? x.vm[0] + '\u2192' + x.vm[1] : x.vm[1]) +
					'  V(A) ' + (x.va[0] !== x.va[1] ? x.va[0] + '\u2192' + x.va[1] : x.va[1]));
			if (x.win)
				parts.push('window ' + x.win[0] + '/' + x.win[1]);
		} else {
			if (x.st)
				parts.push(x.st);
			if (x.tx)
				parts.push('tx ' + x.tx);
			if (x.oct !== undefined)
				parts.push(x.oct + ' octets');
		}
		return parts.join('  ');
	}

	/* The Transport Disconnect PV of an ABORT SPDU (X.225 8.3.9.3), in words. */
	function tdisc(td) {
		var w = [(td & 1) ? 'transport released' : 'transport kept'];
		if (td & 2) w.push('user abort');
		if (td & 4) w.push('protocol error');
		if (td & 8) w.push('no reason');
		if (td & 16) w.push('implementation restriction');
		return w.join(', ');
	}
	/* An AB row that ended the association: its reason from the summary. */
	function abortReason(c, r) {
		var e = c.sum && c.sum.end;
		if (r.x.spdu !== 'AB' || !e || e.how !== 'ab' || e.frame !== r.frame)
			return '';
		var w = [];
		if (e.transport_disconnect !== undefined)
			w.push(tdisc(e.transport_disconnect));
		if (e.rts_abort_reason_name)
			w.push('RTS ' + e.rts_abort_reason_name);
		return w.length ? ' (' + w.join('; ') + ')' : '';
	}

	function isBad(r) {
		return /^(RST|AB|AA|DR|ER)\b/.test(r.label) || r.x.spdu === 'AB' || r.x.spdu === 'AA';
	}

	/* A Wireshark display filter for the connection: its client's address and port, within its
	 * frames (the port may be reused later in the capture). */
	function connFilter(c) {
		var m = /^\[?(.*?)\]?:(\d+)$/.exec(c.client);
		var f = 'frame.number >= ' + c.first + ' && frame.number <= ' + c.last;
		if (m)
			f = (m[1].indexOf(':') >= 0 ? 'ipv6' : 'ip') + '.addr == ' + m[1] + ' && tcp.port == ' + m[2] +
				' && ' + f;
		return f;
	}

	function drawLadder(ci, hlFrame, all) {
		var c = conns[ci];
		/* SMTP has no token column: its findings sit closer to the lanes. */
		var FX = c.proto === 'osi' ? G.find : G.state + 210, RX = FX - 20;
		var sec = document.getElementById('diagram');
		var rows = ladderRows(c), idx = frameIndex(rows);
		var fl = (byConn[ci] || []).slice().sort(function (a, b) { return a.frame - b.frame || b.sev - a.sev; });
		fl.forEach(function (f) {
			var k = idx.last.get(f.frame);
			if (k !== undefined)
				rows[k].findings.push(f);
		});
		var n = all ? rows.length : Math.min(rows.length, MAX_ROWS);
		var y = G.head, ys = [], svg = [], rels = [];
		for (var k = 0; k < n; k++) {
			var r = rows[k];
			var shown = r.findings.slice(0, MAX_FROW), extra = r.findings.length - shown.length;
			var h = Math.max(G.row, 12 + (shown.length + (extra > 0 ? 1 : 0)) * G.fline);
			ys.push(y);
			var cls = 'row k-' + r.kind + (isBad(r) ? ' bad' : '') +
				(r.kind === 'reply' && r.x.rc ? ' reply-' + String(r.x.rc).charAt(0) : '') +
				(r.kind === 'tcp' && /^no-PSH/.test(r.label) ? ' warnarrow' : '') +
				(r.frame === hlFrame ? ' hl' : '');
			var g = '<g class="' + cls + '" data-frame="' + r.frame + '" data-kind="' + r.kind +
				'" data-label="' + esc(r.label) + '" id="d-row-' + k + '">';
			g += '<rect class="bg" x="0" y="' + (y - 4) + '" width="' + G.width + '" height="' + h + '"/>';
			g += '<title>' + esc('frame ' + r.frame + (r.label ? ': ' + r.label : '') +
				(r.x.tok ? '\ntokens ' + r.x.tok : '') + (r.x.act ? '\nactivity ' + r.x.act : '') +
				(r.x.cmd ? '\ncommand ' + r.x.cmd : '')) + '</title>';
			g += '<text class="frame" x="' + G.time + '" y="' + (y + 12) + '">#' + r.frame + '</text>';
			if (r.us !== null)
				g += '<text class="time" x="' + G.frame + '" y="' + (y + 12) + '" text-anchor="end">+' +
					esc(fmtMs(r.us)) + '</text>';
			var a = r.dir === 1 ? G.server : G.client, b = r.dir === 1 ? G.client : G.server;
			var mid = (G.client + G.server) / 2;
			var label = r.label;
			label += abortReason(c, r);
			if (r.kind === 'reply' && r.x.lat !== undefined && r.x.cmd)
				label += '  (' + fmtMs(r.x.lat) + ')';
			if (r.kind === 'frame') {
				g += '<line class="gapline" x1="' + G.client + '" y1="' + (y + 8) + '" x2="' + G.server +
					'" y2="' + (y + 8) + '" stroke-dasharray="1 6"/>';
			} else if (r.kind === 'tcp' && /^gap/.test(r.label)) {
				g += '<path class="gapline" d="M' + G.client + ' ' + (y + 8) + ' L' + (mid - 10) + ' ' + (y + 8) +
					' l6 -7 l8 14 l6 -7 L' + G.server + ' ' + (y + 8) + '"/>';
				g += '<text class="label" x="' + mid + '" y="' + (y + 2) + '" text-anchor="middle">' +
					esc(label) + '</text>';
			} else {
				var y2 = y + 14;
				var tip = b + (b > a ? -2 : 2);
				g += '<line class="arrow" x1="' + a + '" y1="' + (y + 4) + '" x2="' + tip + '" y2="' + y2 +
					'" marker-end="url(#ah)"/>';
				if (isBad(r))
					g += '<path class="arrow" d="M' + (b - 6) + ' ' + (y2 - 6) + ' l12 12 m0 -12 l-12 12"/>';
				g += '<text class="label" x="' + mid + '" y="' + (y + 5) + '" text-anchor="middle">' +
					esc(label) + '</text>';
			}
			var st = rowText(c, r);
			if (st)
				g += '<text class="state" x="' + G.state + '" y="' + (y + 12) + '">' + esc(st) + '</text>';
			if (r.x.tok)
				g += '<text class="tokens" x="' + G.tokens + '" y="' + (y + 12) + '">' + esc(r.x.tok) +
					'</text>';
			if (extra > 0)
				g += '<text class="ftext more" x="' + (FX + 16) + '" y="' + (y + 8 + shown.length * G.fline) +
					'">+' + extra + ' more findings on frame ' + r.frame + ' (see the findings table)</text>';
			shown.forEach(function (f, j) {
				var fy = y + 8 + j * G.fline;
				var m = f.msg.length > 64 ? f.msg.slice(0, 63) + '\u2026' : f.msg;
				g += '<g class="finding" data-frame="' + f.frame + '" data-code="' + esc(f.code) +
					'" data-sev="' + SEV[f.sev] + '" data-related="' + (f.rel || 0) + '" id="d-f-' + f.i + '">';
				g += '<title>' + esc(f.code + ' (' + SEV[f.sev] + ', frame ' + f.frame + ')\n' + f.msg) +
					'</title>';
				g += '<circle class="fmark sev-' + SEV[f.sev] + '" cx="' + (FX + 6) + '" cy="' + (fy - 4) +
					'" r="5"/>';
				if (j === 0 && r.kind !== 'frame')
					g += '<circle class="fmark sev-' + SEV[f.sev] + '" cx="' + ((G.client + G.server) / 2) +
						'" cy="' + (y + 9) + '" r="4" opacity="0.85"/>';
				g += '<text class="ftext sev-' + SEV[f.sev] + '" x="' + (FX + 16) + '" y="' + fy + '">' +
					esc(f.code) + ': ' + esc(m) + '</text></g>';
				if (f.rel)
					rels.push({ f: f, y: fy - 4 });
			});
			g += '</g>';
			svg.push(g);
			y += h;
		}
		var height = y + 20;
		/* related_frame -> finding: a curve in the gutter left of the findings column. */
		var relSvg = rels.map(function (o, j) {
			var rk = idx.first.get(o.f.rel);
			if (rk === undefined || rk >= n)
				return '';
			var y1 = ys[rk] + 8, y2 = o.y;
			var bend = 26 + (j % 4) * 12;
			var x0 = FX - 2;
			return '<path class="rel sev-' + SEV[o.f.sev] + '" data-from="' + o.f.rel + '" data-to="' +
				o.f.frame + '" data-code="' + esc(o.f.code) + '" d="M' + (RX + 10) + ' ' + y1 + ' C' +
				(RX - bend) + ' ' + y1 + ' ' + (RX - bend) + ' ' + y2 + ' ' + x0 + ' ' + y2 +
				'" marker-end="url(#rh)"><title>' + esc('frame ' + o.f.rel + ' \u2192 ' + o.f.code +
				' at frame ' + o.f.frame) + '</title></path>';
		}).join('');
		var head = '<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ' +
			'markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#475569"/>' +
			'</marker><marker id="rh" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" ' +
			'orient="auto"><path d="M0 0 L10 5 L0 10 z" fill="#c62828"/></marker></defs>';
		head += '<text class="lanehead" x="' + G.client + '" y="18" text-anchor="middle">' +
			(c.proto === 'osi' ? 'initiator' : 'client') + '</text>';
		head += '<text class="lanehead" x="' + G.server + '" y="18" text-anchor="middle">' +
			(c.proto === 'osi' ? 'responder' : 'server') + '</text>';
		head += '<text class="mono" x="' + G.client + '" y="34" text-anchor="middle">' + esc(c.client) + '</text>';
		head += '<text class="mono" x="' + G.server + '" y="34" text-anchor="middle">' + esc(c.server) + '</text>';
		head += '<text class="colhead" x="' + G.time + '" y="34">frame / time</text>';
		head += '<text class="colhead" x="' + G.state + '" y="34">' +
			(c.proto === 'osi' ? 'V(M) V(A) window' : 'state') + '</text>';
		if (c.proto === 'osi')
			head += '<text class="colhead" x="' + G.tokens + '" y="34">tokens</text>';
		head += '<text class="colhead" x="' + FX + '" y="34">findings</text>';
		head += '<line class="lane" x1="' + G.client + '" y1="42" x2="' + G.client + '" y2="' + height + '"/>';
		head += '<line class="lane" x1="' + G.server + '" y1="42" x2="' + G.server + '" y2="' + height + '"/>';

		var title = (c.proto === 'osi' ? 'OSI association ' : 'SMTP session ') + (ci + 1) + ': ' + connName(c);
		var h = '<h2>' + esc(title) + '</h2><div class="dhead"><span>' + esc(fileTag(c.file)) + 'frames ' +
			c.first + '\u2013' + c.last + '</span><span>ended: <b>' + esc(outcome(c)) + '</b></span>' +
			'<span class="mono filter-copy" title="click to copy">' + esc(connFilter(c)) + '</span>' +
			'<a href="#conns">back to the list</a></div>';
		h += '<p class="legend muted"><span>time flows down</span><span>arrows: who sent what</span>' +
			'<span>red curve: related frame \u2192 finding</span>' +
			(c.ev_dropped ? '<span><b>' + c.ev_dropped + ' events were not kept (report limits)</b></span>' : '') +
			'</p>';
		if (n < rows.length)
			h += '<p>Showing the first ' + n + ' of ' + rows.length +
				' rows. <button id="d-all">Draw all rows</button></p>';
		h += '<div class="ladder-wrap"><svg xmlns="http://www.w3.org/2000/svg" id="ladder" data-conn="' + ci +
			'" data-rows="' + n + '" width="' + G.width + '" height="' + height + '" viewBox="0 0 ' +
			G.width + ' ' + height + '">' + head + svg.join('') + relSvg + '</svg></div>';
		h += '<details><summary>Summary (JSON)</summary><pre>' + esc(JSON.stringify(c.sum, null, 1)) +
			'</pre></details>';
		sec.innerHTML = h;
		var btn = document.getElementById('d-all');
		if (btn)
			btn.addEventListener('click', function () { drawLadder(ci, hlFrame, true); });
		status.diagram = { conn: ci, rows: n, events: c.ev.length,
			findings: sec.querySelectorAll('g.finding').length,
			related: sec.querySelectorAll('path.rel').length };
		return sec;
	}

	function route() {
		var m = /^#c-(\d+)(?:-f-(\d+))?$/.exec(location.hash);
		if (!m || +m[1] >= conns.length)
			return false;
		var sec = drawLadder(+m[1], m[2] ? +m[2] : 0, false);
		var target = m[2] ? sec.querySelector('g.row.hl') : sec;
		if (target && target.scrollIntoView)
			target.scrollIntoView({ block: 'center' });
		publish();
		return true;
	}
	window.addEventListener('hashchange', route);

	/* For tests and scripted use: draw every diagram in turn; returns how many were drawn. */
	window.mtadiag = {
		data: D,
		draw: function (i) { drawLadder(i, 0, false); publish(); return status.diagram; },
		drawAll: function () {
			for (var i = 0; i < conns.length; i++)
				drawLadder(i, 0, true);
			publish();
			return conns.length;
		},
		status: function () { return status; }
	};

	try {
		drawOverview();
		drawFindings();
		drawConns();
		if (!route())
			document.getElementById('diagram').innerHTML = '<h2>Ladder diagram</h2><p class="muted">' +
				'Open one with a \u201cladder\u201d link in the findings table or the list above.</p>';
		status.table_rows = findingsTable.drawn;
		status.conn_rows = connsTable.drawn;
		status.load_ms = Math.round(window.performance ? performance.now() : Date.now() - t_start);
		if (status.state === 'loading')
			status.state = 'ok';
	} catch (e) {
		fail(e && e.stack ? e.stack : e);
	}
	publish();
})();
