package plan

import (
	"fmt"
	"math"
	"time"

	"github.com/barrage-load/barrage/events"
)

// Prices is the price table of the cost estimate: AWS list prices for US
// East (N. Virginia), arm64, read on its Date.
var Prices = events.Prices{
	Date:            "2026-11-23",
	Region:          "us-east-1",
	LambdaGBSecond:  0.0000133334,
	LambdaRequest:   0.20 / 1e6,
	FargateVCPUHour: 0.03238,
	FargateGBHour:   0.00356,
	SQSRequest:      0.40 / 1e6,
	S3Put:           0.005 / 1000,
	S3Get:           0.0004 / 1000,
}

// Assumptions of the estimate.
const (
	fargateStart  = 90 * time.Second // billed while a task starts
	fargateMinute = time.Minute      // Fargate bills at least a minute
	progressEvery = 5 * time.Second  // progress.json writes
	abortPoll     = time.Second      // abort marker checks
	visibilityExt = 20 * time.Second // SQS visibility extensions while a shard runs
	runObjects    = 6                // spec, plan, report.json/.txt/.md, abort or not
)

// estimate adds the AWS cost of plan p to its reasons.
func estimate(p *events.Plan, w *workload, kind string, lead time.Duration, reasons []string) (float64, []string) {
	var compute, computeLine string
	var computeUSD float64
	var puts, gets, sqs float64
	shards := float64(len(p.Shards))
	for _, s := range p.Shards {
		l := s.WindowTo.D() - s.WindowFrom.D()
		puts += 2 + math.Ceil(l.Seconds()/progressEvery.Seconds()) // claim, result, progress
		gets += 1 + math.Ceil(l.Seconds()/abortPoll.Seconds())     // spec, abort polls
		sqs += 3 + math.Ceil(l.Seconds()/visibilityExt.Seconds())  // receive, delete, a spare receive, extensions
	}
	sqs += math.Ceil(shards / 10) // batched sends
	puts += runObjects
	gets += 2*shards + 4 // the reducer reads every result, lists and the plan
	switch kind {
	case events.KindLambda:
		var gbs float64
		gb := float64(w.lambdaMB) / 1024
		for _, s := range p.Shards {
			l := lead
			if s.Window > 0 {
				l = WindowLead // a later window's workers are invoked earlier
			}
			gbs += gb * (l + s.WindowTo.D() - s.WindowFrom.D() + UploadMargin).Seconds()
		}
		invocations := shards + 2 // workers, and the reducer twice (result events, deadline)
		computeUSD = gbs*Prices.LambdaGBSecond + invocations*Prices.LambdaRequest
		compute = "Lambda"
		computeLine = fmt.Sprintf("Lambda %s GB-seconds ($%.4f) and %s invocations ($%.6f)",
			num(math.Round(gbs)), gbs*Prices.LambdaGBSecond, num(invocations), invocations*Prices.LambdaRequest)
	case events.KindFargate:
		var vh float64
		for _, s := range p.Shards {
			d := max(fargateMinute, fargateStart+s.WindowTo.D()-s.WindowFrom.D()+UploadMargin)
			vh += w.fargateVCPU * d.Hours()
		}
		gbh := 2 * vh // 2 GB per vCPU
		computeUSD = vh*Prices.FargateVCPUHour + gbh*Prices.FargateGBHour
		compute = "Fargate"
		computeLine = fmt.Sprintf("Fargate %.2f vCPU-hours and %.2f GB-hours ($%.4f)", vh, gbh, computeUSD)
	}
	total := computeUSD + sqs*Prices.SQSRequest + puts*Prices.S3Put + gets*Prices.S3Get
	reasons = append(reasons, fmt.Sprintf(
		"cost ≈ $%.4f: %s; SQS %s requests ($%.6f); S3 %s PUT and %s GET/HEAD ($%.6f); %s prices of %s (%s, arm64)",
		total, computeLine, num(sqs), sqs*Prices.SQSRequest, num(puts), num(gets),
		puts*Prices.S3Put+gets*Prices.S3Get, compute, Prices.Date, Prices.Region))
	return total, reasons
}
