import { hostService } from "@facetracker/service-host";
import { startTrackService } from "./track-service.ts";

hostService("track", startTrackService);
