#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3) into a git-ignored cache folder, following
# /work/shared/recipes/real-vscode-e2e.md: its postinstall downloads ripgrep from GitHub and needs Kerberos
# headers, so we install without scripts, use Debian's rg, and build the native modules ourselves.
# Idempotent: a finished install leaves a stamp file and is not redone. Needs: rg, libkrb5-dev, build tools.
set -euo pipefail
VERSION=4.100.3
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
D="${FLOWLINE_CODE_SERVER_DIR:-$ROOT/.cache/code-server}"
STAMP="$D/.installed-$VERSION"
if [ -f "$STAMP" ]; then echo "code-server $VERSION already installed in $D"; exit 0; fi

command -v rg >/dev/null || { echo "ripgrep (rg) is missing: apt-get install -y ripgrep" >&2; exit 1; }
command -v krb5-config >/dev/null || { echo "The Kerberos headers are missing (code-server's kerberos module builds against them): apt-get install -y libkrb5-dev" >&2; exit 1; }
# A half-finished earlier attempt is started over rather than trusted.
rm -rf "$D" && mkdir -p "$D" && cd "$D"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund "code-server@$VERSION"
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm_config_yes=true npm rebuild
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --no-audit --no-fund)
cd "$D" && npm_config_yes=true npm rebuild argon2
touch "$STAMP"
echo "code-server $VERSION installed in $D"
