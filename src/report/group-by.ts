// The groupings of `report discipline --by`, apart from the SQL that computes them: the
// command's registration (what --help shows) needs the names, not the dialect adapters.

export type GroupBy = 'agency' | 'service' | 'region' | 'channel' | 'month';
export const GROUP_BY: readonly GroupBy[] = ['agency', 'service', 'region', 'channel', 'month'];
