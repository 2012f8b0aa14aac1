// The inspector page: one card per machine with its generated diagram (diagrams/<machine>.svg),
// the active states highlighted, and a log of what arrives on /debug/inspect. No framework, no
// network beyond this server. The message format is described in src/actors/inspection.actor.ts.

const machinesEl = document.getElementById('machines');
const logEl = document.getElementById('log');
const connEl = document.getElementById('conn');
const MAX_LOG = 1500;

/** name -> {card, diagram, nodes: Map(title -> g), edges: Map(title -> g), initAnchor, actors: Map, selected, follow} */
const machines = new Map();
const shown = { transition: true, event: true, snapshot: false, actor: true };
let paused = false;

// ---- connection ---------------------------------------------------------------------------

function connect(delay) {
  const url = new URL('../inspect' + location.search, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  setConn('wait', 'connecting…');
  ws.onopen = () => setConn('live', 'live');
  ws.onmessage = (e) => {
    let m;
    try {
      m = JSON.parse(e.data);
    } catch {
      return;
    }
    handle(m);
  };
  ws.onclose = (e) => {
    const again = Math.min((delay || 500) * 2, 5000);
    setConn('down', `disconnected${e.code && e.code !== 1006 ? ` (${e.code})` : ''}, retrying`);
    setTimeout(() => connect(again), again);
  };
}

function setConn(kind, text) {
  connEl.className = `conn conn-${kind}`;
  connEl.textContent = text;
}

// ---- messages -----------------------------------------------------------------------------

function handle(m) {
  switch (m.type) {
    case 'hello':
      // A (re)connect: what we knew of the actors may be stale.
      for (const mc of machines.values()) mc.actors.clear();
      for (const name of m.machines) machine(name);
      for (const mc of machines.values()) render(mc);
      log('actor', m.at, 'inspector', `connected (protocol ${m.protocol})`);
      return;
    case 'actor': {
      const mc = machine(m.machine);
      if (m.status === 'active') {
        const known = mc.actors.has(m.actorId);
        mc.actors.set(m.actorId, { state: m.state, states: m.states, status: m.status });
        if (mc.follow || !mc.selected || !mc.actors.has(mc.selected)) mc.selected = m.actorId;
        if (!known) log('actor', m.at, m.actorId, `in ${m.state}`, m.context);
      } else {
        mc.actors.delete(m.actorId);
        if (mc.selected === m.actorId) mc.selected = [...mc.actors.keys()].pop() ?? null;
        log('actor', m.at, m.actorId, `${m.status} in ${m.state}`, m.context);
      }
      render(mc);
      return;
    }
    case 'transition': {
      const mc = machine(m.machine);
      mc.actors.set(m.actorId, { state: m.to, states: m.states, status: 'active' });
      if (mc.follow || !mc.selected) mc.selected = m.actorId;
      render(mc);
      if (mc.selected === m.actorId) fire(mc, m.fromStates, m.states);
      const actions = m.actions.length ? ` / ${m.actions.join(', ')}` : '';
      log('transition', m.at, m.actorId, `${m.from ?? '∅'} → ${m.to}`, undefined, `${m.event}${actions}`);
      return;
    }
    case 'snapshot': {
      const mc = machine(m.machine);
      const a = mc.actors.get(m.actorId);
      if (a) {
        a.state = m.state;
        a.states = m.states;
      } else mc.actors.set(m.actorId, { state: m.state, states: m.states, status: m.status });
      render(mc);
      log('snapshot', m.at, m.actorId, `${m.state} after ${m.event}`, m.context);
      return;
    }
    case 'event': {
      const { type, ...payload } = m.event;
      const from = m.source ? ` from ${m.source}` : '';
      log('event', m.at, m.actorId, `${type}${from}`, Object.keys(payload).length ? payload : undefined, undefined, true);
      return;
    }
    default:
      return;
  }
}

// ---- machines and diagrams ----------------------------------------------------------------

function machine(name) {
  let mc = machines.get(name);
  if (mc) return mc;
  const card = document.createElement('article');
  card.className = 'machine';
  card.dataset.machine = name;
  card.innerHTML = `
    <header>
      <h2></h2>
      <span class="current none">–</span>
      <span class="meta"></span>
      <span class="grow"></span>
      <select class="pick" hidden title="which actor of this machine to show"></select>
      <button type="button" class="zoom" aria-pressed="false" title="actual size (scroll to pan)">1:1</button>
    </header>
    <div class="diagram fit"><div class="missing">loading diagram…</div></div>`;
  card.querySelector('h2').textContent = name;
  machinesEl.appendChild(card);
  mc = {
    name,
    card,
    diagram: card.querySelector('.diagram'),
    nodes: new Map(),
    edges: new Map(),
    initAnchor: new Map(),
    actors: new Map(),
    selected: null,
    follow: true,
  };
  machines.set(name, mc);
  const zoom = card.querySelector('.zoom');
  zoom.onclick = () => {
    const fit = mc.diagram.classList.toggle('fit');
    zoom.setAttribute('aria-pressed', String(!fit));
  };
  const pick = card.querySelector('.pick');
  pick.onchange = () => {
    mc.selected = pick.value;
    mc.follow = false;
    render(mc);
  };
  void loadDiagram(mc);
  return mc;
}

async function loadDiagram(mc) {
  let text;
  try {
    const res = await fetch(`diagrams/${encodeURIComponent(mc.name)}.svg${location.search}`);
    if (!res.ok) throw new Error(String(res.status));
    text = await res.text();
  } catch (err) {
    mc.diagram.innerHTML = `<div class="missing">no diagram for ${mc.name} (${err.message})</div>`;
    return;
  }
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg') return;
  // Keep the viewBox and let CSS size it: "fit" scales it to the card, 1:1 is its own size.
  const natural = svg.getAttribute('width');
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  mc.diagram.replaceChildren(document.importNode(svg, true));
  const live = mc.diagram.querySelector('svg');
  if (natural) live.style.setProperty('--natural-width', natural);
  for (const g of live.querySelectorAll('g.node, g.cluster')) {
    const title = g.querySelector(':scope > title')?.textContent;
    if (title) mc.nodes.set(title, g);
  }
  for (const g of live.querySelectorAll('g.edge')) {
    const title = g.querySelector(':scope > title')?.textContent;
    if (!title) continue;
    if (!mc.edges.has(title)) mc.edges.set(title, []);
    mc.edges.get(title).push(g);
    // init_<compound> -> <its first leaf>: where edges to/from a compound state are drawn.
    const m = /^init_(.+)->(.+)$/.exec(title);
    if (m) mc.initAnchor.set(m[1], m[2]);
  }
  render(mc);
}

function render(mc) {
  const pick = mc.card.querySelector('.pick');
  const ids = [...mc.actors.keys()];
  pick.hidden = ids.length < 2;
  if (!pick.hidden) {
    pick.replaceChildren(...ids.map((id) => new Option(id, id, false, id === mc.selected)));
  }
  const actor = mc.selected ? mc.actors.get(mc.selected) : undefined;
  const current = mc.card.querySelector('.current');
  current.textContent = actor ? actor.state : 'no live actor';
  current.classList.toggle('none', !actor);
  mc.card.dataset.state = actor ? actor.state : '';
  mc.card.querySelector('.meta').textContent = actor
    ? `${mc.selected}${ids.length > 1 ? ` · ${ids.length} live actors` : ''}`
    : '';
  const active = new Set(actor ? actor.states : []);
  for (const [title, g] of mc.nodes) {
    const id = title.startsWith('cluster_') ? title.slice('cluster_'.length) : title;
    g.classList.toggle('active', active.has(id));
  }
}

/** Flashes the diagram's edge(s) for a transition between these sets of active states. */
function fire(mc, fromStates, toStates) {
  const ends = (states) => new Set((states ?? []).flatMap((s) => [s, mc.initAnchor.get(s)]).filter(Boolean));
  const from = ends(fromStates);
  const to = ends(toStates);
  for (const f of from) {
    for (const t of to) {
      for (const g of mc.edges.get(`${f}->${t}`) ?? []) {
        g.classList.add('fired');
        clearTimeout(g.firedTimer);
        g.firedTimer = setTimeout(() => g.classList.remove('fired'), 2500);
      }
    }
  }
}

// ---- the log ------------------------------------------------------------------------------

function clock(at) {
  const d = new Date(at);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A payload on one line: dotted paths of its plain values, state-like ones first. */
function summary(value) {
  const flat = [];
  const walk = (v, path, depth) => {
    if (v !== null && typeof v === 'object' && depth < 3) {
      for (const [k, sub] of Object.entries(v)) walk(sub, path ? `${path}.${k}` : k, depth + 1);
      return;
    }
    let text = typeof v === 'number' && !Number.isInteger(v) ? String(Math.round(v * 1000) / 1000) : typeof v === 'string' ? v : JSON.stringify(v);
    if (text.length > 60) text = text.slice(0, 60) + '…';
    flat.push([path, text]);
  };
  walk(value, '', 0);
  const first = ['state', 'status', 'reason', 'message', 'filename', 'progress'];
  const rank = (p) => {
    const i = first.indexOf(p.slice(p.lastIndexOf('.') + 1));
    return i < 0 ? first.length : i;
  };
  flat.sort((a, b) => rank(a[0]) - rank(b[0]));
  return flat.map(([p, t]) => `${p}=${t}`).join(' ');
}

function log(kind, at, who, what, detail, extra, inline = false) {
  const li = document.createElement('li');
  li.className = kind;
  if (!shown[kind]) li.classList.add('hidden');
  const t = document.createElement('span');
  t.className = 't';
  t.textContent = clock(at);
  const w = document.createElement('span');
  w.className = 'who';
  w.textContent = who;
  const body = document.createElement('span');
  body.className = 'what';
  body.textContent = what;
  if (extra) {
    const x = document.createElement('span');
    x.className = 'payload';
    x.textContent = `  ${extra}`;
    body.appendChild(x);
  }
  if (inline && detail !== undefined) {
    const x = document.createElement('span');
    x.className = 'payload';
    x.textContent = ` ${summary(detail)}`;
    body.appendChild(x);
  }
  li.append(t, w, body);
  if (detail !== undefined) {
    const d = document.createElement('span');
    d.className = 'detail';
    d.textContent = JSON.stringify(detail, null, 2);
    li.appendChild(d);
    li.dataset.detail = '1';
    li.title = 'click for details';
  }
  const stick = !paused && logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 40;
  logEl.appendChild(li);
  while (logEl.childElementCount > MAX_LOG) logEl.firstElementChild.remove();
  if (stick) logEl.scrollTop = logEl.scrollHeight;
}

logEl.addEventListener('click', (e) => {
  const li = e.target.closest('li[data-detail]');
  if (li) li.classList.toggle('open');
});

for (const box of document.querySelectorAll('.log-tools input[data-kind]')) {
  box.addEventListener('change', () => {
    shown[box.dataset.kind] = box.checked;
    for (const li of logEl.querySelectorAll(`li.${box.dataset.kind}`)) li.classList.toggle('hidden', !box.checked);
  });
}
document.getElementById('pause').addEventListener('click', (e) => {
  paused = !paused;
  e.target.textContent = paused ? 'follow' : 'pause';
  if (!paused) logEl.scrollTop = logEl.scrollHeight;
});
document.getElementById('clear').addEventListener('click', () => logEl.replaceChildren());

connect(500);
