import dgram from 'node:dgram';
import http from 'node:http';
import {buildDnsError, buildDnsResponse, parseDnsQuery} from '../../../node/probe/dns-message.js';
import {answerFromObjects} from './dns-zone.js';
import type {Opener, Openers} from './slots.js';
import {bindUdp, closeServer, closeUdp, listen} from './sockets.js';
import type {DemoObjects, Endpoint} from './wanted.js';

/** The echo a pod serves, like the seeds' images: its hostname, IP and node, in JSON. */
function echoServer(getEndpoint: () => Endpoint): http.Server {
	return http.createServer((request, response) => {
		const endpoint = getEndpoint();
		const body = JSON.stringify({
			path: request.url,
			method: request.method,
			hostname: endpoint.hostname,
			os: {hostname: endpoint.pod ?? endpoint.hostname},
			pod: {name: endpoint.pod, ip: endpoint.ip, node: endpoint.node},
			headers: request.headers,
		});
		response.writeHead(200, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Connection: 'close'});
		response.end(body);
	});
}

const openEcho: Opener<Endpoint> = async (meta, port) => {
	const server = echoServer(meta);
	try {
		return {port: await listen(server, port), close: async () => closeServer(server)};
	} catch (error) {
		server.close();
		throw error;
	}
};

/** The CoreDNS stand-in's answer to one datagram; undefined when it is not a query (ignored). */
function dnsAnswer(message: Buffer, endpoint: Endpoint, objects: DemoObjects, clusterDomain: string): Buffer | undefined {
	const query = parseDnsQuery(message);
	if (query === undefined) {
		return undefined;
	}

	if ('formerr' in query) {
		return buildDnsError(query.id, 1);
	}

	if (query.opcode !== 0) {
		return buildDnsError(query.id, 4);
	}

	const reply = answerFromObjects(objects, query, clusterDomain);
	return buildDnsResponse(query, {...reply, nsid: endpoint.pod ?? endpoint.hostname});
}

/** A DNS responder that answers for the Services from the live objects and names its pod in the NSID option. */
function dnsResponder(getObjects: () => DemoObjects, clusterDomain: string): Opener<Endpoint> {
	return async (meta, port) => {
		const socket = dgram.createSocket('udp4');
		socket.on('message', (message, client) => {
			const answer = dnsAnswer(message, meta(), getObjects(), clusterDomain);
			if (answer) {
				socket.send(answer, client.port, client.address);
			}
		});
		try {
			const bound = await bindUdp(socket, port);
			socket.on('error', () => undefined);
			return {port: bound, close: async () => closeUdp(socket)};
		} catch (error) {
			await closeUdp(socket);
			throw error;
		}
	};
}

/** The pods' servers: an echo over TCP, a DNS responder over UDP (the demo's UDP pods are CoreDNS). */
export function podOpeners(getObjects: () => DemoObjects, clusterDomain: string): Openers<Endpoint> {
	return {TCP: openEcho, UDP: dnsResponder(getObjects, clusterDomain)};
}
