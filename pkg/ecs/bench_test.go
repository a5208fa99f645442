package ecs

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkNotice deploys services whose fake rollouts complete at real
// times spread over a minute, with real sleeps and the default poll
// delays (3s growing to 5s), and reports how long after completing each
// rollout the poll that saw it came (mean and max), and DescribeServices
// calls per minute per service while waiting. Takes about 70s per
// iteration.
func BenchmarkNotice(b *testing.B) {
	const n = 12
	var sumLat, maxLat time.Duration
	var perMin float64
	for b.Loop() {
		f := newFake(b)
		var services []Service
		for i := range n {
			name := fmt.Sprintf("s%d", i)
			f.addService("c", name, tdARN(name, 1), 2)
			// 1s, 6s, 11s … 56s, plus 1.3s per service to vary the phase.
			f.behaviours[tdARN(name, 2)] = behaviour{Result: complete, At: time.Duration(i)*5*time.Second + time.Second + time.Duration(i)*1300*time.Millisecond}
			services = append(services, Service{Cluster: "c", Name: name, TaskDefinition: tdARN(name, 2)})
		}
		start := time.Now()
		if _, err := New(f, Config{}).Deploy(b.Context(), services, Options{Wait: true}); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		sumLat, maxLat = 0, 0
		calls := 0
		for i := range n {
			name := fmt.Sprintf("s%d", i)
			lat := f.noticed[name].Sub(f.finishedAt[name])
			sumLat += lat
			maxLat = max(maxLat, lat)
			calls += f.calls["DescribeServices "+name] - 1 // not the read before the update
		}
		_ = elapsed
		_ = calls
		// Calls per minute while waiting, over the services that waited a
		// minute or more (a short wait is all ramp and says nothing about
		// the rate a long rollout sees): their calls over their waits.
		var waited time.Duration
		longCalls := 0
		for i := range n {
			name := fmt.Sprintf("s%d", i)
			if w := f.noticed[name].Sub(start); w >= time.Minute {
				waited += w
				longCalls += f.calls["DescribeServices "+name] - 1
			}
		}
		if waited > 0 {
			perMin = float64(longCalls) / waited.Minutes()
		}
	}
	b.ReportMetric(sumLat.Seconds()/n, "notice-mean-s")
	b.ReportMetric(maxLat.Seconds(), "notice-max-s")
	b.ReportMetric(perMin, "describes/min/service")
}

// BenchmarkParallel compares the wall time of deploying 5 services with
// that of 1, each fake rollout completing 5s after its update (real
// sleeps, default delays).
func BenchmarkParallel(b *testing.B) {
	run := func(n int) time.Duration {
		f := newFake(b)
		var services []Service
		for i := range n {
			name := fmt.Sprintf("s%d", i)
			f.addService("c", name, tdARN(name, 1), 2)
			f.behaviours[tdARN(name, 2)] = behaviour{Result: complete, At: 5 * time.Second}
			services = append(services, Service{Cluster: "c", Name: name, TaskDefinition: tdARN(name, 2)})
		}
		start := time.Now()
		if _, err := New(f, Config{}).Deploy(b.Context(), services, Options{Wait: true}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var one, five time.Duration
	for b.Loop() {
		one, five = run(1), run(5)
	}
	b.ReportMetric(one.Seconds(), "1-service-s")
	b.ReportMetric(five.Seconds(), "5-services-s")
	b.ReportMetric(five.Seconds()/one.Seconds(), "5/1-ratio")
}
