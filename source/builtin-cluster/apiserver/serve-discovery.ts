import type {IncomingMessage, ServerResponse} from 'node:http';
import {aggregatedContentType, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo, wantsAggregatedDiscovery} from './discovery.js';
import {send, sendJson, sendStatus} from './respond.js';
import {unknownPath} from './status.js';

/** A discovery document, or the path's 404 when the group or version is unknown. */
function sendDocument(response: ServerResponse, document: object | undefined): void {
	if (document === undefined) {
		sendStatus(response, unknownPath());
	} else {
		sendJson(response, document);
	}
}

/**
 * /version, the health checks and discovery (/api, /apis, /api/v1, /apis/GROUP, /apis/GROUP/VERSION),
 * what kubectl reads before any resource. False when the path is none of these.
 */
export function serveDiscovery(request: IncomingMessage, response: ServerResponse, segments: readonly string[]): boolean {
	const [root, group, version] = segments;
	if (root === 'version' && segments.length === 1) {
		sendJson(response, versionInfo());
	} else if ((root === 'healthz' || root === 'readyz' || root === 'livez') && segments.length === 1) {
		send(response, 200, 'ok', 'text/plain; charset=utf-8');
	} else if ((root === 'api' || root === 'apis') && segments.length === 1) {
		const aggregated = wantsAggregatedDiscovery(request.headers.accept);
		if (aggregated !== undefined) {
			sendJson(response, aggregatedDiscovery(root === 'api', aggregated), aggregatedContentType(aggregated));
		} else {
			sendJson(response, root === 'api' ? apiVersions(request.headers.host ?? '127.0.0.1') : apiGroupList());
		}
	} else if (root === 'api' && segments.length === 2) {
		sendDocument(response, apiResourceList('', group));
	} else if (root === 'apis' && segments.length === 2) {
		sendDocument(response, apiGroup(group));
	} else if (root === 'apis' && segments.length === 3) {
		sendDocument(response, apiResourceList(group, version));
	} else {
		return false;
	}

	return true;
}
