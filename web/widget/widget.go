// Package widget embeds the website chat widget's bundle (built from
// src/ by `make widget`, committed in dist/ so a plain `go build` needs no
// Node.js), which Atende serves at /widget.js.
package widget

import _ "embed"

// Script is dist/widget.js.
//
//go:embed dist/widget.js
var Script []byte
