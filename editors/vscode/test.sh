#!/usr/bin/env bash
# Tests the TextMate grammar: scope assertions in tests/*.policy, and every shipped policy
# tokenised with no character left unscoped or marked invalid. Installs its pinned tools first.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
npx --no-install vscode-tmgrammar-test -g syntaxes/policy.tmLanguage.json 'tests/*.policy'
node tests/shipped.js
