import type {V1EndpointSlice} from '@kubernetes/client-node';

/** A Service port as its name, number and protocol (`TCP` when unset). */
export type ServicePortKey = {readonly name: string; readonly port: number; readonly protocol: string};

/** A port no endpoint serves, and the protocols the endpoints offer under its name instead. */
export type UnservedPort = ServicePortKey & {readonly servedOver: readonly string[]};

/**
 * The Service ports that no EndpointSlice with endpoints lists under the same name and protocol:
 * kube-proxy has no backend for them, however many endpoints are ready. Empty when no slice has
 * endpoints (that is "no endpoints", a finding of its own).
 */
export function unservedPorts(ports: readonly ServicePortKey[], slices: readonly V1EndpointSlice[]): UnservedPort[] {
	const withEndpoints = slices.filter(slice => (slice.endpoints?.length ?? 0) > 0);
	if (withEndpoints.length === 0) {
		return [];
	}

	const offered = withEndpoints.flatMap(slice => (slice.ports ?? []).map(candidate => ({name: candidate.name ?? '', protocol: candidate.protocol ?? 'TCP'})));
	return ports
		.filter(port => !offered.some(candidate => candidate.name === port.name && candidate.protocol === port.protocol))
		.map(port => ({...port, servedOver: [...new Set(offered.filter(candidate => candidate.name === port.name).map(candidate => candidate.protocol))]}));
}
