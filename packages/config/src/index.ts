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
  liveModes,
  configSchema,
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  galleryBackends,
  providers,
} from "./schema.ts";
