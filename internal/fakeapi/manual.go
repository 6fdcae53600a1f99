package fakeapi

// Manual channels call no API: the plan of every type has one, recorded by
// hand.
func init() {
	register(Fake{
		Type:     "manual",
		Channels: map[string]string{"offline": `type: manual`},
		KPIs:     map[string]string{"rel": `{channel: offline, metric: relationships, count: growth, milestones: [{due: 2026-12-31, target: 20}]}`},
	})
}
