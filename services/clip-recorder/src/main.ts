import { hostService } from "@facetracker/service-host";
import { startClipRecorderService } from "./clip-recorder-service.ts";

hostService("clip-recorder", startClipRecorderService);
