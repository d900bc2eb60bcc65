package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sampleEvery is how often the provider processes are sampled. Peak RSS comes from the kernel's VmHWM, which is
// itself a high-water mark: a sample only has to land before the process exits, so a short-lived provider whose
// whole life falls between two samples is the one thing this can miss.
const sampleEvery = 20 * time.Millisecond

// procStats is what the sampler saw of the provider processes below one Terraform process.
type procStats struct {
	Processes int     // distinct provider processes seen
	PeakKB    int64   // max VmHWM over them
	CPU       float64 // seconds of user+system CPU, summed over them (last sample of each)
}

// sampler watches the descendants of one process whose executable name starts with prefix.
type sampler struct {
	root   int
	prefix string
	stop   chan struct{}
	done   chan struct{}

	mu    sync.Mutex
	hwm   map[int]int64
	ticks map[int]int64
}

func startSampler(root int, prefix string) *sampler {
	s := &sampler{root: root, prefix: prefix, stop: make(chan struct{}), done: make(chan struct{}),
		hwm: map[int]int64{}, ticks: map[int]int64{}}
	go s.loop()
	return s
}

func (s *sampler) loop() {
	defer close(s.done)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// Stop ends sampling (call it once the Terraform process has exited) and returns what was seen.
func (s *sampler) Stop() procStats {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	out := procStats{Processes: len(s.hwm)}
	for pid, kb := range s.hwm {
		out.PeakKB = max(out.PeakKB, kb)
		out.CPU += float64(s.ticks[pid]) / clockTicks
	}
	return out
}

func (s *sampler) sample() {
	for _, pid := range descendants(s.root) {
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		if err != nil || !strings.HasPrefix(filepath.Base(exe), s.prefix) {
			continue
		}
		kb, ok := vmHWM(pid)
		if !ok {
			continue
		}
		ticks, ok := cpuTicks(pid)
		s.mu.Lock()
		s.hwm[pid] = max(s.hwm[pid], kb)
		if ok {
			s.ticks[pid] = max(s.ticks[pid], ticks)
		}
		s.mu.Unlock()
	}
}

// clockTicks is USER_HZ, which is 100 on every Linux this runs on.
const clockTicks = 100

// descendants lists the processes below root, through the children files of every thread.
func descendants(root int) []int {
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
		for _, f := range tasks {
			data, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			for _, field := range strings.Fields(string(data)) {
				if child, err := strconv.Atoi(field); err == nil {
					out = append(out, child)
					queue = append(queue, child)
				}
			}
		}
	}
	return out
}

func vmHWM(pid int) (int64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for line := range bytes.Lines(data) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			fields := strings.Fields(string(rest))
			if len(fields) == 0 {
				return 0, false
			}
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}

// cpuTicks returns utime+stime of a process, in clock ticks.
func cpuTicks(pid int) (int64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces; the fields after it are fixed.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(data[i+1:]))
	// After ")": state(3) ppid(4) ... utime(14) stime(15), so utime is fields[11], stime fields[12].
	if len(fields) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(fields[11], 10, 64)
	st, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return u + st, true
}
