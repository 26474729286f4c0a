import type {V1Service} from '@kubernetes/client-node';
import {addressKey, type DemoObjects, type Endpoint, endpointsOf, type ServiceAddress, serviceKeyOf} from './wanted.js';

export type Decision = {kind: 'endpoint'; key: string} | {kind: 'drop' | 'reject'};

export type PickOptions = {
	/** Shares per endpoint `ip:port` for one Service port; default uniform. */
	readonly probabilities?: (service: string, portName: string) => ReadonlyMap<string, number> | undefined;
	readonly now: () => number;
	readonly random: () => number;
};

/** The ready endpoints a connection to `address` may reach, or why none: a Local NodePort on a node without one drops. */
function eligibleEndpoints(objects: DemoObjects, service: V1Service, address: ServiceAddress): Endpoint[] | 'drop' {
	const ready = endpointsOf(objects).filter(endpoint => endpoint.service === address.service
		&& endpoint.portName === address.portName
		&& endpoint.protocol === address.protocol
		&& endpoint.ready);
	if (address.kind !== 'nodePort' || service.spec?.externalTrafficPolicy !== 'Local') {
		return ready;
	}

	const local = ready.filter(endpoint => endpoint.node === address.node);
	return local.length === 0 && ready.length > 0 ? 'drop' : local;
}

/** kube-proxy's choice per connection or UDP flow: ClientIP affinity with its timeout, else a weighted roll. */
export class EndpointPicker {
	private readonly affinity = new Map<string, {endpoint: string; last: number}>();

	constructor(private readonly options: PickOptions) {}

	pick(objects: DemoObjects, address: ServiceAddress, client: string): Decision {
		const service = objects.services.find(candidate => serviceKeyOf(candidate) === address.service);
		const eligible = service ? eligibleEndpoints(objects, service, address) : [];
		if (eligible === 'drop') {
			return {kind: 'drop'};
		}

		if (!service || eligible.length === 0) {
			return {kind: 'reject'};
		}

		const keys = eligible.map(endpoint => addressKey(endpoint.ip, endpoint.port));
		const timeoutSeconds = service.spec?.sessionAffinity === 'ClientIP'
			? service.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800
			: undefined;
		const stickyKey = `${address.service} ${address.portName} ${client}`;
		if (timeoutSeconds !== undefined) {
			const previous = this.affinity.get(stickyKey);
			if (previous && keys.includes(previous.endpoint) && this.options.now() - previous.last <= timeoutSeconds * 1000) {
				previous.last = this.options.now();
				return {kind: 'endpoint', key: previous.endpoint};
			}
		}

		const chosen = this.roll(keys, this.options.probabilities?.(address.service, address.portName));
		if (timeoutSeconds !== undefined) {
			this.affinity.set(stickyKey, {endpoint: chosen, last: this.options.now()});
		}

		return {kind: 'endpoint', key: chosen};
	}

	/** One endpoint by the given shares (uniform without them, or when they sum to nothing). */
	private roll(keys: readonly string[], shares: ReadonlyMap<string, number> | undefined): string {
		const weights = keys.map(key => (shares ? shares.get(key) ?? 0 : 1));
		const total = weights.reduce((sum, weight) => sum + weight, 0);
		let roll = this.options.random() * (total > 0 ? total : keys.length);
		for (const [i, key] of keys.entries()) {
			roll -= total > 0 ? weights[i]! : 1;
			if (roll < 0) {
				return key;
			}
		}

		return keys.at(-1)!;
	}
}
