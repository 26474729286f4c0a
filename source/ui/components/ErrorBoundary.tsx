import {Component, type ReactNode} from 'react';

export type ErrorBoundaryProps = {
	readonly children: ReactNode;
	/** Called once with what a screen threw; the caller unmounts and reports it in one line. */
	readonly onError: (error: unknown) => void;
};

/**
 * Catches a render error before ink's own boundary would print a stack trace into the terminal;
 * renders nothing from then on.
 */
export default class ErrorBoundary extends Component<ErrorBoundaryProps, {failed: boolean}> {
	static getDerivedStateFromError() {
		return {failed: true};
	}

	override state = {failed: false};

	override componentDidCatch(error: unknown) {
		this.props.onError(error);
	}

	override render() {
		return this.state.failed ? null : this.props.children;
	}
}
