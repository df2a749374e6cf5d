import { hostService } from "@facetracker/service-host";
import { startRestreamService } from "./restream-service.ts";

hostService("restream", startRestreamService);
