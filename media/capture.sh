#!/usr/bin/env bash
# Re-make the screenshots from a real run of `svctop --demo` in tmux, at 80x24 and at a wide size:
# tmux capture-pane (with colours) -> media/NAME.txt (plain text) and aha (ANSI to HTML) ->
# headless Chromium -> media/NAME.png.
# Needs: tmux, aha, chromium (Debian packages); run after `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=media
tmp=$(mktemp -d)
socket="svctop-media-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT

# The project's Node 24 when the machine's node is older (the README's `npm run demo` does the same).
export PATH="$PWD/node_modules/.bin:$PATH"

shot() { # name, then the keys to send before the capture
	local name=$1
	shift
	for key in "$@"; do
		tmux -L "$socket" send-keys -t svctop "$key"
		sleep 0.4
	done
	sleep 1.5
	tmux -L "$socket" capture-pane -p -t svctop > "$out/$name.txt"
	tmux -L "$socket" capture-pane -e -p -t svctop > "$tmp/$name.ansi"
	aha --black --no-header < "$tmp/$name.ansi" > "$tmp/$name.body"
	{
		echo '<html><head><meta charset="utf-8"><style>body{margin:0;background:#000}pre{margin:0;padding:12px;font:15px/19px "DejaVu Sans Mono",monospace;color:#ddd}</style></head><body><pre>'
		cat "$tmp/$name.body"
		echo '</pre></body></html>'
	} > "$tmp/$name.html"
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$tmp/profile" --hide-scrollbars \
		--window-size=$((cols * 9 + 24)),$((rows * 19 + 24)) --screenshot="$PWD/$out/$name.png" "file://$tmp/$name.html" >/dev/null 2>&1
	echo "wrote $out/$name.png and $out/$name.txt"
}

run() { # columns, rows, name suffix, svctop arguments...
	cols=$1
	rows=$2
	local suffix=$3
	shift 3
	tmux -L "$socket" kill-server 2>/dev/null || true
	tmux -L "$socket" new-session -d -s svctop -x "$cols" -y "$rows" "node bin/svctop.js --demo $*"
	sleep 4
	shot "dashboard$suffix"
	shot "detail$suffix" / svc-nodeport Enter Enter
	shot "nat$suffix" t
	shot "probe$suffix" Escape p
	sleep 4
	shot "probe$suffix"
	shot "help$suffix" '?'
}

run 80 24 ''
run 200 50 '-wide' -A
