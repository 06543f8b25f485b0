// The Switchyard operator console: instances, routes, queues and the dead-letter browser, live
// (one poll a second), with actions for the operator role and none for a viewer. The token is
// entered here (or passed once as #token=…), kept in sessionStorage and sent as a bearer header.
import { html, render } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, filterBody, filterQuery } from './api.js';
import { ago, bytes, count, duration, ms, rate } from './format.js';
import { SortableTable } from './sortable-table.js';

const POLL_MS = 1000;
const TOKEN_KEY = 'switchyard.console.token';
const SINCE_CHOICES = [
  ['', 'any time'],
  [String(15 * 60_000), 'last 15 min'],
  [String(3_600_000), 'last hour'],
  [String(86_400_000), 'last 24 h'],
  [String(7 * 86_400_000), 'last 7 days'],
];

function initialToken() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

const plural = (n, word) => (n === 1 ? word : `${word}s`);

function Health({ health, drained }) {
  return html`<span class=${`health health-${health}`} data-testid="health">${health}${drained ? ' · drained' : ''}</span>`;
}

function TokenForm({ onToken, error }) {
  const [value, setValue] = useState('');
  return html`
    <form class="token" onSubmit=${(e) => { e.preventDefault(); onToken(value.trim()); }}>
      <h1>Switchyard console</h1>
      <p>Enter an admin token (or a JWT carrying the admin role claim). It stays in this tab only.</p>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <input type="password" aria-label="admin token" placeholder="admin token" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} autofocus />
      <button type="submit" disabled=${value.trim() === ''}>Open console</button>
    </form>
  `;
}

/** Drains or undrains an instance; the notice says whether the instance itself was told (then every gateway follows). */
async function told(act, what, instanceId) {
  const answer = await act.call('POST', `instances/${encodeURIComponent(instanceId)}/${what}`, {});
  if (answer.told) return what === 'drain' ? `${instanceId} drained: it takes no new requests from any gateway` : `${instanceId} undrained: it takes requests again`;
  return `${what} ${instanceId}: at this gateway only; the instance could not be told (${answer.why})`;
}

function Instances({ rows, now, canAct, act }) {
  const columns = [
    { key: 'service', label: 'Service' },
    { key: 'version', label: 'Version' },
    { key: 'instanceId', label: 'Instance', render: (r) => html`<code>${r.instanceId}</code>` },
    { key: 'region', label: 'Region' },
    { key: 'transport', label: 'Transport' },
    { key: 'health', label: 'Health', render: (r) => html`<${Health} health=${r.health} drained=${r.drained} />` },
    { key: 'lastHeartbeatAgeMs', label: 'Last heartbeat', numeric: true, render: (r) => `${duration(r.lastHeartbeatAgeMs)} ago` },
    { key: 'reportedInFlight', label: 'In flight', numeric: true, render: (r) => `${count(r.reportedInFlight)} (here ${count(r.localInFlight)})` },
    { key: 'registeredAt', label: 'Up', numeric: true, value: (r) => -r.registeredAt, render: (r) => duration(now - r.registeredAt) },
    ...(canAct
      ? [{
          key: 'actions', label: '', sortable: false,
          render: (r) =>
            r.health === 'draining'
              ? html`<button type="button" class="small" data-testid="undrain" onClick=${() => act(`undrain ${r.instanceId}`, () => told(act, 'undrain', r.instanceId))}>Undrain</button>`
              : html`<button type="button" class="small" data-testid="drain" onClick=${() => act(`drain ${r.instanceId}`, () => told(act, 'drain', r.instanceId))}>Drain</button>`,
        }]
      : []),
  ];
  return html`<${SortableTable} testid="instances" columns=${columns} rows=${rows} rowKey=${(r) => r.instanceId}
    rowProps=${(r) => ({ 'data-instance': r.instanceId, 'data-service': r.service })}
    empty=${html`<strong>No instances registered.</strong> Start a service that uses the same transport (and queue prefix) as this gateway; it appears here within a heartbeat.`} />`;
}

function Routes({ rows }) {
  const columns = [
    { key: 'route', label: 'Route', render: (r) => html`<code>${r.route}</code>` },
    { key: 'requests', label: 'Requests', numeric: true, render: (r) => count(r.requests) },
    { key: 'ratePerSecond', label: 'Rate', numeric: true, render: (r) => rate(r.ratePerSecond) },
    { key: 'p50Ms', label: 'p50', numeric: true, render: (r) => ms(r.p50Ms) },
    { key: 'p99Ms', label: 'p99', numeric: true, render: (r) => ms(r.p99Ms) },
  ];
  return html`<${SortableTable} testid="routes" columns=${columns} rows=${rows} rowKey=${(r) => r.route} initialSort=${{ key: 'requests', dir: -1 }}
    empty="No requests measured yet. Send a request through this gateway and its route shows up here with its rate and latency." />`;
}

function Queues({ rows }) {
  const columns = [
    { key: 'queue', label: 'Queue', render: (r) => html`<code>${r.queue}</code>` },
    { key: 'depth', label: 'Waiting', numeric: true, render: (r) => count(r.depth) },
    { key: 'oldestWaitingAgeMs', label: 'Oldest waiting', numeric: true, render: (r) => (r.oldestWaitingAgeMs === undefined ? '?' : r.oldestWaitingAgeMs === null ? '–' : duration(r.oldestWaitingAgeMs)) },
    { key: 'inFlight', label: 'Leased', numeric: true, render: (r) => count(r.inFlight) },
    { key: 'redelivered', label: 'Redelivered', numeric: true, render: (r) => (r.redelivered === undefined ? '?' : html`<span class=${r.redelivered > 0 ? 'warn' : ''} title=${r.redeliveredIsLowerBound ? 'counted over part of a large backlog: at least this many' : ''} data-testid="redelivered">${r.redeliveredIsLowerBound ? '≥ ' : ''}${count(r.redelivered)}</span>`) },
    { key: 'delayed', label: 'Delayed', numeric: true, render: (r) => count(r.delayed) },
    { key: 'deadLetters', label: 'Dead letters', numeric: true, render: (r) => html`<span class=${r.deadLetters > 0 ? 'warn' : ''}>${count(r.deadLetters)}</span>` },
    { key: 'consumers', label: 'Consumers', numeric: true, render: (r) => (r.consumers === undefined ? '?' : count(r.consumers)) },
  ];
  return html`<${SortableTable} testid="queues" columns=${columns} rows=${rows} rowKey=${(r) => r.queue}
    empty="No queues. This gateway has no Messaging transport, or no service that uses it has registered yet." />`;
}

function Tasks({ tasks, canAct, act }) {
  if (tasks.length === 0) return null;
  return html`<ul class="tasks" data-testid="tasks">
    ${tasks.map((t) => {
      const done = t.replayed + t.missing;
      const pct = t.matched === 0 ? 100 : Math.round((done / t.matched) * 100);
      return html`<li key=${t.id} data-state=${t.state}>
        <span class="task-name">${t.id}</span>
        <progress max="100" value=${pct}></progress>
        <span>${count(t.replayed)} of ${count(t.matched)} replayed at ${t.ratePerSecond}/s · ${t.state}${t.error ? ` · ${t.error}` : ''} · by ${t.startedBy}</span>
        ${canAct && t.state === 'running' && html`<button type="button" class="small" onClick=${() => act(`cancel ${t.id}`, () => act.call('POST', `tasks/${t.id}/cancel`, {}))}>Cancel</button>`}
      </li>`;
    })}
  </ul>`;
}

function DeadLetterDetail({ letter, onClose }) {
  if (!letter) return null;
  return html`<aside class="detail" data-testid="dead-letter-detail">
    <header><h3>Dead letter <code>${letter.id}</code></h3><button type="button" class="small" onClick=${onClose}>Close</button></header>
    <dl>
      <dt>Source queue</dt><dd><code>${letter.sourceQueue}</code></dd>
      <dt>Reason</dt><dd class="reason">${letter.reason}</dd>
      <dt>Attempts</dt><dd>${letter.attempts}</dd>
      <dt>Original id</dt><dd><code>${letter.originalId}</code></dd>
      <dt>Enqueued</dt><dd>${new Date(letter.enqueuedAt).toISOString()}</dd>
      <dt>Dead-lettered</dt><dd>${new Date(letter.deadLetteredAt).toISOString()}</dd>
      <dt>Size</dt><dd>${bytes(letter.sizeBytes)}</dd>
    </dl>
    <h4>Headers</h4>
    ${Object.keys(letter.headers).length === 0 ? html`<p class="muted">none</p>` : html`<dl>${Object.entries(letter.headers).map(([k, v]) => html`<dt>${k}</dt><dd><code>${v}</code></dd>`)}</dl>`}
    <h4>Payload${letter.previewTruncated ? ' (first part)' : ''}</h4>
    <pre>${letter.preview}</pre>
  </aside>`;
}

function DeadLetters({ queues, letters, matched, filter, setFilter, now, canAct, act, token }) {
  const [selected, setSelected] = useState(() => new Set());
  const [rateValue, setRateValue] = useState(10);
  const [shown, setShown] = useState(undefined);
  const key = (l) => `${l.queue}\n${l.id}`;
  useEffect(() => {
    // Forget selections of letters that left the list.
    const present = new Set(letters.map(key));
    setSelected((s) => new Set([...s].filter((k) => present.has(k))));
  }, [letters]);
  const toggle = (l) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(key(l))) n.delete(key(l));
      else n.add(key(l));
      return n;
    });
  const replaySelected = () => act(`replay ${selected.size} dead letter(s)`, async () => {
    const byQueue = new Map();
    for (const k of selected) { const [q, id] = k.split('\n'); byQueue.set(q, [...(byQueue.get(q) ?? []), id]); }
    for (const [q, ids] of byQueue) await act.call('POST', 'dead-letters/replay', { queue: q, ids });
    setSelected(new Set());
  });
  const replayAll = () => act(`replay all matching at ${rateValue}/s`, () => act.call('POST', 'dead-letters/redrive', { ...filterBody(filter, Date.now()), ratePerSecond: Number(rateValue) }));
  const purgeAll = () => {
    if (!confirm(`Delete the ${matched} dead letter(s) matching this filter? This cannot be undone.`)) return;
    act('purge matching', () => act.call('POST', 'dead-letters/purge', filterBody(filter, Date.now())));
  };
  const show = async (l) => {
    try { setShown(await call(token, 'GET', `dead-letters/${encodeURIComponent(l.queue)}/${encodeURIComponent(l.id)}`)); } catch (e) { act.report(e); }
  };
  const columns = [
    ...(canAct ? [{ key: 'select', label: '', sortable: false, render: (l) => html`<input type="checkbox" aria-label=${`select ${l.id}`} data-testid="select" checked=${selected.has(key(l))} onChange=${() => toggle(l)} />` }] : []),
    { key: 'id', label: 'Id', render: (l) => html`<button type="button" class="link" onClick=${() => show(l)}>${l.id}</button>` },
    { key: 'queue', label: 'Queue', render: (l) => html`<code>${l.queue}</code>` },
    { key: 'reason', label: 'Reason', render: (l) => html`<span class="reason" data-testid="reason">${l.reason}</span>` },
    { key: 'attempts', label: 'Attempts', numeric: true },
    { key: 'deadLetteredAt', label: 'Dead-lettered', numeric: true, value: (l) => -l.deadLetteredAt, render: (l) => ago(l.deadLetteredAt, now) },
    { key: 'sizeBytes', label: 'Size', numeric: true, render: (l) => bytes(l.sizeBytes) },
    { key: 'frame', label: 'Frame', render: (l) => l.frame ?? html`<span class="muted">not a frame</span>` },
  ];
  return html`
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Queue
        <select value=${filter.queue} onChange=${(e) => setFilter({ ...filter, queue: e.currentTarget.value })} data-testid="filter-queue">
          <option value="">all queues</option>
          ${queues.map((q) => html`<option value=${q.queue}>${q.queue}</option>`)}
        </select>
      </label>
      <label>Reason contains <input value=${filter.reason} placeholder="decode-error" onInput=${(e) => setFilter({ ...filter, reason: e.currentTarget.value })} /></label>
      <label>Dead-lettered
        <select value=${filter.sinceMs} onChange=${(e) => setFilter({ ...filter, sinceMs: e.currentTarget.value })}>
          ${SINCE_CHOICES.map(([v, label]) => html`<option value=${v}>${label}</option>`)}
        </select>
      </label>
      <span class="muted">${count(matched)} ${matched === 1 ? 'match' : 'matches'}</span>
    </form>
    ${canAct && html`<div class="actions" data-testid="dead-letter-actions">
      <button type="button" data-testid="replay-selected" disabled=${selected.size === 0} onClick=${replaySelected}>Replay selected (${selected.size})</button>
      <label>at <input type="number" min="1" max="10000" value=${rateValue} onInput=${(e) => setRateValue(e.currentTarget.value)} class="rate" /> /s</label>
      <button type="button" data-testid="replay-all" disabled=${matched === 0} onClick=${replayAll}>Replay all matching</button>
      <button type="button" class="danger" data-testid="purge" disabled=${matched === 0} onClick=${purgeAll}>Purge matching…</button>
    </div>`}
    <${SortableTable} testid="dead-letters" columns=${columns} rows=${letters} rowKey=${key} initialSort=${{ key: 'deadLetteredAt', dir: 1 }}
      rowProps=${(l) => ({ 'data-id': l.id })}
      empty=${html`<strong>No dead letters match.</strong> Messages land here when a consumer fails them more than maxDeliveries times or cannot decode them.`} />
    <${DeadLetterDetail} letter=${shown} onClose=${() => setShown(undefined)} />
  `;
}

function Console({ token, onSignOut }) {
  const [data, setData] = useState(undefined);
  const [letters, setLetters] = useState({ deadLetters: [], matched: 0 });
  const [error, setError] = useState(undefined);
  const [notice, setNotice] = useState(undefined);
  const [updatedAt, setUpdatedAt] = useState(undefined);
  const [now, setNow] = useState(Date.now());
  const [filter, setFilter] = useState({ queue: '', reason: '', sinceMs: '' });
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const refreshRef = useRef(() => undefined);

  const refresh = useCallback(async () => {
    try {
      const [overview, dl] = await Promise.all([call(token, 'GET', 'overview'), call(token, 'GET', `dead-letters?${filterQuery(filterRef.current, Date.now())}`)]);
      setData(overview);
      setLetters(dl);
      setError(undefined);
      setUpdatedAt(Date.now());
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onSignOut(e.message);
      else setError(e.message);
    }
    setNow(Date.now());
  }, [token]);
  refreshRef.current = refresh;

  useEffect(() => {
    let stopped = false;
    let timer;
    const loop = async () => {
      await refreshRef.current();
      if (!stopped) timer = setTimeout(loop, POLL_MS);
    };
    loop();
    return () => { stopped = true; clearTimeout(timer); };
  }, [token]);
  const firstFilter = useRef(true);
  useEffect(() => {
    // A new filter shows its result at once; the first one is the poll loop's.
    if (firstFilter.current) firstFilter.current = false;
    else refresh();
  }, [filter]);

  const act = async (what, run) => {
    try {
      const message = await run();
      setNotice(typeof message === 'string' ? message : `${what}: done`);
    } catch (e) {
      setNotice(undefined);
      setError(`${what} failed: ${e.message}`);
    }
    refresh();
  };
  act.call = (method, path, body) => call(token, method, path, body);
  act.report = (e) => setError(e.message);

  if (data === undefined) return html`<p class="boot">${error ?? 'Loading…'}</p>`;
  const canAct = data.me.role === 'operator';
  const healthy = data.instances.filter((i) => i.health === 'healthy').length;
  const dead = data.queues.reduce((n, q) => n + q.deadLetters, 0);
  return html`
    <header class="top">
      <h1>Switchyard console</h1>
      <span class="live" title="refreshed every second">● live · ${updatedAt ? `updated ${duration(now - updatedAt)} ago` : ''}</span>
      <span class="me" data-testid="me">${data.me.name} · ${data.me.role}${canAct ? '' : ' (read-only)'}</span>
      <button type="button" class="small" onClick=${() => onSignOut()}>Sign out</button>
    </header>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <section class="summary">
      <div><strong>${count(data.instances.length)}</strong> ${plural(data.instances.length, 'instance')}, <span class="health health-healthy">${healthy} healthy</span></div>
      <div><strong>${count(data.queues.length)}</strong> ${plural(data.queues.length, 'queue')}</div>
      <div><strong class=${dead > 0 ? 'warn' : ''}>${count(dead)}</strong> ${plural(dead, 'dead letter')}</div>
    </section>
    <section>
      <header class="section"><h2>Instances</h2>
        ${canAct && html`<button type="button" class="small" data-testid="resync" onClick=${() => act('RESYNC all', () => act.call('POST', 'resync', {}))}>RESYNC all</button>`}
      </header>
      <${Instances} rows=${data.instances} now=${now} canAct=${canAct} act=${act} />
    </section>
    <section><header class="section"><h2>Routes</h2></header><${Routes} rows=${data.routes} /></section>
    <section><header class="section"><h2>Queues</h2></header><${Queues} rows=${data.queues} /></section>
    <section>
      <header class="section"><h2>Dead letters</h2></header>
      <${Tasks} tasks=${data.tasks} canAct=${canAct} act=${act} />
      <${DeadLetters} queues=${data.queues} letters=${letters.deadLetters} matched=${letters.matched} filter=${filter} setFilter=${setFilter} now=${now} canAct=${canAct} act=${act} token=${token} />
    </section>
  `;
}

function App() {
  const [token, setToken] = useState(initialToken);
  const [error, setError] = useState(undefined);
  const signOut = (message) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken('');
    setError(message);
  };
  if (token === '') return html`<${TokenForm} error=${error} onToken=${(t) => { sessionStorage.setItem(TOKEN_KEY, t); setError(undefined); setToken(t); }} />`;
  return html`<${Console} token=${token} onSignOut=${signOut} />`;
}

render(html`<${App} />`, document.getElementById('app'));
