package traffic_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ferry-ci/ferry/pkg/traffic"
)

func ExamplePreset() {
	for _, name := range traffic.PresetNames() {
		w, _ := traffic.Preset(name)
		fmt.Printf("%-8s %s\n", name, w)
	}
	_, err := traffic.Preset("purple")
	fmt.Println(err)
	// Output:
	// blue     blue=100 green=0
	// blue-80  blue=80 green=20
	// split    blue=50 green=50
	// green-80 blue=20 green=80
	// green    blue=0 green=100
	// unknown traffic preset "purple": expected one of blue, blue-80, split, green-80, green
}

func ExampleStepsFromPercentages() {
	steps, err := traffic.StepsFromPercentages([]string{"10", "50", "100"})
	fmt.Println(steps, err)
	_, err = traffic.StepsFromPercentages([]string{"50", "10", "120"})
	fmt.Println(err)
	// Output:
	// [blue=90 green=10 blue=50 green=50 blue=0 green=100] <nil>
	// step 2: expected percentages that strictly increase, found "10" after "50"
	// step 3: expected a whole percentage 0 to 100, found "120"
}

func ExampleOptions_Validate() {
	err := traffic.Options{
		Listeners:         []string{"x"},
		Blue:              "web-blue",
		Green:             "web-blue",
		Steps:             []traffic.Weights{{Blue: 0, Green: 0}},
		MinHealthyTargets: -1,
	}.Validate()
	fmt.Println(err)
	// Output:
	// Listeners: expected an ELBv2 listener ARN like "arn:aws:elasticloadbalancing:…:listener/app/…", found "x"
	// Green: expected a target group other than the blue one, found "web-blue" in both
	// BlueWeight and GreenWeight: expected weights 0 to 999, not both 0, found blue=0 green=0
	// MinHealthyTargets: expected 0 to 1000, found -1
}

// A progressive shift to green: 10%, 50%, then all of it, five minutes
// apart, stopped and reverted if the alarm fires.
func ExampleSwitcher_Run() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	steps, err := traffic.StepsFromPercentages([]string{"10", "50", "100"})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := traffic.New(elb.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg), traffic.Config{Logger: slog.Default()})
	res, err := s.Run(ctx, traffic.Options{
		Listeners:         []string{"arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"},
		Blue:              "web-blue",
		Green:             "web-green",
		Steps:             steps,
		BakeTime:          5 * time.Minute,
		Alarms:            []string{"web-5xx"},
		MinHealthyTargets: 2,
	})
	fmt.Println(res.Start, "→", res.Final, res.Reverted, err)
}
