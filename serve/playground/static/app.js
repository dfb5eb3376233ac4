// The playground page. Every word about a rule comes from the engine (labels, summaries,
// sources, missing fields, diagnostics); this file only fetches and lays them out.
import { compile, highlight } from '/playground/static/highlight.js';

const $ = (id) => document.getElementById(id);
const PASTE = '';
const state = { policy: null, shipped: '', rules: [], families: [], checkTimer: 0, checkSeq: 0 };

// --- Talking to the service -----------------------------------------------------------------

const KEY = 'earlyhelp.apiKey';

class NeedsKey extends Error {}

async function call(path, { method = 'GET', body, type } = {}) {
  const headers = {};
  const key = sessionStorage.getItem(KEY);
  if (key) headers.Authorization = `Bearer ${key}`;
  if (type) headers['Content-Type'] = type;
  const response = await fetch(path, { method, headers, body });
  if (response.status === 401) {
    askForKey(Boolean(key));
    throw new NeedsKey('an API key is needed');
  }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  return { ok: response.ok, status: response.status, json };
}

const post = (path, value) => call(path, { method: 'POST', body: JSON.stringify(value), type: 'application/json' });

function askForKey(wrong) {
  const form = $('key-form');
  form.hidden = false;
  if (wrong) sessionStorage.removeItem(KEY);
  form.querySelector('p').textContent = wrong
    ? 'That API key was not accepted. Enter another; it is kept in this browser tab only.'
    : 'This service needs an API key. It is kept in this browser tab only, until you close it.';
  $('key').focus();
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $('key').value.trim());
  $('key').value = '';
  $('key-form').hidden = true;
  start();
});

// A problem's own words, or the status.
function problemText(reply) {
  const j = reply.json;
  if (j && j.detail) return j.detail;
  return `The service answered ${reply.status}.`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function busy(button, status, text) {
  button.disabled = true;
  $(status).textContent = text;
  return () => { button.disabled = false; };
}

// --- The editor -----------------------------------------------------------------------------

const source = $('source');

function paint() {
  const text = source.value;
  // A trailing newline needs a line of its own in the copy, or the copy ends a line short.
  $('highlight').innerHTML = highlight(state.rules, text) + '\n';
  const lines = text.split('\n').length;
  const marks = state.marks || new Map();
  const gutter = [];
  for (let i = 1; i <= lines; i += 1) {
    const mark = marks.get(i);
    gutter.push(mark ? `<span class="${mark}">${i}</span>` : String(i));
  }
  $('gutter').innerHTML = gutter.join('\n') + '\n';
  scroll();
}

function scroll() {
  $('highlight').scrollTop = source.scrollTop;
  $('highlight').scrollLeft = source.scrollLeft;
  $('gutter').scrollTop = source.scrollTop;
}

source.addEventListener('scroll', scroll);
source.addEventListener('input', () => {
  paint();
  clearTimeout(state.checkTimer);
  state.checkTimer = setTimeout(check, 350);
});
source.addEventListener('keydown', (event) => {
  // Tab indents; Escape then Tab leaves the editor, so the keyboard is never trapped.
  if (event.key === 'Escape') { state.tabLeaves = true; return; }
  if (event.key === 'Tab' && !event.shiftKey && !state.tabLeaves) {
    event.preventDefault();
    source.setRangeText('    ', source.selectionStart, source.selectionEnd, 'end');
    source.dispatchEvent(new Event('input'));
  }
});
source.addEventListener('blur', () => { state.tabLeaves = false; });

function moveTo(line, column) {
  const lines = source.value.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i += 1) offset += lines[i].length + 1;
  offset += Math.max(0, (column || 1) - 1);
  source.focus();
  source.setSelectionRange(offset, offset);
  const lineHeight = parseFloat(getComputedStyle(source).lineHeight) || 21;
  source.scrollTop = Math.max(0, (line - 5) * lineHeight);
  scroll();
}

// --- Diagnostics, as the editor is typed in (POST /v1/check) ---------------------------------

async function check() {
  const seq = ++state.checkSeq;
  const query = state.policy ? `?policy=${encodeURIComponent(state.policy)}` : '';
  $('check-status').textContent = 'Checking…';
  let reply;
  try {
    reply = await call(`/v1/check${query}`, { method: 'POST', body: source.value, type: 'text/plain; charset=utf-8' });
  } catch (e) {
    if (!(e instanceof NeedsKey)) $('check-status').textContent = 'The policy could not be checked.';
    return;
  }
  if (seq !== state.checkSeq) return; // a later check is on its way
  if (!reply.ok) { $('check-status').textContent = problemText(reply); return; }
  showDiagnostics(reply.json || []);
}

function showDiagnostics(diagnostics) {
  const list = $('diagnostics');
  list.replaceChildren();
  state.marks = new Map();
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  $('check-status').textContent = diagnostics.length === 0
    ? 'No problems found.'
    : `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}. Choose one to go to its line.`;
  for (const d of diagnostics) {
    const own = !state.file || d.file === state.file || d.file === 'submitted.policy';
    if (own && !state.marks.has(d.line)) state.marks.set(d.line, d.severity === 'error' ? 'bad' : 'warn');
    const where = own ? `line ${d.line}, column ${d.column}` : `${d.file}:${d.line}`;
    const button = el('button', { type: 'button', onclick: () => own && moveTo(d.line, d.column) },
      `${where}: ${d.severity}: ${d.message}`,
      d.label ? el('span', { class: 'help' }, d.label) : null,
      d.help ? el('span', { class: 'help' }, `help: ${d.help}`) : null);
    list.append(el('li', { class: d.severity }, button));
  }
  paint();
}

// --- Picking a policy and a family ---------------------------------------------------------

async function pickPolicy(name) {
  state.policy = name || null;
  $('run-tests').disabled = !name;
  $('compare').disabled = !name;
  $('restore').disabled = !name;
  if (!name) {
    state.file = null;
    $('policy-meta').textContent = 'Pasted policies are checked on their own and cannot import files.';
    state.shipped = '';
    source.value = '';
    showDiagnostics([]);
    return;
  }
  const reply = await call(`/playground/api/policies/${encodeURIComponent(name)}`);
  if (!reply.ok) { $('policy-meta').textContent = problemText(reply); return; }
  const p = reply.json;
  state.file = p.file;
  state.shipped = p.source;
  source.value = p.source;
  $('policy-meta').textContent = `${p.title || p.name} · version ${p.version || 'none'} · ${p.file}`;
  source.scrollTop = 0;
  paint();
  check();
}

function pickFamily(index) {
  const family = state.families[index];
  $('family').value = family ? JSON.stringify(family.record, null, 2) : '';
}

$('policy-pick').addEventListener('change', (e) => pickPolicy(e.target.value));
$('family-pick').addEventListener('change', (e) => pickFamily(e.target.value));
$('restore').addEventListener('click', () => {
  source.value = state.shipped;
  paint();
  check();
});

// --- Evaluating: decisions, what would settle them, and the explanation ----------------------

const MET = { true: ['met', 'yes'], false: ['not met', 'no'], null: ['not known', 'unknown'] };

function shown(value) {
  if (value === null || value === undefined) return el('span', { class: 'value unknown' }, 'undetermined');
  if (value === true) return el('span', { class: 'value yes' }, 'yes');
  if (value === false) return el('span', { class: 'value no' }, 'no');
  if (Array.isArray(value)) return el('span', { class: 'value' }, value.length ? value.join(', ') : 'none');
  if (typeof value === 'object') {
    return el('span', { class: 'value' }, Object.entries(value).map(([k, v]) => `${k}: ${v === null ? 'undetermined' : v}`).join('; '));
  }
  return el('span', { class: 'value' }, String(value));
}

function fields(list) {
  return list.flatMap((f, i) => [i ? ', ' : '', el('code', {}, f)]);
}

function holds(h) {
  const [word, cls] = MET[String(h)] || MET.null;
  return el('span', { class: `badge ${cls}` }, word === 'met' ? 'holds' : word === 'not met' ? 'does not hold' : 'not known');
}

// The conditions a decision or need rested on, as the engine traced them.
function reasons(list) {
  if (!list || list.length === 0) return null;
  return el('div', { class: 'inner' }, list.map((r) => {
    const line = [holds(r.holds), ' ', el('code', {}, r.text), r.values ? el('span', { class: 'source' }, ` (${r.values})`) : null];
    if (r.because && r.because.length) {
      return el('details', { class: 'tree trace' }, el('summary', {}, line), reasons(r.because));
    }
    return el('div', { class: 'trace' }, line);
  }));
}

function needNode(n) {
  const [word, cls] = MET[String(n.met)] || MET.null;
  const about = n.about && n.about.length ? ` — about ${n.about.join(', ')}` : '';
  return el('details', { class: 'tree' },
    el('summary', {}, el('span', { class: `badge ${cls}` }, word), ' ', n.label || n.need, about,
      n.level ? el('span', { class: 'source' }, ` (level: ${n.level})`) : null),
    el('div', { class: 'inner' },
      n.source ? el('div', { class: 'source' }, `Source: ${n.source}`) : null,
      n.missing && n.missing.length ? el('div', {}, 'Would be settled by recording ', fields(n.missing), '.') : null,
      el('details', { class: 'tree' }, el('summary', {}, 'Conditions checked'), reasons(n.because))));
}

function explanationTree(explanation) {
  const wrap = el('div', { class: 'explanation' });
  for (const d of explanation.decisions || []) {
    wrap.append(el('details', { class: 'tree' },
      el('summary', {}, d.summary),
      el('div', { class: 'inner' },
        d.missing && d.missing.length ? el('div', {}, 'Would be settled by recording ', fields(d.missing), '.') : null,
        d.because && d.because.length
          ? el('details', { class: 'tree' }, el('summary', {}, 'Conditions checked'), reasons(d.because))
          : null)));
  }
  const groups = explanation.groups || [];
  if (groups.length) {
    wrap.append(el('details', { class: 'tree' },
      el('summary', {}, 'Needs considered'),
      el('div', { class: 'inner' }, groups.map((g) => {
        const [word, cls] = MET[String(g.met)] || MET.null;
        return el('details', { class: 'tree' },
          el('summary', {}, el('span', { class: `badge ${cls}` }, word), ' ', g.label || g.group),
          el('div', { class: 'inner' },
            g.source ? el('div', { class: 'source' }, `Source: ${g.source}`) : null,
            (g.needs || []).map(needNode)));
      }))));
  }
  return wrap;
}

function showRow(row, labels) {
  const box = el('div', { class: 'family' });
  if (row.error) {
    box.append(el('p', { class: 'row-error' }, `${row.id ? `Family ${row.id}` : `Record ${row.line}`}: ${row.error}`));
    return box;
  }
  const stamp = row.policy ? ` · ${row.policy.name} ${row.policy.version || ''}` : '';
  box.append(el('p', { class: 'family-head' }, `Family ${row.id || ''} · assessed as at ${row.as_at}${stamp}`));
  const summaries = new Map((row.explanation?.decisions || []).map((d) => [d.decision, d]));
  const table = el('table', {},
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Decision'), el('th', { scope: 'col' }, 'Outcome'),
      el('th', { scope: 'col' }, 'Would be settled by recording'))));
  const body = el('tbody');
  for (const [name, value] of Object.entries(row.outputs)) {
    const d = summaries.get(name);
    const missing = d ? d.missing : [];
    body.append(el('tr', {},
      el('th', { scope: 'row' }, d && d.label ? d.label : name),
      el('td', {}, shown(value)),
      el('td', {}, value === null && missing.length ? fields(missing) : '—')));
  }
  table.append(body);
  box.append(table);
  if (row.explanation) {
    box.append(el('h3', {}, 'Explanation'), explanationTree(row.explanation));
  }
  return box;
}

$('evaluate').addEventListener('click', async () => {
  const done = busy($('evaluate'), 'evaluate-status', 'Evaluating…');
  try {
    const reply = await post('/playground/api/evaluate', { policy: state.policy, text: source.value, records: $('family').value });
    if (!reply.ok) {
      $('evaluate-status').textContent = reply.status === 422
        ? 'The policy has errors: put them right (see under the editor) and evaluate again.'
        : problemText(reply);
      if (reply.json && reply.json.diagnostics) showDiagnostics(reply.json.diagnostics);
      $('results').replaceChildren();
      return;
    }
    const rows = reply.json.rows;
    $('evaluate-status').textContent = `${rows.length} famil${rows.length === 1 ? 'y' : 'ies'} evaluated.`;
    $('results').replaceChildren(...rows.map((r) => showRow(r)));
  } catch (e) {
    if (!(e instanceof NeedsKey)) $('evaluate-status').textContent = 'The family could not be evaluated.';
  } finally { done(); }
});

// --- Tests ----------------------------------------------------------------------------------

$('run-tests').addEventListener('click', async () => {
  const done = busy($('run-tests'), 'tests-status', 'Running the tests…');
  try {
    const reply = await post('/playground/api/test', { policy: state.policy, text: source.value });
    if (!reply.ok) {
      $('tests-status').textContent = reply.status === 422 ? 'The policy has errors, so its tests cannot run.' : problemText(reply);
      if (reply.json && reply.json.diagnostics) showDiagnostics(reply.json.diagnostics);
      $('tests').replaceChildren();
      return;
    }
    const r = reply.json;
    $('tests-status').textContent = `${r.passed} passed, ${r.failed} failed.`;
    const failing = r.results.filter((t) => !t.passed);
    const list = el('ul', { class: 'tests' }, failing.map((t) => el('li', { class: 'fail' },
      `✗ ${t.name} (${t.location})`, t.failures.map((f) => el('pre', {}, f)))));
    const passing = r.results.filter((t) => t.passed);
    $('tests').replaceChildren(list, passing.length
      ? el('details', { class: 'tree' }, el('summary', {}, `${passing.length} passing test${passing.length === 1 ? '' : 's'}`),
        el('ul', { class: 'tests' }, passing.map((t) => el('li', { class: 'pass' }, `✓ ${t.name}`))))
      : '');
  } catch (e) {
    if (!(e instanceof NeedsKey)) $('tests-status').textContent = 'The tests could not be run.';
  } finally { done(); }
});

// --- Comparison with the shipped policy (the engine's Impact, as `earlyhelp diff`) -----------

function plain(value) {
  if (value === null) return 'undetermined';
  if (value === true) return 'yes';
  if (value === false) return 'no';
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

$('compare').addEventListener('click', async () => {
  const done = busy($('compare'), 'compare-status', 'Comparing…');
  try {
    const reply = await post('/playground/api/compare', { policy: state.policy, text: source.value });
    if (!reply.ok) {
      $('compare-status').textContent = reply.status === 422 ? 'The policy has errors, so it cannot be compared.' : problemText(reply);
      if (reply.json && reply.json.diagnostics) showDiagnostics(reply.json.diagnostics);
      $('comparison').replaceChildren();
      return;
    }
    const impact = reply.json;
    const changed = impact.decisions.reduce((n, d) => n + d.changed, 0);
    $('compare-status').textContent = `${impact.records} example families compared` +
      (impact.errors ? `, ${impact.errors} could not be evaluated` : '') +
      (changed ? '.' : ': no decision changes.');
    const table = el('table', {}, el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, 'Decision'), el('th', { scope: 'col' }, 'Shipped'), el('th', { scope: 'col' }, 'Edited'),
      el('th', { scope: 'col', class: 'num' }, 'Families'), el('th', { scope: 'col' }, 'Needs that changed'),
      el('th', { scope: 'col' }, 'For example'))));
    const body = el('tbody');
    for (const d of impact.decisions) {
      const moves = d.transitions.filter((t) => JSON.stringify(t.from) !== JSON.stringify(t.to));
      if (moves.length === 0) {
        body.append(el('tr', {}, el('th', { scope: 'row' }, d.decision), el('td', { colspan: 5, class: 'source' }, 'no change')));
        continue;
      }
      moves.forEach((t, i) => body.append(el('tr', {},
        i === 0 ? el('th', { scope: 'row', rowspan: moves.length }, `${d.decision} (${d.changed} changed)`) : null,
        el('td', {}, plain(t.from)), el('td', {}, plain(t.to)), el('td', { class: 'num' }, t.count),
        el('td', {}, t.drivers.map((x) => `${x.need} (${x.records})`).join(', ') || '—'),
        el('td', {}, t.examples.join(', ')))));
    }
    table.append(body);
    $('comparison').replaceChildren(table);
  } catch (e) {
    if (!(e instanceof NeedsKey)) $('compare-status').textContent = 'The comparison could not be run.';
  } finally { done(); }
});

// --- Start ----------------------------------------------------------------------------------

async function start() {
  try {
    const [grammar, policies, examples] = await Promise.all([
      call('/playground/static/grammar.json'), call('/v1/policies'), call('/playground/api/examples')]);
    state.rules = grammar.ok ? compile(grammar.json) : [];
    const pick = $('policy-pick');
    pick.replaceChildren(...(policies.json?.policies || []).map((p) => el('option', { value: p.name }, p.title || p.name)),
      el('option', { value: PASTE }, 'Paste your own policy'));
    state.families = examples.json?.families || [];
    $('family-pick').replaceChildren(...state.families.map((f, i) => el('option', { value: i }, f.file)));
    pickFamily(0);
    await pickPolicy(pick.value);
    document.body.dataset.ready = 'true';
  } catch (e) {
    if (!(e instanceof NeedsKey)) $('policy-meta').textContent = 'The service could not be reached.';
  }
}

start();
