package ecs

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkNotice deploys services whose fake rollouts complete at real
// times spread over a minute, with real sleeps and the default schedule
// (first look after 2s, then every 5s), and reports how long after each
// rollout completed the poll that saw it came (mean and max), and the
// most DescribeServices calls of one service in any 60-second window of
// real time while waiting. Takes about 70s per iteration.
func BenchmarkNotice(b *testing.B) {
	const n = 12
	var sumLat, maxLat time.Duration
	var perMin int
	for b.Loop() {
		f := newFake(b)
		f.realTime = true
		var services []Service
		for i := range n {
			name := fmt.Sprintf("s%d", i)
			f.addService("c", name, tdARN(name, 1), 2)
			// 1s, 6s, 11s … 56s, plus 1.3s per service to vary the phase.
			f.behaviours[tdARN(name, 2)] = behaviour{Result: complete, At: time.Duration(i)*5*time.Second + time.Second + time.Duration(i)*1300*time.Millisecond}
			services = append(services, Service{Cluster: "c", Name: name, TaskDefinition: tdARN(name, 2)})
		}
		if _, err := New(f, Config{}).Deploy(b.Context(), services, Options{Wait: true}); err != nil {
			b.Fatal(err)
		}
		sumLat, maxLat, perMin = 0, 0, 0
		for i := range n {
			name := fmt.Sprintf("s%d", i)
			lat := f.noticed[name].Sub(f.finishedAt[name])
			sumLat += lat
			maxLat = max(maxLat, lat)
			perMin = max(perMin, maxInWindow(f.pollTimes[name][1:], time.Minute)) // not the read before the update
		}
	}
	b.ReportMetric(sumLat.Seconds()/n, "notice-mean-s")
	b.ReportMetric(maxLat.Seconds(), "notice-max-s")
	b.ReportMetric(float64(perMin), "max-describes/min/service")
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
