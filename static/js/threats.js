// The threats page's chart: detection events per day, stacked by detection.
import { drawStackedBars } from "./stackedbars.js";

const data = JSON.parse(document.getElementById("threats-data").textContent);

const series = data.series.map(({ label, counts }) => ({ name: label, x: data.days, y: counts }));
drawStackedBars(document.getElementById("threats-chart"), series, { tickformat: "%m-%d" },
                "%{x|%Y-%m-%d}: %{y:,}<extra>%{fullData.name}</extra>");
