import {dumpYaml, type V1Service} from '@kubernetes/client-node';

/** kubectl apply's copy of the whole object: noise when reading a Service. */
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The Service as `kubectl get svc NAME -o yaml` prints it, less what nobody reads: with its
 * apiVersion and kind (a list's items come without them), without `managedFields` and the
 * last-applied annotation.
 */
export function serviceManifest(service: V1Service): Record<string, unknown> {
	const {managedFields: _, annotations, ...metadata} = service.metadata ?? {};
	const {[lastAppliedAnnotation]: __, ...kept} = annotations ?? {};
	return {
		...service,
		apiVersion: 'v1',
		kind: 'Service',
		metadata: Object.keys(kept).length > 0 ? {...metadata, annotations: kept} : metadata,
	};
}

/** The Service's YAML in kubectl's layout: keys sorted, list items at their parent's indent, `"80"` double-quoted, no line folding. */
export function serviceYaml(service: V1Service): string {
	return dumpYaml(serviceManifest(service), {sortKeys: true, lineWidth: -1, seqNoIndent: true, quoteStyle: 'double'});
}
