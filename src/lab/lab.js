// tiersim lab: reads the knobs, asks POST /api/run, shows the comparison, the replay and the
// charts. The address holds the state: ?s=FILE&KEY=VALUE... reproduces the same run.
(function () {
  'use strict';
  var form = document.getElementById('knobs');
  var select = document.getElementById('scenario');
  var status = document.getElementById('status');
  var scenarios = [];
  // This page's id: a newer run from it replaces the one in progress (other pages run beside).
  var page = Math.random().toString(36).slice(2) + Date.now().toString(36);
  var METRICS = ['users_forced_login', 'failed_auth_pct', 'sessions_lost', 'errors',
    'latency_p50_ms', 'latency_p99_ms', 'imbalance', 'users_remapped'];

  function current() { return scenarios[select.selectedIndex]; }
  function fields() { return Array.prototype.slice.call(form.querySelectorAll('input,select')); }
  function sets() {
    var set = {};
    fields().forEach(function (f) {
      if (f.name.indexOf('.') > 0 && f.name.indexOf('ev.') !== 0 && f.name.indexOf('p.') !== 0 && f.value !== '') {
        set[f.name] = f.type === 'number' ? Number(f.value) : f.value;
      }
    });
    return set;
  }
  function value(name) { return form.elements[name].value.trim(); }
  // The scenario's text with the events of the knobs appended.
  function text() {
    var t = current().scenario, add = '';
    function ev(at, lines) { if (at) add += '\n[[events]]\nat = "' + at + '"\n' + lines + '\n'; }
    ev(value('ev.crash'), 'action = "crash"\nserver = 0');
    ev(value('ev.add'), 'action = "add_servers"\ncount = ' + (Number(value('ev.add_n')) || 1));
    ev(value('ev.remove'), 'action = "remove_servers"\ncount = ' + (Number(value('ev.remove_n')) || 1));
    if (value('ev.store')) {
      ev(value('ev.store'), 'action = "store_crash"');
      add += '\n[[events]]\nat = "' + value('ev.store') + ' + ' + (value('ev.store_for') || '1m') + '"\naction = "store_restart"\n';
    }
    return t + add;
  }
  function saveUrl() {
    var q = new URLSearchParams();
    q.set('s', current().file);
    fields().forEach(function (f) { if (f.name && f.value !== '' && f.defaultValue !== f.value) q.set(f.name, f.value); });
    history.replaceState(null, '', '?' + q.toString());
  }
  function loadUrl() {
    var q = new URLSearchParams(location.search);
    var s = q.get('s');
    scenarios.forEach(function (sc, i) { if (sc.file === s) select.selectedIndex = i; });
    fields().forEach(function (f) { if (f.name && q.has(f.name)) f.value = q.get(f.name); });
  }
  function showProblems(list) {
    var box = document.getElementById('problems');
    box.textContent = '';
    (list || []).forEach(function (p) {
      var e = document.createElement('p');
      e.className = 'problem';
      e.textContent = p.text || p.message || String(p);
      box.appendChild(e);
    });
  }
  function fmt(v) { return v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : v; }
  function table(answer) {
    var head = document.querySelector('#comparison thead'), body = document.querySelector('#comparison tbody');
    head.innerHTML = '';
    body.innerHTML = '';
    var tr = document.createElement('tr');
    ['metric'].concat(answer.summary.map(function (r) { return r.variant; })).concat(['your prediction'])
      .forEach(function (h, i) {
        var th = document.createElement('th');
        th.textContent = h;
        if (i > 0 && i <= answer.summary.length) th.style.borderBottom = '3px solid ' + answer.variants[i - 1].colour;
        tr.appendChild(th);
      });
    head.appendChild(tr);
    METRICS.forEach(function (m) {
      if (!(m in answer.summary[0])) return;
      var row = document.createElement('tr');
      row.setAttribute('data-metric', m);
      var cells = [m].concat(answer.summary.map(function (r) { return fmt(r[m]); }));
      var predicted = form.elements['p.' + m];
      cells.push(predicted && predicted.value !== '' ? predicted.value : '');
      cells.forEach(function (c, i) {
        var td = document.createElement('td');
        td.textContent = c;
        if (i === cells.length - 1) td.className = 'predicted';
        row.appendChild(td);
      });
      body.appendChild(row);
    });
  }
  // Theory beside the result and the prediction, where theory applies (src/theory.rs).
  function theory(answer) {
    var box = document.getElementById('theory-box'), body = document.querySelector('#theory tbody');
    body.innerHTML = '';
    box.hidden = !answer.theory.length;
    answer.theory.forEach(function (t) {
      var row = document.createElement('tr');
      row.setAttribute('data-metric', t.metric);
      row.setAttribute('data-variant', t.variant);
      var predicted = form.elements['p.' + t.metric];
      var when = t.at_s === null ? 'whole run' : 'change at ' + t.at_s + ' s';
      [t.variant, t.metric, when, round(t.theory), t.formula, round(t.result),
        predicted && predicted.value !== '' ? predicted.value : ''].forEach(function (c, i) {
        var td = document.createElement('td');
        td.textContent = c;
        if (i === 3) td.className = 'theory';
        if (i === 6) td.className = 'predicted';
        row.appendChild(td);
      });
      body.appendChild(row);
    });
  }
  function round(v) { return typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : fmt(v); }
  function charts(answer) {
    var box = document.getElementById('charts');
    box.innerHTML = '';
    answer.charts.forEach(function (c) {
      var fig = document.createElement('figure');
      fig.innerHTML = c.svg; // drawn by this tiersim from the run's numbers
      var cap = document.createElement('figcaption');
      cap.textContent = c.name;
      fig.appendChild(cap);
      box.appendChild(fig);
    });
  }
  var pending = null, aborter = null;
  function run() {
    saveUrl();
    status.textContent = 'running…';
    var body = JSON.stringify({ scenario: text(), set: sets(), page: page });
    // A newer run replaces this page's run in progress: the server stops it (same page id) and
    // the page drops its answer (aborted: no 409 to log).
    if (aborter) aborter.abort();
    aborter = new AbortController();
    var mine = pending = fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body,
      signal: aborter.signal })
      .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
      .then(function (res) {
        if (mine !== pending) return;
        var code = res[0], answer = res[1];
        if (code === 200) {
          showProblems([]);
          table(answer);
          theory(answer);
          tiersimReplay(document.getElementById('replay'), answer.replay);
          charts(answer);
          status.textContent = 'done';
          document.body.setAttribute('data-runs', Number(document.body.getAttribute('data-runs') || 0) + 1);
        } else {
          showProblems(answer.problems || [{ text: answer.error }]);
          status.textContent = 'not run (' + code + ')';
        }
      })
      .catch(function (e) { if (mine === pending) status.textContent = 'failed: ' + e; });
  }
  function download() {
    var body = JSON.stringify({ scenario: text(), set: sets() });
    fetch('/api/scenario', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body })
      .then(function (r) { return r.json(); })
      .then(function (a) {
        if (!a.toml) { showProblems(a.problems || [{ text: a.error }]); return; }
        var link = document.createElement('a');
        link.href = URL.createObjectURL(new Blob([a.toml], { type: 'application/toml' }));
        link.download = a.file;
        document.body.appendChild(link);
        link.click();
        link.remove();
      });
  }
  function describe() {
    var sc = current();
    document.getElementById('lesson').textContent = sc.title + '. ' + sc.text;
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); run(); });
  form.addEventListener('change', function () { run(); });
  select.addEventListener('change', function () {
    fields().forEach(function (f) { f.value = f.defaultValue; });
    describe();
    run();
  });
  document.getElementById('download').addEventListener('click', download);
  fetch('/api/scenarios').then(function (r) { return r.json(); }).then(function (list) {
    scenarios = list;
    list.forEach(function (sc) {
      var o = document.createElement('option');
      o.textContent = sc.file + ': ' + sc.title;
      select.appendChild(o);
    });
    loadUrl();
    describe();
    run();
  });
})();
