package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// helpTopic is what `socialscore COMMAND --help` prints besides the flags:
// how to call the command, what it does, and examples to copy.
type helpTopic struct {
	usage    string // after "usage: socialscore "
	about    string // paragraphs separated by blank lines
	examples []string
	// subcommands, for a command that only dispatches (keys, experiment,
	// audit): names of the topics listed in its help.
	subcommands []string
}

// helpTopics holds the help of every command and subcommand, by the name
// its flag set carries ("seed", "keys create", ...). TestEveryCommandHelp
// runs --help and -h on each.
var helpTopics = map[string]helpTopic{
	"demo": {
		usage: "demo [flags]",
		about: `Seed a network into the store if it is empty (20,000 people by default), score it, and serve the API and the page. It prints, first, the page's address; then the file with one API key per role (made on the first run, the same ones afterwards) and the operator key to paste into the page.

Run it again on the same store and it keeps the network and the keys.`,
		examples: []string{
			"socialscore demo",
			"socialscore demo --addr 127.0.0.1:9090 --people 5000 --seed 3",
			"socialscore demo --store embedded://demo/socialscore.db",
		},
	},
	"seed": {
		usage: "seed [flags]",
		about: `Generate a realistic network of people (ids 1..N) with friendships, recruitments and financial records, and load it into the store, creating the store if there is none. The same --seed gives the same network. The store must hold no people with those ids.`,
		examples: []string{
			"socialscore seed --people 100000 --seed 7",
			"socialscore seed --people 10000 --store bolt://127.0.0.1:7687",
			"socialscore seed --people 1000000 --store bolt://127.0.0.1:7687 --bulk --neo4j-dir data/neo4j-dev   # first load through neo4j-admin import",
		},
	},
	"import": {
		usage: "import --friends FILE [--people FILE] [--merge] [flags]",
		about: `Load a real network from a SNAP edge list (whitespace-separated id pairs, # or % comments) and an optional people CSV, creating the store if there is none. Ids are kept as in the file; if any is 0 or negative every id is shifted by one offset (printed) so all are positive. Imported people consent; those without a record in the CSV get a neutral record.

A store that already holds people is refused unless --merge is given: then people new to the store are added with their ties, people already stored are kept with their records untouched, and ties between stored people are added where new (a stored tie keeps its weight). An empty edge list (nothing but comments) is an error and changes nothing.`,
		examples: []string{
			"socialscore import --friends facebook_combined.txt",
			"socialscore import --friends edges.txt --people people.csv --store embedded://data/real.db",
			"socialscore import --merge --friends more-edges.txt",
			"socialscore import --friends edges.txt --store bolt://127.0.0.1:7687 --bulk --neo4j-dir data/neo4j-dev",
		},
	},
	"metrics": {
		usage: "metrics [--policy NAME|FILE] [--json] [flags]",
		about: `Report the statistics of the stored network under the store's latest run: degree assortativity, transitivity (the share of closed triples) and average clustering, the Gini coefficient of the numbers of friends and of the scores, components, and the communities found by label propagation (CDLP) and Louvain; a method that puts everyone with a friend into one community says so. --json prints the body of GET /v1/network/metrics. The store must exist.`,
		examples: []string{
			"socialscore metrics",
			"socialscore metrics --json --store bolt://127.0.0.1:7687",
			"socialscore metrics --policy tencent --louvain-max 0",
		},
	},
	"score": {
		usage: "score [--policy NAME|FILE] [flags]",
		about: `Run a full scoring run of the stored network under a policy (a preset: sesame, tencent, facebook-lending, lenddo, baseline; or a JSON/YAML file) and save it. It ends with a summary: people scored, the mean score, how many people are in each band, and the people whose scores moved most since the previous run. The store must exist.

With --engine spark the graph phases (propagation and PageRank) run on an Apache Spark cluster (deploy/spark/spark.sh starts a local one); everything else stays here and the run is saved like any other.`,
		examples: []string{
			"socialscore score",
			"socialscore score --policy tencent",
			"socialscore score --policy my-policy.yaml --store bolt://127.0.0.1:7687",
			"socialscore score --engine spark --spark spark://127.0.0.1:7077",
		},
	},
	"serve": {
		usage: "serve [flags]",
		about: `Serve the HTTP API (/v1) and the page (/) over the store, with the last completed scoring run as the scores. Every /v1 route needs an API key with a role; start with --init-keys FILE to make one key per role, or create keys with 'socialscore keys create'.

The store must exist; --create makes an empty one when there is none (a server whose people arrive through the API, as in docker-compose.yml).`,
		examples: []string{
			"socialscore serve --addr 127.0.0.1:8080",
			"socialscore serve --store bolt://127.0.0.1:7687 --init-keys data/keys.txt",
			"socialscore serve --create --store neo4j://neo4j:7687 --addr 0.0.0.0:8080",
		},
	},
	"simulate": {
		usage: "simulate --out DIR [--policy NAME|FILE] [--rounds N] [--people N --seed S | --store URL] [--sweep field=v1,v2]... [flags]",
		about: `Simulate, round by round, people dropping friends whose scores pull theirs down, forming ties and investing effort under a scoring policy, on a seeded network (--people) or a copy of a stored one (--store, never changed). --sweep crosses values of config fields into a grid; --replicates repeats each grid point with derived seeds. Writes metrics.csv, summary.json, charts/ and report.html to --out and prints the summary table.`,
		examples: []string{
			"socialscore simulate --policy tencent --rounds 20 --people 10000 --seed 1 --out out/one",
			"socialscore simulate --policy tencent --rounds 20 --people 10000 --seed 1 --sweep alpha=0,0.25,0.5,0.75 --sweep policy=baseline,sesame,tencent --replicates 5 --out out/lab",
		},
	},
	"export": {
		usage: "export --out FILE|- [--format json|gexf|graphml] [--ego ID --depth D | --sample N --seed S] [flags]",
		about: `Write the whole network, a person's ego network or a sample as JSON, GEXF (Gephi) or GraphML, with scores and pillars as attributes. Ids are pseudonymised with a keyed hash unless --real-ids is given. Shows progress on standard error when it is a terminal, or with --progress; standard output carries only the data when --out is '-'. The store must exist.`,
		examples: []string{
			"socialscore export --format gexf --ego 42 --depth 2 --out ego42.gexf",
			"socialscore export --sample 5000 --seed 1 --out sample.graphml",
			"socialscore export --out network.gexf --progress",
			"socialscore export --format json --out - | jq .meta",
		},
	},
	"experiment": {
		usage:       "experiment shock [flags]",
		about:       `Run a research experiment on a copy of the stored network; the store is never changed. The one experiment is shock.`,
		examples:    []string{"socialscore experiment shock --ids 42 --event default:5000 --policy tencent"},
		subcommands: []string{"experiment shock"},
	},
	"experiment shock": {
		usage: "experiment shock --ids ID[,ID...] --event KIND[:ARG] [--event ...] [flags]",
		about: `Change the records of the people given (a default, a bill paid late, ...) on a copy of the network, re-score, and report who moved and by how much, per propagation step and by hop distance. --out writes the result as JSON, --gexf the people who moved as a dynamic GEXF for Gephi's timeline. The store must exist.`,
		examples: []string{
			"socialscore experiment shock --ids 42 --event default:5000 --policy tencent",
			"socialscore experiment shock --ids 42,43 --event default:5000 --out shock.json --gexf shock.gexf",
		},
	},
	"keys": {
		usage:       "keys create|list|revoke [flags]",
		about:       `Create, list and revoke the API keys kept in the store; each key holds one role. A key is printed once, when created; the store keeps only its SHA-256 digest. The store must exist.`,
		examples:    []string{"socialscore keys create --name ops --role operator", "socialscore keys list", "socialscore keys revoke ops"},
		subcommands: []string{"keys create", "keys list", "keys revoke"},
	},
	"keys create": {
		usage:    "keys create --name NAME --role ROLE [--person ID] [flags]",
		about:    `Create an API key with one role and print it once on standard output (the store keeps only its digest). A subject key belongs to one person (--person).`,
		examples: []string{"socialscore keys create --name ops --role operator", "socialscore keys create --name alice --role subject --person 42"},
	},
	"keys list": {
		usage:    "keys list [flags]",
		about:    `List the store's API keys: name, role, person, when created and when revoked. Secrets are never shown.`,
		examples: []string{"socialscore keys list", "socialscore keys list --store bolt://127.0.0.1:7687"},
	},
	"keys revoke": {
		usage:    "keys revoke NAME [flags]",
		about:    `Revoke the key with this name; a running server stops accepting it within seconds.`,
		examples: []string{"socialscore keys revoke ops"},
	},
	"audit": {
		usage:       "audit verify [flags]",
		about:       `Check the audit log of score reads.`,
		examples:    []string{"socialscore audit verify"},
		subcommands: []string{"audit verify"},
	},
	"audit verify": {
		usage:    "audit verify [--log FILE] [flags]",
		about:    `Verify the hash chain of the audit log of score reads: every record links to the one before, so a record changed or removed shows. Prints the head of the chain, to keep elsewhere and compare later.`,
		examples: []string{"socialscore audit verify", "socialscore audit verify --log /var/lib/socialscore/audit.jsonl"},
	},
}

// helpRequest is returned when the user asked for a command's help (-h,
// --help); run prints it on standard output and exits 0.
type helpRequest struct {
	topic string
	fs    *flag.FlagSet // nil for a command without flags of its own
}

func (h helpRequest) Error() string { return "help requested" }
func (h helpRequest) Is(err error) bool {
	return err == flag.ErrHelp
}

// isHelpArg reports whether arg asks for help.
func isHelpArg(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// printHelp writes a topic's help: usage, description, flags, examples.
func printHelp(w io.Writer, h helpRequest) {
	t := helpTopics[h.topic]
	fmt.Fprintf(w, "usage: socialscore %s\n\n", t.usage)
	for _, para := range strings.Split(t.about, "\n\n") {
		fmt.Fprintln(w, wrap(para, 78))
		fmt.Fprintln(w)
	}
	if len(t.subcommands) > 0 {
		fmt.Fprintln(w, "subcommands:")
		for _, s := range t.subcommands {
			fmt.Fprintf(w, "  socialscore %-20s %s\n", s, firstSentence(helpTopics[s].about))
		}
		fmt.Fprintf(w, "\nrun 'socialscore %s --help' for its flags\n\n", t.subcommands[0])
	}
	if h.fs != nil {
		fmt.Fprintln(w, "flags:")
		out := h.fs.Output()
		h.fs.SetOutput(w)
		h.fs.PrintDefaults()
		h.fs.SetOutput(out)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "examples:")
	for _, e := range t.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
}

// printUsage writes the list of commands (socialscore --help).
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: socialscore COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "socialscore keeps a network of people and their records, scores them under a")
	fmt.Fprintln(w, "policy, and serves the scores, their reasons and research tools over an HTTP API.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes --store URL (default "+defaultStoreURL+", or neo4j://host:port);")
	fmt.Fprintln(w, "only seed, import and demo create a store that does not exist.")
	fmt.Fprintln(w, "Run 'socialscore COMMAND --help' for a command's flags and examples.")
	fmt.Fprintln(w, "\nexamples:")
	fmt.Fprintln(w, "  socialscore demo")
	fmt.Fprintln(w, "  socialscore seed --people 100000 --seed 7 && socialscore score --policy tencent")
}

// shortUsage is printed on standard error after a mistake in the flags.
func shortUsage(w io.Writer, topic string) {
	if t, ok := helpTopics[topic]; ok {
		fmt.Fprintf(w, "usage: socialscore %s\n", t.usage)
	}
	fmt.Fprintf(w, "run 'socialscore %s --help' for its flags and examples\n", topic)
}

// wrap breaks text into lines of at most width characters.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		if n > 0 && n+1+len(word) > width {
			b.WriteByte('\n')
			n = 0
		} else if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// firstSentence returns text up to its first full stop.
func firstSentence(text string) string {
	if i := strings.Index(text, ". "); i >= 0 {
		return text[:i+1]
	}
	return text
}
