package attachment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Storage keeps the bytes of attachments under a key. Dir keeps them in a
// directory; an object store (S3 and alike) can implement it for clusters
// that share no disk.
type Storage interface {
	// Put stores what r yields under key and returns its length. A Put that
	// fails leaves nothing under key.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open returns what is under key; fs.ErrNotExist when nothing is.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	// Delete removes what is under key; deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Dir is a Storage in a directory: key "abcdef…" lives at dir/ab/abcdef…,
// so no directory grows past a few thousand entries.
type Dir string

func (d Dir) path(key string) (string, error) {
	if len(key) < 3 || filepath.Base(key) != key {
		return "", fmt.Errorf("attachment key %q is not a plain name", key)
	}
	return filepath.Join(string(d), key[:2], key), nil
}

// Put writes to a temporary file beside the final one and renames it after
// a sync, so a crash never leaves a truncated file under the key.
func (d Dir) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	path, err := d.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return 0, fmt.Errorf("attachment directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return 0, fmt.Errorf("attachment temporary file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	n, err := io.Copy(tmp, contextReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return n, fmt.Errorf("attachment %s: %w", key, err)
	}
	return n, nil
}

// Open opens the file under key.
func (d Dir) Open(_ context.Context, key string) (io.ReadSeekCloser, error) {
	path, err := d.path(key)
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

// Delete removes the file under key.
func (d Dir) Delete(_ context.Context, key string) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// contextReader stops a long copy when the request that feeds it is gone.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
