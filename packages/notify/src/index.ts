/** @facetracker/notify: face-alert notifications through Apprise (the apprise command or an apprise-api server). */

export type { BackoffOptions } from "@facetracker/infra";
export {
  type Alert,
  type AlertMessageOptions,
  type AlertTemplates,
  type AlertTemplateTexts,
  alertTemplateValues,
  buildAlertNotification,
  closestLabel,
  compileAlertTemplates,
  describeIdentities,
  formatAlertTime,
  identityLabel,
  remoteLink,
} from "./alert-message.ts";
export {
  AlertNotifier,
  type AlertNotifierOptions,
  DEFAULT_BACKOFF,
  type DeliveryResult,
  type DestinationResult,
  destinationId,
  type SentMarks,
  STORED_CONFIGURATION_DESTINATION,
} from "./alert-notifier.ts";
export { AppriseApiTransport, type AppriseApiTransportOptions } from "./apprise-api-transport.ts";
export { AppriseCliTransport, type AppriseCliTransportOptions } from "./apprise-cli-transport.ts";
export { checkAppriseUrls } from "./apprise-urls.ts";
export { attachmentFileNames, extensionForMimeType } from "./attachment-names.ts";
export {
  DurableSentMarks,
  type DurableSentMarksOptions,
  type RemoteMarks,
  remoteMarkKey,
} from "./durable-sent-marks.ts";
export {
  type Notification,
  type NotificationAttachment,
  NotificationError,
  type NotificationFormat,
  type NotificationTransport,
} from "./notification.ts";
export {
  type CompiledTemplate,
  compileTemplate,
  DEFAULT_BODY_TEMPLATE,
  DEFAULT_GROUP_BODY_TEMPLATE,
  DEFAULT_GROUP_TITLE_TEMPLATE,
  DEFAULT_TITLE_TEMPLATE,
  type TemplatePlaceholder,
  type TemplateValues,
  templatePlaceholders,
} from "./template.ts";
export { describeUrls, redactSecrets, redactUrl } from "./url-redaction.ts";
