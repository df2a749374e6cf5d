import { hostService } from "@facetracker/service-host";
import { startAlertService } from "./alert-service.ts";

hostService("alert", startAlertService);
