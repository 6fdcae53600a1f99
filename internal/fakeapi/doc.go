// Package fakeapi fakes every channel API on one httptest server, replaying
// the documented answers kept in testdata/<channel>/ (see API-REFERENCE):
// string counts, omitted accounts, partial successes and the documented
// error bodies and headers. Unit tests, the end-to-end test and the
// benchmarks all use it, so every test of a channel meets the same fake.
//
// Accounts beyond the recorded ones are made up on the fly where their name
// says so (UCgen<N>, gen<N>, 9<digits>…), so tests and benchmarks can ask for
// any number of them. Growing accounts (UCgrow<N>, grow<N>, /feed/weekly.xml:
// growing.go) answer counts that follow a clock the test sets, for runs of
// months under an injected clock. It is test code: it must never be imported by the
// collector itself.
package fakeapi
