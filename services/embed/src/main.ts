import { hostService } from "@facetracker/service-host";
import { startEmbedService } from "./embed-service.ts";

hostService("embed", startEmbedService);
