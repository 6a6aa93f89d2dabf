// answers.js validates instances against schemas of docs/openapi.yaml with
// ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1), for the Go tests:
//   node answers.js DOC CASES
// where CASES is a JSON file: [{"pointer": "/components/schemas/X",
// "instance": …}, …], each pointer a JSON pointer into DOC. Prints
// {"failed": [{"i": N, "pointer": …, "errors": […]}]} and exits 1 when any
// instance does not validate.
"use strict";

const fs = require("fs");
const YAML = require("yaml");
const Ajv2020 = require("ajv/dist/2020");

const [docPath, casesPath] = process.argv.slice(2);
const doc = YAML.parse(fs.readFileSync(docPath, "utf8"));
const cases = JSON.parse(fs.readFileSync(casesPath, "utf8"));
const id = "https://pushio.invalid/openapi.json";
// strict off: the document's OpenAPI keywords (paths, discriminator…) are
// not JSON Schema's and are ignored, as OpenAPI 3.1 allows.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(Object.assign({ $id: id }, doc));
const failed = [];
cases.forEach((c, i) => {
  const fragment = c.pointer.split("/").map(encodeURIComponent).join("/");
  const validate = ajv.compile({ $ref: id + "#" + fragment });
  if (!validate(c.instance)) failed.push({ i: i, pointer: c.pointer, errors: validate.errors });
});
process.stdout.write(JSON.stringify({ failed: failed }) + "\n");
process.exitCode = failed.length ? 1 : 0;
