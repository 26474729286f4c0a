import {apiPortsOf, type NatApiObjects, noFilterTable} from './cross-check.js';
import type {NatFlowTable} from './types.js';
import {addressFamily, flowFamily} from './service-ports.js';

/** Why a Service has no flow in the rules: `expected` when kube-proxy writes none for it by design. */
export type NoRulesVerdict = {readonly expected: boolean; readonly text: string};

/**
 * Why `table` (checked against `api` as it was when the rules were read) has no flow for `serviceKey` (`NS/NAME[:PORT]`):
 * by design for ExternalName and headless Services; a finding for a ClusterIP of a family the rules hold; else unknown, said why.
 */
export function whyNoRules(serviceKey: string, table: NatFlowTable, api: NatApiObjects | undefined, unchecked: string | undefined): NoRulesVerdict {
	const [key = '', portName] = serviceKey.split(':');
	const [namespace = '', name = ''] = key.split('/');
	if (api === undefined) {
		return {expected: false, text: unchecked ?? 'not checked against the API (no cluster to ask)'};
	}

	if (api.namespace !== undefined && api.namespace !== namespace) {
		return {expected: false, text: `not checked against the API: it was listed for namespace ${api.namespace} only`};
	}

	const service = api.services.find(each => each.metadata?.namespace === namespace && each.metadata?.name === name);
	const spec = service?.spec;
	if (spec === undefined) {
		return {expected: false, text: `the API has no Service ${key} either`};
	}

	if (portName !== undefined && !(spec.ports ?? []).some(port => (port.name ?? '') === portName)) {
		return {expected: false, text: `the Service ${key} has no port named ${portName}`};
	}

	if (spec.type === 'ExternalName') {
		return {expected: true, text: `${key} is an ExternalName Service: DNS answers its name with a CNAME to ${spec.externalName ?? '?'}, so kube-proxy writes no rules for it`};
	}

	if (spec.clusterIP === 'None') {
		return {expected: true, text: `${key} is headless (clusterIP None): DNS answers its name with the pods' own addresses, so kube-proxy writes no rules for it`};
	}

	// IPv4 and IPv6 rules are separate dumps: a ClusterIP only of a family this one lacks says nothing.
	const read = new Set(table.services.map(flow => flowFamily(flow)));
	const clusterIPs = [spec.clusterIP, ...(spec.clusterIPs ?? [])].filter((ip): ip is string => Boolean(ip));
	const comparable = clusterIPs.filter(ip => read.has(addressFamily(ip)));
	if (comparable.length === 0 && clusterIPs.length > 0 && read.size > 0) {
		return {expected: false, text: `the API gives ${key} only ${addressFamily(clusterIPs[0]!)} ClusterIPs, and these rules are ${[...read].join(' and ')} only`};
	}

	// A nat-only dump lacks the filter table, where a Service without (local) endpoints has its only rule.
	const ports = apiPortsOf({services: [service!], endpointSlices: api.endpointSlices}, read).filter(port => portName === undefined || port.portName === portName);
	if (table.filterTable === false && ports.length > 0 && api.endpointSlicesListed !== false && ports.every(port => port.clusterEndpoints.length === 0)) {
		return {expected: true, text: `${key} has no endpoints, so kube-proxy writes it no nat rules, only a REJECT in the filter table, which this dump lacks (iptables-save -t nat)`};
	}

	if (table.filterTable === false && api.endpointSlicesListed === false) {
		return {expected: false, text: `${unchecked ?? 'endpoints not checked against the API: its EndpointSlices were not listed'}, and ${noFilterTable}`};
	}

	if (table.filterTable === false && ports.some(port => port.internalLocal)) {
		return {expected: false, text: `not checked: ${noFilterTable}`};
	}

	return {expected: false, text: `the API gives ${key} ClusterIP ${comparable[0] ?? clusterIPs[0] ?? '?'}: kube-proxy here has not written its rules (not synced, or not running), or the rules are another node's or partial`};
}
