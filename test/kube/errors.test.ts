import assert from 'node:assert/strict';
import {test} from 'node:test';
import {describeKubeError, isTransient, KubeError, statusError, unreachableError} from '../../source/kube/errors.js';

const server = 'https://10.0.0.1:6443';

function fetchFailure(code: string): Error {
	// undici's shape: TypeError('fetch failed') with the socket error as its cause.
	const cause = Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), {code});
	return new TypeError('fetch failed', {cause});
}

const cases: Array<[name: string, error: unknown, expected: string]> = [
	['a KubeError as is', new KubeError('unknown-context', 'context "x" does not exist in k'), 'context "x" does not exist in k'],
	['connection refused with the URL', unreachableError(server, fetchFailure('ECONNREFUSED')), `cannot reach the API server at ${server}: connection refused (ECONNREFUSED)`],
	['unknown host', unreachableError(server, fetchFailure('ENOTFOUND')), `cannot reach the API server at ${server}: host not found (ENOTFOUND)`],
	['self-signed certificate', unreachableError(server, fetchFailure('DEPTH_ZERO_SELF_SIGNED_CERT')), `TLS: the certificate of ${server} is self-signed and not trusted by the system CAs (DEPTH_ZERO_SELF_SIGNED_CERT)`],
	// What fetch gives for an https URL on a plain-HTTP port (qa9 F11): not OpenSSL's raw text.
	['https to a plain-HTTP port', unreachableError(server, fetchFailure('ERR_SSL_WRONG_VERSION_NUMBER')), `cannot reach the API server at ${server}: TLS handshake failed (is the server plain HTTP?) (ERR_SSL_WRONG_VERSION_NUMBER)`],
	['a timeout', unreachableError(server, new DOMException('request timed out', 'TimeoutError')), `the API server at ${server} did not answer in time`],
	['a raw undici failure without a URL', fetchFailure('ECONNRESET'), 'cannot reach the API server: connection reset (ECONNRESET)'],
	['a 403 Status', statusError(403, JSON.stringify({kind: 'Status', message: 'services is forbidden: User "u" cannot list resource "services"', reason: 'Forbidden', code: 403}), server), 'services is forbidden: User "u" cannot list resource "services"'],
	['a 401', statusError(401, '', server), `You must be logged in to the server (Unauthorized): ${server} rejected the credentials`],
	['a 500 with a text body', statusError(500, 'etcd\nunavailable', server), `the API server at ${server} answered 500: etcd unavailable`],
	['client-node ApiException shape', Object.assign(new Error('HTTP-Code: 404\nMessage: Unknown API Status Code!\nBody: ...'), {code: 404, body: JSON.stringify({kind: 'Status', message: 'namespaces "x" not found', code: 404})}), 'namespaces "x" not found'],
	['client-node ApiException 500 without a Status (no server address known)', Object.assign(new Error('HTTP-Code: 500'), {code: 500, body: 'internal error'}), 'the API server answered 500: internal error'],
	['a multi-line error keeps its first line', new Error('first line\n    at stack'), 'first line'],
	['a thrown string', 'boom\nagain', 'boom again'],
];

for (const [name, error, expected] of cases) {
	test(`describeKubeError: ${name}`, () => {
		const line = describeKubeError(error);
		assert.equal(line, expected);
		assert.ok(!line.includes('\n'));
	});
}

test('statusError keeps the status code and reason for callers to branch on', () => {
	const error = statusError(410, JSON.stringify({kind: 'Status', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410}), server);
	assert.deepEqual([error.kind, error.statusCode, error.reason, error.message], ['expired', 410, 'Expired', 'too old resource version: 1 (5)']);
});

test('a TLS handshake with a plain-HTTP server is not retried; a refused connection is', () => {
	assert.equal(isTransient(unreachableError(server, fetchFailure('ERR_SSL_WRONG_VERSION_NUMBER'))), false);
	assert.equal(isTransient(unreachableError(server, fetchFailure('EPROTO'))), false);
	assert.equal(isTransient(unreachableError(server, fetchFailure('ECONNREFUSED'))), true);
});
