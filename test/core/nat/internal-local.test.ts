import assert from 'node:assert/strict';
import {test} from 'node:test';
import {decodeNatDump} from '../../../source/core/nat/decode.js';
import {renderNatText} from '../../../source/core/nat/render.js';

// kube-proxy 1.28 for a NodePort Service with internalTrafficPolicy Local, externalTrafficPolicy
// Cluster, and endpoints on other nodes only: no KUBE-SERVICES jump for the ClusterIP in the nat
// table, a "has no local endpoints" DROP for it in the filter table, while the NodePort goes on to
// the cluster-wide KUBE-SVC chain through KUBE-EXT (proxier.go: internalTrafficFilterTarget). The chain
// names are kube-proxy's hashes of "test/web-int:http" + tcp (and of the endpoint for KUBE-SEP).
const dump = `*filter
:KUBE-SERVICES - [0:0]
-A KUBE-SERVICES -d 10.96.0.80/32 -p tcp -m comment --comment "test/web-int:http has no local endpoints" -m tcp --dport 80 -j DROP
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-EXT-WPKPUY4B2MBYLMQD - [0:0]
:KUBE-SVC-WPKPUY4B2MBYLMQD - [0:0]
:KUBE-SEP-ALNYZEHYXNDSQZVU - [0:0]
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "test/web-int:http" -m tcp --dport 30080 -j KUBE-EXT-WPKPUY4B2MBYLMQD
-A KUBE-EXT-WPKPUY4B2MBYLMQD -m comment --comment "masquerade traffic for test/web-int:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-WPKPUY4B2MBYLMQD -j KUBE-SVC-WPKPUY4B2MBYLMQD
-A KUBE-SVC-WPKPUY4B2MBYLMQD -m comment --comment "test/web-int:http -> 10.244.2.7:8080" -j KUBE-SEP-ALNYZEHYXNDSQZVU
-A KUBE-SEP-ALNYZEHYXNDSQZVU -s 10.244.2.7/32 -m comment --comment "test/web-int:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-ALNYZEHYXNDSQZVU -p tcp -m comment --comment "test/web-int:http" -m tcp -j DNAT --to-destination 10.244.2.7:8080
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
COMMIT
`;

test('internalTrafficPolicy Local without a local endpoint: the ClusterIP drop is not told as an outside drop', () => {
	const table = decodeNatDump(dump);
	const flow = table.services.find(service => service.service === 'test/web-int');
	assert.ok(flow, JSON.stringify(table.services.map(service => service.service)));
	assert.equal(flow.noEndpoints, 'drop');
	const text = renderNatText(table);
	assert.match(text, /ClusterIP 10\.96\.0\.80:80 \(dropped: no endpoints on this node, internalTrafficPolicy Local\)/);
	assert.match(text, /NodePort \*:30080 -> KUBE-EXT-WPKPUY4B2MBYLMQD -> KUBE-SVC-WPKPUY4B2MBYLMQD/);
	assert.match(text, /No local endpoints: traffic to the ClusterIP \(internalTrafficPolicy Local\) dropped \(line 3\)/);
	assert.doesNotMatch(text, /traffic from outside dropped/);
});
