// Package agent embeds the agent workspace (the React app in src/, built by
// `make web` into dist/) and serves it: hashed assets with long cache
// lifetimes, index.html for every other path so the app's own routes load.
// dist/ is not committed (only a placeholder), so a plain `go build` works
// without Node.js and serves a page saying how to build the workspace.
package agent

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// notBuilt is served at every path when dist/ holds no index.html.
const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Atende</title></head>
<body style="font-family:system-ui,sans-serif;margin:3rem;max-width:40rem">
<h1>Atende</h1><p>The agent workspace is not built into this binary. Run <code>make web</code> (Node.js 20 and npm),
then <code>make build</code>; <code>make run</code> does both.</p><p>The API answers under <code>/api/v1</code>.</p></body></html>`

// Handler serves the workspace.
func Handler() http.Handler {
	files, _ := fs.Sub(dist, "dist")
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(notBuilt))
		})
	}
	assets := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if strings.HasPrefix(name, "assets/") {
			if _, err := fs.Stat(files, name); err == nil {
				// Vite names them by content hash: they never change.
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
				assets.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
			return
		}
		if name != "" && name != "index.html" && !strings.HasPrefix(name, ".") {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				h.Set("Cache-Control", "public, max-age=3600")
				assets.ServeHTTP(w, r)
				return
			}
		}
		// The app's own routes (/conversations/7, /supervisor…) load index.html.
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(index)
		}
	})
}
