/** An error as the one line svctop shows of it: its message's first line. */
export function errorLine(error: unknown): string {
	return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
