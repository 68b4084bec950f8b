// tiersim replay: draws the replay data of src/report/replay.rs into `root`, one panel per
// variant on one clock. No network, no external file. Used inline by report.html and served
// by `tiersim lab`.
function tiersimReplay(root, data) {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var W = 420, H = 330;
  // Outcome codes are positions in data.outcomes: failed authentications send a user to "log in
  // again", errors flash.
  var LOGIN = [], ERRORS = [];
  data.outcomes.forEach(function (name, code) {
    if (name.indexOf('failed_auth_') === 0) LOGIN.push(code);
    if (name.indexOf('error_') === 0) ERRORS.push(code);
  });
  root.textContent = '';
  root.classList.add('tiersim-replay');
  if (!document.getElementById('tiersim-replay-style')) {
    var st = document.createElement('style');
    st.id = 'tiersim-replay-style';
    st.textContent = '.tiersim-replay .replay-controls{display:flex;gap:.6em;align-items:center;' +
      'flex-wrap:wrap;margin:.5em 0}.tiersim-replay .replay-panels{display:flex;gap:1em;flex-wrap:wrap}' +
      '.tiersim-replay .replay-panel{flex:1 1 380px;max-width:560px;border-top:4px solid #999}' +
      '.tiersim-replay .replay-panel h3{margin:.3em 0;font-size:1em}.tiersim-replay svg{width:100%;' +
      'height:auto;background:#fafafa;border:1px solid #ddd}.tiersim-replay input[type=range]{flex:1 1 200px}' +
      '.tiersim-replay text{font:11px sans-serif;fill:#333}';
    document.head.appendChild(st);
  }
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  // The time of day when the scenario has a clock_start (day 1 from its start), else the time
  // since the run's start.
  var clockStart = data.clock_start_ms;
  function clock(ms) {
    var of = clockStart === null || clockStart === undefined ? null : clockStart;
    var s = Math.floor((ms + (of || 0)) / 1000), d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24;
    var m = Math.floor(s / 60) % 60, sec = s % 60;
    var p = function (x) { return (x < 10 ? '0' : '') + x; };
    var hms = p(h) + ':' + p(m) + ':' + p(sec);
    if (of === null) return (d > 0 ? d + ' d ' : '') + hms + ' elapsed';
    return 'day ' + (d + 1) + ', ' + hms;
  }
  var duration = data.duration_ms;
  var colours = data.server_colours;
  function serverColour(id) { return colours[id % colours.length]; }

  // Controls: play/pause, speed, scrubber, clock.
  var bar = html('div', { 'class': 'replay-controls' }, root);
  var play = html('button', { type: 'button', 'class': 'replay-play' }, bar, 'Play');
  var speedLabel = html('label', {}, bar, 'Speed ');
  var speed = html('select', { 'class': 'replay-speed' }, speedLabel);
  var speeds = [1, 10, 60, 600, 3600, 14400];
  var wanted = duration / 1000 / 60; // the whole run in about a minute
  var best = speeds.reduce(function (a, b) { return Math.abs(b - wanted) < Math.abs(a - wanted) ? b : a; });
  speeds.forEach(function (s) {
    var label = s < 60 ? s + ' s' : s < 3600 ? s / 60 + ' min' : s / 3600 + ' h';
    var o = html('option', { value: s }, speed, label + ' per second');
    if (s === best) o.selected = true;
  });
  var scrub = html('input', { type: 'range', min: 0, max: duration, step: 1000, value: 0,
    'class': 'replay-scrubber', 'aria-label': 'time' }, bar);
  var clockText = html('output', { 'class': 'replay-clock' }, bar, clock(0));
  var panels = html('div', { 'class': 'replay-panels' }, root);

  var views = data.variants.map(function (v) { return build(v); });
  var now = 0, playing = false, last = null;

  function build(v) {
    var panel = html('div', { 'class': 'replay-panel', 'data-variant': v.name }, panels);
    panel.style.borderTopColor = v.colour;
    html('h3', {}, panel, v.name);
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': 'replay of ' + v.name }, panel);
    var caption = html('p', { 'class': 'replay-count' }, panel, '');
    var servers = 0;
    v.tier.forEach(function (s) { servers = Math.max(servers, s[1].length); });
    var stores = v.tier.length ? v.tier[0][2].length : 0;
    // Users: a grid on the left; "log in again" below it.
    var n = v.users, cols = Math.max(1, Math.ceil(Math.sqrt(n * 1.3)));
    var cell = Math.min(12, 150 / cols), r = Math.max(1.6, cell * 0.38);
    el('text', { x: 10, y: 14 }, svg).textContent = 'users (' + n + ')';
    var loginBox = el('rect', { x: 6, y: 238, width: 160, height: 86, rx: 6, fill: '#fff3f0',
      stroke: '#cc3311', 'class': 'login-again' }, svg);
    el('text', { x: 12, y: 252 }, svg).textContent = 'log in again';
    var loginCount = el('text', { x: 12, y: 318, 'class': 'login-count' }, svg);
    var bal = { x: 200, y: 125 };
    el('rect', { x: bal.x - 22, y: bal.y - 14, width: 44, height: 28, rx: 4, fill: '#eee',
      stroke: '#555', 'class': 'balancer' }, svg);
    el('text', { x: bal.x - 20, y: bal.y + 26 }, svg).textContent = 'balancer';
    var sh = Math.min(30, 220 / Math.max(1, servers)), serverEls = [];
    for (var i = 0; i < servers; i++) {
      var y = 20 + i * sh;
      var g = el('g', { 'class': 'server', 'data-server': i }, svg);
      var rect = el('rect', { x: 270, y: y, width: 90, height: sh - 4, rx: 3, fill: '#fff',
        stroke: serverColour(i), 'stroke-width': 2 }, g);
      var t = el('text', { x: 276, y: y + Math.min(sh - 8, 16) }, g);
      t.textContent = 'server ' + i;
      serverEls.push({ g: g, rect: rect, x: 270, y: y + (sh - 4) / 2, h: sh });
    }
    var store = null;
    if (stores > 0) {
      store = el('rect', { x: 270, y: 270, width: 90, height: 40, rx: 8, fill: '#eef',
        stroke: '#555', 'class': 'store' }, svg);
      el('text', { x: 280, y: 294 }, svg).textContent = 'store';
    }
    // Per user: home position, request indices in order of sending.
    var users = [];
    for (var u = 0; u < n; u++) {
      users.push({ home: { x: 12 + (u % cols) * cell + cell / 2, y: 24 + Math.floor(u / cols) * cell + cell / 2 },
        reqs: [], dot: null });
    }
    v.requests.forEach(function (q, i) { users[q[0]].reqs.push(i); });
    users.forEach(function (us) {
      us.reqs.sort(function (a, b) { return v.requests[a][1] - v.requests[b][1]; });
      // The holder known after each request: the last one set.
      var held = -1;
      us.held = us.reqs.map(function (i) { if (v.requests[i][5] !== -1) held = v.requests[i][5]; return held; });
      us.dot = el('circle', { r: r, cx: us.home.x, cy: us.home.y, fill: '#bbb', 'class': 'user' }, svg);
    });
    return { v: v, users: users, servers: serverEls, store: store, bal: bal, loginBox: loginBox,
      loginCount: loginCount, caption: caption, panel: panel, cell: cell };
  }

  function lastBefore(list, reqs, t) { // index in list of the last request sent at or before t
    var lo = 0, hi = list.length - 1, ans = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (reqs[list[mid]][1] <= t) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans;
  }
  function tierAt(v, t) {
    var s = v.tier[0];
    for (var i = 0; i < v.tier.length && v.tier[i][0] <= t; i++) s = v.tier[i];
    return s;
  }
  function holderColour(h) {
    if (h >= 0) return serverColour(h);
    if (h === -2) return '#6677aa';
    if (h === -3) return '#999933';
    return '#bbb';
  }

  function draw() {
    var vis = Math.max(200, Number(speed.value) * 400); // sim ms a request stays visible
    // Sim ms a user stays in "log in again": 8 visits long, and at least 1/50 of the replay, so
    // that in a long scenario they can be seen at any speed.
    var stay = Math.max(8 * vis, duration / 50);
    views.forEach(function (view) {
      var v = view.v, reqs = v.requests;
      var tier = tierAt(v, now);
      view.servers.forEach(function (s, i) {
        var state = tier ? tier[1][i] || 'absent' : 'absent';
        s.g.setAttribute('data-state', state);
        s.rect.setAttribute('fill', state === 'down' ? '#cc3311' : '#fff');
        s.g.setAttribute('opacity', state === 'absent' ? 0.15 : 1);
      });
      if (view.store && tier) {
        var up = tier[2].every(function (x) { return x; });
        view.store.setAttribute('fill', up ? '#eef' : '#cc3311');
      }
      var inLogin = 0, forced = 0, k = 0;
      view.users.forEach(function (us) {
        var j = lastBefore(us.reqs, reqs, now), dot = us.dot;
        if (j < 0) { place(dot, us.home, '#ddd', 0.5, 'away'); return; }
        var q = reqs[us.reqs[j]];
        for (var m = 0; m <= j; m++) {
          var c = reqs[us.reqs[m]][4];
          if (LOGIN.indexOf(c) >= 0 && reqs[us.reqs[m]][2] <= now) { forced++; break; }
        }
        var held = us.held[j];
        var colour = holderColour(q[2] <= now ? held : (j > 0 ? us.held[j - 1] : -1));
        var code = q[4];
        var until = Math.max(q[2], q[1] + vis);
        if (now <= until) {
          var target = q[3] >= 0 && view.servers[q[3]] ? view.servers[q[3]] : view.bal;
          var f = Math.min(1, (now - q[1]) / (vis * 0.5));
          var p = { x: us.home.x + (target.x - us.home.x) * f, y: us.home.y + (target.y - us.home.y) * f };
          if (ERRORS.indexOf(code) >= 0) {
            place(dot, p, '#cc3311', 1, 'error');
          } else {
            place(dot, p, colour, 1, q[3] >= 0 ? 'server:' + q[3] : 'balancer');
          }
        } else if (LOGIN.indexOf(code) >= 0 && now <= q[2] + stay) {
          var spot = { x: 16 + (k % 24) * 6, y: 262 + Math.floor(k / 24) * 6 % 48 };
          k++;
          inLogin++;
          place(dot, spot, colour, 1, 'login-again');
        } else {
          var away = now - q[2] > 120000;
          place(dot, us.home, colour, away ? 0.45 : 1, away ? 'away' : 'home');
        }
      });
      view.loginCount.textContent = forced + ' of ' + v.users + ' had to';
      view.panel.setAttribute('data-login-again', inLogin);
      view.panel.setAttribute('data-forced', forced);
      view.caption.textContent = v.users + ' sampled users' + (v.truncated ? ' (trace truncated)' : '');
    });
    scrub.value = now;
    clockText.textContent = clock(now);
    root.setAttribute('data-time', now);
  }
  function place(dot, p, fill, opacity, where) {
    dot.setAttribute('cx', p.x.toFixed(1));
    dot.setAttribute('cy', p.y.toFixed(1));
    dot.setAttribute('fill', fill);
    dot.setAttribute('opacity', opacity);
    dot.setAttribute('data-where', where);
  }
  function frame(ts) {
    if (!playing) return;
    if (last !== null) now = Math.min(duration, now + (ts - last) * Number(speed.value));
    last = ts;
    draw();
    if (now >= duration) { setPlaying(false); return; }
    requestAnimationFrame(frame);
  }
  function setPlaying(on) {
    playing = on;
    play.textContent = on ? 'Pause' : 'Play';
    root.setAttribute('data-playing', on);
    if (on) { if (now >= duration) now = 0; last = null; requestAnimationFrame(frame); }
  }
  play.addEventListener('click', function () { setPlaying(!playing); });
  scrub.addEventListener('input', function () { now = Number(scrub.value); draw(); });
  root.tiersimReplay = { seek: function (t) { now = t; draw(); }, play: function () { setPlaying(true); },
    pause: function () { setPlaying(false); } };
  draw();
  return root.tiersimReplay;
}
