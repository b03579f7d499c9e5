// Package doccheck holds tests that keep the documentation in docs/ true:
// docs/config.md documents exactly the keys of the config's JSON Schema
// (schema/pgtwin.schema.json) and its examples load; the error messages
// quoted in docs/troubleshooting.md are ones pgtwin can still print; and
// the relative links of docs/ (and README.md's links into docs/ and
// examples/) point at files and sections that exist.
// It has no code of its own.
package doccheck
