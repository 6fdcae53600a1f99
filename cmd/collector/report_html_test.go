package main

import (
	"bytes"
	"strings"
	"testing"
)

// The HTML report draws each KPI's values over the plan, which only the
// store holds: with --url it is refused before any request, with the reason.
func TestReportHTMLNeedsTheStore(t *testing.T) {
	var out, errOut bytes.Buffer
	oldOut, oldErr := stdout, stderr
	stdout, stderr = &out, &errOut
	t.Cleanup(func() { stdout, stderr = oldOut, oldErr })
	code := runReportURL(reportFlags{format: "html", url: urlFlags{url: "http://127.0.0.1:1/"}})
	if code != 2 || !strings.Contains(errOut.String(), "--format=html needs the store") || out.Len() != 0 {
		t.Errorf("exit %d, stderr %q, stdout %q", code, errOut.String(), out.String())
	}
}
