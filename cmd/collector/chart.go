package main

import "github.com/kpi-collector/kpi-collector/digest"

// chartPNG draws the e-mails' charts; nil until a chart drawing is wired.
var chartPNG digest.PNGChart
