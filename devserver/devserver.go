// Package devserver embeds a Temporal server (SQLite persistence, one process) and the Temporal Web UI, so
// mlasim runs on a machine that has nothing but Go. It is the only package that imports
// go.temporal.io/server: that build is heavy, so nothing else should depend on it.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	serverlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/mlasim/mlasim/codec"
)

const clusterName = "active"

// Options configure the embedded server.
type Options struct {
	// StateDir holds the SQLite file; empty keeps everything in memory (lost on exit).
	StateDir string
	// IP the server and UI bind to (default 127.0.0.1).
	IP string
	// Port of the frontend gRPC service (default 7233); 0 in tests picks a free port with FreePorts.
	Port int
	// UIPort of the Web UI (default 8233); ignored when Headless.
	UIPort   int
	Headless bool
	// Namespace to create (default "default").
	Namespace string
	// SearchAttributes to register on the namespace when it is created.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's log (give it an error-level logger to keep it quiet).
	Logger *zap.Logger
	// Keys, when set, are served as a codec endpoint the Web UI calls to show encrypted payloads.
	Keys *codec.Keys
	// MinFree is the free space the state folder's disk must keep (default DefaultMinFree): below it, or
	// when the disk turns read-only, the server stops and sends a StorageFault on Faults.
	MinFree uint64
}

// Server is a running embedded Temporal server with its optional Web UI.
type Server struct {
	opts     Options
	server   temporal.Server
	ui       *uiserver.Server
	codec    *http.Server
	stopping atomic.Bool
	stopOnce sync.Once
	faults   chan error
}

// Address is the frontend's host:port, for clients.
func (s *Server) Address() string { return net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.Port)) }

// UIAddress is the Web UI's URL, or "" when headless.
func (s *Server) UIAddress() string {
	if s.ui == nil {
		return ""
	}
	return "http://" + net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.UIPort))
}

// CodecAddress is the URL of the codec endpoint the Web UI decrypts payloads through, or "" without one.
func (s *Server) CodecAddress() string {
	if s.codec == nil {
		return ""
	}
	return "http://" + s.codec.Addr
}

// DatabaseFile is the SQLite file, or "" in memory.
func (s *Server) DatabaseFile() string {
	if s.opts.StateDir == "" {
		return ""
	}
	return filepath.Join(s.opts.StateDir, "temporal.db")
}

// withDefaults fills the options left empty.
func (opts Options) withDefaults() Options {
	if opts.IP == "" {
		opts.IP = "127.0.0.1"
	}
	if opts.Port == 0 {
		opts.Port = 7233
	}
	if opts.UIPort == 0 {
		opts.UIPort = 8233
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.MinFree == 0 {
		opts.MinFree = DefaultMinFree
	}
	return opts
}

// checkPorts says which of the ports the server needs is taken.
func (opts Options) checkPorts() error {
	if err := portFree(opts.IP, opts.Port); err != nil {
		return fmt.Errorf("frontend port: %w (is another server running? use --port)", err)
	}
	if !opts.Headless {
		if err := portFree(opts.IP, opts.UIPort); err != nil {
			return fmt.Errorf("port of the Web UI: %w (use --ui-port, or --headless)", err)
		}
	}
	return nil
}

// Start starts the server (and UI), and waits until the namespace answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.checkPorts(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, faults: make(chan error, 1)}
	if opts.StateDir != "" {
		if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("state folder: %w", err)
		}
		if f := checkStorage(opts.StateDir, s.DatabaseFile(), opts.MinFree); f != nil {
			return nil, f
		}
	}
	conf, err := s.config()
	if err != nil {
		return nil, err
	}
	// The server logs failures of in-flight calls while it shuts down; they say nothing useful, so the
	// log is silenced from Stop on.
	quietOnStop := opts.Logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return &gatedCore{Core: c, off: &s.stopping} }))
	logger := serverlog.NewZapLogger(quietOnStop)
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for name, svc := range conf.Services {
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(opts.IP, strconv.Itoa(svc.RPC.GRPCPort)))
	}
	dyn := dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():      true,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Timers fire no sooner than this after they are set (1 s by default): a legal step of a few
		// hours at the demo's scale is milliseconds, and would otherwise take a second.
		dynamicconfig.TimerProcessorMaxTimeShift.Key(): 20 * time.Millisecond,
	}
	s.server, err = temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dyn),
	)
	if err != nil {
		return nil, fmt.Errorf("building the Temporal server: %w", err)
	}
	if err := s.server.Start(); err != nil {
		return nil, fmt.Errorf("starting the Temporal server: %w", err)
	}
	if !opts.Headless {
		uiConf := &uiconfig.Config{
			Host: opts.IP, Port: opts.UIPort, TemporalGRPCAddress: s.Address(), EnableUI: true,
			DefaultNamespace: opts.Namespace, CORS: uiconfig.CORS{CookieInsecure: true}, HideLogs: true, DisableNewsFetch: true,
		}
		if opts.Keys != nil {
			if err := s.serveCodec(); err != nil {
				s.Stop()
				return nil, err
			}
			uiConf.Codec.Endpoint = s.CodecAddress()
		}
		s.ui = uiserver.NewServer(uiserveroptions.WithConfigProvider(uiConf))
		go func() {
			if err := s.ui.Start(); err != nil && !errors.Is(err, context.Canceled) {
				opts.Logger.Error("Web UI stopped", zap.Error(err))
			}
		}()
	}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	if opts.StateDir != "" {
		go s.watchStorage(500*time.Millisecond, opts.MinFree)
	}
	return s, nil
}

// serveCodec serves the codec endpoint on a free port beside the Web UI, answering the UI's origin only.
func (s *Server) serveCodec() error {
	ports, err := FreePorts(s.opts.IP, 1)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(s.opts.IP, strconv.Itoa(ports[0]))
	origin := "http://" + net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.UIPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("codec endpoint: %w", err)
	}
	s.codec = codec.NewServer(s.opts.Keys, origin)
	s.codec.Addr = addr
	go func() {
		if err := s.codec.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("codec endpoint stopped", zap.Error(err))
		}
	}()
	return nil
}

// Stop stops the UI, the codec endpoint and the server.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.stopping.Store(true)
		if s.ui != nil {
			s.ui.Stop()
		}
		if s.codec != nil {
			_ = s.codec.Close()
		}
		if s.server != nil {
			_ = s.server.Stop()
		}
	})
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		c, err := client.Dial(client.Options{HostPort: s.Address(), Namespace: s.opts.Namespace, Logger: quiet{}})
		if err == nil {
			_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.opts.Namespace})
			c.Close()
			if err == nil {
				return nil
			}
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the embedded server did not become ready: %v", last)
}

func (s *Server) config() (*config.Config, error) {
	sql := &config.SQL{PluginName: sqliteplugin.PluginName}
	if s.opts.StateDir == "" {
		// The SQLite plugin creates the schema of an in-memory database itself.
		sql.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
		sql.DatabaseName = "mlasim-" + uuid.NewString()
	} else {
		// One connection, WAL journal: measured fastest and free of SQLITE_BUSY here.
		sql.ConnectAttributes = map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal"}
		sql.DatabaseName = s.DatabaseFile()
		if err := PrepareState(s.opts.StateDir, func() error { return sqliteschema.SetupSchema(sql) }); err != nil {
			return nil, err
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, s.opts.Namespace, false, s.opts.SearchAttributes)
	if err != nil {
		return nil, err
	}
	if err := sqliteschema.CreateNamespaces(sql, ns); err != nil {
		return nil, fmt.Errorf("creating namespace %s: %w", s.opts.Namespace, err)
	}

	ports, err := FreePorts(s.opts.IP, 4)
	if err != nil {
		return nil, err
	}
	var conf config.Config
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = s.opts.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sql}}
	frontend := net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.Port))
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
			Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend,
			HTTPAddress: net.JoinHostPort(s.opts.IP, strconv.Itoa(ports[3])), ClusterID: uuid.NewString(),
		}},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	svc := func(port, httpPort int) config.Service {
		var c config.Service
		c.RPC.GRPCPort, c.RPC.BindOnIP, c.RPC.HTTPPort = port, s.opts.IP, httpPort
		return c
	}
	conf.Services = map[string]config.Service{
		"frontend": svc(s.opts.Port, ports[3]),
		"history":  svc(ports[0], 0),
		"matching": svc(ports[1], 0),
		"worker":   svc(ports[2], 0),
	}
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	conf.PublicClient.HostPort = frontend
	return &conf, nil
}

// FreePorts returns n ports free on ip now.
func FreePorts(ip string, n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := listenOutsideEphemeral(ip)
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// listenOutsideEphemeral listens on a free port below Linux's default ephemeral range (32768 on): a port
// the kernel hands out (port 0) is free now but can be given to any outgoing connection before the
// server binds it, which made a test server fail with "address already in use".
func listenOutsideEphemeral(ip string) (net.Listener, error) {
	for range 200 {
		port := 20000 + rand.IntN(32768-20000)
		if l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port))); err == nil {
			return l, nil
		}
	}
	return net.Listen("tcp", net.JoinHostPort(ip, "0"))
}

func portFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

// gatedCore drops every entry once off is set.
type gatedCore struct {
	zapcore.Core
	off *atomic.Bool
}

func (g *gatedCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if g.off.Load() {
		return ce
	}
	return g.Core.Check(e, ce)
}

func (g *gatedCore) With(fields []zapcore.Field) zapcore.Core {
	return &gatedCore{Core: g.Core.With(fields), off: g.off}
}

// quiet drops the SDK client's log while waiting for readiness.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

// stateMarker is written beside the database when it is created: a state folder that has it but no
// database lost its database, and starting an empty one in its place would hide that.
const stateMarker = "mlasim-state"

// PrepareState makes the state folder private to the user (0700) and, when it holds no database yet,
// creates one with create and marks the folder. A marked folder whose database is gone is an error that
// says so, instead of a new, empty database. The database and its journal files are made 0600.
func PrepareState(dir string, create func() error) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state folder %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("state folder %s: %w", dir, err)
	}
	db := filepath.Join(dir, "temporal.db")
	marker := filepath.Join(dir, stateMarker)
	_, dbErr := os.Stat(db)
	_, markErr := os.Stat(marker)
	switch {
	case errors.Is(dbErr, os.ErrNotExist) && markErr == nil:
		return fmt.Errorf("the state file %s is gone, though %s held workflows before: restore it from a copy, "+
			"or delete %s to start with an empty database", db, dir, marker)
	case errors.Is(dbErr, os.ErrNotExist):
		if err := create(); err != nil {
			return fmt.Errorf("creating the SQLite schema in %s: %w", db, err)
		}
		if err := os.WriteFile(marker, []byte("the Temporal state of mlasim lives in temporal.db beside this file\n"), 0o600); err != nil {
			return fmt.Errorf("state folder %s: %w", dir, err)
		}
	case dbErr != nil:
		return fmt.Errorf("state file %s: %w", db, dbErr)
	case markErr != nil:
		// A database from before the marker existed: mark it now.
		if err := os.WriteFile(marker, []byte("the Temporal state of mlasim lives in temporal.db beside this file\n"), 0o600); err != nil {
			return fmt.Errorf("state folder %s: %w", dir, err)
		}
	}
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("state file %s: %w", f, err)
		}
	}
	return nil
}
