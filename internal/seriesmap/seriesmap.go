// Package seriesmap keeps a value for each series (a channel's account's
// metric) in maps by channel and metric, then by account. A plan of 100,000
// accounts has 300,000 series but a handful of channel and metric pairs: an
// entry then costs an account's string header and the value, where a map by
// the whole three-name key cost about 130 bytes a series.
package seriesmap

import "iter"

// Key names a series.
type Key struct{ Channel, Account, Metric string }

// Map is a value per series. The zero Map is empty and ready to use.
type Map[V any] struct {
	byName map[[2]string]map[string]V
	n      int
}

// Get returns the series' value, and whether there is one.
func (m *Map[V]) Get(k Key) (V, bool) {
	v, ok := m.byName[[2]string{k.Channel, k.Metric}][k.Account]
	return v, ok
}

// Set sets the series' value.
func (m *Map[V]) Set(k Key, v V) {
	if m.byName == nil {
		m.byName = map[[2]string]map[string]V{}
	}
	byAccount := m.byName[[2]string{k.Channel, k.Metric}]
	if byAccount == nil {
		byAccount = map[string]V{}
		m.byName[[2]string{k.Channel, k.Metric}] = byAccount
	}
	if _, ok := byAccount[k.Account]; !ok {
		m.n++
	}
	byAccount[k.Account] = v
}

// Delete forgets the series.
func (m *Map[V]) Delete(k Key) {
	name := [2]string{k.Channel, k.Metric}
	byAccount := m.byName[name]
	if _, ok := byAccount[k.Account]; ok {
		delete(byAccount, k.Account)
		m.n--
		if len(byAccount) == 0 {
			delete(m.byName, name)
		}
	}
}

// Len is the number of series.
func (m *Map[V]) Len() int { return m.n }

// All yields every series and its value, in no order; the loop may delete
// the series it is given.
func (m *Map[V]) All() iter.Seq2[Key, V] {
	return func(yield func(Key, V) bool) {
		for name, byAccount := range m.byName {
			for account, v := range byAccount {
				if !yield(Key{name[0], account, name[1]}, v) {
					return
				}
			}
		}
	}
}

// Metrics yields the metrics a channel has series of, in no order.
func (m *Map[V]) Metrics(channel string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for name := range m.byName {
			if name[0] == channel && !yield(name[1]) {
				return
			}
		}
	}
}

// OfChannel yields the series of one channel, in no order.
func (m *Map[V]) OfChannel(channel string) iter.Seq[Key] {
	return func(yield func(Key) bool) {
		for name, byAccount := range m.byName {
			if name[0] != channel {
				continue
			}
			for account := range byAccount {
				if !yield(Key{channel, account, name[1]}) {
					return
				}
			}
		}
	}
}
