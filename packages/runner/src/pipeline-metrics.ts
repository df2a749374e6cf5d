/**
 * The pipeline's metrics in one exposition (what `facetracker up` serves at its /metrics): this process's
 * own series, every service's (scraped from each service process's /metrics, or read from each in-process
 * service's registry), each series labelled with its service (and worker, for several embed workers),
 * and facetracker_scrape_up{service} telling which services answered.
 */

import { escapeLabelValue, type MetricsSource, mergeExpositions } from "@facetracker/service-kit";

/** How long one service's /metrics may take to answer before it counts as down for that scrape. */
export const SCRAPE_TIMEOUT_MS = 2000;
/** A service's /metrics larger than this is not taken (a runaway label set must not swamp up's). */
export const SCRAPE_MAX_BYTES = 16 * 2 ** 20;

/** One service's metrics as read: its text, or why there is none. */
export interface ServiceMetricsReading {
  service: string;
  /** The instance, when the service runs several (embed workers: "1", "2" …). */
  worker?: string;
  /** Its exposition text; absent when it could not be read (`error`). */
  text?: string;
  error?: string;
}

/** Reads a service's /metrics at `url`, bounded in time and size. */
export async function scrapeMetrics(
  url: string,
  reading: Omit<ServiceMetricsReading, "text" | "error">,
  timeoutMs = SCRAPE_TIMEOUT_MS,
): Promise<ServiceMetricsReading> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return { ...reading, error: `${url} answered HTTP ${response.status}` };
    }
    const length = Number(response.headers.get("content-length") ?? 0);
    if (length > SCRAPE_MAX_BYTES) {
      await response.body?.cancel();
      return { ...reading, error: `${url} answered ${length} bytes, more than ${SCRAPE_MAX_BYTES}` };
    }
    const text = await response.text();
    if (text.length > SCRAPE_MAX_BYTES) {
      return { ...reading, error: `${url} answered more than ${SCRAPE_MAX_BYTES} bytes` };
    }
    return { ...reading, text };
  } catch (error) {
    const why =
      (error as Error).name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : (error as Error).message;
    return { ...reading, error: `${url}: ${why}` };
  }
}

const labelsOf = (r: ServiceMetricsReading): Record<string, string> => ({
  service: r.service,
  ...(r.worker ? { worker: r.worker } : {}),
});

/**
 * This process's exposition (`own`, labelled by its registry) merged with every service's, plus
 * facetracker_scrape_up{service[,worker]} (1: read, 0: not; a comment line says why).
 */
export function pipelineMetricsText(own: string, readings: readonly ServiceMetricsReading[]): string {
  const status = [
    "# HELP facetracker_scrape_up Whether the service's metrics could be read for this answer (1) or not (0).",
    "# TYPE facetracker_scrape_up gauge",
    ...readings.map((r) => {
      const labels = Object.entries(labelsOf(r))
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(",");
      return `facetracker_scrape_up{${labels}} ${r.text === undefined ? 0 : 1}`;
    }),
  ].join("\n");
  const sources: MetricsSource[] = [
    { labels: {}, text: own },
    { labels: {}, text: status },
    ...readings.flatMap((r) => (r.text === undefined ? [] : [{ labels: labelsOf(r), text: r.text }])),
  ];
  const unread = readings
    .filter((r) => r.text === undefined)
    .map(
      (r) =>
        `# facetracker: the metrics of ${r.worker ? `${r.service}-${r.worker}` : r.service} are left out: ${(r.error ?? "not read").replace(/\s+/g, " ")}`,
    );
  return `${unread.map((l) => `${l}\n`).join("")}${mergeExpositions(sources)}`;
}
