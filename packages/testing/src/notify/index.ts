/** Notification test kit: an apprise-api stand-in, an HTTP receiver, an SMTP server (aiosmtpd), MIME parsing. */
export {
  type AppriseApiStandIn,
  type ParsedNotifyRequest,
  startAppriseApiStandIn,
} from "./apprise-api-stand-in.ts";
export { appriseMissing } from "./apprise-available.ts";
export {
  type HttpReceiver,
  type ReceivedRequest,
  type ReceiverReply,
  startHttpReceiver,
} from "./http-receiver.ts";
export { decodeBody, leafParts, type MimePart, parseMime } from "./mime.ts";
export { AIOSMTPD, aiosmtpdMissing, type SmtpServer, startSmtpServer } from "./smtp-server.ts";
