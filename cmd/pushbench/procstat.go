package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// rssKB returns the summed VmRSS of pids, in KiB.
func rssKB(pids []int) (int64, error) {
	return sumProc(pids, "status", func(b []byte) (int64, error) {
		_, rest, ok := bytes.Cut(b, []byte("\nVmRSS:"))
		if !ok {
			return 0, errors.New("no VmRSS")
		}
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		return strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(" kB"))), 10, 64)
	})
}

// cpuTicks returns the summed user and system time of pids (every thread),
// in clock ticks.
func cpuTicks(pids []int) (int64, error) {
	return sumProc(pids, "stat", func(b []byte) (int64, error) {
		// The command name, in parentheses, may hold spaces: count fields
		// after its closing parenthesis, where field 3 (state) starts.
		f := bytes.Fields(b[bytes.LastIndexByte(b, ')')+1:])
		if len(f) < 13 {
			return 0, errors.New("too few fields")
		}
		utime, err1 := strconv.ParseInt(string(f[11]), 10, 64) // field 14
		stime, err2 := strconv.ParseInt(string(f[12]), 10, 64) // field 15
		return utime + stime, errors.Join(err1, err2)
	})
}

// sumProc adds up one figure parsed from /proc/PID/name of each pid.
func sumProc(pids []int, name string, parse func([]byte) (int64, error)) (int64, error) {
	var sum int64
	for _, pid := range pids {
		path := fmt.Sprintf("/proc/%d/%s", pid, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("sampling the server: %w", err)
		}
		v, err := parse(b)
		if err != nil {
			return 0, fmt.Errorf("sampling the server: %s: %w", path, err)
		}
		sum += v
	}
	return sum, nil
}
