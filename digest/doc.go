// Package digest sends the plan's summary on a schedule: by e-mail (SMTP,
// text and HTML with each KPI's chart as an inline PNG) and to chat webhooks
// (Slack, Microsoft Teams, Mattermost, Discord, or the report's JSON to any
// endpoint). It follows Alertmanager's notifiers: one file a sender, each
// speaking its service's documented payload within its size limits, every
// sender retried with backoff where a retry may pass.
//
// A digest's content comes from a snapshot and from what the last digest
// said (its record, kept in the store through Records): each KPI's value and
// status then and now, the milestones that fell due between the two, what
// falls due before the next one, and the KPIs behind with their advice.
//
// It reads the snapshot and the config only: it imports neither the engine,
// the collectors nor the store (e2e checks it); the store is reached through
// the Records interface, which the daemon fills with its store.
package digest
