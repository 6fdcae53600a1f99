package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	_ "time/tzdata" // plan time zones work in a scratch or distroless image

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/kpi-collector/kpi-collector/internal/memlimit"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run parses the command line and runs a sub-command; it returns the exit code.
func run(args []string) int {
	app := kingpin.New("collector", "Measures a social-media plan: collects channel counts, compares them with the plan's milestones and exports Prometheus metrics.")
	app.Version(version.Print("collector"))
	app.HelpFlag.Short('h')
	common := &commonFlags{}
	app.Flag("config.file", "The plan file.").Default("kpi-collector.yml").StringVar(&common.configFile)
	app.Flag("storage.path", "Where the SQLite store lives.").Default("data/").StringVar(&common.storagePath)
	app.Flag("storage.init", "Start an empty store where the store's file is missing or empty although the folder shows it held one (a lost store is otherwise refused).").BoolVar(&common.storageInit)
	app.Flag("storage.retention", "How long readings are kept; beyond 30 days, one a day per account and metric.").Default("400d").SetValue(&common.retention)
	app.Flag("shard.count", "How many replicas share the accounts (1: no sharding).").Default("1").IntVar(&common.shardCount)
	app.Flag("shard.index", "Which of them this one is, from 0; -1 takes it from the host name's last number (a StatefulSet pod's ordinal).").Default("0").IntVar(&common.shardIndex)
	memRatio := app.Flag("auto-gomemlimit.ratio", "Set Go's memory limit (GOMEMLIMIT) to this share of the container's memory limit (cgroup v2 or v1), from 0 to 1; 0 turns it off. GOMEMLIMIT set in the environment wins.").Default(strconv.FormatFloat(memlimit.DefaultRatio, 'g', -1, 64)).Float64()
	app.Flag("web.external-url", "The URL under which users reach the collector (https://kpi.acme.example/): digests link to its pages. Without it, digests carry no links.").StringVar(&common.externalURL)
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)

	serveCmd := app.Command("serve", "Run the daemon (the default).").Default()
	webFlags := kingpinflag.AddFlags(serveCmd, ":9469")
	serveOpts := &serveFlags{}
	telemetryPath := serveCmd.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
	serveCmd.Flag("web.enable-admin-api", "Serve GET /api/v1/backup: a backup of the store, behind --web.config.file's authentication.").BoolVar(&serveOpts.adminAPI)
	serveCmd.Flag("storage.backup.path", "A folder to take scheduled backups of the store into (none without it).").StringVar(&serveOpts.backupPath)
	serveCmd.Flag("storage.backup.interval", "The time between two scheduled backups.").Default("24h").SetValue(&serveOpts.backupInterval)
	serveCmd.Flag("storage.backup.keep", "How many scheduled backups to keep; the oldest beyond are removed.").Default("7").IntVar(&serveOpts.backupKeep)
	serveCmd.Flag("web.enable-lifecycle", "Let POST /-/reload reload the config (SIGHUP always does); as in Prometheus, it is off by default, since the endpoint takes no credential.").BoolVar(&serveOpts.enableLifecycle)
	serveCmd.Flag("shard.peers", "The base URLs of every replica in shard order, comma-separated (http://kpi-collector-0.kpi-collector:9469,…): a recording for an account another shard owns is forwarded to it, and the page, the JSON API and the calendar show the whole plan.").StringVar(&common.shardPeers)
	serveCmd.Flag("shard.peer-timeout", "How long another replica has to answer with its part of the plan before the page and the API show the plan without it, naming the shard missing.").Default("1s").DurationVar(&common.peerTimeout)

	checkCmd := app.Command("check", "Validate the config file; exit 1 with every reason.")
	checkStore := checkCmd.Flag("store", "Also check the store: SQLite's integrity check, then every day of readings, setting aside (and listing) those that are damaged.").Bool()
	app.Command("once", "Collect every channel once, print what was read and exit (1 if a channel failed).")

	recordCmd := app.Command("record", "Store a reading of a manual channel.")
	rec := recordFlags{}
	recordCmd.Flag("channel", "The manual channel.").Required().StringVar(&rec.channel)
	recordCmd.Flag("metric", "The metric.").Required().StringVar(&rec.metric)
	recordCmd.Flag("value", "Set the reading to this value.").IsSetByUser(&rec.valueSet).Float64Var(&rec.value)
	recordCmd.Flag("add", "Raise the latest reading by this much.").IsSetByUser(&rec.addSet).Float64Var(&rec.add)
	recordCmd.Flag("account", "The account, where the channel has more than one.").StringVar(&rec.account)
	recordCmd.Flag("time", "When, in RFC 3339 (default: now).").StringVar(&rec.time)

	backupCmd := app.Command("backup", "Write a consistent copy of the store to a file, also while the daemon runs, check it and print what it holds; restore it by putting it in an empty storage folder as kpi.db.")
	backupTo := backupCmd.Flag("to", "The file to write (it must not exist).").Required().String()

	importCmd := app.Command("import", "Import history from a CSV of channel,account,metric,value,time rows: every row is checked first, and nothing is written if any is bad (unless --skip-bad); importing a file twice changes nothing.")
	imp := importFlags{}
	importCmd.Flag("file", "The CSV file, or - for standard input.").Required().StringVar(&imp.file)
	importCmd.Flag("skip-bad", "Write the good rows and list the bad ones, instead of writing nothing.").BoolVar(&imp.skipBad)

	reportCmd := app.Command("report", "Print the plan's progress.")
	rep := reportFlags{}
	reportCmd.Flag("at", "Evaluate as of this moment: RFC 3339, or a date meaning the end of that day in the plan's zone (default: now).").StringVar(&rep.at)
	reportCmd.Flag("suggest", "Print, for each KPI behind or projected to miss, the target its recent pace would meet by the due date, as YAML to paste into the plan (nothing is changed).").BoolVar(&rep.suggest)
	reportCmd.Flag("format", "table, csv, json, markdown (a table to paste into a wiki or chat) or html (one self-contained file with a chart per KPI, to send or print to PDF).").Default("table").EnumVar(&rep.format, "table", "csv", "json", "markdown", "html")
	reportCmd.Flag("url", "Read the plan from a running collector at this base URL (its /api/v1/kpis) instead of the store: no config, store or API secret needed; a sharded deployment answers with the whole plan.").StringVar(&rep.url.url)
	reportCmd.Flag("basic-auth-user", "With --url: the user of the collector's basic auth (--web.config.file).").StringVar(&rep.url.basicUser)
	reportCmd.Flag("basic-auth-password-file", "With --url: a file holding that user's password.").StringVar(&rep.url.basicPasswordFile)
	reportCmd.Flag("bearer-token-file", "With --url: a file holding a bearer token to send (a proxy's in front of the collector).").StringVar(&rep.url.bearerTokenFile)
	reportCmd.Flag("tls.ca-file", "With --url: the CA certificate that signed the collector's.").StringVar(&rep.url.tls.CAFile)
	reportCmd.Flag("tls.cert-file", "With --url: a client certificate, for a collector that asks for one.").StringVar(&rep.url.tls.CertFile)
	reportCmd.Flag("tls.key-file", "With --url: the client certificate's key.").StringVar(&rep.url.tls.KeyFile)
	reportCmd.Flag("tls.server-name", "With --url: the name the collector's certificate must carry, where the URL's host differs.").StringVar(&rep.url.tls.ServerName)
	reportCmd.Flag("tls.insecure-skip-verify", "With --url: do not check the collector's certificate (tests only).").BoolVar(&rep.url.tls.InsecureSkipVerify)

	digestCmd := app.Command("digest", "Send a digest of the config now, to every destination it names (and record it as sent), or print it with --dry-run.")
	dig := digestFlags{}
	digestCmd.Flag("name", "The digest, as named under digests:.").Required().StringVar(&dig.name)
	digestCmd.Flag("dry-run", "Print the digest and where it would go; send and record nothing.").BoolVar(&dig.dryRun)

	healthCmd := app.Command("healthcheck", "Ask a running collector whether it is ready (exit 0) or not (exit 1): a container healthcheck for an image without a shell or curl.")
	healthURL := healthCmd.Flag("url", "The URL to ask.").Default("http://127.0.0.1:9469/-/ready").String()

	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "collector: %v; try --help\n", err)
		return 2
	}
	logger := promslog.New(logConfig)
	common.logger = logger
	if cmd != "healthcheck" { // a probe every few seconds: Go's defaults do
		limit, err := memlimit.Set(*memRatio)
		if err != nil {
			fmt.Fprintf(os.Stderr, "collector: %v\n", err)
			return 2
		}
		level := slog.LevelDebug
		if cmd == "serve" {
			level = slog.LevelInfo
		}
		limit.Log(logger, level, *memRatio)
	}
	if common.shardIndex == -1 {
		host, _ := os.Hostname()
		common.shardIndex = ordinal(host)
	}
	if common.shardCount < 1 || common.shardIndex < 0 || common.shardIndex >= common.shardCount {
		fmt.Fprintf(os.Stderr, "collector: --shard.index %d must be from 0 to --shard.count %d minus one\n", common.shardIndex, common.shardCount)
		return 2
	}

	switch cmd {
	case "healthcheck":
		return runHealthcheck(*healthURL)
	case "check":
		return runCheck(common, *checkStore)
	case "once":
		return runOnce(common)
	case "record":
		return runRecord(common, rec)
	case "import":
		return runImport(common, imp)
	case "report":
		return runReport(common, rep)
	case "digest":
		return runDigest(common, dig)
	case "backup":
		return runBackup(common, *backupTo)
	default:
		return runServe(common, webFlags, *telemetryPath, serveOpts)
	}
}

// ordinal is the number after a host name's last dash (kpi-collector-2: 2),
// or -1.
func ordinal(host string) int {
	i := strings.LastIndexByte(host, '-')
	n, err := strconv.Atoi(host[i+1:])
	if i < 0 || err != nil {
		return -1
	}
	return n
}
