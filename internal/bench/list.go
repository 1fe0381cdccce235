package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/atende/atende/internal/store"
)

// ListResult is what the list scenario measures: with that much history
// loaded, how long the agent's conversation list, a filtered query of
// finished conversations and a full-text search take, each timed from
// request to the answer's last byte, one request at a time.
type ListResult struct {
	Header
	ListMS     Quantiles  `json:"list_ms"`
	FilteredMS Quantiles  `json:"filtered_ms"`
	SearchMS   *Quantiles `json:"search_ms"`
	// LoadS is how long the loader took to write the history.
	LoadS         float64 `json:"load_s"`
	Conversations int     `json:"conversations"`
	Messages      int     `json:"messages"`
	// RowsPerS is the loader's rate over every row it wrote.
	RowsPerS float64 `json:"load_rows_per_s"`
	// DatabaseMB is the size of the database after loading.
	DatabaseMB float64 `json:"database_mb"`
	// Samples are the timed requests of each kind (fewer than asked when
	// --max-time ran out).
	Samples map[string]int `json:"samples"`
	// What the timed requests answered: the agent's active conversations,
	// a page of finished ones, search hits (first page).
	ListRows     int `json:"list_rows"`
	FilteredRows int `json:"filtered_rows"`
	SearchRows   int `json:"search_rows"`
}

func (r *ListResult) rows() [][2]string {
	search := "not available on this server"
	if r.SearchMS != nil {
		search = r.SearchMS.String()
	}
	return [][2]string{
		{"history", fmt.Sprintf("%d conversations, %d messages (%.0f MB)", r.Conversations, r.Messages, r.DatabaseMB)},
		{"load", fmt.Sprintf("%.2f s (%.0f rows/s)", r.LoadS, r.RowsPerS)},
		{"agent's list", fmt.Sprintf("%s (%d rows)", r.ListMS, r.ListRows)},
		{"filtered finished", fmt.Sprintf("%s (%d rows)", r.FilteredMS, r.FilteredRows)},
		{"full-text search", fmt.Sprintf("%s (%d rows)", search, r.SearchRows)},
		{"samples", fmt.Sprintf("list %d, filtered %d, search %d", r.Samples["list"], r.Samples["filtered"], r.Samples["search"])},
	}
}

func runList(ctx context.Context, r *runner, args []string) (result, error) {
	fs := r.flags("list")
	conversations := fs.Int("conversations", 10_000, "conversations of history to load")
	messages := fs.Int("messages", 0, "messages of history to load (default: 10 per conversation)")
	agents := fs.Int("agents", 0, "agents who served the history (default: one per 5,000 conversations, at least 10)")
	departments := fs.Int("departments", 5, "departments the history is split among")
	active := fs.Int("active", 20, "active conversations of the agent whose list is timed")
	samples := fs.Int("samples", 200, "timed requests of each kind")
	limit := fs.Duration("max-time", time.Minute, "stop timing a kind after this long (with at least 20 samples): slow queries on big histories would take hours")
	if err := r.parse(fs, args); err != nil {
		return nil, err
	}
	if r.url != "" {
		return nil, errors.New("list loads its history straight into the database before the server starts, so it starts its own: --url does not apply")
	}
	if *conversations < 1 || *samples < 1 || *departments < 1 || *active < 0 {
		return nil, errors.New("--conversations, --samples and --departments must be at least 1, --active at least 0")
	}
	if *messages == 0 {
		*messages = 10 * *conversations
	}
	if *agents == 0 {
		*agents = max(10, *conversations/5000)
	}
	res := &ListResult{Header: Header{Engine: r.engine(), Params: map[string]any{
		"conversations": *conversations, "messages": *messages, "agents": *agents, "departments": *departments,
		"active": *active, "samples": *samples, "max_time": limit.String()}}, Conversations: *conversations, Messages: *messages}

	// The administrator and the timed agent are made as an operator would;
	// `user create` also applies the migrations.
	st, err := r.newStorage(ctx)
	if err != nil {
		return nil, err
	}
	adminPassword, agentPassword := randomPassword(), randomPassword()
	if _, err := r.createUser(ctx, st, "Bench", "Bench Admin", benchAdminEmail, "admin", adminPassword); err != nil {
		return nil, err
	}
	agentEmail := "list-agent@bench.invalid"
	agentID, err := r.createUser(ctx, st, "Bench", "List Agent", agentEmail, "agent", agentPassword)
	if err != nil {
		return nil, err
	}

	r.log.printf("loading %d conversations and %d messages into %s", *conversations, *messages, st.engine())
	db, err := store.Open(ctx, st.databaseURL, st.dataDir)
	if err != nil {
		return nil, err
	}
	var accountID int64
	if err := db.SQLRead().QueryRowContext(ctx, "SELECT account_id FROM users WHERE id = $1", agentID).Scan(&accountID); err != nil {
		db.Close()
		return nil, fmt.Errorf("account of the bench agent %d: %w", agentID, err)
	}
	started := time.Now()
	made, err := load(ctx, db, history{
		accountID: accountID, benchAgentID: agentID, benchActive: *active,
		conversations: *conversations, messages: *messages, agents: *agents, departments: *departments,
		span: 90 * 24 * time.Hour, seed: 6,
	}, r.log.printf)
	loadTime := time.Since(started)
	if err == nil {
		res.DatabaseMB, err = databaseSize(ctx, db, st)
	}
	db.Close()
	if err != nil {
		return nil, err
	}
	res.LoadS = round2(loadTime.Seconds())
	res.RowsPerS = float64(int64(float64(made.rows) / loadTime.Seconds()))
	r.log.printf("loaded %d rows in %.1f s (%.0f MB)", made.rows, loadTime.Seconds(), res.DatabaseMB)
	if st.engine() == "sqlite" {
		res.note("SQLite gets no ANALYZE after loading: the server never runs one, so the planner works without statistics")
	}

	s, err := r.start(ctx, st)
	if err != nil {
		return nil, err
	}
	admin, err := signIn(ctx, s.url, benchAdminEmail, adminPassword)
	if err != nil {
		return nil, err
	}
	agent, err := signIn(ctx, s.url, agentEmail, agentPassword)
	if err != nil {
		return nil, err
	}
	hasSearch, err := supportsSearch(ctx, admin)
	if err != nil {
		return nil, err
	}

	// Each kind rotates through a few variants, so no single answer is
	// cached anywhere; the first rounds warm the caches up and are not
	// counted.
	list := []string{"/api/v1/conversations?tab=active"}
	var filtered []string
	for _, d := range made.departmentIDs {
		filtered = append(filtered, fmt.Sprintf("/api/v1/conversations/finished?department_id=%d&status=closed&period=last_30_days&limit=20", d))
	}
	var search []string
	for _, w := range searchWords {
		search = append(search, "/api/v1/conversations/finished?limit=20&q="+url.QueryEscape(w))
	}
	warm := min(*samples, 10)
	var listRows, filteredRows, searchRows int
	listT, err := timeRequests(ctx, agent, list, *samples, warm, *limit, &listRows)
	if err != nil {
		return nil, err
	}
	filteredT, err := timeRequests(ctx, admin, filtered, *samples, warm, *limit, &filteredRows)
	if err != nil {
		return nil, err
	}
	res.ListMS, res.FilteredMS = quantilesOf(listT), quantilesOf(filteredT)
	res.Samples = map[string]int{"list": len(listT), "filtered": len(filteredT)}
	res.ListRows, res.FilteredRows = listRows, filteredRows/len(filtered)
	if hasSearch {
		searchT, err := timeRequests(ctx, admin, search, *samples, warm, *limit, &searchRows)
		if err != nil {
			return nil, err
		}
		q := quantilesOf(searchT)
		res.SearchMS, res.SearchRows = &q, searchRows/len(search)
		res.Samples["search"] = len(searchT)
	} else {
		res.note("this server's finished-conversations query has no full-text search (q): search_ms is null")
	}
	if r.pprof != "" {
		// A pass of its own, after the timed ones: the same requests again
		// while the CPU profile runs.
		all := append(append(append([]string{}, list...), filtered...), search[:len(search)*btoi(hasSearch)]...)
		err := r.profile(ctx, s, "list", 10*time.Second, func(ctx context.Context) {
			for i := 0; ctx.Err() == nil; i++ {
				who := admin
				if i%len(all) < len(list) {
					who = agent
				}
				// A request under way finishes even when the profile is
				// over: cancelling it would only log errors on the server.
				who.timedGet(context.WithoutCancel(ctx), all[i%len(all)])
			}
		})
		if err != nil {
			return nil, err
		}
	}
	if res.ListRows != made.benchActive {
		res.note("the agent's list answered %d conversations; %d were loaded for them", res.ListRows, made.benchActive)
	}
	if err := s.failed(); err != nil {
		return nil, err
	}
	return res, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// timeRequests times samples GETs cycling through paths, after warm
// uncounted ones, stopping early once limit has passed and at least 20
// are timed. rows gets, summed over one pass of paths, how many
// conversations the answers held.
func timeRequests(ctx context.Context, s *session, paths []string, samples, warm int, limit time.Duration, rows *int) ([]time.Duration, error) {
	var out []time.Duration
	counted := map[string]bool{}
	began := time.Now()
	for i := 0; i < warm+samples; i++ {
		if len(out) >= 20 && time.Since(began) > limit {
			break
		}
		path := paths[i%len(paths)]
		d, body, err := s.timedGet(ctx, path)
		if err != nil {
			return nil, err
		}
		if !counted[path] {
			counted[path] = true
			var page struct {
				Conversations []json.RawMessage `json:"conversations"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				return nil, fmt.Errorf("GET %s: decode: %w", path, err)
			}
			*rows += len(page.Conversations)
		}
		if i >= warm {
			out = append(out, d)
		}
	}
	return out, nil
}

// supportsSearch tells whether the server's finished-conversations query
// takes q (full-text search), from its OpenAPI document.
func supportsSearch(ctx context.Context, s *session) (bool, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := s.do(ctx, "GET", "/api/v1/openapi.json", nil, &doc); err != nil {
		return false, err
	}
	for _, p := range doc.Paths["/api/v1/conversations/finished"]["get"].Parameters {
		if p.Name == "q" {
			return true, nil
		}
	}
	return false, nil
}

// databaseSize is the size of the database on disk: SQLite's files (with
// the write-ahead log), or PostgreSQL's pg_database_size.
func databaseSize(ctx context.Context, db *store.DB, st storage) (float64, error) {
	if db.Engine == store.Postgres {
		var n int64
		if err := db.SQLRead().QueryRowContext(ctx, "SELECT pg_database_size(current_database())").Scan(&n); err != nil {
			return 0, fmt.Errorf("database size: %w", err)
		}
		return mb(n), nil
	}
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(filepath.Join(st.dataDir, "atende.db"+suffix)); err == nil {
			total += fi.Size()
		}
	}
	return mb(total), nil
}
