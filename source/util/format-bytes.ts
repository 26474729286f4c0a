/** `512 bytes`, `1.5 KiB`, `512 MiB`: binary units, one decimal unless whole. */
export function formatBytes(size: number): string {
	if (size < 1024) {
		return `${size} byte${size === 1 ? '' : 's'}`;
	}

	const units = ['KiB', 'MiB', 'GiB'];
	let unit = 0;
	while (size >= 1024 ** (unit + 2) && unit < units.length - 1) {
		unit++;
	}

	const value = size / 1024 ** (unit + 1);
	return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]!}`;
}
