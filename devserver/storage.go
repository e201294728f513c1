package devserver

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// DefaultMinFree is how much free space the embedded server's state folder must keep: below it the server
// stops with a StorageFault, before SQLite runs out of room in the middle of a write.
const DefaultMinFree = 64 << 20

// StorageFault says why the embedded server stopped keeping state: its disk is (nearly) full, or it
// turned read-only. Running requests are not lost: what was written stays in the database, and they
// resume once the server starts again on a writable disk with room.
type StorageFault struct {
	Dir      string
	Free     uint64 // bytes free when the fault was seen
	Need     uint64 // bytes the server keeps free
	ReadOnly bool
	Err      error // what the file system said, when it said something
}

func (f *StorageFault) Error() string {
	what := fmt.Sprintf("the disk is full (%s free, %s needed)", bytesText(f.Free), bytesText(f.Need))
	if f.ReadOnly {
		what = "the disk has turned read-only"
		if f.Err != nil {
			what += " (" + f.Err.Error() + ")"
		}
	}
	return fmt.Sprintf("the embedded Temporal server stopped: %s under its state folder %s; what the database had written is kept: fix the disk and start it again ('mlasim dev'), and running requests resume", what, f.Dir)
}

func bytesText(n uint64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// Faults delivers the first storage fault of a server that keeps its state in a file; the server has
// stopped by then. A server in memory never sends one.
func (s *Server) Faults() <-chan error { return s.faults }

// watchStorage checks the state folder's disk every interval until the server stops: when it is nearly
// full or read-only, it stops the server and sends the fault.
func (s *Server) watchStorage(every time.Duration, minFree uint64) {
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		if s.stopping.Load() {
			return
		}
		f := checkStorage(s.opts.StateDir, s.DatabaseFile(), minFree)
		if f == nil {
			continue
		}
		s.Stop()
		s.faults <- f
		return
	}
}

// checkStorage reports a fault of the folder's disk, or nil. The database file is opened for writing,
// which fails at once on a disk remounted read-only.
func checkStorage(dir, db string, minFree uint64) *StorageFault {
	free, readOnly, err := diskState(dir)
	if err != nil {
		return nil // a file system that does not say: nothing to check
	}
	if !readOnly {
		if f, err := os.OpenFile(db, os.O_WRONLY, 0); err == nil {
			f.Close()
		} else if !errors.Is(err, os.ErrNotExist) {
			return &StorageFault{Dir: dir, Free: free, ReadOnly: true, Err: err}
		}
	}
	switch {
	case readOnly:
		return &StorageFault{Dir: dir, Free: free, ReadOnly: true}
	case free < minFree:
		return &StorageFault{Dir: dir, Free: free, Need: minFree}
	}
	return nil
}
