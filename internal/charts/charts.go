// Package charts holds the charting library the HTML reports inline (Chart.js and its error-bar plugin,
// vendored: see VENDOR.md), so every report opens with no server and no network.
package charts

import _ "embed"

var (
	// ChartJS is Chart.js, the UMD build.
	//go:embed chart-4.5.1.umd.min.js
	ChartJS string
	// ErrorBarsJS is chartjs-chart-error-bars, the UMD build; it needs ChartJS first.
	//go:embed chartjs-chart-error-bars-4.4.5.umd.min.js
	ErrorBarsJS string
)
