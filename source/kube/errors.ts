/** What went wrong talking to a cluster, so callers can branch without parsing messages. */
export type KubeErrorKind =
	| 'no-kubeconfig'
	| 'invalid-kubeconfig'
	| 'unknown-context'
	| 'unreachable'
	| 'timeout'
	| 'unauthorized'
	| 'forbidden'
	| 'not-found'
	| 'expired'
	/** The server answered, but not with JSON (a proxy's HTML page, a cut body). */
	| 'garbage'
	/** The kubeconfig's exec credential plugin failed or did not exit in time. */
	| 'auth-plugin'
	/** TLS failed: the server's certificate is not trusted by the configured CA, or has expired. */
	| 'tls'
	| 'api';

/** An error whose message is already the one line to show the user. */
export class KubeError extends Error {
	override readonly name = 'KubeError';

	constructor(
		readonly kind: KubeErrorKind,
		message: string,
		/** The HTTP status when the API answered. */
		readonly statusCode?: number,
		/** The Status reason when the API answered with one (e.g. `Forbidden`, `Expired`). */
		readonly reason?: string,
		/** How long the server asked us to wait (Retry-After, or the Status' retryAfterSeconds). */
		readonly retryAfterSeconds?: number,
	) {
		super(message);
	}
}

/**
 * Whether trying again later may work: the server is down, overloaded or answered garbage, not
 * refused us. Forbidden, unauthorized, a missing namespace or a broken kubeconfig stay as they are.
 */
export function isTransient(error: unknown): boolean {
	if (!(error instanceof KubeError)) {
		return true;
	}

	switch (error.kind) {
		case 'unreachable':
		case 'timeout':
		case 'garbage':
		case 'expired': {
			return true;
		}

		case 'api': {
			return error.statusCode === undefined || error.statusCode >= 500 || error.statusCode === 429;
		}

		default: {
			return false;
		}
	}
}

type Status = {kind?: string; message?: string; reason?: string; code?: number; details?: {retryAfterSeconds?: number}};

/** What was asked when an error came back, so the message can say it (a 403 names verb and resource). */
export type RequestDescription = {
	readonly verb: string;
	/** e.g. `endpointslices.discovery.k8s.io` */
	readonly resource: string;
	/** The kubeconfig user the request ran as. */
	readonly user?: string;
	/** The Retry-After header, in seconds. */
	readonly retryAfterSeconds?: number;
};

function oneLine(text: string): string {
	return text.replaceAll(/\s*\n\s*/g, ' ').trim();
}

/** A TLS handshake the server did not take part in: it speaks plain HTTP, and will on a retry too. */
const tlsHandshakeCodes: ReadonlySet<string> = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER']);

const networkCodes: Record<string, string> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection reset',
	ENOTFOUND: 'host not found',
	EAI_AGAIN: 'DNS lookup failed',
	ETIMEDOUT: 'connection timed out',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
	EPIPE: 'connection closed',
	UND_ERR_SOCKET: 'connection closed by the server',
	UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
	UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
	UND_ERR_BODY_TIMEOUT: 'response body stalled',
	...Object.fromEntries([...tlsHandshakeCodes].map(code => [code, 'TLS handshake failed (is the server plain HTTP?)'])),
};

/** Certificate verification failures: the CA is the cause, not the network. */
const tlsCodes: Record<string, string> = {
	DEPTH_ZERO_SELF_SIGNED_CERT: 'is self-signed and not trusted by',
	SELF_SIGNED_CERT_IN_CHAIN: 'chains to a self-signed certificate not trusted by',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'is not signed by',
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'has an issuer not found in',
	UNABLE_TO_GET_ISSUER_CERT: 'has an issuer not found in',
	CERT_SIGNATURE_FAILURE: 'has a signature that does not verify against',
	CERT_HAS_EXPIRED: 'has expired (checked against',
	ERR_TLS_CERT_ALTNAME_INVALID: 'does not name this address (checked against',
};

/** The network error code somewhere in an error's cause chain (undici nests it). */
export function networkCode(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
		const code = (current as {code?: unknown}).code;
		if (typeof code === 'string' && (code in networkCodes || code in tlsCodes)) {
			return code;
		}

		current = (current as {cause?: unknown}).cause;
	}

	return undefined;
}

/**
 * The failure to reach `server`, as one line. `trust` says which CA was used (e.g. `the CA in
 * /path/ca.crt`), so a certificate failure names the CA and the server.
 */
export function unreachableError(server: string, error: unknown, trust = 'the system CAs'): KubeError {
	const code = networkCode(error);
	if (code !== undefined && code in tlsCodes) {
		const how = tlsCodes[code]!;
		return new KubeError('tls', `TLS: the certificate of ${server} ${how} ${trust}${how.includes('(') ? ')' : ''} (${code})`);
	}

	if (isTimeout(error) || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
		return new KubeError('timeout', `the API server at ${server} did not answer in time`);
	}

	const detail = code === undefined ? oneLine(error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)) : `${networkCodes[code]} (${code})`;
	return new KubeError(code !== undefined && tlsHandshakeCodes.has(code) ? 'tls' : 'unreachable', `cannot reach the API server at ${server}: ${detail}`);
}

function isTimeout(error: unknown): boolean {
	return error instanceof Error && (error.name === 'TimeoutError' || (error.name === 'AbortError' && String(error.message).includes('timeout')));
}

function parseStatus(body: unknown): Status | undefined {
	if (typeof body === 'object' && body !== null) {
		return body as Status;
	}

	if (typeof body === 'string') {
		try {
			const parsed = JSON.parse(body) as unknown;
			return typeof parsed === 'object' && parsed !== null ? (parsed as Status) : undefined;
		} catch {}
	}

	return undefined;
}

/** The error for an HTTP answer that is not 2xx, worded from the Status the server sent. */
export function statusError(statusCode: number, body: unknown, server: string, request?: RequestDescription): KubeError {
	const status = parseStatus(body);
	const message = status?.kind === 'Status' && status.message ? oneLine(status.message) : undefined;
	const reason = status?.kind === 'Status' ? status.reason : undefined;
	const retryAfterSeconds = request?.retryAfterSeconds ?? (status?.kind === 'Status' ? status.details?.retryAfterSeconds : undefined);
	if (statusCode === 401) {
		return new KubeError('unauthorized', `You must be logged in to the server (Unauthorized): ${server} rejected the credentials`, statusCode, reason ?? 'Unauthorized');
	}

	if (statusCode === 403) {
		// The authorizer's message names user, verb and resource; say them ourselves when it sent none.
		const who = request?.user === undefined ? 'the current user' : `User "${request.user}"`;
		const fallback = request === undefined ? `forbidden (403) by ${server}` : `${request.resource} is forbidden: ${who} cannot ${request.verb} ${request.resource} (403 from ${server})`;
		return new KubeError('forbidden', message ?? fallback, statusCode, reason ?? 'Forbidden');
	}

	if (statusCode === 404) {
		return new KubeError('not-found', message ?? `the server could not find the requested resource (404 from ${server})`, statusCode, reason ?? 'NotFound');
	}

	if (statusCode === 410) {
		return new KubeError('expired', message ?? 'the resourceVersion is too old (410 Gone)', statusCode, reason ?? 'Expired');
	}

	const text = typeof body === 'string' && message === undefined ? oneLine(body).slice(0, 200) : undefined;
	const what = request === undefined ? '' : ` to ${request.verb} ${request.resource}`;
	const wait = retryAfterSeconds === undefined ? '' : ` (retry after ${retryAfterSeconds}s)`;
	const detail = message === undefined ? `answered ${statusCode}${what}${text ? `: ${text}` : ''}` : `answered ${statusCode}${what}: ${message}`;
	// Without an address (an error from client-node's own clients), `server` is just "the API server".
	const who = server === unnamedServer ? server : `the API server at ${server}`;
	return new KubeError('api', `${who} ${detail}${wait}`, statusCode, reason, retryAfterSeconds);
}

const unnamedServer = 'the API server';

/** Any error from this layer, client-node, undici or YAML as one line, never a stack trace. */
export function describeKubeError(error: unknown): string {
	if (error instanceof KubeError) {
		return oneLine(error.message);
	}

	if (typeof error === 'object' && error !== null) {
		// client-node's ApiException: `code` and a `body` holding the Status.
		const candidate = error as {code?: unknown; body?: unknown; message?: unknown};
		if (typeof candidate.code === 'number' && candidate.code >= 400 && 'body' in candidate) {
			return statusError(candidate.code, candidate.body, unnamedServer).message;
		}

		const code = networkCode(error);
		if (code !== undefined) {
			return `cannot reach the API server: ${networkCodes[code] ?? "certificate verification failed"} (${code})`;
		}

		if (isTimeout(error)) {
			return 'the API server did not answer in time';
		}

		if (error instanceof Error) {
			const first = oneLine(error.message.split('\n')[0] ?? '');
			return first === '' ? error.name : first;
		}
	}

	return oneLine(String(error));
}
