package main

import (
	"os"
	"testing"
)

func TestProcSamples(t *testing.T) {
	self := []int{os.Getpid()}
	rss, err := rssKB(self)
	if err != nil || rss <= 0 {
		t.Errorf("rssKB(self) = %d, %v; want a positive size", rss, err)
	}
	if _, err := cpuTicks(self); err != nil {
		t.Errorf("cpuTicks(self): %v", err)
	}
	if _, err := rssKB([]int{-1}); err == nil {
		t.Error("rssKB of no process: no error")
	}
}
