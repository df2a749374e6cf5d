export { instancePath } from "./instance-path.ts";
export { connectHostOf, hostPort, type Listener, listenHostOf } from "./listen-hosts.ts";
export {
  ConfigError,
  configFromEnv,
  ENV_PREFIX,
  type LoadOptions,
  loadConfig,
  loadConfigInput,
  parseConfig,
  setsKey,
} from "./load-config.ts";
export {
  keyPath,
  LINK_SIGNING_LABEL,
  type LinkCheck,
  type LinkResource,
  LinkSigner,
  linkSigner,
  PageLinks,
  pageLinks,
} from "./page-links.ts";
export {
  alertModes,
  configSchema,
  DEFAULT_MAX_IMAGE_PIXELS,
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  galleryBackends,
  liveModes,
  providers,
} from "./schema.ts";
