package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/barrage-load/barrage/pkg/stack"
)

// runPattern stands for the run's id in the dashboard's definition: the
// dashboard's run variable (a pattern variable) replaces it with the run
// chosen, from a list of the runs that have metrics.
const runPattern = "BARRAGE_RUN_ID"

// dashboard adds the runs' dashboard, {stack}-runs: the workers' live
// metrics (the embedded metric format lines they print, namespace
// stack.MetricsNamespace) of one run, chosen with the dashboard's "run"
// variable. Counts are added up over each minute (CloudWatch keeps EMF
// metrics at a minute's resolution) and shown per second.
func (b *builder) dashboard() {
	period := awscdk.Duration_Minutes(jsii.Number(1))
	metric := func(name, stat string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(stack.MetricsNamespace), MetricName: &name, Statistic: &stat, Period: period,
			DimensionsMap: &map[string]*string{stack.MetricsRunID: jsii.String(runPattern)},
		})
	}
	perSecond := func(name, label string) awscloudwatch.IMetric {
		id := "m" + strings.ToLower(name) // an id per metric in a graph, starting with a lower-case letter
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(id + "/PERIOD(" + id + ")"), Label: &label, Period: period,
			UsingMetrics: &map[string]awscloudwatch.IMetric{id: metric(name, "Sum")},
		})
	}
	graph := func(title, unit string, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: &title, Width: jsii.Number(12), Height: jsii.Number(6), Left: &left,
			LeftYAxis: &awscloudwatch.YAxisProps{Label: &unit, ShowUnits: jsii.Bool(false), Min: jsii.Number(0)},
		})
	}
	label := func(m awscloudwatch.Metric, l string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Label: &l})
	}
	errorsByClass := awscloudwatch.NewSearchExpression(&awscloudwatch.SearchExpressionProps{
		Expression: jsii.String(fmt.Sprintf(`SEARCH('{%s,%s} %s="%s" MetricName=Errors', 'Sum', 60)`,
			stack.MetricsNamespace, stack.MetricsRunID, stack.MetricsRunID, runPattern)),
		Label: jsii.String(""), Period: period,
	})
	runs := awscloudwatch.NewDashboardVariable(&awscloudwatch.DashboardVariableOptions{
		Id: jsii.String("run"), Label: jsii.String("Run"), Type: awscloudwatch.VariableType_PATTERN,
		InputType: awscloudwatch.VariableInputType_SELECT, Value: jsii.String(runPattern),
		Values: awscloudwatch.Values_FromSearchComponents(&awscloudwatch.SearchComponents{
			Namespace: jsii.String(stack.MetricsNamespace), Dimensions: jsii.Strings(stack.MetricsRunID),
			MetricName: jsii.String("Requests"), PopulateFrom: jsii.String(stack.MetricsRunID),
		}),
		DefaultValue: awscloudwatch.DefaultValue_FIRST(),
	})
	awscloudwatch.NewDashboard(b.st, jsii.String("RunsDashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(*b.st.StackName() + "-runs"),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		Variables:       &[]awscloudwatch.IVariable{runs},
		Widgets: &[]*[]awscloudwatch.IWidget{
			{
				graph("Rate", "requests per second", perSecond("Sent", "sent"), perSecond("Requests", "completed"),
					perSecond("Successes", "successful"), perSecond("Errors", "errors"), perSecond("Dropped", "dropped"),
					perSecond("DroppedLate", "dropped late")),
				graph("Latency from the intended send", "milliseconds", label(metric("LatencyP99", "Maximum"), "p99, worst shard"),
					label(metric("LatencyP99", "Average"), "p99, shards' average"), label(metric("LatencyMean", "Average"), "mean")),
			},
			{
				graph("Errors by class (per minute)", "requests", errorsByClass),
				graph("In flight", "requests", label(metric("Inflight", "Maximum"), "most in flight in a shard"),
					label(metric("Inflight", "Average"), "in flight in a shard, average")),
			},
		},
	})
}
