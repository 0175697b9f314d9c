// Command cofre-ferretdb runs an embedded FerretDB v1 (MongoDB wire protocol) with its SQLite
// backend for cofre's local stack.
//
// It exists because `go install github.com/FerretDB/FerretDB/cmd/ferretdb` builds a binary that
// panics on a missing build/version/version.txt; embedding the `ferretdb` package avoids that.
// deploy/stack.py builds it once into $COFRE_HOME/bin and starts it on 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27018", "TCP address to listen on")
	dataDir := flag.String("sqlite-dir", "ferretdb-data", "directory holding the SQLite databases")
	level := flag.String("log-level", "info", "log level: debug, info, warn, error")
	flag.Parse()

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "cofre-ferretdb: bad -log-level %q: %v\n", *level, err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		logger.Error("bad -sqlite-dir", "error", err)
		os.Exit(2)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		logger.Error("cannot create SQLite directory", "dir", dir, "error", err)
		os.Exit(1)
	}
	// FerretDB wants a file: URI naming a directory, with a trailing slash.
	sqliteURL := "file:" + strings.TrimSuffix(dir, "/") + "/"

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("cofre-ferretdb listening", "addr", *listen, "sqlite", sqliteURL, "pid", os.Getpid())
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with an error", "error", err)
		os.Exit(1)
	}
	logger.Info("cofre-ferretdb stopped")
}
