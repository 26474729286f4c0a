import type {KubeConfig} from '@kubernetes/client-node';
import {describeKubeError} from '../../kube/errors.js';

/** One permission a debug pod needs. */
export type Permission = {readonly verb: string; readonly resource: string; readonly subresource?: string};

/** What a debug-pod session does: create, watch, exec into (WebSocket exec is a GET on older servers, a create on newer), delete. */
export const debugPodPermissions: readonly Permission[] = [
	{verb: 'create', resource: 'pods'},
	{verb: 'get', resource: 'pods'},
	{verb: 'delete', resource: 'pods'},
	{verb: 'create', resource: 'pods', subresource: 'exec'},
	{verb: 'get', resource: 'pods', subresource: 'exec'},
];

/** Exec into an existing pod needs only these. */
export const podExecPermissions: readonly Permission[] = debugPodPermissions.filter(permission => permission.subresource === 'exec' || permission.verb === 'get');

export function permissionText(permission: Permission): string {
	return `${permission.verb} ${permission.resource}${permission.subresource ? `/${permission.subresource}` : ''}`;
}

export type AccessVerdict =
	| {readonly ok: true}
	| {readonly ok: false; readonly missing: readonly Permission[]; readonly message: string};

/**
 * Asks the API (SelfSubjectAccessReview) whether this user may do each of `permissions` in
 * `namespace`, before anything is created, and says exactly what is missing. A review that cannot
 * be made is a failure too: nothing is created on a guess.
 */
export async function checkAccess(kc: KubeConfig, namespace: string, permissions: readonly Permission[]): Promise<AccessVerdict> {
	const api = (await import('./pod-api.js')).authorizationApi(kc);
	let answers: boolean[];
	try {
		answers = await Promise.all(permissions.map(async permission => {
			const review = await api.createSelfSubjectAccessReview({body: {
				apiVersion: 'authorization.k8s.io/v1',
				kind: 'SelfSubjectAccessReview',
				spec: {resourceAttributes: {namespace, verb: permission.verb, resource: permission.resource, ...(permission.subresource ? {subresource: permission.subresource} : {})}},
			}});
			return review.status?.allowed === true;
		}));
	} catch (error) {
		return {ok: false, missing: [], message: `cannot check permissions (SelfSubjectAccessReview): ${describeKubeError(error)}`};
	}

	const missing = permissions.filter((_permission, index) => !answers[index]);
	if (missing.length === 0) {
		return {ok: true};
	}

	return {ok: false, missing, message: `not allowed in namespace ${namespace}: ${missing.map(permissionText).join(', ')} (ask for a Role granting them, or pick another namespace with --debug-namespace)`};
}
