package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/atende/atende/internal/api"
)

// The OpenAPI document is part of the API: every route is in it, and it
// names no route the server does not answer.
func TestOpenAPIDocumentDescribesEveryRoute(t *testing.T) {
	srv := api.New(api.Deps{Registry: api.NewRegistry(), Log: slog.New(slog.DiscardHandler)})
	rec := newRecorder()
	req, _ := http.NewRequest("GET", "/api/v1/openapi.json", nil)
	srv.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: %d", rec.status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi version %q, want 3.1.x", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, rt := range srv.Routes() {
		key := strings.ToLower(rt.Method) + " " + rt.Path
		served[key] = true
		if _, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s is missing from openapi.json", rt.Method, rt.Path)
		}
	}
	var extra []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "parameters", "summary", "description", "servers":
				continue
			}
			if !served[method+" "+path] {
				extra = append(extra, method+" "+path)
			}
		}
	}
	sort.Strings(extra)
	for _, x := range extra {
		t.Errorf("openapi.json documents %s, which the server does not answer", x)
	}
}
