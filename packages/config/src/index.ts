export { connectHostOf, hostPort, type Listener, listenHostOf } from "./listen-hosts.ts";
export {
  ConfigError,
  configFromEnv,
  ENV_PREFIX,
  type LoadOptions,
  loadConfig,
  parseConfig,
} from "./load-config.ts";
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
