package transport

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// Paces makes the clients of one account (service, base URL and credential) share one pace, so that the calls of
// every provider block that reaches the account wait their turns at one schedule.
//
// Terraform starts a provider process for each provider configuration, aliases included, all children of the
// one terraform process of the run (a reattached provider, as under test or a debugger, serves every block from
// one process instead). So a registry in memory shares a pace between the blocks of one process only. With a
// directory, every provider process of the user on the machine shares it, through one small file per account,
// named by a hash of the account and holding the pace's state, never the credential, changed under an exclusive
// lock (lockedfile): the blocks of a run, and the runs that work on one account at once (parallel CI jobs,
// Atlantis, terragrunt run-all), act as one client, so they neither crowd each other nor each learn the limit by
// being refused. Until a rate is learned, the file also holds the slow start's calls in flight, each under a
// lease that its answer ends and that lapses after flightLease if its process died, so that the runs that start
// together start slowly together. Each run keeps its own ceiling (requests_per_second is a ceiling for the calls
// of one run); the processes of a run, children of one terraform process, share theirs. A file that cannot be
// used leaves a process with a pace of its own: a call never fails for it.
type Paces struct {
	dir string // "" keeps every pace in this process
	run string // this process's run: its parent process, the terraform that started it

	mu    sync.Mutex
	paces map[string]*pace
	swept bool                 // old files were removed
	mem   map[string]paceStore // under test: states shared in memory, as the files share them between processes
}

// NewPaces returns a registry whose paces live in this process.
func NewPaces() *Paces { return &Paces{paces: map[string]*pace{}} }

// NewSharedPaces returns a registry whose paces are shared with the user's other provider processes on the
// machine, through files below dir (in the user's cache directory when dir is ""). Without a usable directory,
// it keeps them in this process.
func NewSharedPaces(dir string) *Paces {
	r := NewPaces()
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return r
		}
		dir = filepath.Join(cache, "terraform-provider-webhooks", "pace")
	}
	r.dir, r.run = dir, strconv.Itoa(os.Getppid())
	return r
}

// forgetAfter is how long what was learned outlives the last call to the account: a run an hour later starts
// afresh, and waits only for a pause that is not over.
const forgetAfter = 2 * time.Minute

// pace returns the pace of an account; perSecond > 0 lowers the ceiling of this process's run.
func (r *Paces) pace(service, baseURL, credential string, perSecond float64) *pace {
	sum := sha256.Sum256([]byte(strings.Join([]string{"terraform-provider-webhooks pace", service, baseURL,
		credential}, "\x00")))
	key := hex.EncodeToString(sum[:16])
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.paces[key]; p != nil {
		p.lowerCeiling(perSecond)
		return p
	}
	var store paceStore = &memStore{}
	if r.mem != nil {
		if r.mem[key] == nil {
			r.mem[key] = &memStore{}
		}
		store = r.mem[key]
	} else if r.dir != "" && r.ensureDir() {
		store = &fileStore{path: filepath.Join(r.dir, key+".json")}
	}
	p := newPaceOn(service, perSecond, store)
	p.run = r.run
	r.paces[key] = p
	return p
}

// ensureDir makes the directory (readable by its owner only) and removes the files of runs older than a day.
// r.mu is held.
func (r *Paces) ensureDir() bool {
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		r.dir = ""
		return false
	}
	if !r.swept {
		r.swept = true
		entries, _ := os.ReadDir(r.dir)
		for _, e := range entries {
			if info, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".json") &&
				time.Since(info.ModTime()) > 24*time.Hour {
				_ = os.Remove(filepath.Join(r.dir, e.Name()))
			}
		}
	}
	return true
}

// fileStore keeps a pace's state in a file that the processes of one run share: every change is read, made and
// written under the file's lock. If the file cannot be used, the process goes on with the last state it read.
type fileStore struct {
	path string

	mu     sync.Mutex // this process's goroutines take turns before taking the file's lock
	last   paceState
	failed bool
}

func (f *fileStore) update(now time.Time, fn func(s *paceState)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.failed && f.updateFile(now, fn) == nil {
		return
	}
	f.failed = true
	fn(&f.last)
	f.last.Updated = now
}

func (f *fileStore) updateFile(now time.Time, fn func(s *paceState)) error {
	file, err := lockedfile.OpenFile(f.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return err
	}
	var s paceState
	if len(data) > 0 && json.Unmarshal(data, &s) != nil {
		s = paceState{}
	}
	if now.Sub(s.Updated) > forgetAfter {
		s = paceState{ResumeAt: s.ResumeAt, Cause: s.Cause, Runs: s.Runs}
	}
	fn(&s)
	s.Updated = now
	out, err := json.Marshal(&s)
	if err != nil {
		return err
	}
	if err := file.Truncate(0); err != nil {
		return err
	}
	if _, err := file.WriteAt(out, 0); err != nil {
		return err
	}
	f.last = s
	return nil
}
