/**
 * The web API's JSON style, as the CLI's `--json`: snake_case keys (`track_id`, `first_time`), turned at
 * the edge (replies, server-sent events, request bodies); @facetracker/infra's json-keys.ts.
 */

export { camelCaseKeys as fromWireJson, snakeCaseKeys as toWireJson } from "@facetracker/infra";
