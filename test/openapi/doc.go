// Package openapi checks docs/openapi.yaml, the machine-readable
// description of the publish API: that it is a valid OpenAPI 3.1 document
// (the npm validator @seriousme/openapi-schema-validator, pinned in
// package.json and package-lock.json, installed by test/deps.sh), that it
// describes exactly the request types pushapi serves (pushapi.Types), each
// with a request schema, so that the two cannot drift apart, that its
// event names are push's, and that each request and batch example it
// gives is served by the built binary (harness) and validates, with the
// answer the binary gives to it, against the schemas the document says
// (answers.js: ajv, JSON Schema 2020-12, pinned in package.json too).
package openapi
