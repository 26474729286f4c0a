/**
 * kubectl posts SelfSubjectAccessReview as protobuf (`k8s\0` + runtime.Unknown). This reads the
 * few string fields a review carries; the answer goes back as JSON, which kubectl also accepts.
 */

type Fields = Map<number, Uint8Array[]>;

function readVarint(bytes: Uint8Array, offset: number): [number, number] {
	let value = 0;
	let shift = 0;
	for (;;) {
		if (offset >= bytes.length) {
			throw new Error('truncated varint');
		}

		const byte = bytes[offset++]!;
		value += (byte & 0x7F) * 2 ** shift;
		shift += 7;
		if ((byte & 0x80) === 0) {
			return [value, offset];
		}
	}
}

/** The length-delimited fields of one message, by field number (other wire types skipped). */
function fieldsOf(bytes: Uint8Array): Fields {
	const fields: Fields = new Map();
	let offset = 0;
	while (offset < bytes.length) {
		const [key, afterKey] = readVarint(bytes, offset);
		offset = afterKey;
		const wireType = key % 8;
		const field = Math.floor(key / 8);
		if (wireType === 0) {
			offset = readVarint(bytes, offset)[1];
		} else if (wireType === 2) {
			const [length, afterLength] = readVarint(bytes, offset);
			const value = bytes.subarray(afterLength, afterLength + length);
			fields.set(field, [...fields.get(field) ?? [], value]);
			offset = afterLength + length;
		} else if (wireType === 1) {
			offset += 8;
		} else if (wireType === 5) {
			offset += 4;
		} else {
			throw new Error(`unsupported wire type ${wireType}`);
		}
	}

	return fields;
}

const text = (fields: Fields, field: number): string | undefined => {
	const value = fields.get(field)?.[0];
	return value === undefined ? undefined : Buffer.from(value).toString('utf8');
};

const message = (fields: Fields, field: number): Fields => fieldsOf(fields.get(field)?.[0] ?? new Uint8Array());

export const protobufMagic = Buffer.from([0x6B, 0x38, 0x73, 0x00]);

/** The spec of a protobuf SelfSubjectAccessReview, as the JSON form spells it. */
export function decodeAccessReviewProto(body: Buffer): {spec: Record<string, unknown>} {
	if (!body.subarray(0, 4).equals(protobufMagic)) {
		throw new Error('not a Kubernetes protobuf message');
	}

	const unknown = fieldsOf(body.subarray(4));
	const review = message(unknown, 2);
	const spec = message(review, 2);
	const spelled = (fields: Fields, names: readonly string[]) => Object.fromEntries(names.map((name, index) => [name, text(fields, index + 1)]).filter(([, value]) => value !== undefined));
	const result: Record<string, unknown> = {};
	if (spec.has(1)) {
		result.resourceAttributes = spelled(message(spec, 1), ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name']);
	}

	if (spec.has(2)) {
		result.nonResourceAttributes = spelled(message(spec, 2), ['path', 'verb']);
	}

	return {spec: result};
}
