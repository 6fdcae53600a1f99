package seriesmap

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func compare(a, b Key) int {
	return strings.Compare(a.Channel+"\x00"+a.Account+"\x00"+a.Metric, b.Channel+"\x00"+b.Account+"\x00"+b.Metric)
}

// A map counts each series once, forgets what is deleted (also while it is
// walked) and yields a channel's series and metrics alone.
func TestMap(t *testing.T) {
	var m Map[int]
	if _, ok := m.Get(Key{"a", "x", "y"}); ok || m.Len() != 0 {
		t.Fatal("an empty map has something")
	}
	a1 := Key{"a", "acme", "followers"}
	a2 := Key{"a", "rival", "followers"}
	a3 := Key{"a", "acme", "posts"}
	b1 := Key{"b", "acme", "followers"}
	for i, k := range []Key{a1, a2, a3, b1, a1} {
		m.Set(k, i)
	}
	if m.Len() != 4 {
		t.Fatalf("len %d after four series, one set twice", m.Len())
	}
	if v, ok := m.Get(a1); !ok || v != 4 {
		t.Errorf("a1 is %d, %v; want the later value, 4", v, ok)
	}
	m.Delete(a2)
	m.Delete(a2)
	m.Delete(Key{"c", "x", "y"})
	if _, ok := m.Get(a2); ok || m.Len() != 3 {
		t.Fatalf("after deleting one: len %d, deleted one there: %v", m.Len(), ok)
	}
	if got, want := slices.SortedFunc(m.OfChannel("a"), compare), []Key{a1, a3}; !slices.Equal(got, want) {
		t.Errorf("channel a: %v, want %v", got, want)
	}
	if got, want := slices.Sorted(m.Metrics("a")), []string{"followers", "posts"}; !slices.Equal(got, want) {
		t.Errorf("channel a's metrics: %v, want %v", got, want)
	}
	for k := range m.All() {
		if k.Metric == "posts" {
			m.Delete(k)
		}
	}
	if got := slices.Collect(m.Metrics("a")); !slices.Equal(got, []string{"followers"}) {
		t.Errorf("channel a's metrics once its posts are gone: %v", got)
	}
	all := slices.SortedFunc(maps.Keys(maps.Collect(m.All())), compare)
	if want := []Key{a1, b1}; !slices.Equal(all, want) || m.Len() != 2 {
		t.Errorf("after deleting while walking: %v (len %d), want %v", all, m.Len(), want)
	}
}
