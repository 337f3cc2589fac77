// validate-k8s.mjs FILE... - checks every document of the Kubernetes manifests against the
// API's OpenAPI schemas (npm kubernetes-models: types, required fields, enums, formats).
// A document of an apiVersion/kind the schemas do not know is refused too.
// Prints the documents as one JSON array ({file, doc}) when all are valid, exit 0;
// otherwise one line per problem on stderr, exit 1.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// "apps/v1" + "Deployment" -> kubernetes-models/apps/v1/Deployment; core "v1" -> kubernetes-models/v1/…
async function model(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind) ||
      !/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion))
    return null;
  try {
    const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return mod[kind] ?? null;
  } catch {
    return null;
  }
}

async function check(file, doc, index) {
  const where = `${file}#${index} ${doc?.kind ?? "?"}/${doc?.metadata?.name ?? "?"}`;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    return [`${where}: not a mapping`];
  const Model = await model(doc.apiVersion, doc.kind);
  if (Model === null)
    return [`${where}: no schema for apiVersion ${doc.apiVersion} kind ${doc.kind}`];
  try {
    new Model(doc).validate();
  } catch (e) {
    return [`${where}: ${e.message}`];
  }
  return [];
}

const problems = [];
const out = [];
for (const file of process.argv.slice(2)) {
  let docs;
  try {
    docs = parseAllDocuments(readFileSync(file, "utf8"));
  } catch (e) {
    problems.push(`${file}: ${e.message}`);
    continue;
  }
  let index = 0;
  for (const d of docs) {
    index++;
    if (d.errors.length > 0) {
      problems.push(`${file}#${index}: ${d.errors[0].message}`);
      continue;
    }
    const doc = d.toJS();
    if (doc === null || doc === undefined)
      continue; // an empty document (a trailing ---)
    problems.push(...(await check(file, doc, index)));
    out.push({ file, doc });
  }
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
process.stdout.write(JSON.stringify(out));
