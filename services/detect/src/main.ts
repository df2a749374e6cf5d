import { hostService } from "@facetracker/service-host";
import { startDetectService } from "./detect-service.ts";

hostService("detect", startDetectService);
