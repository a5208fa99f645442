package ecs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
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

// BenchmarkPauseAt deploys to a BLUE_GREEN service with a 60-minute bake
// time and pause-at POST_TEST_TRAFFIC_SHIFT, on the fake clock with the
// default schedule; the pipeline then tests for 30 minutes and continues
// through the bake. It reports how long after ECS paused the deploy
// returned (fake seconds), the most DescribeServiceDeployments of the
// service in any 60 seconds (both steps), the calls made while the
// deployment waited at the hook, and the calls of the whole run.
func BenchmarkPauseAt(b *testing.B) {
	var afterPause time.Duration
	var perMin, duringPause, describes, continues, stops, updates int
	for b.Loop() {
		f := newFake(b)
		f.addNativeService("c", "web", tdARN("web", 1), types.DeploymentStrategyBlueGreen, 60)
		d := New(f, f.config())
		outs, err := d.Deploy(b.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: tdARN("web", 2),
			Native: Native{PauseAt: types.DeploymentLifecycleHookStagePostTestTrafficShift}}}, Options{Wait: true, Rollback: true})
		if err != nil || outs[0].Status != StatusPaused {
			b.Fatalf("want paused, have %s (%v)", outs[0].Status, err)
		}
		_, pausedAt := f.sdState(outs[0].ServiceDeployment)
		afterPause = f.now().Sub(pausedAt)
		before := len(f.pollTimes["sd:web"])
		f.mu.Lock()
		f.clock = f.clock.Add(30 * time.Minute) // the pipeline's tests
		f.mu.Unlock()
		duringPause = len(f.pollTimes["sd:web"]) - before
		o, err := d.Decide(b.Context(), Decision{ServiceDeployment: outs[0].ServiceDeployment, Action: types.DeploymentLifecycleHookActionContinue}, Options{Wait: true, Rollback: true})
		if err != nil || o.Status != StatusDeployed {
			b.Fatalf("want deployed, have %s (%v)", o.Status, err)
		}
		perMin = maxInWindow(f.pollTimes["sd:web"], time.Minute)
		describes, continues, stops, updates = f.count("DescribeServiceDeployments"), f.count("ContinueServiceDeployment"), f.count("StopServiceDeployment"), f.count("UpdateService")
	}
	b.ReportMetric(afterPause.Seconds(), "returned-after-pause-s")
	b.ReportMetric(float64(perMin), "max-status-calls/min/service")
	b.ReportMetric(float64(duringPause), "calls-during-pause")
	b.ReportMetric(float64(describes), "DescribeServiceDeployments")
	b.ReportMetric(float64(continues), "ContinueServiceDeployment")
	b.ReportMetric(float64(stops), "StopServiceDeployment")
	b.ReportMetric(float64(updates), "UpdateService")
}

// BenchmarkNativeFailure counts the calls of two failed deployments of a
// BLUE_GREEN service with a 60-minute bake: one that times out 20 minutes
// in with rollback on (ferry stops it with ECS's rollback), and one whose
// alarm fires in the bake (ECS rolls back by itself).
func BenchmarkNativeFailure(b *testing.B) {
	var timeoutStops, timeoutUpdates, alarmStops, alarmUpdates, perMin int
	for b.Loop() {
		f := newFake(b)
		f.addNativeService("c", "web", tdARN("web", 1), types.DeploymentStrategyBlueGreen, 60)
		ctx, cfg := f.untilConfig(b.Context(), 20*time.Minute)
		outs, err := New(f, cfg).Deploy(ctx, []Service{{Cluster: "c", Name: "web", TaskDefinition: tdARN("web", 2)}}, Options{Wait: true, Rollback: true})
		if !errors.Is(err, ErrTimeout) || outs[0].Status != StatusRolledBack {
			b.Fatalf("want a timeout rolled back, have %s (%v)", outs[0].Status, err)
		}
		timeoutStops, timeoutUpdates = f.count("StopServiceDeployment"), f.count("UpdateService")-1 // not the deploy's own
		perMin = maxInWindow(f.pollTimes["sd:web"], time.Minute)

		f = newFake(b)
		f.addNativeService("c", "web", tdARN("web", 1), types.DeploymentStrategyBlueGreen, 60)
		f.behaviours[tdARN("web", 2)] = behaviour{FailAt: types.ServiceDeploymentLifecycleStageBakeTime}
		outs, err = New(f, f.config()).Deploy(b.Context(), []Service{{Cluster: "c", Name: "web", TaskDefinition: tdARN("web", 2)}}, Options{Wait: true, Rollback: true})
		if !errors.Is(err, ErrRolledBack) || outs[0].Status != StatusRolledBack {
			b.Fatalf("want ECS's rollback, have %s (%v)", outs[0].Status, err)
		}
		alarmStops, alarmUpdates = f.count("StopServiceDeployment"), f.count("UpdateService")-1
	}
	b.ReportMetric(float64(timeoutStops), "timeout-rollback-calls")
	b.ReportMetric(float64(timeoutUpdates), "timeout-rollback-UpdateService")
	b.ReportMetric(float64(perMin), "max-status-calls/min/service")
	b.ReportMetric(float64(alarmStops), "alarm-rollback-calls")
	b.ReportMetric(float64(alarmUpdates), "alarm-rollback-UpdateService")
}
