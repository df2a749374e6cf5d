import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/**
 * The wire-format half of a generated message object (e.g. `Alert`, `Frame`): what the bus codec needs
 * to encode and decode a message type it is given.
 */
export interface MessageType<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

/** The message type a MessageType encodes. */
export type MessageOf<M> = M extends MessageType<infer T> ? T : never;

/** Encodes a message to its protobuf bytes. */
export function encodeMessage<T>(type: MessageType<T>, value: T): Uint8Array {
  return type.encode(value).finish();
}

/** Decodes protobuf bytes; throws on malformed input (truncated data, invalid wire types). */
export function decodeMessage<T>(type: MessageType<T>, data: Uint8Array): T {
  return type.decode(data);
}
