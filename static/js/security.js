// The security page's chart: events per hour, stacked by type.
import { drawStackedBars } from "./stackedbars.js";

const data = JSON.parse(document.getElementById("security-data").textContent);

const byKind = new Map();
for (const row of data.hourly) {
  if (!byKind.has(row.kind)) {
    byKind.set(row.kind, { name: data.kinds[row.kind] ?? row.kind, x: [], y: [] });
  }
  byKind.get(row.kind).x.push(new Date(row.hour));
  byKind.get(row.kind).y.push(row.count);
}

drawStackedBars(document.getElementById("security-chart"), [...byKind.values()],
                { range: [new Date(data.since), new Date(data.until)] },
                "%{y:,}<extra>%{fullData.name}</extra>");
