package collectors

import "github.com/kpi-collector/kpi-collector/config"

// manual is the channel of counts kept by hand (relationships made, guest
// posts written): it is never collected; values come from `collector record`
// and POST /api/v1/observations, authorized by its credentials.token.
func init() {
	register("manual", Spec{
		TypeSpec: config.TypeSpec{
			NotScheduled: true,
			NoAccounts:   true,
			Manual:       true,
			// token authorizes recordings over HTTP; without one, only
			// `collector record` records.
			OptionalCredentials: []string{"token"},
		},
	})
}
