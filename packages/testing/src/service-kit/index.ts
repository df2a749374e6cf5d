/** Service test kit: runs a service in a real Node child process and returns its exit and log lines. */
export {
  runServiceChild,
  SERVICE_KIT_URL,
  type ServiceChildOptions,
  type ServiceChildResult,
} from "./service-child.ts";
