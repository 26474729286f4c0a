/** A target as typed on the command line, before any cluster lookup. */
export type TargetSpec =
	| {readonly kind: 'service'; readonly namespace: string; readonly name: string; readonly port?: string}
	| {
		readonly kind: 'address';
		readonly host: string;
		readonly port: number;
		readonly scheme?: 'http' | 'https';
		readonly path?: string;
		/** The text as given, used as the series label for URLs. */
		readonly label: string;
	};

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const serviceName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function parsePort(text: string): number | undefined {
	if (!/^\d{1,5}$/.test(text)) {
		return undefined;
	}

	const port = Number(text);
	return port >= 1 && port <= 65_535 ? port : undefined;
}

function formatHost(host: string): string {
	return host.includes(':') ? `[${host}]` : host;
}

/**
 * `ns/name[:port]` (a Service, port by name or number), `host:port`, `[v6]:port`, or an
 * http(s) URL. A bare host without a port is rejected: the port is never guessed.
 */
export function parseTarget(text: string): TargetSpec | {error: string} {
	const trimmed = text.trim();
	if (/^https?:\/\//i.test(trimmed)) {
		let url: URL;
		try {
			url = new URL(trimmed);
		} catch {
			return {error: `invalid URL "${text}"`};
		}

		const scheme = url.protocol === 'https:' ? 'https' : 'http';
		const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
		const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
		return {kind: 'address', host, port, scheme, path: `${url.pathname}${url.search}`, label: trimmed};
	}

	const slash = trimmed.indexOf('/');
	if (slash > 0) {
		const namespace = trimmed.slice(0, slash);
		const rest = trimmed.slice(slash + 1);
		const colon = rest.indexOf(':');
		const name = colon === -1 ? rest : rest.slice(0, colon);
		const port = colon === -1 ? undefined : rest.slice(colon + 1);
		if (!dnsLabel.test(namespace) || !serviceName.test(name) || port === '') {
			return {error: `invalid target "${text}" (expected ns/name[:port], host:port or a URL)`};
		}

		return port === undefined ? {kind: 'service', namespace, name} : {kind: 'service', namespace, name, port};
	}

	const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(trimmed);
	if (v6) {
		const port = parsePort(v6[2]!);
		return port === undefined
			? {error: `invalid port in "${text}"`}
			: {kind: 'address', host: v6[1]!, port, label: `${formatHost(v6[1]!)}:${port}`};
	}

	const colon = trimmed.lastIndexOf(':');
	if (colon > 0 && trimmed.indexOf(':') === colon) {
		const host = trimmed.slice(0, colon);
		const port = parsePort(trimmed.slice(colon + 1));
		if (port === undefined) {
			return {error: `invalid port in "${text}"`};
		}

		if (!/^[A-Za-z0-9.-]+$/.test(host)) {
			return {error: `invalid host in "${text}"`};
		}

		return {kind: 'address', host, port, label: `${host}:${port}`};
	}

	return {error: `invalid target "${text}" (expected ns/name[:port], host:port or a URL)`};
}

export {formatHost};
