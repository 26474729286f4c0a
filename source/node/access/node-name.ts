/**
 * Why `name` is not a Kubernetes node name, or null when it is one. Node names are DNS-1123
 * subdomains (lower-case letters, digits, `-` and `.`, at most 253 characters, each dot-separated
 * label starting and ending with a letter or digit), so a valid name can never start with `-`
 * and reach ssh or kubectl as an option.
 */
export function invalidNodeName(name: string): string | null {
	if (name.length === 0) {
		return 'is empty';
	}

	if (name.length > 253) {
		return `is ${name.length} characters long (at most 253)`;
	}

	const labels = name.split('.');
	if (labels.some(label => !/^[a-z\d]([-a-z\d]*[a-z\d])?$/.test(label) || label.length > 63)) {
		return 'is not a DNS-1123 subdomain (lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)';
	}

	return null;
}
