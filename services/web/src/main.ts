import { hostService } from "@facetracker/service-host";
import { startWebService } from "./web-service.ts";

hostService("web", startWebService);
