// Chart data as columns of equal length ({t: [...], cpu: [...], ...}), oldest first.

export class Columns {
  /** `maxGap`: seconds between two points beyond which nothing was measured (see appendAfter). */
  constructor(columns, maxGap) {
    this.columns = columns;
    this.maxGap = maxGap;
  }

  get length() {
    return this.columns.t.length;
  }

  lastTime() {
    return this.columns.t.at(-1) ?? -Infinity;
  }

  column(name) {
    return this.columns[name] ?? [];
  }

  append(row) {
    for (const [name, values] of Object.entries(this.columns)) values.push(row[name] ?? null);
  }

  /**
   * Appends `row`, after a break (a row of nulls) when it comes more than maxGap seconds after
   * the last one, so a line never bridges time when nothing was measured. True if it broke.
   */
  appendAfter(row) {
    const broke = this.length > 0 && row.t - this.lastTime() > this.maxGap;
    if (broke) this.append({ t: (this.lastTime() + row.t) / 2 });
    this.append(row);
    return broke;
  }

  /** Drops the points older than `since` (epoch seconds). */
  trim(since) {
    const first = this.columns.t.findIndex((t) => t >= since);
    const cut = first === -1 ? this.length : first;
    if (cut) for (const values of Object.values(this.columns)) values.splice(0, cut);
  }
}

const METRICS = ["cpu", "memory", "swap", "disk", "disk_read", "disk_write", "net_in", "net_out", "app_rss"];
const REQUESTS = ["count", "error_rate", "p50", "p95", "p99"];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Columns of `names` from an API's columns, with breaks where samples are missing. */
function pick(source, names, interval) {
  const times = source?.t ?? [];
  // Long ranges come thinned to every n-th sample: the usual spacing says what a gap is.
  const steps = times.slice(1).map((t, i) => t - times[i]);
  const maxGap = 3 * Math.max(interval, steps.length ? median(steps) : 0);
  const columns = new Columns(Object.fromEntries(["t", ...names].map((name) => [name, []])), maxGap);
  times.forEach((t, i) => {
    columns.appendAfter(Object.fromEntries(["t", ...names].map((name) => [name, source[name]?.[i]])));
  });
  return columns;
}

/** The history of a snapshot or of /api/v1/metrics/history, as {metrics, requests} Columns. */
export function fromHistory(history, interval) {
  const requests = pick(history.requests, REQUESTS, interval);
  // Counts per interval become a rate, so charts read the same whatever the interval.
  requests.columns.rps = requests.column("count").map((n) => (n == null ? null : n / interval));
  return { metrics: pick(history.metrics, METRICS, interval), requests };
}

/** A tick's rows: its metrics at tick time, its request summary at its interval's start. */
export function tickRows(tick, interval) {
  const rows = {};
  if (tick.metrics) rows.metrics = { t: tick.t, ...tick.metrics };
  if (tick.requests) {
    const r = tick.requests;
    rows.requests = { t: r.interval_start, ...r, rps: r.count / interval };
  }
  return rows;
}
