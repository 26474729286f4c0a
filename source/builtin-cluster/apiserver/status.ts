import type {ResourceInfo} from './resources.js';

/** A metav1.Status failure as kube-apiserver writes it (field order included). */
export type StatusBody = {
	kind: 'Status';
	apiVersion: 'v1';
	metadata: Record<string, never>;
	status: 'Failure';
	message: string;
	reason: string;
	details?: {name?: string; group?: string; kind?: string; causes?: Array<{reason?: string; message: string}>; retryAfterSeconds?: number};
	code: number;
};

function status(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
	const body: StatusBody = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code};
	if (details !== undefined) {
		// Keep `code` last, as the real server's encoder does.
		delete (body as Partial<StatusBody>).code;
		body.details = details;
		body.code = code;
	}

	return body;
}

function groupDetails(resource: ResourceInfo, name?: string): StatusBody['details'] {
	const details: NonNullable<StatusBody['details']> = {};
	if (name !== undefined) {
		details.name = name;
	}

	if (resource.group !== '') {
		details.group = resource.group;
	}

	details.kind = resource.name;
	return details;
}

/** `services "web" not found` */
export function notFound(resource: ResourceInfo, name: string): StatusBody {
	const qualified = resource.group === '' ? resource.name : `${resource.name}.${resource.group}`;
	return status(404, 'NotFound', `${qualified} "${name}" not found`, groupDetails(resource, name));
}

/** The answer for a path under /api or /apis that names nothing. */
export function unknownPath(): StatusBody {
	return status(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** RBAC's denial, worded as the authorizer words it. */
export function forbidden(resource: ResourceInfo, verb: string, user: string, namespace: string | undefined, name?: string): StatusBody {
	const qualified = resource.group === '' ? resource.name : `${resource.name}.${resource.group}`;
	const subject = name === undefined ? qualified : `${qualified} "${name}"`;
	const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
	const message = `${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource.name}" in API group "${resource.group}" ${scope}`;
	return status(403, 'Forbidden', message, groupDetails(resource, name));
}

export function badRequest(message: string): StatusBody {
	return status(400, 'BadRequest', message);
}

export function methodNotAllowed(method: string): StatusBody {
	return status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`, {});
}

/** What a watch from a compacted resourceVersion receives, inside an ERROR event. */
export function expired(requested: number, oldest: number): StatusBody {
	return status(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** A list at an exact resourceVersion that was compacted away. */
export function listExpired(): StatusBody {
	return status(410, 'Expired', 'The resourceVersion for the provided list is too old.');
}

/** What a list continuing from a compacted snapshot receives. */
export function continueExpired(): StatusBody {
	return status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
}

export function tooLargeResourceVersion(requested: number, current: number): StatusBody {
	return status(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {causes: [{reason: 'ResourceVersionTooLarge', message: 'Too large resource version'}], retryAfterSeconds: 1});
}

/** A 5xx as kube-apiserver words it: 500 InternalError, 503 ServiceUnavailable, 504 Timeout. */
export function serverError(code: number): StatusBody {
	if (code === 503) {
		return status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request', {});
	}

	if (code === 504) {
		return status(504, 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request', {});
	}

	if (code === 500) {
		return status(500, 'InternalError', 'Internal error occurred: injected fault', {causes: [{message: 'injected fault'}]});
	}

	return status(code, 'Unknown', `the server responded with the status code ${code} but did not return more information`, {});
}

/** The API Priority and Fairness rejection (the server also sends a Retry-After header). */
export function tooManyRequests(retryAfterSeconds: number): StatusBody {
	return status(429, 'TooManyRequests', 'Too many requests, please try again later.', {retryAfterSeconds});
}

/** The 410 a watch gets when its resourceVersion was compacted, as an HTTP answer or an ERROR event. */
export function watchExpired(): StatusBody {
	return status(410, 'Expired', 'too old resource version: 1 (2)');
}
