package storetest

import (
	"database/sql"
	"sync"
)

var (
	templatesMu sync.Mutex
	templates   []func()
)

// dropTemplateAtExit remembers a template database to drop; DropTemplates
// (called from TestMain) drops them. A template left behind by a killed test
// binary is harmless: its name is unique.
func dropTemplateAtExit(base, name string) {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	templates = append(templates, func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
}

// DropTemplates drops the template databases this test binary created.
// Packages that use PostgreSQL call it at the end of TestMain.
func DropTemplates() {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	for _, drop := range templates {
		drop()
	}
	templates = nil
}
