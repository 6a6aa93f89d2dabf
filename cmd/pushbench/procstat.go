package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// rssKB returns the summed VmRSS of pids, in KiB.
func rssKB(pids []int) (int64, error) {
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return 0, fmt.Errorf("reading server memory: %w", err)
		}
		_, rest, ok := bytes.Cut(b, []byte("\nVmRSS:"))
		if !ok {
			return 0, fmt.Errorf("reading server memory: no VmRSS for pid %d", pid)
		}
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading server memory: VmRSS of pid %d: %w", pid, err)
		}
		sum += kb
	}
	return sum, nil
}

// cpuTicks returns the summed user and system time of pids, in clock ticks.
func cpuTicks(pids []int) (int64, error) {
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0, fmt.Errorf("reading server CPU time: %w", err)
		}
		// The command name, in parentheses, may hold spaces: count fields
		// after its closing parenthesis, where field 3 (state) starts.
		i := bytes.LastIndexByte(b, ')')
		f := bytes.Fields(b[i+1:])
		if i < 0 || len(f) < 13 {
			return 0, fmt.Errorf("reading server CPU time: malformed /proc/%d/stat", pid)
		}
		for _, field := range f[11:13] { // utime (14), stime (15)
			t, err := strconv.ParseInt(string(field), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("reading server CPU time of pid %d: %w", pid, err)
			}
			sum += t
		}
	}
	return sum, nil
}
