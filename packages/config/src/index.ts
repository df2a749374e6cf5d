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
  type FaceTrackerConfig,
  type FaceTrackerConfigInput,
  galleryBackends,
  liveModes,
  providers,
} from "./schema.ts";
