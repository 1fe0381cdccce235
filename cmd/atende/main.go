// Command atende is the whole Atende contact centre in one binary.
package main

import (
	"os"

	"github.com/atende/atende/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
