/**
 * The security cases the SDK must pass (../shared/security-cases.md in the project's notes), by ID.
 * Every ID here appears in the name of a test in this folder; the coverage test checks it. Cases for
 * features the SDK does not have are pending, with the reason, and become tests when the feature lands.
 */
export const CASE_IDS = [
  'AR-01', 'AR-02', 'AR-03', 'AR-04', 'AR-05', 'AR-06', 'AR-09', 'AR-10', 'AR-11', 'AR-13',
  'AQ-01', 'AQ-02',
  'TR-01', 'TR-03', 'TR-04', 'TR-06', 'TR-07',
  'IT-01', 'IT-02', 'IT-03', 'IT-05', 'IT-06', 'IT-07', 'IT-08', 'IT-10', 'IT-11', 'IT-12', 'IT-13', 'IT-14',
  'UI-01', 'UI-02',
  'RF-01', 'RF-02', 'RF-03', 'RF-04', 'RF-05',
  'LO-01', 'LO-02', 'LO-03',
  'DS-01', 'DS-02',
  'DP-01', 'DP-02', 'DP-03', 'DP-04', 'DP-05', 'DP-06',
  'ST-01', 'ST-02', 'ST-03',
  'FZ-02',
  'NA-01', 'NA-02', 'NA-03', 'NA-04', 'NA-05', 'NA-06', 'NA-07', 'NA-08', 'NA-09', 'NA-10',
] as const;

/** Cases that cannot run yet, and why. */
export const PENDING: Readonly<Record<string, string>> = {
  'IT-13': 'JWKS key selection only matters with signature verification (IT-12 option b); the SDK uses option a.',
};
