package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/atende/atende/internal/bench"
)

// benchmark is `atende bench SCENARIO`: it starts servers with this very
// binary, so the figures are of the build being run.
func benchmark(ctx context.Context, args []string, stdio IO) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the atende binary to start servers with: %w", err)
	}
	return bench.Main(ctx, args, bench.Env{
		Executable: exe,
		Environ:    os.Environ(),
		Commit:     CommitID(),
		Stdout:     stdio.Stdout,
		Stderr:     stdio.Stderr,
	})
}
