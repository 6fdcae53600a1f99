// Package peers shows the whole plan on any replica of a sharded deployment.
//
// Each replica evaluates only the KPIs of its own shard (--shard.count,
// --shard.index), so that a Service in front of three replicas would show a
// different third of the plan on every refresh. Here a replica serves its
// own part to the others (PartPath), and asks them for theirs (Peers) when
// the status page, the JSON API, the milestone calendar or a KPI page is
// asked for: the parts are merged back in the plan's order. A peer that does
// not answer within its deadline is named, never hidden: the merged view
// says which shards are missing and how many KPIs they hold.
//
// Two forms of a part travel between replicas, both internal to one
// release's replicas: "states" (encoding/gob of the evaluated KPIs and the
// channels' health, all that the pages draw) and "rows" (the JSON API's rows,
// ready-made, each framed by its place in the plan), which the API streams
// for plans too large to hold whole.
package peers

import (
	"bufio"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// PartPath serves a replica's own part of the plan to its peers. It answers
// from the local snapshot only and never asks another replica, so that
// replicas asking each other cannot loop.
const PartPath = "/api/v1/part"

// The forms of a part (the form query parameter).
const (
	FormStates = "states"
	FormRows   = "rows"
)

// Content types of the two forms.
const (
	// StatesType is the states form's. Its version changes with
	// snapshot.KPIState's shape, so that a replica of another release is
	// named as missing instead of read wrong (v2: the KPI's definition
	// apart from its evaluation).
	StatesType = "application/vnd.kpi-collector.part-states.v2+gob"
	rowsType   = "application/vnd.kpi-collector.part-rows"
)

// rowIndent is where a row sits in the JSON API's document: two levels in,
// as report.WriteJSON indents it, so that merged rows read the same.
const rowIndent = "    "

// header opens a part: whose it is, when it was evaluated, and how many KPIs
// follow; in the states form also the channels' health.
type header struct {
	Shard    int                     `json:"shard"`
	At       time.Time               `json:"at"`
	KPIs     int                     `json:"kpis"`
	Channels []snapshot.ChannelState `json:"-"`
	// Plan and Missing are the whole plan's frame and the shards missing
	// from it, in the states form of the whole plan (ScopeWhole).
	Plan    snapshot.PlanInfo `json:"-"`
	Missing []report.Missing  `json:"-"`
}

// ScopeWhole (the scope query parameter) asks, in the states form, for the
// whole plan as the answering replica shows it, its peers' parts merged:
// what `collector report --url` draws the HTML report from.
const ScopeWhole = "whole"

// WriteWhole answers a request for the whole plan in the states form: snap
// is the merged plan and missing the shards it lacks.
func WriteWhole(w http.ResponseWriter, snap *snapshot.Snapshot, missing []report.Missing) {
	w.Header().Set("Content-Type", StatesType)
	_ = writeStates(w, header{Shard: snap.Plan.ShardIndex, At: snap.At, KPIs: len(snap.KPIs), Channels: snap.Channels, Plan: snap.Plan, Missing: missing}, snap.KPIs)
}

// ReadWhole reads the whole plan in the states form, as WriteWhole wrote it,
// with its times in the plan's zone (gob keeps only their offsets).
func ReadWhole(r io.Reader) (*snapshot.Snapshot, []report.Missing, error) {
	dec := gob.NewDecoder(r)
	var h header
	if err := dec.Decode(&h); err != nil {
		return nil, nil, fmt.Errorf("the answer is not a plan: %w", err)
	}
	loc, err := time.LoadLocation(h.Plan.Timezone)
	if err != nil {
		return nil, nil, fmt.Errorf("the plan's time zone %q is not known here: %w", h.Plan.Timezone, err)
	}
	s := &snapshot.Snapshot{At: h.At.In(loc), Plan: h.Plan, Channels: h.Channels, KPIs: make([]snapshot.KPIState, 0, min(h.KPIs, 1<<16))}
	s.Plan.StartTime, s.Plan.EndTime = s.Plan.StartTime.In(loc), s.Plan.EndTime.In(loc)
	for range h.KPIs {
		k, err := decodeState(dec)
		if err != nil {
			return nil, nil, fmt.Errorf("the plan's answer broke off after %d of %d KPIs: %w", len(s.KPIs), h.KPIs, err)
		}
		s.KPIs = append(s.KPIs, k)
	}
	return s, h.Missing, nil
}

// wireState is a KPI's state as the states form carries it: KPIState's
// fields, its definition held by value. Gob fills a field promoted through
// an embedded pointer by following the pointer, and panics where it is nil:
// a stream that named such a field (as a state did before the definition
// stood apart) would have crashed the replica reading it.
type wireState struct {
	KPI              snapshot.KPI
	Evaluation       plan.Evaluation
	Hidden           string
	Resolution       float64
	Versus           *snapshot.Versus
	PostsInWindow    float64
	Recent           snapshot.Spark
	HasPostsInWindow bool
}

func toWire(k *snapshot.KPIState) wireState {
	return wireState{
		KPI: *k.KPI, Evaluation: k.Evaluation, Hidden: k.Hidden, Resolution: k.Resolution,
		Versus: k.Versus, PostsInWindow: k.PostsInWindow, Recent: k.Recent, HasPostsInWindow: k.HasPostsInWindow,
	}
}

func (w *wireState) state() snapshot.KPIState {
	return snapshot.KPIState{
		KPI: &w.KPI, Evaluation: w.Evaluation, Hidden: w.Hidden, Resolution: w.Resolution,
		Versus: w.Versus, PostsInWindow: w.PostsInWindow, Recent: w.Recent, HasPostsInWindow: w.HasPostsInWindow,
	}
}

// decodeState reads one KPI's state of the states form.
func decodeState(dec *gob.Decoder) (snapshot.KPIState, error) {
	w := new(wireState)
	if err := dec.Decode(w); err != nil {
		return snapshot.KPIState{}, err
	}
	if w.KPI.Name == "" {
		return snapshot.KPIState{}, errors.New("a KPI's state came without its definition")
	}
	return w.state(), nil
}

// ServePart answers a peer's request for this replica's part of snap.
func ServePart(w http.ResponseWriter, r *http.Request, snap *snapshot.Snapshot) {
	h := header{Shard: snap.Plan.ShardIndex, At: snap.At, KPIs: len(snap.KPIs)}
	switch form := r.URL.Query().Get("form"); form {
	case FormStates:
		h.Channels = snap.Channels
		w.Header().Set("Content-Type", StatesType)
		_ = writeStates(w, h, snap.KPIs)
	case FormRows:
		w.Header().Set("Content-Type", rowsType)
		_ = writeRows(w, h, snap)
	default:
		http.Error(w, fmt.Sprintf("form %q is not one of %q and %q", form, FormStates, FormRows), http.StatusBadRequest)
	}
}

func writeStates(w io.Writer, h header, kpis []snapshot.KPIState) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := gob.NewEncoder(bw)
	if err := enc.Encode(h); err != nil {
		return err
	}
	for i := range kpis {
		if err := enc.Encode(toWire(&kpis[i])); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeRows writes a header line (JSON), then each KPI's row of the JSON API
// as "<position> <length>\n" and that many bytes of indented JSON.
func writeRows(w io.Writer, h header, snap *snapshot.Snapshot) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	_, _ = bw.Write(append(line, '\n'))
	loc := snap.Plan.StartTime.Location()
	for i := range snap.KPIs {
		k := &snap.KPIs[i]
		row, err := json.MarshalIndent(report.NewRow(*k, loc), rowIndent, "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "%d %d\n", k.Position, len(row))
		if _, err := bw.Write(row); err != nil {
			return err
		}
	}
	return bw.Flush()
}
