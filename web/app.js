// app.js - the web status page: reads otapd's read-only JSON API (the
// objects of `otapctl ... --json`, docs/json.md) every few seconds and
// draws the rollouts, the selected rollout's funnel and units, and the
// modems. Every value from the API goes into the page as text
// (textContent), never as markup.
'use strict';

const REFRESH_MS = 3000;
const ROLLOUTS_SHOWN = 20;
const PER_PAGE = 25;
const STATES = ['queued', 'sending', 'sent', 'delivered', 'confirmed', 'failed', 'cancelled'];
const STEPS = ['queued', 'sent', 'delivered', 'jad_fetched', 'jar_partial', 'jar_fetched', 'reported'];
const CAUSES = ['waiting', 'not_sent', 'no_delivery', 'sent_blind', 'sent_external', 'no_jad',
  'descriptor', 'jar_cut', 'no_report', 'reported', 'confirmed'];

const view = { selected: null, page: 1, timer: null, busy: false, again: false,
  finished: new Map() };

// ---- small DOM helpers (text only) ----

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function cell(row, text, className) {
  const td = el('td', text, className);
  row.appendChild(td);
  return td;
}

function fillBody(table, rows) {
  table.tBodies[0].replaceChildren(...rows);
}

function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function num(n) {
  return typeof n === 'number' ? n.toLocaleString() : '–';
}

// A bar of parts [{value, className}] out of total, labelled for screen
// readers by label.
function bar(parts, total, label) {
  const track = el('div', null, 'track');
  track.setAttribute('role', 'img');
  track.setAttribute('aria-label', label);
  for (const p of parts) {
    const f = el('div', null, 'fill ' + (p.className || ''));
    // CSSOM, not a style attribute: allowed by the page's CSP.
    f.style.width = (total > 0 ? Math.min(100, 100 * p.value / total) : 0) + '%';
    track.appendChild(f);
  }
  return track;
}

// ---- the API ----

async function getJSON(path) {
  const resp = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (resp.status === 401) {
    window.location.assign('/login');
    throw new Error('an access token is needed');
  }
  const body = await resp.json();
  if (!resp.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + resp.status);
  return body;
}

// ---- rollouts ----

function progressCell(row, st) {
  const c = st.counts;
  const done = c.confirmed, failed = c.failed + c.cancelled;
  const flight = c.sending + c.sent + c.delivered;
  const pct = st.units > 0 ? (100 * done / st.units).toFixed(1) : '0.0';
  const td = cell(row, null);
  const wrap = el('div', null, 'progress');
  wrap.appendChild(bar([{ value: done, className: 'ok' }, { value: flight },
    { value: failed, className: 'bad' }], st.units,
  `${done} of ${st.units} confirmed, ${flight} in flight, ${failed} failed or cancelled`));
  wrap.appendChild(el('span', pct + '%', 'pct'));
  td.appendChild(wrap);
}

function rolloutRow(st) {
  const row = el('tr');
  row.dataset.name = st.name;
  if (st.name === view.selected) row.className = 'selected';
  const th = el('th');
  th.scope = 'row';
  const b = el('button', st.name, 'rollout-name');
  b.type = 'button';
  b.setAttribute('aria-pressed', st.name === view.selected ? 'true' : 'false');
  b.addEventListener('click', () => select(st.name));
  th.appendChild(b);
  row.appendChild(th);
  const state = cell(row, st.state + (st.pause_reason ? ': ' + st.pause_reason : ''),
    'state state-' + st.state);
  state.dataset.state = st.state;
  progressCell(row, st);
  cell(row, num(st.counts.queued), 'num count-queued');
  cell(row, num(st.counts.sent + st.counts.delivered), 'num count-sent');
  cell(row, num(st.counts.confirmed), 'num count-confirmed');
  cell(row, num(st.counts.failed), 'num count-failed');
  cell(row, `${st.current_wave} of ${st.wave_count}`);
  cell(row, st.window ? `${st.window} ${st.tz || 'local'} (${st.window_open ? 'open' : 'closed'})`
    : 'always');
  cell(row, st.eta ? when(st.eta) : '–');
  return row;
}

// A rollout's status; one that is done or cancelled is asked for again
// only when its row changed (a retry revives it), so a page with many old
// rollouts costs the server one status per running rollout.
async function rolloutStatus(r) {
  const kept = view.finished.get(r.name);
  if (kept && kept.updated_at === r.updated_at && r.name !== view.selected) return kept;
  const st = await getJSON('/api/rollouts/' + encodeURIComponent(r.name));
  if (st.state === 'done' || st.state === 'cancelled') view.finished.set(r.name, st);
  else view.finished.delete(r.name);
  return st;
}

// ---- the selected rollout: funnel and units ----

function funnelRows(st) {
  const f = st.funnel, stopped = f.stopped;
  const steps = [
    ['Not sent', null, stopped.queued.failed],
    ['Sent', f.reached.sent, stopped.sent.failed],
    ['Delivered', f.reached.delivered, stopped.delivered.failed],
    ['JAD fetched', f.reached.jad_fetched, stopped.jad_fetched.failed],
    ['JAR fetched', f.reached.jar_fetched, stopped.jar_partial.failed + stopped.jar_fetched.failed],
    ['Confirmed', st.counts.confirmed, stopped.reported.failed],
  ];
  return steps.map(([name, reached, failed]) => {
    const row = el('tr');
    const th = el('th', name);
    th.scope = 'row';
    row.appendChild(th);
    cell(row, reached === null ? '–' : num(reached), 'num');
    const td = cell(row, null);
    if (reached !== null) {
      td.appendChild(bar([{ value: reached, className: name === 'Confirmed' ? 'ok' : '' }],
        st.units, `${reached} of ${st.units} units`));
    }
    cell(row, num(failed), 'num' + (failed > 0 ? ' bad' : ''));
    return row;
  });
}

function unitQuery() {
  const q = new URLSearchParams();
  for (const id of ['f-state', 'f-step', 'f-cause']) {
    const s = document.getElementById(id);
    if (s.value) q.set(s.name, s.value);
  }
  q.set('page', String(view.page));
  q.set('per_page', String(PER_PAGE));
  return q.toString();
}

function unitRow(u) {
  const row = el('tr');
  row.dataset.id = String(u.id);
  const th = el('th', u.id, 'num');
  th.scope = 'row';
  row.appendChild(th);
  cell(row, u.msisdn);
  cell(row, u.state, 'state state-' + u.state);
  cell(row, u.stopped_at);
  const d = cell(row, u.cause);
  d.title = u.advice.join('\n');
  return row;
}

function drawUnits(list) {
  const rows = list.units.map(unitRow);
  if (rows.length === 0) {
    const row = el('tr');
    const td = cell(row, 'No units match.');
    td.colSpan = 5;
    rows.push(row);
  }
  fillBody(document.getElementById('units'), rows);
  const pages = list.total === null ? null : Math.max(1, Math.ceil(list.total / list.per_page));
  document.getElementById('page-info').textContent = pages === null
    ? `page ${list.page}` : `page ${list.page} of ${pages} (${num(list.total)} units)`;
  document.getElementById('prev').disabled = list.page <= 1;
  document.getElementById('next').disabled = !list.more;
}

async function drawSelected(statuses) {
  const detail = document.getElementById('detail');
  const st = statuses.find(s => s.name === view.selected);
  if (!st) {
    detail.hidden = true;
    return;
  }
  detail.hidden = false;
  document.getElementById('funnel-title').textContent = `Funnel of ${st.name}`;
  document.getElementById('units-title').textContent = `Units of ${st.name}`;
  fillBody(document.getElementById('funnel'), funnelRows(st));
  const list = await getJSON(`/api/rollouts/${encodeURIComponent(st.name)}/units?${unitQuery()}`);
  drawUnits(list);
}

// ---- modems ----

function modemRow(m) {
  const row = el('tr');
  row.dataset.name = m.name;
  const th = el('th', m.name);
  th.scope = 'row';
  row.appendChild(th);
  cell(row, m.condition, 'condition ' + (m.usable ? 'ok' : 'bad'));
  cell(row, m.signal_dbm === null ? 'unknown' : `${m.signal_dbm} dBm, ${m.signal_bars}/5`);
  cell(row, [m.registration, m.operator].filter(Boolean).join(', ') || '–');
  cell(row, num(m.sms_sent), 'num sms-sent');
  cell(row, num(m.sms_failed), 'num sms-failed');
  cell(row, when(m.last_seen));
  return row;
}

// ---- refresh ----

async function refresh() {
  if (view.busy) {
    view.again = true;      // a click while a refresh runs: draw once more after it
    return;
  }
  view.busy = true;
  const status = document.getElementById('updated');
  try {
    const list = (await getJSON('/api/rollouts')).slice(0, ROLLOUTS_SHOWN);
    const statuses = await Promise.all(list.map(rolloutStatus));
    if (!view.selected && statuses.length) view.selected = statuses[0].name;
    fillBody(document.getElementById('rollouts'), statuses.map(rolloutRow));
    document.getElementById('no-rollouts').hidden = statuses.length > 0;
    await drawSelected(statuses);
    fillBody(document.getElementById('modems'), (await getJSON('/api/modems')).map(modemRow));
    status.textContent = 'Updated ' + new Date().toLocaleTimeString();
    status.classList.remove('bad');
  } catch (e) {
    status.textContent = 'Could not update: ' + e.message;
    status.classList.add('bad');
  } finally {
    view.busy = false;
  }
  if (view.again) {
    view.again = false;
    await refresh();
  }
}

function schedule() {
  clearTimeout(view.timer);
  view.timer = setTimeout(async () => {
    await refresh();
    schedule();
  }, REFRESH_MS);
}

function select(name) {
  view.selected = name;
  view.page = 1;
  history.replaceState(null, '', '#rollout=' + encodeURIComponent(name));
  refresh();
}

function addOptions(id, names) {
  const s = document.getElementById(id);
  for (const n of names) s.appendChild(el('option', n)).value = n;
  s.addEventListener('change', () => {
    view.page = 1;
    refresh();
  });
}

function start() {
  const m = /^#rollout=(.+)$/.exec(window.location.hash);
  if (m) view.selected = decodeURIComponent(m[1]);
  addOptions('f-state', STATES);
  addOptions('f-step', STEPS);
  addOptions('f-cause', CAUSES);
  document.getElementById('prev').addEventListener('click', () => {
    view.page = Math.max(1, view.page - 1);
    refresh();
  });
  document.getElementById('next').addEventListener('click', () => {
    view.page += 1;
    refresh();
  });
  document.getElementById('unit-filter').addEventListener('submit', e => e.preventDefault());
  refresh().then(schedule);
}

document.addEventListener('DOMContentLoaded', start);
