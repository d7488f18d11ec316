// Package spec reads a RunSpec from a YAML or JSON file, strictly, with
// messages that name the file, the line and the field:
//
//	spec.yaml:4: field "rat" is not a RunSpec field (did you mean load.rate?)
//	spec.json:3: load.rate: want a number, got string "fast"
//	spec.yaml:7: targets[1].headers: "Accept" is given twice (first on line 6)
//
// Decode picks the format from the file name, or from the first byte ('{' is
// JSON), and rejects unknown fields, values of the wrong type, non-finite
// numbers, strings that are not UTF-8 (JSON could not carry them), a second
// document and trailing data. It does not validate: the caller applies
// command-line flags, then prepares the spec with pkg/prepare (defaults,
// validation, the scenarios compiled), whose problems OneLine puts on one
// line. Check reports, the same way, what events.RunSpec.Validate finds
// alone.
//
// Load reads a file (or standard input for "-"; LoadFrom names the reader)
// and inlines each target's body_file and each scenario's csv.file, read
// relative to the spec file, or to the working directory for a spec on
// standard input, so that the stored spec is self-contained.
//
// YAML is read by gopkg.in/yaml.v3 with KnownFields, which uses
// events.Duration's UnmarshalText for scalars, so package events needs no YAML
// import. Because yaml.v3 reports a wrong value without its field and an
// invalid duration without a line, the document is first checked node by node
// against the RunSpec type; JSON errors are located the same way, token by
// token, where encoding/json gives no position.
package spec
