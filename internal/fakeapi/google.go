package fakeapi

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync"
)

// GoogleToken is Google's OAuth token endpoint (service accounts' JWT
// grant), which the Search Console and Analytics fakes share.
const GoogleToken API = "google_token"

// GoogleAccessToken is the bearer token the token endpoint hands out and the
// Google fakes accept.
const GoogleAccessToken = "ya29.c.b0Aaekm1K-FAKE-access-token"

// GoogleServiceAccountEmail is the fake key's service account.
const GoogleServiceAccountEmail = "kpi-reader@kpi-fake.iam.gserviceaccount.com"

// googleTokenRoute answers POST /token. Its modes: invalid_grant (a deleted
// or rotated key), invalid_client.
var googleTokenRoute = Route{API: GoogleToken, Serve: (*Server).googleToken,
	Match: func(r *http.Request) bool { return r.URL.Path == "/token" }}

var (
	googleKeyOnce sync.Once
	googleKey     *rsa.PrivateKey
	googleKeyJSON string
)

// GoogleServiceAccountKey is a service account's JSON key, as the Google
// Cloud console downloads it, made at test time (no key is committed): the
// token endpoint checks the assertions it signs.
func GoogleServiceAccountKey() string {
	googleKeyOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			panic(err)
		}
		googleKey = key
		b, _ := json.Marshal(map[string]string{
			"type": "service_account", "project_id": "kpi-fake", "private_key_id": "0123456789abcdef",
			"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
			"client_email": GoogleServiceAccountEmail, "client_id": "123456789012345678901",
			"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
		})
		googleKeyJSON = string(b)
	})
	return googleKeyJSON
}

// googleToken trades a signed JWT assertion for an access token, checking
// what Google checks: the grant type, the signature, the audience (the
// endpoint's own URL) and read-only scopes.
func (s *Server) googleToken(w http.ResponseWriter, r *http.Request, mode string) {
	switch mode {
	case "invalid_grant":
		reply(w, http.StatusBadRequest, File("google/invalid_grant.json"))
		return
	case "invalid_client":
		reply(w, http.StatusUnauthorized, File("google/invalid_client.json"))
		return
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		reply(w, http.StatusBadRequest, []byte(`{"error":"unsupported_grant_type","error_description":"Invalid grant_type: "}`))
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 || !validSignature(parts) {
		reply(w, http.StatusBadRequest, File("google/invalid_grant.json"))
		return
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(payload, &claims)
	readOnly := claims.Scope != ""
	for _, scope := range strings.Fields(claims.Scope) {
		readOnly = readOnly && strings.HasSuffix(scope, ".readonly")
	}
	if claims.Iss != GoogleServiceAccountEmail || claims.Aud != s.URL+"/token" || !readOnly {
		reply(w, http.StatusBadRequest, []byte(`{"error":"invalid_scope","error_description":"Invalid OAuth scope or ID token audience provided."}`))
		return
	}
	reply(w, http.StatusOK, File("google/token.json"))
}

// validSignature checks an RS256 JWT against the fake key.
func validSignature(parts []string) bool {
	if googleKey == nil {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(&googleKey.PublicKey, crypto.SHA256, sum[:], sig) == nil
}

// googleAuthorized reports whether r carries the access token; if not, it
// answers 401 as Google's APIs do.
func googleAuthorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") == "Bearer "+GoogleAccessToken {
		return true
	}
	reply(w, http.StatusUnauthorized, []byte(`{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED"}}`))
	return false
}

// googleKeyYAML is the key as a YAML single-quoted scalar, for the plan of
// every type.
func googleKeyYAML() string {
	return "'" + strings.ReplaceAll(GoogleServiceAccountKey(), "'", "''") + "'"
}
