package fakeapi

import (
	"net/http"
	"strings"
)

// MatomoToken is the token_auth the fake accepts.
const MatomoToken = "0123456789abcdef0123456789abcdef"

// Matomo is the Reporting API (index.php).
const Matomo API = "matomo"

func init() {
	register(Fake{
		Type: "matomo",
		Routes: []Route{{API: Matomo, Serve: (*Server).matomo,
			Match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/matomo/index.php") }}},
		Channels: map[string]string{"matomo": `type: matomo
api_url: {{URL}}/matomo/
credentials: {token_auth: ` + MatomoToken + `}
accounts: ["3", "4", "5"]`},
		KPIs: map[string]string{
			"signups": `{channel: matomo, account: "3", metric: conversions, milestones: [{due: 2026-12-31, target: 100}]}`,
		},
		Calls: map[API]int{Matomo: 6},
		Fail:  map[API]string{Matomo: "lockout"},
	})
}

// matomo answers VisitsSummary.get and Goals.get for period=range as
// Matomo 5 does: site 3 as a server without unique visitors for ranges
// (the default), site 4 as one with them (and a formatted bounce rate),
// site 5 had no visit in the window ([]), site 9 is not the token's to
// view. A token_auth in the URL is refused as Matomo refuses secure-only
// tokens there. Modes: lockout (Matomo's brute-force answer, a 200),
// legacy_auth (a bad token as Matomo 4 says it, with a 200), goals_off
// (the Goals plugin deactivated: Goals.get is an unknown method, Matomo 5's
// 400, while VisitsSummary.get answers; that a deactivated plugin's method
// answers exactly so is [UNVERIFIED], the shape is the documented one).
func (s *Server) matomo(w http.ResponseWriter, r *http.Request, mode string) {
	if r.URL.Query().Has("token_auth") {
		reply(w, http.StatusUnauthorized, []byte(`{"result":"error","message":"Unable to authenticate with the provided token. It is either invalid, expired or is required to be sent as a POST parameter."}`))
		return
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		reply(w, http.StatusBadRequest, File("matomo/unknown_method.json"))
		return
	}
	f := r.PostForm
	switch {
	case mode == "lockout":
		reply(w, http.StatusOK, File("matomo/locked_out.json"))
		return
	case mode == "legacy_auth":
		reply(w, http.StatusOK, File("matomo/bad_token.json"))
		return
	case f.Get("token_auth") != MatomoToken:
		reply(w, http.StatusUnauthorized, File("matomo/bad_token.json"))
		return
	case f.Get("module") != "API" || f.Get("format") != "JSON" || f.Get("period") != "range" || !strings.Contains(f.Get("date"), ","):
		reply(w, http.StatusBadRequest, File("matomo/unknown_method.json"))
		return
	}
	if mode == "goals_off" && f.Get("method") == "Goals.get" {
		reply(w, http.StatusBadRequest, File("matomo/goals_off.json"))
		return
	}
	site := f.Get("idSite")
	if site == "9" {
		reply(w, http.StatusUnauthorized, File("matomo/no_view_access.json"))
		return
	}
	files := map[string]map[string]string{
		"VisitsSummary.get": {"3": "visits_summary.json", "4": "visits_summary_uniques.json", "5": "no_data.json"},
		"Goals.get":         {"3": "goals.json", "4": "goals.json", "5": "no_data.json"},
	}
	method, ok := files[f.Get("method")]
	if !ok {
		reply(w, http.StatusBadRequest, File("matomo/unknown_method.json"))
		return
	}
	file, ok := method[site]
	if !ok {
		reply(w, http.StatusUnauthorized, File("matomo/no_view_access.json"))
		return
	}
	reply(w, http.StatusOK, File("matomo/"+file))
}
