import {type ResourceInfo, resources, resourceVerbs} from './resources.js';

/** The media type kubectl asks for first when it supports aggregated discovery. */
export const aggregatedDiscoveryType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const aggregatedDiscoveryTypeBeta = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/**
 * Which aggregated discovery version the Accept header asks for, if any. kube-apiserver answers the
 * first acceptable entry; clients fall back to the legacy documents when they get plain JSON.
 */
export function wantsAggregatedDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
	if (accept === undefined) {
		return undefined;
	}

	for (const entry of accept.split(',')) {
		const parameters = new Map(
			entry
				.split(';')
				.slice(1)
				.map(part => part.trim().split('=') as [string, string]),
		);
		if (parameters.get('g') === 'apidiscovery.k8s.io' && parameters.get('as') === 'APIGroupDiscoveryList') {
			const version = parameters.get('v');
			if (version === 'v2' || version === 'v2beta1') {
				return version;
			}
		}

		if (entry.trim().startsWith('application/json') && parameters.size === 0) {
			return undefined;
		}
	}

	return undefined;
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
	return version === 'v2' ? aggregatedDiscoveryType : aggregatedDiscoveryTypeBeta;
}

function groupsOf(legacy: boolean): Map<string, ResourceInfo[]> {
	const groups = new Map<string, ResourceInfo[]>();
	for (const resource of resources) {
		if ((resource.group === '') !== legacy) {
			continue;
		}

		const list = groups.get(resource.group) ?? [];
		list.push(resource);
		groups.set(resource.group, list);
	}

	return groups;
}

/** `/api` or `/apis` as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(legacy: boolean, version: 'v2' | 'v2beta1'): object {
	const items = [...groupsOf(legacy)].map(([group, members]) => ({
		metadata: group === '' ? {creationTimestamp: null} : {name: group, creationTimestamp: null},
		versions: [
			{
				version: members[0].version,
				resources: members.map(resource => {
					const entry: Record<string, unknown> = {
						resource: resource.name,
						responseKind: {group: resource.group, version: resource.version, kind: resource.kind},
						scope: resource.namespaced ? 'Namespaced' : 'Cluster',
						singularResource: resource.singular,
						verbs: resourceVerbs,
					};
					if (resource.shortNames.length > 0) {
						entry.shortNames = resource.shortNames;
					}

					if (resource.categories.length > 0) {
						entry.categories = resource.categories;
					}

					if (resource.subresources.length > 0) {
						entry.subresources = resource.subresources.map(subresource => ({
							subresource,
							responseKind: {group: resource.group, version: resource.version, kind: subresource === 'status' ? resource.kind : ''},
							verbs: subresource === 'status' ? ['get', 'patch', 'update'] : ['get'],
						}));
					}

					return entry;
				}),
				freshness: 'Current',
			},
		],
	}));
	return {kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items};
}

/** `/api`: the legacy core group's versions. */
export function apiVersions(serverAddress: string): object {
	return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress}]};
}

function groupDocument(group: string, version: string): object {
	const groupVersion = {groupVersion: `${group}/${version}`, version};
	return {name: group, versions: [groupVersion], preferredVersion: groupVersion};
}

/** `/apis`: the named groups. */
export function apiGroupList(): object {
	const groups = [...groupsOf(false)].map(([group, members]) => groupDocument(group, members[0].version));
	return {kind: 'APIGroupList', apiVersion: 'v1', groups};
}

/** `/apis/GROUP`, or undefined for a group we do not serve. */
export function apiGroup(group: string): object | undefined {
	const members = groupsOf(false).get(group);
	return members === undefined ? undefined : {kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(group, members[0].version)};
}

/** `/api/v1` or `/apis/GROUP/VERSION` as an APIResourceList, or undefined when not served. */
export function apiResourceList(group: string, version: string): object | undefined {
	const members = resources.filter(resource => resource.group === group && resource.version === version);
	if (members.length === 0) {
		return undefined;
	}

	const list: Array<Record<string, unknown>> = [];
	for (const resource of members) {
		const entry: Record<string, unknown> = {
			name: resource.name,
			singularName: resource.singular,
			namespaced: resource.namespaced,
			kind: resource.kind,
			verbs: resourceVerbs,
		};
		if (resource.shortNames.length > 0) {
			entry.shortNames = resource.shortNames;
		}

		if (resource.categories.length > 0) {
			entry.categories = resource.categories;
		}

		entry.storageVersionHash = resource.storageVersionHash;
		list.push(entry);
		for (const subresource of resource.subresources) {
			list.push({
				name: `${resource.name}/${subresource}`,
				singularName: '',
				namespaced: resource.namespaced,
				kind: subresource === 'status' ? resource.kind : subresource === 'log' ? 'Pod' : 'ProxyOptions',
				verbs: subresource === 'status' ? ['get', 'patch', 'update'] : ['get'],
			});
		}
	}

	// The core group's document has no apiVersion field; named groups' documents do.
	return group === '' ? {kind: 'APIResourceList', groupVersion: version, resources: list} : {kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources: list};
}

/** `/version` of a v1.32 server. */
export function versionInfo(): object {
	return {
		major: '1',
		minor: '32',
		gitVersion: 'v1.32.0',
		gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
		gitTreeState: 'clean',
		buildDate: '2024-12-11T17:59:15Z',
		goVersion: 'go1.23.3',
		compiler: 'gc',
		platform: 'linux/amd64',
	};
}
