import type {ServerResponse} from 'node:http';
import type {StatusBody} from './status.js';

export const jsonType = 'application/json';
export const tableType = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** A whole answer with its length, uncached, as kube-apiserver sends one. */
export function send(response: ServerResponse, status: number, body: string, contentType = jsonType, headers: Record<string, string | number> = {}): void {
	response.writeHead(status, {
		'Content-Type': contentType,
		'Content-Length': Buffer.byteLength(body),
		'Cache-Control': 'no-cache, private',
		...headers,
	});
	response.end(body);
}

export function sendStatus(response: ServerResponse, body: StatusBody, headers: Record<string, string | number> = {}): void {
	send(response, body.code, JSON.stringify(body), jsonType, headers);
}

export function sendJson(response: ServerResponse, body: object, contentType = jsonType): void {
	send(response, 200, JSON.stringify(body), contentType);
}
