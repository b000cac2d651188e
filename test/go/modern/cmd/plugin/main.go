// Command plugin is a go-plugin plugin (newest hashicorp/go-plugin) serving go-plugin's "test"
// plugin (grpctest.Test) at app protocol versions 1 and 2. AutoMTLS is on whenever the host sets
// PLUGIN_CLIENT_CERT, multiplexing whenever it sets PLUGIN_MULTIPLEX_GRPC (go-plugin decides).
//
// Environment (besides go-plugin's own):
//
//	TEST_PLUGIN_MODE        ""          serve normally
//	                        garbage     print a line that is not a handshake, then wait to be killed
//	                        exit-early  write a reason to stderr and exit 3 without a handshake
//	                        hang        never print a handshake; wait to be killed
//	                        linger      serve, but keep running 60 s after Shutdown (Kill must SIGKILL)
//	                        debug       go-plugin test mode: print the reattach config as one JSON
//	                                    line instead of a handshake, serve until SIGTERM/SIGINT
//	TEST_PLUGIN_LOG_LEVELS  "1": log one JSON line at each hclog level, and one [LEVEL]-prefixed
//	                        plain line per level, to stderr before serving
//	TEST_PLUGIN_VERSIONS    versions to serve (default "1,2")
//	TEST_PLUGIN_COOKIE_KEY, TEST_PLUGIN_COOKIE_VALUE   cookie (default TEST_PLUGIN_MAGIC_COOKIE=test)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"gopluginpeers/modern/testplugin"
)

// waitLimit bounds every "wait to be killed" so a broken host never leaves this process behind.
const waitLimit = 2 * time.Minute

func main() {
	// A host that exits without killing us (reattach -detach) leaves our stdout and stderr pipes
	// without readers; keep serving instead of dying of SIGPIPE on the next write.
	signal.Ignore(syscall.SIGPIPE)

	mode := os.Getenv("TEST_PLUGIN_MODE")
	switch mode {
	case "garbage":
		fmt.Println("this is not a go-plugin handshake line")
		time.Sleep(waitLimit)
		return
	case "exit-early":
		fmt.Fprintln(os.Stderr, "test plugin exiting early on purpose (TEST_PLUGIN_MODE=exit-early)")
		os.Exit(3)
	case "hang":
		time.Sleep(waitLimit)
		return
	case "", "linger", "debug":
	default:
		fmt.Fprintf(os.Stderr, "unknown TEST_PLUGIN_MODE %q\n", mode)
		os.Exit(2)
	}

	// Created before Serve so that it keeps writing to the real stderr, the host's log channel;
	// Serve redirects os.Stderr into the stdio stream.
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "testplugin",
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	if os.Getenv("TEST_PLUGIN_LOG_LEVELS") == "1" {
		logLevels(logger)
	}

	versions, err := servedVersions()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	set := plugin.PluginSet{testplugin.Name: &testplugin.Plugin{Logger: logger}}
	config := &plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			MagicCookieKey:   envOr("TEST_PLUGIN_COOKIE_KEY", testplugin.DefaultCookieKey),
			MagicCookieValue: envOr("TEST_PLUGIN_COOKIE_VALUE", testplugin.DefaultCookieValue),
		},
		VersionedPlugins: map[int]plugin.PluginSet{},
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           logger,
	}
	for _, v := range versions {
		config.VersionedPlugins[v] = set
	}

	if mode == "debug" {
		serveDebug(config)
		return
	}
	plugin.Serve(config)
	if mode == "linger" {
		time.Sleep(60 * time.Second)
	}
}

func serveDebug(config *plugin.ServeConfig) {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	ctx, cancelLimit := context.WithTimeout(ctx, waitLimit)
	defer cancelLimit()
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	config.Test = &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed}
	go plugin.Serve(config)
	select {
	case rc := <-reattach:
		line, _ := json.Marshal(testplugin.ReattachToJSON(rc))
		fmt.Println(string(line))
	case <-closed:
		return
	}
	<-closed
}

func logLevels(logger hclog.Logger) {
	logger.Trace("level probe", "probe", "trace")
	logger.Debug("level probe", "probe", "debug")
	logger.Info("level probe", "probe", "info")
	logger.Warn("level probe", "probe", "warn")
	logger.Error("level probe", "probe", "error")
	for _, level := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR"} {
		fmt.Fprintf(os.Stderr, "[%s] prefixed probe\n", level)
	}
	fmt.Fprintln(os.Stderr, "unprefixed probe")
}

func servedVersions() ([]int, error) {
	var out []int
	for _, v := range strings.Split(envOr("TEST_PLUGIN_VERSIONS", "1,2"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("TEST_PLUGIN_VERSIONS must be comma-separated integers: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
