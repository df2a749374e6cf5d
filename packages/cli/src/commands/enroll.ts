import { CliError } from "../cli-error.ts";
import { openRecognizer, parse, requireFiles } from "../common.ts";

export const enrollUsage =
  "facetracker enroll [--db DIR] --name NAME [--attr KEY=VALUE]... [--force] [--json] PHOTO...";

function parseAttributes(list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const attributes: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new CliError(`--attr: expected KEY=VALUE, got '${item}'`, 2);
    attributes[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return attributes;
}

export async function enrollCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      name: { type: "string" },
      attr: { type: "string", multiple: true },
      force: { type: "boolean" },
      json: { type: "boolean" },
    },
    enrollUsage,
  );
  if (!values.name?.trim()) throw new CliError(`--name is required\nusage: ${enrollUsage}`, 2);
  requireFiles(positionals, "photo", enrollUsage);
  const attributes = parseAttributes(values.attr);
  const recognizer = await openRecognizer(values, false);
  try {
    const report = await recognizer.enroll(values.name, positionals, { attributes, force: values.force });
    if (values.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      for (const o of report.outcomes) {
        if (o.status === "enrolled") console.log(`${o.image}: enrolled`);
        else if (o.status === "no_face") console.error(`${o.image}: no face found`);
        else if (o.status === "error")
          console.error(o.reason.startsWith(o.image) ? o.reason : `${o.image}: ${o.reason}`);
        else console.error(`${o.image}: ${o.status}: ${o.reason}`);
      }
      const verb = report.created ? "created" : "updated";
      console.log(
        report.enrolled > 0
          ? `${report.name}: ${verb}, ${report.enrolled} of ${positionals.length} photos enrolled`
          : `${report.name}: nothing enrolled (0 of ${positionals.length} photos usable)`,
      );
    }
    return report.enrolled > 0 ? 0 : 1;
  } finally {
    await recognizer.close();
  }
}
