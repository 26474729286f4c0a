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
	) {
		super(message);
	}
}

type Status = {kind?: string; message?: string; reason?: string; code?: number};

function oneLine(text: string): string {
	return text.replaceAll(/\s*\n\s*/g, ' ').trim();
}

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
	DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: self-signed certificate (set certificate-authority or insecure-skip-tls-verify)',
	SELF_SIGNED_CERT_IN_CHAIN: 'TLS: self-signed certificate in chain (set certificate-authority)',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: unable to verify the server certificate (set certificate-authority)',
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS: unknown certificate issuer (set certificate-authority)',
	CERT_HAS_EXPIRED: 'TLS: the server certificate has expired',
	ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the server certificate does not match its address',
	EPROTO: 'TLS handshake failed (is the server plain HTTP?)',
};

/** The network error code somewhere in an error's cause chain (undici nests it). */
export function networkCode(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
		const code = (current as {code?: unknown}).code;
		if (typeof code === 'string' && code in networkCodes) {
			return code;
		}

		current = (current as {cause?: unknown}).cause;
	}

	return undefined;
}

/** The failure to reach `server`, as one line. */
export function unreachableError(server: string, error: unknown): KubeError {
	const code = networkCode(error);
	if (isTimeout(error) || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
		return new KubeError('timeout', `the API server at ${server} did not answer in time`);
	}

	const detail = code === undefined ? oneLine(error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)) : `${networkCodes[code]} (${code})`;
	return new KubeError('unreachable', `cannot reach the API server at ${server}: ${detail}`);
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
export function statusError(statusCode: number, body: unknown, server: string): KubeError {
	const status = parseStatus(body);
	const message = status?.kind === 'Status' && status.message ? oneLine(status.message) : undefined;
	const reason = status?.kind === 'Status' ? status.reason : undefined;
	if (statusCode === 401) {
		return new KubeError('unauthorized', `You must be logged in to the server (Unauthorized): ${server} rejected the credentials`, statusCode, reason ?? 'Unauthorized');
	}

	if (statusCode === 403) {
		return new KubeError('forbidden', message ?? `forbidden (403) by ${server}`, statusCode, reason ?? 'Forbidden');
	}

	if (statusCode === 404) {
		return new KubeError('not-found', message ?? `the server could not find the requested resource (404 from ${server})`, statusCode, reason ?? 'NotFound');
	}

	if (statusCode === 410) {
		return new KubeError('expired', message ?? 'the resourceVersion is too old (410 Gone)', statusCode, reason ?? 'Expired');
	}

	const text = typeof body === 'string' && message === undefined ? oneLine(body).slice(0, 200) : undefined;
	return new KubeError('api', message ?? `the API server at ${server} answered ${statusCode}${text ? `: ${text}` : ''}`, statusCode, reason);
}

/** Any error from this layer, client-node, undici or YAML as one line, never a stack trace. */
export function describeKubeError(error: unknown): string {
	if (error instanceof KubeError) {
		return oneLine(error.message);
	}

	if (typeof error === 'object' && error !== null) {
		// client-node's ApiException: `code` and a `body` holding the Status.
		const candidate = error as {code?: unknown; body?: unknown; message?: unknown};
		if (typeof candidate.code === 'number' && candidate.code >= 400 && 'body' in candidate) {
			return statusError(candidate.code, candidate.body, 'the API server').message;
		}

		const code = networkCode(error);
		if (code !== undefined) {
			return `cannot reach the API server: ${networkCodes[code]} (${code})`;
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
