package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// LinkedIn's OAuth 2.0 endpoints (API-REFERENCE-3 A): the refresh of an
// access token and the introspection of one. The fake mints tokens by its
// clock (Server.Now): access tokens last 60 days but never past the
// refresh token, which lasts 365 days from the first refresh (its
// member's consent, as far as the fake knows) and is refused after.

// The credentials of the LinkedIn app the fake knows.
const (
	LinkedInClientID     = "86fakeclientid"
	LinkedInClientSecret = "FAKE-linkedin-client-secret"
	LinkedInRefreshToken = "AQXFAKE-linkedin-refresh-token"
	// LinkedInRotatedRefreshToken is the refresh token the fake hands out in
	// mode "rotate" (whether LinkedIn ever rotates it is not documented).
	LinkedInRotatedRefreshToken = "AQXFAKE-linkedin-rotated-refresh-token"
)

// LinkedInTokenExpiresAt is when LinkedInToken ends, as the fake's
// introspection says.
var LinkedInTokenExpiresAt = time.Date(2027, time.January, 31, 0, 0, 0, 0, time.UTC)

// The lifetimes LinkedIn documents: access tokens 60 days (the answers say
// 5,183,999 seconds), refresh tokens 365 days.
const (
	linkedInAccessSeconds  = 5183999
	linkedInRefreshSeconds = 365 * 24 * 3600
)

// The LinkedIn OAuth endpoints faked.
const (
	LinkedInOAuth      API = "linkedin_oauth"      // POST /oauth/v2/accessToken
	LinkedInIntrospect API = "linkedin_introspect" // POST /oauth/v2/introspectToken
)

// linkedInOAuth is what the fake minted.
type linkedInOAuth struct {
	mu         sync.Mutex
	n          int
	access     map[string]time.Time // access token -> expiry
	refreshEnd map[string]time.Time // refresh token -> end, from its first use
}

// MintedLinkedInToken is the nth access token the fake mints (from 1).
func MintedLinkedInToken(n int) string { return fmt.Sprintf("AQVFAKE-minted-access-token-%d", n) }

// MintedLinkedInTokens is how many access tokens the fake minted.
func (s *Server) MintedLinkedInTokens() int {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.n
}

// linkedInTokenValid reports whether an Authorization header carries a
// token the fake accepts, and if not, the recorded answer to give.
func (s *Server) linkedInTokenRefused(auth string) (string, bool) {
	if auth == "Bearer "+LinkedInToken {
		return "", false
	}
	s.oauth.mu.Lock()
	expiry, minted := s.oauth.access[trimBearer(auth)]
	s.oauth.mu.Unlock()
	switch {
	case !minted:
		return "linkedin/invalid_token.json", true
	case !s.now().Before(expiry):
		return "linkedin/expired_token.json", true
	}
	return "", false
}

func trimBearer(auth string) string {
	if len(auth) > 7 && auth[:7] == "Bearer " {
		return auth[7:]
	}
	return ""
}

// linkedInOAuthRoutes are the OAuth endpoints, beside the API's routes.
var linkedInOAuthRoutes = []Route{
	{API: LinkedInOAuth, Serve: (*Server).linkedInAccessToken, Match: func(r *http.Request) bool {
		return r.Method == http.MethodPost && r.URL.Path == "/oauth/v2/accessToken"
	}},
	{API: LinkedInIntrospect, Serve: (*Server).linkedInIntrospect, Match: func(r *http.Request) bool {
		return r.Method == http.MethodPost && r.URL.Path == "/oauth/v2/introspectToken"
	}},
}

// linkedInMinted is a channel that mints its access tokens, in the plan of
// every type.
const linkedInMinted = `type: linkedin
api_url: {{URL}}
oauth_url: {{URL}}/oauth/v2/
credentials: {client_id: ` + LinkedInClientID + `, client_secret: ` + LinkedInClientSecret + `, refresh_token: ` + LinkedInRefreshToken + `}
accounts: ["5100"]`

// linkedInAccessToken answers a refresh (grant_type=refresh_token with the
// four fields in the form body). Modes: invalid_grant (400), invalid_client
// (401 invalid_client_id, as the client-credentials flow documents it; the
// same on the refresh path is [UNVERIFIED]), missing (400 invalid_request),
// server (500; its body [UNVERIFIED]), rotate (a new refresh token in the
// answer: whether LinkedIn ever rotates it is [UNVERIFIED]).
func (s *Server) linkedInAccessToken(w http.ResponseWriter, r *http.Request, mode string) {
	if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		reply(w, http.StatusBadRequest, File("linkedin/oauth_missing_parameter.json"))
		return
	}
	f := r.PostForm
	for _, k := range []string{"grant_type", "refresh_token", "client_id", "client_secret"} {
		if f.Get(k) == "" || mode == "missing" {
			b, _ := json.Marshal(map[string]string{"error": "invalid_request", "error_description": fmt.Sprintf("A required parameter %q is missing", k)})
			reply(w, http.StatusBadRequest, b)
			return
		}
	}
	now := s.now()
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	if s.oauth.refreshEnd == nil {
		s.oauth.refreshEnd = map[string]time.Time{LinkedInRefreshToken: {}, LinkedInRotatedRefreshToken: {}}
		s.oauth.access = map[string]time.Time{}
	}
	end, known := s.oauth.refreshEnd[f.Get("refresh_token")]
	if known && end.IsZero() {
		end = now.Add(linkedInRefreshSeconds * time.Second)
		s.oauth.refreshEnd[f.Get("refresh_token")] = end
	}
	switch {
	case mode == "server":
		reply(w, http.StatusInternalServerError, []byte(`{"error":"server_error","error_description":"An internal error occurred"}`))
		return
	case mode == "invalid_client" || f.Get("client_id") != LinkedInClientID || f.Get("client_secret") != LinkedInClientSecret:
		reply(w, http.StatusUnauthorized, File("linkedin/oauth_invalid_client.json"))
		return
	case mode == "invalid_grant" || f.Get("grant_type") != "refresh_token" || !known || !now.Before(end):
		reply(w, http.StatusBadRequest, File("linkedin/oauth_invalid_grant.json"))
		return
	}
	s.oauth.n++
	token := MintedLinkedInToken(s.oauth.n)
	expires := min(linkedInAccessSeconds*time.Second, end.Sub(now)) // never past the refresh token
	s.oauth.access[token] = now.Add(expires)
	var answer map[string]any
	recorded("linkedin/oauth_token.json", &answer)
	answer["access_token"] = token
	answer["expires_in"] = int64(expires / time.Second)
	answer["refresh_token"] = f.Get("refresh_token")
	answer["refresh_token_expires_in"] = int64(end.Sub(now) / time.Second)
	if mode == "rotate" {
		answer["refresh_token"] = LinkedInRotatedRefreshToken
		s.oauth.refreshEnd[LinkedInRotatedRefreshToken] = end
	}
	replyJSON(w, answer)
}

// linkedInIntrospect answers a token introspection (token, client_id and
// client_secret in the form body): LinkedInToken and the tokens minted are
// active until they end, then "expired"; other tokens are not active.
// Modes: inactive (200 with only "active": false, as for a token of another
// app), invalid_client (401).
func (s *Server) linkedInIntrospect(w http.ResponseWriter, r *http.Request, mode string) {
	if err := r.ParseForm(); err != nil {
		reply(w, http.StatusBadRequest, File("linkedin/oauth_missing_parameter.json"))
		return
	}
	f := r.PostForm
	switch {
	case f.Get("token") == "" || f.Get("client_id") == "" || f.Get("client_secret") == "":
		reply(w, http.StatusBadRequest, File("linkedin/oauth_missing_parameter.json"))
		return
	case f.Get("client_id") != LinkedInClientID:
		b, _ := json.Marshal(map[string]string{"error": "invalid_client_id", "error_description": "The passed in client_id is invalid \"" + f.Get("client_id") + "\""})
		reply(w, http.StatusBadRequest, b)
		return
	case mode == "invalid_client" || f.Get("client_secret") != LinkedInClientSecret:
		reply(w, http.StatusUnauthorized, File("linkedin/oauth_invalid_client.json"))
		return
	case mode == "inactive":
		reply(w, http.StatusOK, File("linkedin/introspect_inactive.json"))
		return
	}
	expiry := LinkedInTokenExpiresAt
	if f.Get("token") != LinkedInToken {
		s.oauth.mu.Lock()
		e, ok := s.oauth.access[f.Get("token")]
		s.oauth.mu.Unlock()
		if !ok {
			reply(w, http.StatusOK, File("linkedin/introspect_inactive.json"))
			return
		}
		expiry = e
	}
	var answer map[string]any
	recorded("linkedin/introspect_active.json", &answer)
	answer["client_id"] = LinkedInClientID
	answer["expires_at"] = expiry.Unix()
	if !s.now().Before(expiry) {
		// [UNVERIFIED] the fields beside "active": false for an expired
		// token; the status values are documented.
		answer["active"], answer["status"] = false, "expired"
	}
	replyJSON(w, answer)
}
