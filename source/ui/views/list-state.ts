import {defaultSortOrder, type SortOrder} from '../table/service-table.js';

/** What the Service list remembers while another screen is open. */
export type ServiceListState = {
	/** `namespace/name` of the selected row. */
	readonly selectedKey: string | undefined;
	/** Index of the selection when last seen, the fallback when that Service disappears. */
	readonly selectedIndex: number;
	/** First row of the window. */
	readonly start: number;
	readonly filter: string;
	readonly sort: SortOrder;
};

export const initialListState: ServiceListState = {
	selectedKey: undefined,
	selectedIndex: 0,
	start: 0,
	filter: '',
	sort: defaultSortOrder,
};
