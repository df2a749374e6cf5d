/**
 * Dead letters: a message that a consumer could not decode, or whose handler threw, is republished
 * unchanged to `ft.dlq.<kind>` (stream FT_DLQ) with headers saying where it came from and why, so it
 * can be inspected and replayed, and it never blocks its stream.
 */

import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import { deadLetterSubject } from "./subjects.ts";

/** Header names of a dead letter. */
export const DLQ_HEADERS = Object.freeze({
  subject: "Ft-Original-Subject",
  stream: "Ft-Original-Stream",
  streamSeq: "Ft-Original-Seq",
  consumer: "Ft-Consumer",
  stage: "Ft-Failed-Stage",
  error: "Ft-Error",
});

/** Where processing failed: the bytes did not decode, the message failed its sanity check, or the handler threw. */
export type FailureStage = "decode" | "check" | "handler";

export interface DeadLetter {
  /** Subject the message was published on. */
  subject: string;
  /** Stream it was stored in, and its sequence there. */
  stream: string;
  streamSeq: number;
  /** Durable consumer name (empty for an ordered consumer). */
  consumer: string;
  stage: FailureStage;
  /** The error's message (one line, at most 1000 characters). */
  error: string;
  /** The original payload. */
  data: Uint8Array;
}

const MAX_ERROR_LENGTH = 1000;

/** An error as one header-safe line. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const oneLine = text.replace(/[\r\n]+/g, " ").trim();
  return oneLine.length > MAX_ERROR_LENGTH ? `${oneLine.slice(0, MAX_ERROR_LENGTH - 1)}…` : oneLine;
}

/**
 * Publishes a dead letter to ft.dlq.<kind>; its Nats-Msg-Id is `<stream>:<consumer>:<seq>` so one
 * message dead-lettered twice by the same consumer (e.g. redelivered after a crash) is stored once.
 */
export function publishDeadLetter(js: JetStreamClient, letter: DeadLetter): Promise<PubAck> {
  const h = natsHeaders();
  h.set(DLQ_HEADERS.subject, letter.subject);
  h.set(DLQ_HEADERS.stream, letter.stream);
  h.set(DLQ_HEADERS.streamSeq, String(letter.streamSeq));
  if (letter.consumer) h.set(DLQ_HEADERS.consumer, letter.consumer);
  h.set(DLQ_HEADERS.stage, letter.stage);
  h.set(DLQ_HEADERS.error, letter.error);
  return js.publish(deadLetterSubject(letter.subject), letter.data, {
    headers: h,
    msgID: `${letter.stream}:${letter.consumer}:${letter.streamSeq}`,
  });
}

/** Reads a dead letter back from a message of FT_DLQ. */
export function readDeadLetter(message: { headers?: MsgHdrs | undefined; data: Uint8Array }): DeadLetter {
  const h = message.headers;
  const get = (name: string) => h?.get(name) ?? "";
  const stage = get(DLQ_HEADERS.stage);
  return {
    subject: get(DLQ_HEADERS.subject),
    stream: get(DLQ_HEADERS.stream),
    streamSeq: Number(get(DLQ_HEADERS.streamSeq)),
    consumer: get(DLQ_HEADERS.consumer),
    stage: stage === "decode" || stage === "check" ? stage : "handler",
    error: get(DLQ_HEADERS.error),
    data: message.data,
  };
}
