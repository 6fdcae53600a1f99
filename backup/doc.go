// Package backup takes the store's backups: one on demand (`collector
// backup`, GET /api/v1/backup) and on a schedule into a folder, keeping the
// newest few. A backup is the store's own online copy (store.Backup, SQLite's
// VACUUM INTO), written under a temporary name, checked (store.Inspect) and
// then renamed into place, so that a backup file is whole or absent.
// Restoring is putting a backup in an empty storage folder as kpi.db.
//
// It reads the store and nothing else of the module's flow: it must never
// import the collectors, plan, engine, metrics or web packages.
package backup
