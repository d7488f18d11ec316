// Package chart draws charts in a self-contained HTML page: uPlot
// (embedded from npm with its licence, uplot/README.md) and a small
// renderer are inlined by Head, and the charts' data goes into the page as
// one JSON blob by Data, each chart drawn into its <div data-chart="ID">
// (Div). Nothing is loaded from the network, so a page can be read offline
// or attached to a ticket.
//
// A page using it:
//
//	<head>{{chart.Head}}</head>
//	<body>… {{chart.Div "latency"}} … {{chart.Data charts}}</body>
//
// Series are plain arrays of numbers (NaN is a gap), so a 2-hour run's
// 7,200 points per series stay a few hundred kilobytes and draw in
// milliseconds. The drawn charts are kept in window.barrageCharts by id,
// the uPlot instances, for tests to inspect; charts that failed are named
// in window.barrageChartErrors.
package chart
