/** The resources the fake API server serves, with the discovery facts kube-apiserver publishes for them. */

export type ResourceName = 'namespaces' | 'nodes' | 'services' | 'endpoints' | 'pods' | 'endpointslices' | 'events';

export type ResourceInfo = {
	readonly name: ResourceName;
	readonly singular: string;
	readonly kind: string;
	/** '' for the core group. */
	readonly group: string;
	readonly version: string;
	readonly namespaced: boolean;
	readonly shortNames: readonly string[];
	readonly categories: readonly string[];
	readonly subresources: readonly string[];
	readonly storageVersionHash: string;
};

const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

export const resources: readonly ResourceInfo[] = [
	{name: 'namespaces', singular: 'namespace', kind: 'Namespace', group: '', version: 'v1', namespaced: false, shortNames: ['ns'], categories: [], subresources: ['finalize', 'status'], storageVersionHash: 'Q3oi5N2YM8M='},
	{name: 'nodes', singular: 'node', kind: 'Node', group: '', version: 'v1', namespaced: false, shortNames: ['no'], categories: [], subresources: ['proxy', 'status'], storageVersionHash: 'XwShjMxG9Fs='},
	{name: 'services', singular: 'service', kind: 'Service', group: '', version: 'v1', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['proxy', 'status'], storageVersionHash: '0/CO1lhkEBI='},
	{name: 'endpoints', singular: 'endpoints', kind: 'Endpoints', group: '', version: 'v1', namespaced: true, shortNames: ['ep'], categories: [], subresources: [], storageVersionHash: 'fWeeMqaN/OA='},
	{name: 'pods', singular: 'pod', kind: 'Pod', group: '', version: 'v1', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['log', 'status', 'exec', 'portforward', 'proxy'], storageVersionHash: 'xPOwRZ+Yhw8='},
	{name: 'events', singular: 'event', kind: 'Event', group: '', version: 'v1', namespaced: true, shortNames: ['ev'], categories: [], subresources: [], storageVersionHash: 'r2yiGXH7wu8='},
	{name: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', namespaced: true, shortNames: [], categories: [], subresources: [], storageVersionHash: 'Nx3SIv6I0mE='},
];

export const resourceVerbs: readonly string[] = verbs;

const byName = new Map<string, ResourceInfo>(resources.map(resource => [resource.name, resource]));
const byKind = new Map<string, ResourceInfo>(resources.map(resource => [resource.kind.toLowerCase(), resource]));

/** `apiVersion` as objects carry it: `v1` or `discovery.k8s.io/v1`. */
export function apiVersionOf(resource: ResourceInfo): string {
	return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** Finds a resource by its plural name (`services`) or its kind (`Service`, case-insensitive). */
export function findResource(nameOrKind: string): ResourceInfo | undefined {
	return byName.get(nameOrKind) ?? byKind.get(nameOrKind.toLowerCase());
}

/** The resource served at group/version/plural, as a URL names it. */
export function resourceAt(group: string, version: string, plural: string): ResourceInfo | undefined {
	const resource = byName.get(plural);
	return resource !== undefined && resource.group === group && resource.version === version ? resource : undefined;
}
