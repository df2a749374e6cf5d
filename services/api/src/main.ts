import { hostService } from "@facetracker/service-host";
import { startApiService } from "./api-service.ts";

hostService("api", startApiService);
