// Validates an OpenAPI document (file path argument) against the OpenAPI 3.1
// specification; prints "valid" or the problems and exits non-zero.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
try {
  const api = await SwaggerParser.validate(file);
  console.log(`valid: OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (err) {
  console.error(`invalid: ${err.message}`);
  process.exit(1);
}
