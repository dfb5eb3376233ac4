#!/usr/bin/env bash
# Packages the extension as a .vsix (earlyhelp-policy-VERSION.vsix here) with the pinned vsce.
# Install it with: code --install-extension earlyhelp-policy-*.vsix
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
npx --no-install vsce package --allow-missing-repository --skip-license "$@"
