// Tokenises every shipped policy with the TextMate grammar and fails where a character that is not
// white space gets no scope of its own (the grammar does not know it) or an `invalid` scope.
"use strict";
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.resolve(__dirname, "..", "..", "..");
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));

function policyFiles(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) policyFiles(p, out);
    else if (entry.name.endsWith(".policy")) out.push(p);
  }
  return out;
}

async function main() {
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope !== "source.policy") return null;
      const file = path.join(__dirname, "..", "syntaxes", "policy.tmLanguage.json");
      return vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  const grammar = await registry.loadGrammar("source.policy");
  const files = policyFiles(path.join(root, "policies"), []).sort();
  let problems = 0;
  let tokens = 0;
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    let state = vsctm.INITIAL;
    lines.forEach((line, i) => {
      const r = grammar.tokenizeLine(line, state);
      for (const t of r.tokens) {
        const text = line.slice(t.startIndex, t.endIndex);
        tokens++;
        const unscoped = t.scopes.length === 1 && text.trim() !== "";
        const invalid = t.scopes.some((s) => s.startsWith("invalid"));
        if (unscoped || invalid) {
          problems++;
          const where = `${path.relative(root, file)}:${i + 1}:${t.startIndex + 1}`;
          console.error(`${where}: ${JSON.stringify(text)} has scopes ${t.scopes.join(" ")}`);
        }
      }
      state = r.ruleStack;
    });
  }
  if (files.length === 0) {
    console.error("no shipped policies found");
    process.exit(1);
  }
  console.log(`tokenised ${files.length} shipped policies (${tokens} tokens): ${problems} problems`);
  process.exit(problems === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
