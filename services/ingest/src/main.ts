import { hostService } from "@facetracker/service-host";
import { startIngestService } from "./ingest-service.ts";

hostService("ingest", startIngestService);
