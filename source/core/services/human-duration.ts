/**
 * kubectl's AGE: apimachinery's duration.HumanDuration, with the same boundaries (about two to three
 * significant figures). Input is a duration in milliseconds; a clock skew of up to two seconds into
 * the future reads as `0s`, anything further as `<invalid>`.
 */
export function humanDuration(ms: number): string {
	// Go converts with int(), which truncates toward zero; Math.trunc keeps -1.9s at -1 (-> `0s`).
	const seconds = Math.trunc(ms / 1000);
	if (seconds < -1) {
		return '<invalid>';
	}

	if (seconds < 0) {
		return '0s';
	}

	if (seconds < 60 * 2) {
		return `${seconds}s`;
	}

	const minutes = Math.floor(ms / 60_000);
	if (minutes < 10) {
		const s = seconds % 60;
		return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
	}

	if (minutes < 60 * 3) {
		return `${minutes}m`;
	}

	const hours = Math.floor(ms / 3_600_000);
	if (hours < 8) {
		const m = minutes % 60;
		return m === 0 ? `${hours}h` : `${hours}h${m}m`;
	}

	if (hours < 48) {
		return `${hours}h`;
	}

	const days = Math.floor(hours / 24);
	if (hours < 24 * 8) {
		const h = hours % 24;
		return h === 0 ? `${days}d` : `${days}d${h}h`;
	}

	if (hours < 24 * 365 * 2) {
		return `${days}d`;
	}

	const years = Math.floor(days / 365);
	if (hours < 24 * 365 * 8) {
		const dy = days % 365;
		return dy === 0 ? `${years}y` : `${years}y${dy}d`;
	}

	return `${years}y`;
}
