#!/usr/bin/env bash
# Re-make the README's screenshots from a real run of `svctop --demo` in tmux:
# tmux capture-pane (with colours) -> aha (ANSI to HTML) -> headless Chromium -> PNG.
# Needs: tmux, aha, chromium (Debian packages); run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
cols=${COLS:-120}
rows=${ROWS:-32}
session="svctop-media-$$"
out=media
tmp=$(mktemp -d)
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$tmp"' EXIT

shot() { # name, then the keys to send before the capture
	local name=$1
	shift
	for key in "$@"; do
		tmux send-keys -t "$session" "$key"
		sleep 0.4
	done
	sleep 1.5
	tmux capture-pane -e -p -t "$session" > "$tmp/$name.ansi"
	aha --black --no-header < "$tmp/$name.ansi" > "$tmp/$name.body"
	{
		echo '<html><head><meta charset="utf-8"><style>body{margin:0;background:#000}pre{margin:0;padding:12px;font:15px/1.25 "DejaVu Sans Mono",monospace;color:#ddd}</style></head><body><pre>'
		cat "$tmp/$name.body"
		echo '</pre></body></html>'
	} > "$tmp/$name.html"
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$tmp/profile" --hide-scrollbars \
		--window-size=$((cols * 9 + 24)),$((rows * 19 + 24)) --screenshot="$PWD/$out/$name.png" "file://$tmp/$name.html" >/dev/null 2>&1
	echo "wrote $out/$name.png"
}

tmux new-session -d -s "$session" -x "$cols" -y "$rows" "node bin/svctop.js --demo -A"
sleep 3
shot dashboard
shot detail / svc-nodeport Enter Enter
shot nat t
shot probe Escape p
sleep 4
shot probe
