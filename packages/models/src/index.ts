export { type InstallOptions, type InstallReport, installModels, npmPack } from "./install.ts";
export {
  loadManifest,
  type Manifest,
  type ManifestFile,
  manifestEntry,
  modelsDir,
  repoRoot,
} from "./manifest.ts";
export { checkFile, INSTALL_HINT, ModelFileError, resolveFile } from "./verify.ts";
