package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gostack/gostack/internal/objectstore/ring"
)

// The `gostack ring …` commands do what swift-ring-builder does, on gostack's builder files;
// rebalance writes the ring file (<name>.ring.gz beside <name>.builder) that nodes load.

// ringArgs parses a ring command's flags and checks its positional arguments.
func ringArgs(name string, args []string, want string, min, max int) ([]string, *int64, error) {
	fs := newFlags(name)
	seed := fs.Int64("seed", time.Now().UnixNano(), "random seed for rebalance (for repeatable rings)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	rest := fs.Args()
	if len(rest) < min || (max >= 0 && len(rest) > max) {
		return nil, nil, fmt.Errorf("usage: gostack %s %s", name, want)
	}
	return rest, seed, nil
}

// runRingCreate is `gostack ring create BUILDER PART_POWER REPLICAS MIN_PART_HOURS`.
func runRingCreate(ctx context.Context, args []string, stdout io.Writer) error {
	a, _, err := ringArgs("ring create", args, "BUILDER PART_POWER REPLICAS MIN_PART_HOURS", 4, 4)
	if err != nil {
		return err
	}
	nums := make([]int, 3)
	for i, s := range a[1:] {
		if nums[i], err = strconv.Atoi(s); err != nil {
			return fmt.Errorf("gostack ring create: %q is not a whole number", s)
		}
	}
	if _, err := os.Stat(a[0]); err == nil {
		return fmt.Errorf("gostack ring create: %s already exists", a[0])
	}
	b, err := ring.NewBuilder(nums[0], nums[1], nums[2])
	if err != nil {
		return err
	}
	return b.Save(a[0])
}

// runRingAdd is `gostack ring add BUILDER r<region>z<zone>-<ip>:<port>/<device> WEIGHT [...]`.
func runRingAdd(ctx context.Context, args []string, stdout io.Writer) error {
	a, _, err := ringArgs("ring add", args, "BUILDER r<region>z<zone>-<ip>:<port>/<device> WEIGHT [DEVICE WEIGHT …]", 3, -1)
	if err != nil {
		return err
	}
	if len(a)%2 != 1 {
		return errors.New("gostack ring add: every device needs a weight")
	}
	return withBuilder(a[0], func(b *ring.Builder) error {
		for i := 1; i < len(a); i += 2 {
			d, err := parseDevice(a[i], a[i+1])
			if err != nil {
				return err
			}
			id, err := b.AddDevice(d)
			if err != nil {
				return err
			}
			d.ID = id
			fmt.Fprintf(stdout, "Device %s with %g weight got id %d\n", d, d.Weight, id)
		}
		return nil
	})
}

// parseDevice reads "r1z1-127.0.0.1:6200/sdb1" and a weight into a device.
func parseDevice(spec, weight string) (ring.Device, error) {
	q, err := ring.ParseSearch(spec)
	if err != nil {
		return ring.Device{}, err
	}
	if q.Region == nil || q.Zone == nil || q.IP == nil || q.Port == nil || q.Name == nil {
		return ring.Device{}, fmt.Errorf("device %q: want r<region>z<zone>-<ip>:<port>/<device>", spec)
	}
	w, err := strconv.ParseFloat(weight, 64)
	if err != nil {
		return ring.Device{}, fmt.Errorf("device %q: weight %q is not a number", spec, weight)
	}
	d := ring.Device{Region: *q.Region, Zone: *q.Zone, IP: *q.IP, Port: *q.Port, Name: *q.Name, Weight: w}
	if q.Meta != nil {
		d.Meta = *q.Meta
	}
	return d, nil
}

// runRingSetWeight is `gostack ring set-weight BUILDER SEARCH WEIGHT`.
func runRingSetWeight(ctx context.Context, args []string, stdout io.Writer) error {
	a, _, err := ringArgs("ring set-weight", args, "BUILDER SEARCH WEIGHT", 3, 3)
	if err != nil {
		return err
	}
	w, err := strconv.ParseFloat(a[2], 64)
	if err != nil {
		return fmt.Errorf("gostack ring set-weight: weight %q is not a number", a[2])
	}
	return eachDevice(a[0], a[1], func(b *ring.Builder, d ring.Device) error {
		fmt.Fprintf(stdout, "%s weight set to %g\n", d, w)
		return b.SetWeight(d.ID, w)
	})
}

// runRingRemove is `gostack ring remove BUILDER SEARCH`; devices leave at the next rebalance.
func runRingRemove(ctx context.Context, args []string, stdout io.Writer) error {
	a, _, err := ringArgs("ring remove", args, "BUILDER SEARCH", 2, 2)
	if err != nil {
		return err
	}
	return eachDevice(a[0], a[1], func(b *ring.Builder, d ring.Device) error {
		fmt.Fprintf(stdout, "%s marked for removal and will be removed next rebalance\n", d)
		return b.RemoveDevice(d.ID)
	})
}

// eachDevice applies fn to every device a search matches, then saves the builder.
func eachDevice(path, search string, fn func(*ring.Builder, ring.Device) error) error {
	return withBuilder(path, func(b *ring.Builder) error {
		devs, err := b.SearchDevices(search)
		if err != nil {
			return err
		}
		if len(devs) == 0 {
			return fmt.Errorf("no device matches %q", search)
		}
		for _, d := range devs {
			if err := fn(b, d); err != nil {
				return err
			}
		}
		return nil
	})
}

// withBuilder loads a builder file, changes it with fn, and saves it.
func withBuilder(path string, fn func(*ring.Builder) error) error {
	b, err := ring.LoadBuilder(path)
	if err != nil {
		return err
	}
	if err := fn(b); err != nil {
		return err
	}
	return b.Save(path)
}

// ringPath is where rebalance writes the ring of a builder file.
func ringPath(builder string) string {
	return strings.TrimSuffix(builder, ".builder") + ".ring.gz"
}

// runRingRebalance is `gostack ring rebalance [--seed N] BUILDER`.
func runRingRebalance(ctx context.Context, args []string, stdout io.Writer) error {
	a, seed, err := ringArgs("ring rebalance", args, "[--seed N] BUILDER", 1, 1)
	if err != nil {
		return err
	}
	return withBuilder(a[0], func(b *ring.Builder) error {
		moved, balance, err := b.Rebalance(*seed)
		if err != nil {
			return err
		}
		r, err := b.Ring()
		if err != nil {
			return err
		}
		if err := r.Save(ringPath(a[0])); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Reassigned %d (%.2f%%) partitions. Balance is now %.2f.  Dispersion is now %.2f\n",
			moved, 100*float64(moved)/float64(r.PartitionCount()), balance, b.Dispersion())
		for _, w := range b.Warnings() {
			fmt.Fprintln(stdout, "Warning:", w)
		}
		return nil
	})
}

// runRingShow is `gostack ring show BUILDER`: the summary and device table swift-ring-builder prints.
func runRingShow(ctx context.Context, args []string, stdout io.Writer) error {
	a, _, err := ringArgs("ring show", args, "BUILDER", 1, 1)
	if err != nil {
		return err
	}
	b, err := ring.LoadBuilder(a[0])
	if err != nil {
		return err
	}
	usage := b.Usage()
	regions, zones := map[int]bool{}, map[[2]int]bool{}
	for _, u := range usage {
		regions[u.Region] = true
		zones[[2]int{u.Region, u.Zone}] = true
	}
	fmt.Fprintf(stdout, "%s, build version %d\n%d partitions, %d replicas, %d regions, %d zones, %d devices, %.2f balance, %.2f dispersion\n",
		a[0], b.Version(), 1<<b.PartPower(), b.Replicas(), len(regions), len(zones), len(usage), b.Balance(), b.Dispersion())
	fmt.Fprintf(stdout, "The minimum number of hours before a partition can be reassigned is %d\n", b.MinPartHours())
	fmt.Fprintln(stdout, "Devices:   id region zone      ip address:port replication ip:port  name weight partitions balance flags meta")
	for _, u := range usage {
		flags := ""
		if u.Removing {
			flags = "DEL"
		}
		fmt.Fprintf(stdout, "%14d %6d %4d %20s %20s %5s %6.2f %10d %7.2f %5s %s\n", u.ID, u.Region, u.Zone,
			fmt.Sprintf("%s:%d", u.IP, u.Port), fmt.Sprintf("%s:%d", u.ReplicationIP, u.ReplicationPort),
			u.Name, u.Weight, u.Parts, u.Balance, flags, u.Meta)
	}
	return nil
}
