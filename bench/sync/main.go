// Command sync measures `ferry sync-s3-cloudfront` against `aws s3 sync`,
// the tool it replaces, in the same run, on the same scenarios:
//
//  1. first upload of a generated site to an empty bucket;
//  2. re-sync after a fresh checkout: same content, every mtime new;
//  3. 1% of the files changed (half of them keeping their size).
//
// It starts its own moto_server, puts a loopback reverse proxy in front of
// it that adds a delay to every request (a network round trip) and counts
// requests and uploaded bytes, generates the site deterministically (5,000
// files of mixed sizes, about 50 MB), and runs each tool several times on
// a fresh bucket, alternating which goes first. It prints, per scenario,
// the median wall time of each tool, their ratio, and the median requests
// and bytes uploaded. It first measures how many PUTs a second moto serves
// on its own, which bounds the first upload for any client.
//
//	go build -o bin/ferry ./cmd/ferry && go run ./bench/sync -ferry bin/ferry
//
// It is a bench script, not a test: nothing here fails on a number.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ferry-ci/ferry/internal/faultproxy"
	"github.com/ferry-ci/ferry/internal/moto"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/sync:", err)
		os.Exit(1)
	}
}

type config struct {
	ferry, aws   string
	tools        string
	extra        string
	runs, files  int
	totalBytes   int64
	delay        time.Duration
	changedShare float64
	seed         uint64
	verbose      bool
}

var scenarios = []string{"first upload", "re-sync, fresh checkout", "1% of files changed"}

// measure is one tool's run of one scenario.
type measure struct {
	took     time.Duration
	requests int64
	bytes    int64
}

func run(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("bench/sync", flag.ContinueOnError)
	fs.StringVar(&c.ferry, "ferry", "bin/ferry", "ferry binary")
	fs.StringVar(&c.aws, "aws", "aws", "aws CLI")
	fs.StringVar(&c.tools, "tools", "ferry,aws", "tools to run (for experiments; the table needs both)")
	fs.StringVar(&c.extra, "ferry-flags", "", "extra ferry flags, space-separated (for experiments only: reported numbers use the defaults)")
	fs.IntVar(&c.runs, "runs", 5, "runs per tool")
	fs.IntVar(&c.files, "files", 5000, "files in the site")
	fs.Int64Var(&c.totalBytes, "bytes", 50_000_000, "total size of the site")
	fs.DurationVar(&c.delay, "delay", 20*time.Millisecond, "delay the proxy adds to every request")
	fs.Float64Var(&c.changedShare, "changed", 0.01, "share of files changed in the third scenario")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the generated site")
	fs.BoolVar(&c.verbose, "v", false, "print every measure")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, bin := range []string{c.ferry, c.aws} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s: %w (build ferry with: go build -o bin/ferry ./cmd/ferry)", bin, err)
		}
	}
	work, err := os.MkdirTemp("", "bench-sync-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	if err := moto.EnsureInstalled(ctx); err != nil {
		return err
	}
	m, err := moto.Start(ctx, moto.Options{})
	if err != nil {
		return err
	}
	defer m.Stop()
	proxy, err := faultproxy.Serve(m.Endpoint, faultproxy.Options{Latency: c.delay})
	if err != nil {
		return err
	}
	defer proxy.Close()
	direct := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})

	ceiling, err := putCeiling(ctx, direct)
	if err != nil {
		return fmt.Errorf("measuring moto: %w", err)
	}
	if err := moto.Reset(ctx, m.Endpoint); err != nil {
		return err
	}

	sizes := siteSizes(c)
	var total int64
	for _, s := range sizes {
		total += s
	}
	results := map[string][][]measure{"ferry": make([][]measure, len(scenarios)), "aws": make([][]measure, len(scenarios))}
	for i := range c.runs {
		order := strings.Split(c.tools, ",")
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, tool := range order {
			ms, err := runScenarios(ctx, c, tool, i, work, sizes, m.Endpoint, proxy, direct)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", tool, i+1, err)
			}
			for s, x := range ms {
				results[tool][s] = append(results[tool][s], x)
				if c.verbose {
					fmt.Fprintf(os.Stderr, "%-5s run %d %-26s %8.0f ms %6d requests %10d bytes\n", tool, i+1, scenarios[s], ms2(x.took), x.requests, x.bytes)
				}
			}
			if err := moto.Reset(ctx, m.Endpoint); err != nil {
				return err
			}
		}
	}

	if len(results["ferry"][0]) == 0 || len(results["aws"][0]) == 0 {
		return nil
	}
	fmt.Printf("site: %d files, %.1f MB; proxy adds %s per request; %d runs per tool, alternating first; medians\n\n", len(sizes), float64(total)/1e6, c.delay, c.runs)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tferry\taws s3 sync\tferry faster by\tferry requests\taws requests\tferry bytes up\taws bytes up\t")
	ratios := make([]float64, len(scenarios))
	var ferryResyncBytes int64
	for s, name := range scenarios {
		f, a := med(results["ferry"][s]), med(results["aws"][s])
		ratios[s] = float64(a.took) / float64(f.took)
		if s == 1 {
			ferryResyncBytes = f.bytes
		}
		fmt.Fprintf(tw, "%s\t%.2f s\t%.2f s\t%.1f×\t%d\t%d\t%s\t%s\t\n", name, f.took.Seconds(), a.took.Seconds(), ratios[s], f.requests, a.requests, mb(f.bytes), mb(a.bytes))
	}
	_ = tw.Flush()
	fmt.Println()
	fmt.Printf("goal: re-sync uploads 0 bytes: %s (%d bytes)\n", verdict(ferryResyncBytes == 0), ferryResyncBytes)
	fmt.Printf("goal: re-sync >= 10x faster: %s (%.1f×)\n", verdict(ratios[1] >= 10), ratios[1])
	fmt.Printf("goal: first upload >= 2x faster: %s (%.1f×)\n", verdict(ratios[0] >= 2), ratios[0])
	fmt.Printf("\nmoto alone (no proxy, 64 PUTs of 10 kB in flight): %.0f PUT/s, so no client uploads %d files in less than %.1f s here\n",
		ceiling, len(sizes), float64(len(sizes))/ceiling)
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// runScenarios runs the three scenarios with one tool on a fresh bucket
// and a fresh copy of the site.
func runScenarios(ctx context.Context, c config, tool string, i int, work string, sizes []int64, motoEndpoint string, proxy *faultproxy.Proxy, direct *s3.Client) ([]measure, error) {
	bucket := fmt.Sprintf("bench-%s-%d", tool, i)
	if _, err := direct.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, err
	}
	dir := filepath.Join(work, bucket)
	if err := writeSite(dir, c.seed, sizes); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	home := filepath.Join(work, "home-"+bucket)
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	var out []measure
	for s := range scenarios {
		switch s {
		case 1:
			// A fresh checkout: the content as it was, every mtime now,
			// after the uploads (S3's LastModified has whole seconds).
			time.Sleep(1100 * time.Millisecond)
			if err := touchAll(dir, time.Now()); err != nil {
				return nil, err
			}
		case 2:
			time.Sleep(1100 * time.Millisecond)
			if err := changeSome(dir, c.seed, sizes, c.changedShare); err != nil {
				return nil, err
			}
		}
		var cmd *exec.Cmd
		switch tool {
		case "ferry":
			cmd = exec.CommandContext(ctx, c.ferry, append([]string{"sync-s3-cloudfront", "--source", dir, "--bucket", bucket, "--aws-endpoint-url", proxy.URL}, strings.Fields(c.extra)...)...)
		default:
			cmd = exec.CommandContext(ctx, c.aws, "--endpoint-url", proxy.URL, "s3", "sync", dir, "s3://"+bucket+"/", "--only-show-errors", "--no-progress")
		}
		cmd.Env = append(os.Environ(), "HOME="+home, "AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"))
		cmd.Env = append(cmd.Env, moto.Env(proxy.URL)...)
		proxy.Reset()
		start := time.Now()
		output, err := cmd.CombinedOutput()
		took := time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("%s: %v\n%s", scenarios[s], err, lastLines(string(output), 20))
		}
		st := proxy.Stats()
		out = append(out, measure{took: took, requests: int64(st.Requests), bytes: st.BodyBytes})
	}
	// Both tools must leave the same objects.
	n, err := countObjects(ctx, direct, bucket)
	if err != nil {
		return nil, err
	}
	if want := len(sizes); n < want || n > want+1 { // ferry adds its manifest
		return nil, fmt.Errorf("bucket holds %d objects, want %d", n, want)
	}
	return out, nil
}

// putCeiling measures how many PUTs a second moto itself serves, with
// more requests in flight than either tool sends: the first upload cannot
// go faster than that, whatever the client.
func putCeiling(ctx context.Context, c *s3.Client) (float64, error) {
	const n, inFlight = 1000, 64
	bucket := "bench-ceiling"
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return 0, err
	}
	body := bytes.Repeat([]byte("x"), 10_000)
	sem := make(chan struct{}, inFlight)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("k%04d", i)), Body: bytes.NewReader(body)})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return n / took.Seconds(), nil
}

func countObjects(ctx context.Context, c *s3.Client, bucket string) (int, error) {
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(page.Contents)
	}
	return n, nil
}

// siteSizes draws file sizes log-uniformly from 200 B to 2 MB, scaled so
// they add up to the total: many small pages and scripts, a few images.
func siteSizes(c config) []int64 {
	r := rand.New(rand.NewPCG(c.seed, 42))
	raw := make([]float64, c.files)
	var sum float64
	for i := range raw {
		raw[i] = math.Exp(math.Log(200) + r.Float64()*(math.Log(2e6)-math.Log(200)))
		sum += raw[i]
	}
	sizes := make([]int64, c.files)
	for i, x := range raw {
		sizes[i] = max(1, int64(x*float64(c.totalBytes)/sum))
	}
	return sizes
}

var exts = []string{".html", ".css", ".js", ".json", ".svg", ".png", ".jpg", ".woff2", ".txt", ".webp"}

// name is the path of file i: 100 directories two levels deep.
func name(i int) string {
	return fmt.Sprintf("section-%02d/page-%02d/file-%04d%s", i%10, (i/10)%10, i, exts[i%len(exts)])
}

func writeSite(dir string, seed uint64, sizes []int64) error {
	r := rand.New(rand.NewPCG(seed, 7))
	buf := make([]byte, 2<<20+1)
	for i, size := range sizes {
		p := filepath.Join(dir, filepath.FromSlash(name(i)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b := buf[:size]
		for j := 0; j < len(b); j += 8 {
			v := r.Uint64()
			for k := 0; k < 8 && j+k < len(b); k++ {
				b[j+k] = byte(v >> (8 * k))
			}
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func touchAll(dir string, t time.Time) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(p, t, t)
	})
}

// changeSome edits a share of the files, as a commit would: half keep
// their size (one byte changed), half grow by a line.
func changeSome(dir string, seed uint64, sizes []int64, share float64) error {
	r := rand.New(rand.NewPCG(seed, 99))
	n := max(1, int(float64(len(sizes))*share))
	for k, i := range r.Perm(len(sizes))[:n] {
		p := filepath.Join(dir, filepath.FromSlash(name(i)))
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if k%2 == 0 {
			b[len(b)/2] ^= 0xff
		} else {
			b = append(b, "\n<!-- changed -->\n"...)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func med(ms []measure) measure {
	pick := func(f func(measure) int64) int64 {
		xs := make([]int64, len(ms))
		for i, m := range ms {
			xs[i] = f(m)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	return measure{
		took:     time.Duration(pick(func(m measure) int64 { return int64(m.took) })),
		requests: pick(func(m measure) int64 { return m.requests }),
		bytes:    pick(func(m measure) int64 { return m.bytes }),
	}
}

func ms2(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mb(n int64) string {
	if n < 1e6 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
