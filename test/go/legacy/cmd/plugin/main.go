// Command plugin (legacy-plugin) is a go-plugin plugin built on hashicorp/go-plugin v1.0.1 from the
// Go module proxy, serving go-plugin's "test" plugin (1.0.1's grpctest.Test: Double, PrintKV,
// Bidirectional, Stream) at app protocol versions 1 and 2. AutoMTLS is on whenever the host sets
// PLUGIN_CLIENT_CERT. No stdio stream, no multiplexing, no debug mode (1.0.1 has none).
//
// Environment (besides go-plugin's own):
//
//	TEST_PLUGIN_MODE        ""          serve normally
//	                        garbage     print a line that is not a handshake, then wait to be killed
//	                        exit-early  write a reason to stderr and exit 3 without a handshake
//	                        hang        never print a handshake; wait to be killed
//	                        linger      serve, but keep running 60 s after Shutdown (Kill must SIGKILL)
//	TEST_PLUGIN_LOG_LEVELS  "1": log one JSON line at each hclog level, and one [LEVEL]-prefixed
//	                        plain line per level, to stderr before serving
//	TEST_PLUGIN_VERSIONS    versions to serve (default "1,2")
//	TEST_PLUGIN_COOKIE_KEY, TEST_PLUGIN_COOKIE_VALUE   cookie (default TEST_PLUGIN_MAGIC_COOKIE=test)
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	testplugin "gopluginpeers/legacy/testplugin"
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
	case "", "linger":
	default:
		fmt.Fprintf(os.Stderr, "unknown TEST_PLUGIN_MODE %q\n", mode)
		os.Exit(2)
	}

	// Created before Serve so that it keeps writing to the real stderr, the host's log channel;
	// Serve redirects os.Stderr into a pipe of its own.
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

	plugin.Serve(config)
	if mode == "linger" {
		time.Sleep(60 * time.Second)
	}
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
