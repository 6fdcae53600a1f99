package config

import (
	"hash/fnv"
	"slices"
)

// Shard returns the part of the config that replica index of count reads:
// the accounts whose stable hash falls on it, the KPIs on those accounts and
// the channels that keep at least one account. Adding a replica moves only
// about 1/count of the accounts (jump consistent hashing), so the replicas'
// stores keep most of their history. count 1 (or less) is the whole config.
func (c *Config) Shard(count, index int) *Config {
	if count <= 1 {
		return c
	}
	out := *c
	out.ShardCount, out.ShardIndex, out.Whole = count, index, c
	out.Channels = map[string]*Channel{}
	for name, ch := range c.Channels {
		var mine []string
		for _, a := range ch.Accounts {
			if ShardOf(name, a, count) == index {
				mine = append(mine, a)
			}
		}
		if len(mine) == 0 {
			continue
		}
		cp := *ch
		cp.Accounts = mine
		out.Channels[name] = &cp
	}
	out.KPIs = nil
	out.ShardKPIs = make([]int, count)
	for _, k := range c.KPIs {
		out.ShardKPIs[ShardOf(k.Channel, k.Account, count)]++
		if ch, ok := out.Channels[k.Channel]; ok && slices.Contains(ch.Accounts, k.Account) {
			out.KPIs = append(out.KPIs, k)
		}
	}
	return &out
}

// Owner is the shard that owns an account of a channel of the whole config
// (an empty account is the channel's only one), and the account so filled in.
// ok is false for a channel or account the config does not have.
func (c *Config) Owner(channel, account string) (shard int, acct string, ok bool) {
	whole := c
	if c.Whole != nil {
		whole = c.Whole
	}
	ch, found := whole.Channels[channel]
	if !found {
		return 0, account, false
	}
	if account == "" && len(ch.Accounts) == 1 {
		account = ch.Accounts[0]
	}
	if !slices.Contains(ch.Accounts, account) {
		return 0, account, false
	}
	return ShardOf(channel, account, max(c.ShardCount, 1)), account, true
}

// ShardOf is the replica, of count, that reads an account of a channel.
func ShardOf(channel, account string, count int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(channel))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(account))
	return jumpHash(h.Sum64(), count)
}

// jumpHash is Lamping and Veach's jump consistent hash: it maps a key to one
// of n buckets so that growing n to n+1 moves only 1/(n+1) of the keys.
func jumpHash(key uint64, n int) int {
	var b, j int64 = -1, 0
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}
