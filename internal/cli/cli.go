// Package cli holds Atende's commands: serve, migrate, user create, bench,
// version.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

// Version and Commit are set at build time with -ldflags -X.
var (
	Version = "dev"
	Commit  = ""
)

// IO is where a command reads and writes, so tests can run commands in
// process.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

const usage = `Atende — omnichannel contact centre

Usage:
  atende serve [flags]         run the server (atende serve --help for flags)
  atende migrate [flags]       apply database migrations and exit
  atende user create [flags]   create a user (and the account, if new)
  atende bench SCENARIO        benchmark a server (atende bench help for scenarios)
  atende version               print the version

Every flag can also be set with an ATENDE_* environment variable.
`

// Run runs the command named by args (without the program name) and returns
// the process exit code.
func Run(args []string, stdio IO) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, args, stdio)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stdio.Stderr, "atende:", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, args []string, stdio IO) error {
	if len(args) == 0 {
		fmt.Fprint(stdio.Stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdio)
	case "migrate":
		return migrate(ctx, args[1:], stdio)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: atende user create --account NAME --name NAME --email EMAIL --role ROLE --password-stdin")
		}
		return createUser(ctx, args[2:], stdio)
	case "bench":
		return benchmark(ctx, args[1:], stdio)
	case "version", "--version", "-v":
		fmt.Fprintln(stdio.Stdout, VersionString())
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdio.Stdout, usage)
		return nil
	}
	fmt.Fprint(stdio.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// VersionString names the build: version, commit and Go release.
func VersionString() string {
	commit := CommitID()
	if commit == "" {
		commit = "unknown commit"
	}
	return fmt.Sprintf("atende %s (%s, %s)", Version, commit, runtime.Version())
}

// CommitID is the commit the binary was built from, when known.
func CommitID() string {
	if Commit != "" {
		return Commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return ""
}
