/** What the runner tells as it starts, supervises and stops the pipeline. */

export interface PipelineLogEntry {
  /** "info": what was started where; "warn": a service that died, a stop that took too long, a service's warning. */
  level: "info" | "warn";
  message: string;
  /** Set on a line a service process wrote (its id, e.g. "embed-2"). */
  service?: string;
}

export type PipelineLog = (entry: PipelineLogEntry) => void;

/** The default: warnings on stderr, the rest dropped. */
export const stderrWarnings: PipelineLog = ({ level, message, service }) => {
  if (level === "warn") console.error(service ? `[${service}] ${message}` : `facetracker: ${message}`);
};

/**
 * Waits for a stop step, at most 10 s (then goes on: the pipeline is ending anyway); a failure or a
 * timeout is logged.
 */
export async function bounded(step: Promise<unknown>, what: string, log: PipelineLog): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      log({ level: "warn", message: `${what} did not stop within 10 s` });
      resolve();
    }, 10_000);
  });
  await Promise.race([
    step.then(
      () => {},
      (e: Error) => log({ level: "warn", message: `stopping ${what}: ${e.message}` }),
    ),
    timeout,
  ]);
  clearTimeout(timer);
}
