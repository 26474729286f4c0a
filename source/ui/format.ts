import type {ConnectionState, WatchedResource} from '../kube/types.js';

/** How long ago `then` was, as the status line says it: `just now`, `4s ago`, `3m ago`, `2h ago`, `5d ago`. */
export function formatAgo(then: number, now: number): string {
	const seconds = Math.max(0, Math.floor((now - then) / 1000));
	if (seconds < 1) {
		return 'just now';
	}

	if (seconds < 120) {
		return `${seconds}s ago`;
	}

	const minutes = Math.floor(seconds / 60);
	if (minutes < 120) {
		return `${minutes}m ago`;
	}

	const hours = Math.floor(minutes / 60);
	return hours < 48 ? `${hours}h ago` : `${Math.floor(hours / 24)}d ago`;
}

const resourceLabels: Readonly<Record<WatchedResource, string>> = {
	services: 'services',
	endpointslices: 'endpointslices',
	nodes: 'nodes',
};

/** `10:42:03`, this machine's local time. */
function clockTime(epochMs: number): string {
	return new Date(epochMs).toTimeString().slice(0, 8);
}

function retryIn(retryAt: number, now: number): string {
	const seconds = Math.ceil((retryAt - now) / 1000);
	return seconds > 0 ? `retrying in ${seconds}s` : 'retrying now';
}

/**
 * One informer on the status line: `services synced`, `endpointslices retrying in 4s (the API server
 * ... answered 500)`, `services stale since 10:42:03, retrying in 8s (watch expired ...)`,
 * `nodes forbidden, retrying in 30s: nodes is forbidden: ...`, `services forbidden, stale since 10:42:03, retrying in 8s: ...`. Never `synced` unless the informer said so.
 */
export function formatConnection(resource: WatchedResource, state: ConnectionState, now: number): string {
	const label = resourceLabels[resource];
	switch (state.phase) {
		case 'synced':
		case 'connecting': {
			return `${label} ${state.phase}`;
		}

		case 'forbidden': {
			// Permissions can be granted while svctop runs, so a 403 is asked again, slowly.
			// Refused after a sync: the rows still shown are that old, as for retrying.
			const stale = state.staleSince === undefined ? '' : `, stale since ${clockTime(state.staleSince)}`;
			const retry = state.retryAt === undefined ? '' : `, ${retryIn(state.retryAt, now)}`;
			return `${label} forbidden${stale}${retry}${state.message ? `: ${state.message}` : ''}`;
		}

		case 'retrying': {
			const retry = retryIn(state.retryAt ?? now, now);
			const stale = state.staleSince === undefined ? '' : `stale since ${clockTime(state.staleSince)}, `;
			return `${label} ${stale}${retry}${state.message ? ` (${state.message})` : ''}`;
		}
	}
}

/**
 * `text` broken at spaces into lines of at most `width` columns, each continuation line starting
 * with `indent`; the text's own leading run (indentation, a tree's guides) stays on the first. A
 * word longer than the width is left whole, for the screen to cut.
 */
export function wrapWords(text: string, width: number, indent: string): string[] {
	if (text.length <= width) {
		return [text];
	}

	const lead = /^[\s│├└─!]*/.exec(text)![0];
	const lines: string[] = [];
	let current = lead;
	for (const word of text.slice(lead.length).split(' ')) {
		if (current.length > lead.length && current !== indent && current.length + 1 + word.length > width) {
			lines.push(current);
			current = indent + word;
		} else {
			current += current === lead || current === indent ? word : ` ${word}`;
		}
	}

	lines.push(current);
	return lines;
}

/**
 * A footer of key hints that fits `width`: after `position` (`[1-20/190]`, when the body scrolls), the
 * hints in `giveWay` are dropped, in that order, until the line fits. A hint is never cut in half.
 */
export function fitHints(hints: readonly string[], width: number, giveWay: readonly string[], position = ''): string {
	const kept = [...hints];
	const line = () => [position, ...kept].filter(Boolean).join('  ');
	for (const hint of giveWay) {
		if (line().length <= width) {
			break;
		}

		kept.splice(kept.indexOf(hint), 1);
	}

	return line();
}

/** At most `count` lines; when some are left out, the last one kept ends in `…` (never cut silently). */
export function capLines(lines: readonly string[], count: number): string[] {
	return lines.length <= count ? [...lines] : [...lines.slice(0, count - 1), `${lines[count - 1]!.slice(0, -1)}…`];
}
