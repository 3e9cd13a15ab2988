package network

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
)

// macAddr is an Ethernet MAC address.
type macAddr [6]byte

// String renders the address as Neutron stores it: lower-case hex octets joined by colons.
func (m macAddr) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// parseMAC reads a unicast MAC address given as six hex octets separated by ':' or '-'.
// Neutron refuses 00:00:00:00:00:00 and ff:ff:ff:ff:ff:ff; gostack also refuses every
// multicast address (the low bit of the first octet set), which no port can own: frames to
// it go to every listener, so such a "MAC" (11:22:33:44:55:66 in the guides' debug lab)
// would never work as a port's address.
func parseMAC(s string) (macAddr, error) {
	var m macAddr
	sep := ":"
	if strings.Contains(s, "-") {
		sep = "-"
	}
	parts := strings.Split(s, sep)
	if len(parts) != 6 {
		return m, fmt.Errorf("'%s' is not a valid MAC address", s)
	}
	for i, p := range parts {
		if len(p) != 2 {
			return m, fmt.Errorf("'%s' is not a valid MAC address", s)
		}
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return m, fmt.Errorf("'%s' is not a valid MAC address", s)
		}
		m[i] = byte(v)
	}
	if m == (macAddr{}) {
		return m, fmt.Errorf("'%s' is not a valid MAC address", s)
	}
	if m[0]&1 == 1 {
		return m, fmt.Errorf("'%s' is not a valid MAC address: it is a multicast address (the least significant bit of the first octet, 0x%02x, is set), which cannot be a port's address", s, m[0])
	}
	return m, nil
}

// randomMAC is a new address with the configured base_mac prefix and three random octets.
func randomMAC(base [3]byte) macAddr {
	var tail [3]byte
	_, _ = rand.Read(tail[:]) // crypto/rand.Read never fails on supported platforms
	return macAddr{base[0], base[1], base[2], tail[0], tail[1], tail[2]}
}
