import type {IncomingMessage, ServerResponse} from 'node:http';
import type {ResourceName} from './resources.js';
import {send, sendStatus} from './respond.js';
import {serverError, tooManyRequests, watchExpired} from './status.js';

/**
 * What a broken or overloaded control plane does to a request. Status codes answer with a real
 * metav1.Status (429 with a Retry-After header); the rest break the transport or the body.
 */
export type Fault =
	/** An error Status: 500 InternalError, 503 ServiceUnavailable, 429 TooManyRequests (with Retry-After). */
	| {readonly kind: 'status'; readonly code: number; readonly retryAfterSeconds?: number}
	/** 200 with a body that is not JSON. */
	| {readonly kind: 'garbled'}
	/** 200 whose body stops half way: Content-Length promises more, then the connection closes. */
	| {readonly kind: 'cut'}
	/** A watch answered 200 with an empty body (the stream ends at once). Other verbs are served. */
	| {readonly kind: 'empty-watch'}
	/** A watch answered 200 with one ERROR event holding a 410 Expired Status. Other verbs are served. */
	| {readonly kind: 'watch-error-410'}
	/** A watch answered HTTP 410 Gone. Other verbs are served. */
	| {readonly kind: 'watch-410'}
	/** No answer at all: the request stays open until the client gives up. */
	| {readonly kind: 'hang'}
	/** The connection is reset before any answer. */
	| {readonly kind: 'reset'};

export type FaultOptions = {
	/** Only this many requests get the fault, then the resource is served normally. Default: every request. */
	readonly times?: number;
};

type ArmedFault = {readonly fault: Fault; remaining: number};

/** `*` stands for every request, discovery and /version included. */
export type FaultTarget = ResourceName | '*';

const watchOnly = new Set<Fault['kind']>(['empty-watch', 'watch-error-410', 'watch-410']);

/** Per-resource fault switches for the in-process API server. */
export class FaultSwitches {
	private readonly armed = new Map<FaultTarget, ArmedFault>();
	private readonly hanging = new Set<ServerResponse>();

	set(target: FaultTarget, fault: Fault | undefined, options: FaultOptions = {}): void {
		if (fault === undefined) {
			this.armed.delete(target);
		} else {
			this.armed.set(target, {fault, remaining: options.times ?? Number.POSITIVE_INFINITY});
		}
	}

	/**
	 * Answers `response` with the fault armed for this request, if any, and returns true; false
	 * when the request is to be served normally. `resource` is undefined for discovery and /version.
	 */
	intercept(request: IncomingMessage, response: ServerResponse, resource: ResourceName | undefined, isWatch: boolean): boolean {
		const armed = (resource === undefined ? undefined : this.armed.get(resource)) ?? this.armed.get('*');
		if (armed === undefined || armed.remaining <= 0 || (watchOnly.has(armed.fault.kind) && !isWatch)) {
			return false;
		}

		armed.remaining--;
		this.answer(request, response, armed.fault);
		return true;
	}

	/** Ends hanging requests (the server is closing). */
	release(): void {
		for (const response of this.hanging) {
			response.destroy();
		}

		this.hanging.clear();
	}

	private answer(request: IncomingMessage, response: ServerResponse, fault: Fault): void {
		switch (fault.kind) {
			case 'status': {
				const body = fault.code === 429 ? tooManyRequests(fault.retryAfterSeconds ?? 1) : serverError(fault.code);
				const headers: Record<string, string | number> = {};
				if (fault.retryAfterSeconds !== undefined) {
					headers['Retry-After'] = fault.retryAfterSeconds;
				}

				sendStatus(response, body, headers);
				return;
			}

			case 'garbled': {
				send(response, 200, '<html><body>502 Bad Gateway</body></html>\n{"kind":');
				return;
			}

			case 'cut': {
				const body = '{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"cut-';
				response.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': body.length * 4});
				response.write(body, () => response.destroy());
				return;
			}

			case 'empty-watch': {
				response.writeHead(200, {'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked'});
				response.end();
				return;
			}

			case 'watch-error-410': {
				response.writeHead(200, {'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked'});
				response.end(`{"type":"ERROR","object":${JSON.stringify(watchExpired())}}\n`);
				return;
			}

			case 'watch-410': {
				sendStatus(response, watchExpired());
				return;
			}

			case 'hang': {
				this.hanging.add(response);
				response.on('close', () => this.hanging.delete(response));
				return;
			}

			case 'reset': {
				request.socket.resetAndDestroy();
			}
		}
	}
}
