/**
 * Merging Prometheus text expositions (the /metrics of several services) into one: what `facetracker up`
 * serves at its own /metrics. Each source's series get the source's labels (service, worker) unless they
 * carry them already; the samples of a metric family from every source are put together under one
 * HELP/TYPE (a family told twice is invalid exposition text), a series repeated is kept once, and a family
 * whose type differs between sources keeps the first type (the other's samples are left out, and a comment
 * line says so).
 */

/** One exposition to merge: its text and the labels its series get. */
export interface MetricsSource {
  /** Added to every series of the source that has no label of that name (e.g. { service: "detect" }). */
  labels: Record<string, string>;
  /** Prometheus text exposition format (0.0.4), as a /metrics endpoint serves it. */
  text: string;
}

/** One metric family of an exposition: its HELP and TYPE, and its sample lines in order. */
export interface MetricFamily {
  name: string;
  help?: string;
  type?: string;
  samples: string[];
}

/** The suffixes of a family's sample names (histogram, summary, counter, OpenMetrics). */
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", "_created", "_gcount", "_gsum", "_info"];

/** The metric name a sample line starts with (up to its labels or its value). */
function sampleName(line: string): string {
  const end = line.search(/[{\s]/);
  return end < 0 ? line : line.slice(0, end);
}

function belongsTo(name: string, family: string): boolean {
  return name === family || SUFFIXES.some((s) => name === family + s);
}

/** The metric families of an exposition, in the order they appear (comments other than HELP/TYPE dropped). */
export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  let current: MetricFamily | undefined;
  const familyOf = (name: string): MetricFamily => {
    let family = families.get(name);
    if (!family) {
      family = { name, samples: [] };
      families.set(name, family);
    }
    return family;
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith("#")) {
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!meta) continue;
      current = familyOf(meta[2] as string);
      if (meta[1] === "HELP") current.help = meta[3] ?? "";
      else current.type = (meta[3] ?? "untyped").trim();
      continue;
    }
    const name = sampleName(line);
    if (!current || !belongsTo(name, current.name)) current = familyOf(name);
    current.samples.push(line);
  }
  return [...families.values()];
}

/** A label value as the exposition format writes it (backslash, double quote and newline escaped). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * The sample line with `labels` added, except those it has already; `undefined` when the line's label set
 * cannot be read (an unterminated quote or brace).
 */
export function withLabels(line: string, labels: Record<string, string>): string | undefined {
  const name = sampleName(line);
  let rest = line.slice(name.length);
  const own: string[] = [];
  const names = new Set<string>();
  if (rest.startsWith("{")) {
    // Up to the closing brace, skipping over quoted values (which may hold braces, commas, \").
    let i = 1;
    let inQuote = false;
    for (; i < rest.length; i++) {
      const c = rest[i];
      if (inQuote) {
        if (c === "\\") i++;
        else if (c === '"') inQuote = false;
      } else if (c === '"') inQuote = true;
      else if (c === "}") break;
    }
    if (i >= rest.length) return undefined;
    const body = rest.slice(1, i);
    rest = rest.slice(i + 1);
    const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
    let at = 0;
    while (at < body.length) {
      pair.lastIndex = at;
      const m = pair.exec(body);
      if (!m) {
        if (body.slice(at).trim() === "") break;
        return undefined;
      }
      own.push(`${m[1]}="${m[2]}"`);
      names.add(m[1] as string);
      at = pair.lastIndex;
    }
  }
  const added = Object.entries(labels)
    .filter(([k]) => !names.has(k))
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  const all = [...own, ...added];
  return `${name}${all.length > 0 ? `{${all.join(",")}}` : ""}${rest}`;
}

/** The series part of a sample line (name and labels, without value and timestamp): its identity. */
function seriesOf(line: string): string {
  const name = sampleName(line);
  return line[name.length] === "{" ? line.slice(0, line.lastIndexOf("}") + 1) : name;
}

/**
 * One exposition of every source: each family once (HELP and TYPE of its first source), with the samples
 * of every source, relabelled (see MetricsSource.labels). Ends with a newline.
 */
export function mergeExpositions(sources: readonly MetricsSource[]): string {
  const merged = new Map<string, MetricFamily>();
  const seen = new Set<string>();
  const notes: string[] = [];
  const describe = (labels: Record<string, string>) =>
    Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(",") || "this process";
  for (const source of sources) {
    for (const family of parseExposition(source.text)) {
      let into = merged.get(family.name);
      if (!into) {
        into = { name: family.name, samples: [] };
        if (family.help !== undefined) into.help = family.help;
        if (family.type !== undefined) into.type = family.type;
        merged.set(family.name, into);
      } else if (family.type && into.type && family.type !== into.type) {
        notes.push(
          `# facetracker: ${family.name} of ${describe(source.labels)} left out: it is a ${family.type}, elsewhere a ${into.type}`,
        );
        continue;
      }
      into.help ??= family.help;
      into.type ??= family.type;
      for (const sample of family.samples) {
        const line = withLabels(sample, source.labels);
        if (line === undefined) {
          notes.push(
            `# facetracker: an unreadable sample of ${family.name} of ${describe(source.labels)} left out`,
          );
          continue;
        }
        const series = seriesOf(line);
        if (seen.has(series)) continue;
        seen.add(series);
        into.samples.push(line);
      }
    }
  }
  const lines: string[] = [...notes];
  for (const family of merged.values()) {
    if (family.samples.length === 0 && family.type === undefined) continue;
    if (family.help !== undefined) lines.push(`# HELP ${family.name} ${family.help}`);
    if (family.type !== undefined) lines.push(`# TYPE ${family.name} ${family.type}`);
    lines.push(...family.samples);
  }
  return `${lines.join("\n")}\n`;
}
