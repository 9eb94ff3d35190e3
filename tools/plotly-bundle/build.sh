#!/usr/bin/env bash
# Build static/vendor/plotly/plotly-tend.min.js: plotly.js with only the trace types Tend draws.
# The official partial bundles have no barpolar, so this registers bar, barpolar and scatter itself.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/../../static/vendor/plotly/plotly-tend.min.js"
cd "$here"

npm ci --no-audit --no-fund

version="$(node -p "require('plotly.js/package.json').version")"
mkdir -p "$(dirname "$out")"

# global=window: plotly.js reads `global` (as its own build does); .css=empty: registry.js
# requires maplibre's stylesheet for map traces, which this bundle never registers.
npx --no-install esbuild index.js \
  --bundle \
  --minify \
  --format=iife \
  --global-name=Plotly \
  --target=es2018 \
  --define:global=window \
  --define:define.amd=false \
  --loader:.css=empty \
  --legal-comments=eof \
  --banner:js="/*! plotly.js $version partial bundle (bar, barpolar, scatter) for Tend; built by tools/plotly-bundle/build.sh */" \
  --outfile="$out"

node plotcss.js "$(dirname "$out")/plotly.css"

echo "raw bytes:  $(wc -c < "$out")"
echo "gzip -9:    $(gzip -9c "$out" | wc -c)"
