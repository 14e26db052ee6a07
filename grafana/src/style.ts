/**
 * Units, threshold sets and per-panel-type defaults of every dashboard, in one place: a panel
 * names a unit and a threshold set; the colours, targets and Grafana ids are decided here.
 */

/** Grafana unit ids by what a value measures. */
export const UNITS = {
  none: 'none',
  count: 'short',
  ratio: 'percentunit',
  seconds: 's',
  bytes: 'bytes',
  usd: 'currencyUSD',
  perHour: 'suffix:/h',
  perMinute: 'opm',
  perSecond: 'ops',
} as const;
export type Unit = keyof typeof UNITS;

type Step = readonly [color: string, from?: number];
const steps = (...s: Step[]) => s.map(([color, value]) => ({ color, value: value ?? null }));

/** Threshold sets, named by what they say. Targets (95 %, 80 % of a limit…) are set here only. */
export const THRESHOLDS = {
  /** Plain values: no judgement. */
  neutral: steps(['green']),
  info: steps(['blue']),
  orange: steps(['orange']),
  /** 1 = up/running is good, 0 is bad. */
  upIsGood: steps(['red'], ['green', 1]),
  /** Any non-zero count is bad / worth a look. */
  anyIsBad: steps(['green'], ['red', 1]),
  anyIsWarning: steps(['green'], ['orange', 1]),
  /** Counts of problems: 1 is worth a look, from 2 (or 5) it is bad. */
  moreThanOneIsBad: steps(['green'], ['orange', 1], ['red', 2]),
  /** Ratios where high is good. */
  highIsGood: steps(['red'], ['orange', 0.8], ['green', 0.9]),
  highIsGood90: steps(['blue'], ['green', 0.9]),
  /** The 95 % consensus / closure target of SPEC §4. */
  target95: steps(['red'], ['green', 0.95]),
  /** Utilisation of a limit: warn at 80 %, bad at 95 %. */
  usage: steps(['green'], ['orange', 0.8], ['red', 0.95]),
  usage90: steps(['green'], ['orange', 0.8], ['red', 0.9]),
  usage85: steps(['green'], ['orange', 0.85], ['red', 0.95]),
  /** Ratios where high is bad. */
  failure: steps(['green'], ['orange', 0.1], ['red', 0.2]),
  failureShare: steps(['green'], ['orange', 0.2], ['red', 0.5]),
  rejectionShare: steps(['green'], ['orange', 0.3], ['red', 0.5]),
  /** Resolution attempts: 3 is worth a look, past 5 the loop is infinite. */
  attempts: steps(['green'], ['orange', 3], ['red', 6]),
  retry: steps(['green'], ['orange', 0.25], ['red', 0.5]),
  /** Dashed target lines on time series (transparent base). */
  line95: steps(['transparent'], ['red', 0.95]),
  line80: steps(['transparent'], ['orange', 0.8]),
  line80_90: steps(['transparent'], ['orange', 0.8], ['red', 0.9]),
  line90: steps(['transparent'], ['green', 0.9]),
  line50: steps(['transparent'], ['orange', 0.5]),
  line10_50: steps(['transparent'], ['orange', 0.1], ['red', 0.5]),
  lineAttempts: steps(['transparent'], ['orange', 1], ['red', 2]),
  lineAttempts5: steps(['transparent'], ['orange', 1], ['red', 5]),
  line6: steps(['transparent'], ['red', 6]),
  /** Burn rates of an error budget: the ticket (3x) and page (14.4x) factors of the SRE workbook. */
  lineBurn: steps(['transparent'], ['orange', 3], ['red', 14.4]),
  burnRate: steps(['green'], ['orange', 3], ['red', 14.4]),
  /** Share of a budget left: red once spent, orange under a quarter. */
  budgetLeft: steps(['red'], ['orange', 0], ['green', 0.25]),
  /** An uptime shorter than 10 minutes: the exporter restarted. */
  uptime: steps(['orange'], ['green', 600]),
} as const;
export type Thresholds = keyof typeof THRESHOLDS;

const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
const hideFrom = { legend: false, tooltip: false, viz: false };

/** What every panel of a type starts from; a panel spec overrides only what differs. */
export const TYPE_DEFAULTS: Record<string, { options: object; defaults: object }> = {
  stat: {
    options: { colorMode: 'value', graphMode: 'area', justifyMode: 'auto', orientation: 'auto', reduceOptions: reduce, showPercentChange: false, textMode: 'auto', wideLayout: true },
    defaults: { color: { mode: 'thresholds' } },
  },
  gauge: {
    options: { minVizHeight: 75, minVizWidth: 75, orientation: 'auto', reduceOptions: reduce, showThresholdLabels: false, showThresholdMarkers: true, sizing: 'auto' },
    defaults: { color: { mode: 'thresholds' }, min: 0, max: 1 },
  },
  bargauge: {
    options: { displayMode: 'gradient', maxVizHeight: 300, minVizHeight: 16, minVizWidth: 8, namePlacement: 'auto', orientation: 'horizontal', reduceOptions: reduce, showUnfilled: true, sizing: 'auto', valueMode: 'color' },
    defaults: { color: { mode: 'thresholds' }, min: 0 },
  },
  timeseries: {
    options: { legend: { calcs: [], displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    defaults: {
      color: { mode: 'palette-classic' },
      custom: {
        axisBorderShow: false, axisCenteredZero: false, axisColorMode: 'text', axisLabel: '', axisPlacement: 'auto', axisSoftMin: 0,
        barAlignment: 0, drawStyle: 'line', fillOpacity: 10, gradientMode: 'none', hideFrom, insertNulls: false,
        lineInterpolation: 'linear', lineWidth: 2, pointSize: 4, scaleDistribution: { type: 'linear' }, showPoints: 'never',
        spanNulls: false, stacking: { group: 'A', mode: 'none' }, thresholdsStyle: { mode: 'off' },
      },
    },
  },
  table: {
    options: { cellHeight: 'sm', footer: { countRows: false, fields: '', reducer: ['sum'], show: false }, showHeader: true, sortBy: [] },
    defaults: { color: { mode: 'thresholds' }, custom: { align: 'auto', cellOptions: { type: 'auto' }, filterable: false, inspect: false } },
  },
  'state-timeline': {
    options: { alignValue: 'left', legend: { displayMode: 'list', placement: 'bottom', showLegend: false }, mergeValues: true, rowHeight: 0.9, showValue: 'never', tooltip: { mode: 'single', sort: 'none' } },
    defaults: { color: { mode: 'thresholds' }, custom: { fillOpacity: 75, hideFrom, insertNulls: false, lineWidth: 0, spanNulls: false } },
  },
  piechart: {
    options: {
      displayLabels: ['percent'], legend: { displayMode: 'table', placement: 'right', showLegend: true, values: ['value', 'percent'] },
      pieType: 'donut', reduceOptions: reduce, tooltip: { mode: 'single', sort: 'none' },
    },
    defaults: { color: { mode: 'palette-classic' }, custom: { hideFrom } },
  },
  barchart: {
    options: {
      barRadius: 0, barWidth: 0.8, fullHighlight: false, groupWidth: 0.7, legend: { calcs: [], displayMode: 'list', placement: 'bottom', showLegend: true },
      orientation: 'auto', showValue: 'always', stacking: 'none', tooltip: { mode: 'single', sort: 'none' }, xTickLabelRotation: 0, xTickLabelSpacing: 0,
    },
    defaults: { color: { mode: 'palette-classic' } },
  },
};

/** Field-override properties naming a unit or a threshold set (table columns, second axes). */
export const unitOf = (unit: Unit) => ({ id: 'unit', value: UNITS[unit] });
export const thresholdsOf = (name: Thresholds) => ({ id: 'thresholds', value: { mode: 'absolute', steps: THRESHOLDS[name] } });
