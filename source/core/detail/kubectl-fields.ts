import type {V1EndpointSlice, V1Service} from '@kubernetes/client-node';
import {selectorColumn} from '../services/service-row.js';
import {eventsSection, type ServiceEvents} from './service-events.js';
import {tabWrite} from './tab-writer.js';

/*
 * What `kubectl describe svc` prints, field by field, with kubectl's own strings (pkg/describe's
 * describeService as of kubectl 1.35: Traffic Distribution since 1.34, AppProtocol since 1.35).
 */

/** The annotation kubectl describe never shows. */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** kubectl prints an annotation on lines of its own past this length, and cuts each line there. */
const maxAnnotationLength = 140;
/** kubectl's Endpoints field lists this many addresses, then `+ N more...`. */
const maxEndpointsShown = 3;

export type KubectlPort = {
	/** `<unset>` for an unnamed port, as kubectl prints it. */
	readonly name: string;
	readonly port: number;
	readonly protocol: string;
	/** `8080/TCP` or `http/TCP`. */
	readonly targetPort: string;
	readonly appProtocol: string | null;
	readonly nodePort: number | null;
	/** Ready addresses serving this port, e.g. `10.10.1.3:8080,10.10.2.3:8080`, or `<none>`. */
	readonly endpoints: string;
};

export type KubectlServiceFields = {
	readonly name: string;
	readonly namespace: string;
	readonly labels: Readonly<Record<string, string>>;
	/** Without kubectl.kubernetes.io/last-applied-configuration. */
	readonly annotations: Readonly<Record<string, string>>;
	/** `app=web,tier=front`, or `<none>`. */
	readonly selector: string;
	readonly type: string;
	readonly ipFamilyPolicy: string | null;
	readonly ipFamilies: readonly string[];
	/** spec.clusterIP as written (`None` for headless, empty for ExternalName). */
	readonly ip: string;
	readonly ips: readonly string[];
	readonly externalIPs: readonly string[];
	readonly desiredLoadBalancerIP: string | null;
	readonly externalName: string | null;
	/** `192.0.2.127 (VIP), lb.example.com`, null while the status has no ingress. */
	readonly loadBalancerIngress: string | null;
	readonly ports: readonly KubectlPort[];
	readonly sessionAffinity: string;
	readonly externalTrafficPolicy: string | null;
	readonly internalTrafficPolicy: string | null;
	readonly healthCheckNodePort: number | null;
	readonly loadBalancerSourceRanges: readonly string[];
	readonly trafficDistribution: string | null;
};

function ingressText(service: V1Service): string | null {
	const ingress = service.status?.loadBalancer?.ingress ?? [];
	if (ingress.length === 0) {
		return null;
	}

	return ingress.map(entry => (entry.ip ? `${entry.ip}${entry.ipMode ? ` (${entry.ipMode})` : ''}` : entry.hostname ?? '')).join(', ');
}

function hostPort(address: string, port: number): string {
	return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * kubectl's Endpoints field for one port name: ready (or unset-ready) addresses of the slices, in list
 * order, three of them and a count of the rest. A slice without ports (headless) lists bare addresses.
 */
export function kubectlEndpoints(slices: readonly V1EndpointSlice[], portName: string): string {
	if (slices.length === 0) {
		return '<none>';
	}

	const shown: string[] = [];
	let more = false;
	let count = 0;
	const consider = (address: string | undefined, ready: boolean | undefined, port?: number) => {
		// kubectl flags "more" before it skips a not-ready endpoint, and counts only ready ones.
		if (shown.length === maxEndpointsShown) {
			more = true;
		}

		if (ready === false) {
			return;
		}

		if (!more) {
			shown.push(port === undefined ? address ?? '' : hostPort(address ?? '', port));
		}

		count++;
	};

	for (const slice of slices) {
		if ((slice.ports ?? []).length === 0) {
			for (const endpoint of slice.endpoints ?? []) {
				consider(endpoint.addresses?.[0], endpoint.conditions?.ready);
			}

			continue;
		}

		for (const port of slice.ports ?? []) {
			if ((port.name ?? '') !== portName) {
				continue;
			}

			for (const endpoint of slice.endpoints ?? []) {
				consider(endpoint.addresses?.[0], endpoint.conditions?.ready, port.port ?? 0);
			}
		}
	}

	return more ? `${shown.join(',')} + ${count - maxEndpointsShown} more...` : shown.join(',');
}

/**
 * The fields kubectl describe prints for `service`, given its EndpointSlices; `null` slices could
 * not be read, and their Endpoints field says `<unknown>` rather than kubectl's `<none>`. Pure.
 */
export function kubectlServiceFields(service: V1Service, slices: readonly V1EndpointSlice[] | null): KubectlServiceFields {
	const spec = service.spec ?? {};
	const annotations = {...service.metadata?.annotations};
	delete annotations[lastAppliedAnnotation];
	return {
		name: service.metadata?.name ?? '',
		namespace: service.metadata?.namespace ?? '',
		labels: service.metadata?.labels ?? {},
		annotations,
		selector: selectorColumn(spec.selector),
		type: spec.type ?? '',
		ipFamilyPolicy: spec.ipFamilyPolicy ?? null,
		ipFamilies: spec.ipFamilies ?? [],
		ip: spec.clusterIP ?? '',
		ips: spec.clusterIPs ?? [],
		externalIPs: spec.externalIPs ?? [],
		desiredLoadBalancerIP: spec.loadBalancerIP || null,
		externalName: spec.externalName || null,
		loadBalancerIngress: ingressText(service),
		ports: (spec.ports ?? []).map(port => {
			const protocol = port.protocol ?? '';
			return {
				name: port.name || '<unset>',
				port: port.port,
				protocol,
				targetPort: `${port.targetPort ?? 0}/${protocol}`,
				appProtocol: port.appProtocol ?? null,
				nodePort: port.nodePort || null,
				endpoints: slices === null ? '<unknown>' : kubectlEndpoints(slices, port.name ?? ''),
			};
		}),
		sessionAffinity: spec.sessionAffinity ?? '',
		externalTrafficPolicy: spec.externalTrafficPolicy || null,
		internalTrafficPolicy: spec.internalTrafficPolicy ?? null,
		healthCheckNodePort: spec.healthCheckNodePort || null,
		loadBalancerSourceRanges: spec.loadBalancerSourceRanges ?? [],
		trafficDistribution: spec.trafficDistribution ?? null,
	};
}

/** `Labels:\tk=v` then `\tk2=v2`, sorted; `<none>` when empty. */
function labelLines(title: string, labels: Readonly<Record<string, string>>): string {
	const keys = Object.keys(labels).sort();
	if (keys.length === 0) {
		return `${title}:\t<none>\n`;
	}

	return keys.map((key, index) => `${index === 0 ? `${title}:` : ''}\t${key}=${labels[key]}\n`).join('');
}

/** kubectl's annotations: `key: value`, or a long or multi-line value on indented lines of its own. */
function annotationLines(annotations: Readonly<Record<string, string>>): string {
	const keys = Object.keys(annotations).sort();
	if (keys.length === 0) {
		return 'Annotations:\t<none>\n';
	}

	let out = '';
	for (const [index, key] of keys.entries()) {
		out += index === 0 ? 'Annotations:\t' : '\t';
		const value = annotations[key]!.replace(/\n$/, '');
		if (value.length + key.length + 2 > maxAnnotationLength || value.includes('\n')) {
			out += `${key}:\n`;
			for (const line of value.split('\n')) {
				const cut = line.length > maxAnnotationLength - 2 ? `${line.slice(0, maxAnnotationLength - 2)}...` : line;
				out += `\t  ${cut}\n`;
			}
		} else {
			out += `${key}: ${value}\n`;
		}
	}

	return out;
}

function portLines(port: KubectlPort): string {
	let out = `Port:\t${port.name}\t${port.port}/${port.protocol}\nTargetPort:\t${port.targetPort}\n`;
	if (port.appProtocol !== null) {
		out += `AppProtocol:\t${port.appProtocol}\n`;
	}

	if (port.nodePort !== null) {
		out += `NodePort:\t${port.name}\t${port.nodePort}/${port.protocol}\n`;
	}

	return out + `Endpoints:\t${port.endpoints}\n`;
}

/** The fields as tab-separated lines, in kubectl's order. */
function fieldsSection(fields: KubectlServiceFields): string {
	let out = `Name:\t${fields.name}\nNamespace:\t${fields.namespace}\n`;
	out += labelLines('Labels', fields.labels) + annotationLines(fields.annotations);
	out += `Selector:\t${fields.selector}\nType:\t${fields.type}\n`;
	const optional = (label: string, value: string | number | null) => (value === null ? '' : `${label}:\t${value}\n`);
	out += optional('IP Family Policy', fields.ipFamilyPolicy);
	out += `IP Families:\t${fields.ipFamilies.join(',') || '<none>'}\n`;
	out += `IP:\t${fields.ip}\nIPs:\t${fields.ips.join(',') || '<none>'}\n`;
	out += optional('External IPs', fields.externalIPs.join(',') || null);
	out += optional('Desired LoadBalancer IP', fields.desiredLoadBalancerIP);
	out += optional('External Name', fields.externalName);
	out += optional('LoadBalancer Ingress', fields.loadBalancerIngress);
	out += fields.ports.map(port => portLines(port)).join('');
	out += `Session Affinity:\t${fields.sessionAffinity}\n`;
	out += optional('External Traffic Policy', fields.externalTrafficPolicy);
	out += optional('Internal Traffic Policy', fields.internalTrafficPolicy);
	out += optional('HealthCheck NodePort', fields.healthCheckNodePort);
	out += optional('LoadBalancer Source Ranges', fields.loadBalancerSourceRanges.join(',') || null);
	out += optional('Traffic Distribution', fields.trafficDistribution);
	return out;
}

/** `kubectl describe svc` as kubectl prints it, Events included (their reading state is svctop's). */
export function kubectlDescribeText(fields: KubectlServiceFields, events: ServiceEvents): string {
	return tabWrite(fieldsSection(fields) + eventsSection(events));
}
