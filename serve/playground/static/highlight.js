// Highlights policy text with the VS Code extension's TextMate grammar (served by the binary
// at /playground/static/grammar.json), so the page and the editor share one list of keywords
// and one set of token classes. It interprets what that grammar uses: `match` rules (with `name` or
// `captures`), `include`, and `begin`/`end` rules that close on their line (strings).

export function compile(grammar) {
  const repository = grammar.repository || {};
  const seen = new Set();
  function list(patterns) {
    return (patterns || []).flatMap(rule);
  }
  function rule(r) {
    if (r.include) {
      const name = r.include.replace(/^#/, '');
      // A repository entry included twice (by itself, say) is compiled once per path only.
      if (seen.has(name)) return [];
      seen.add(name);
      const entry = repository[name];
      const out = entry ? (entry.match || entry.begin ? rule(entry) : list(entry.patterns)) : [];
      seen.delete(name);
      return out;
    }
    try {
      if (r.match) {
        return [{ re: new RegExp(r.match, 'gd'), name: r.name, captures: r.captures }];
      }
      if (r.begin) {
        return [{
          re: new RegExp(r.begin, 'gd'), name: r.name, captures: r.beginCaptures || r.captures,
          end: new RegExp(r.end, 'gd'), endCaptures: r.endCaptures || r.captures,
          inner: list(r.patterns),
        }];
      }
    } catch (e) {
      // A pattern JavaScript cannot read (Oniguruma-only syntax) leaves its text plain.
      return [];
    }
    return list(r.patterns);
  }
  return list(grammar.patterns);
}

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
function escape(text) {
  return text.replace(/[&<>"]/g, (c) => escapes[c]);
}

function span(scope, text) {
  if (!text) return '';
  if (!scope) return escape(text);
  return `<span class="tok-${scope.split('.')[0]}">${escape(text)}</span>`;
}

// A match as HTML: its captures with their scopes, the rest with the rule's own.
function render(match, name, captures) {
  if (!captures) return span(name, match[0]);
  const start = match.index;
  let at = start;
  let html = '';
  const groups = Object.keys(captures).map(Number).filter((g) => g > 0 && match.indices[g])
    .map((g) => [match.indices[g][0], match.indices[g][1], captures[g].name])
    .sort((a, b) => a[0] - b[0]);
  if (captures[0] && groups.length === 0) {
    const scope = captures[0].name;
    return span(name && scope.startsWith('punctuation.definition') ? name : scope, match[0]);
  }
  for (const [from, to, scope] of groups) {
    if (from < at) continue; // nested captures: the outer one wins
    // A string's quotes are coloured as the string they open and close.
    const own = name && scope && scope.startsWith('punctuation.definition') ? name : scope;
    html += span(name, match.input.slice(at, from)) + span(own, match.input.slice(from, to));
    at = to;
  }
  return html + span(name, match.input.slice(at, start + match[0].length));
}

// The earliest match of any rule at or after `from` (the first rule wins a tie).
function earliest(rules, line, from) {
  let best = null;
  for (const r of rules) {
    r.re.lastIndex = from;
    const m = r.re.exec(line);
    if (m && (!best || m.index < best.m.index)) best = { r, m };
  }
  return best;
}

function highlightLine(rules, line) {
  let html = '';
  let at = 0;
  while (at <= line.length) {
    const found = earliest(rules, line, at);
    if (!found) break;
    const { r, m } = found;
    html += escape(line.slice(at, m.index));
    if (m[0].length === 0 && !r.end) {
      html += escape(line.charAt(m.index));
      at = m.index + 1;
      continue;
    }
    html += render(m, r.name, r.captures);
    at = m.index + m[0].length;
    if (r.end) {
      // Inside a begin/end rule until its end, or the line's end.
      let inner = '';
      for (;;) {
        r.end.lastIndex = at;
        const end = r.end.exec(line);
        const stop = end ? end.index : line.length;
        const nested = earliest(r.inner, line, at);
        if (nested && nested.m.index < stop && nested.m[0].length > 0) {
          inner += span(r.name, line.slice(at, nested.m.index)) +
            render(nested.m, nested.r.name || r.name, nested.r.captures);
          at = nested.m.index + nested.m[0].length;
          continue;
        }
        inner += span(r.name, line.slice(at, stop));
        if (end) inner += render(end, r.name, r.endCaptures);
        at = end ? stop + end[0].length : line.length;
        break;
      }
      html += inner;
      if (at >= line.length) break;
    }
  }
  return html + escape(line.slice(at));
}

export function highlight(rules, text) {
  return text.split('\n').map((line) => highlightLine(rules, line)).join('\n');
}
