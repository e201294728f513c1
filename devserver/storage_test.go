package devserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

// smallDisk mounts a file system of the given size for the test, or skips where mounting is not allowed
// (it needs root, as in CI).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a %s file system here (%v %s): the storage-fault tests need root", size, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

func startOn(t *testing.T, dir string, minFree uint64) (*Server, client.Client) {
	t.Helper()
	ports, err := FreePorts("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{StateDir: dir, Port: ports[0], Headless: true, MinFree: minFree})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: s.Address(), Logger: quiet{}})
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	return s, c
}

// startSome starts workflows (no worker runs them: their inputs are what the disk keeps) until the server
// stops or n are started, and returns the IDs the server accepted.
func startSome(t *testing.T, c client.Client, n, size int, stop <-chan error) (ids []string, fault error) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case fault = <-stop:
			return ids, fault
		default:
		}
		ballast := make([]byte, size)
		_, _ = rand.Read(ballast)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		id := fmt.Sprintf("stored-%d", i)
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "nobody"}, "Stored", ballast)
		cancel()
		if err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func assertKept(t *testing.T, c client.Client, ids []string) {
	t.Helper()
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.DescribeWorkflowExecution(ctx, id, "")
		cancel()
		if err != nil {
			t.Errorf("workflow %s, accepted before the fault, is gone after the restart: %v", id, err)
		}
	}
}

func TestFullDiskStopsTheServerWithAStorageFault(t *testing.T) {
	disk := smallDisk(t, "96m")
	dir := filepath.Join(disk, "state")
	spare := filepath.Join(disk, "spare")
	if err := os.WriteFile(spare, make([]byte, 24<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s, c := startOn(t, dir, 16<<20)
	ids, fault := startSome(t, c, 2000, 256<<10, s.Faults())
	c.Close()
	s.Stop()
	var f *StorageFault
	if !errors.As(fault, &f) || f.ReadOnly {
		t.Fatalf("after %d workflows the server sent %v, want a full-disk StorageFault", len(ids), fault)
	}
	for _, want := range []string{"disk is full", dir, "what the database had written is kept"} {
		if !strings.Contains(f.Error(), want) {
			t.Errorf("the fault says %q; want it to say %q", f.Error(), want)
		}
	}
	t.Logf("%d workflows stored, then: %v", len(ids), f)
	if len(ids) == 0 {
		t.Fatal("no workflow was stored before the fault")
	}

	// Room again: the server starts on the same folder and has every workflow it accepted.
	if err := os.Remove(spare); err != nil {
		t.Fatal(err)
	}
	s, c = startOn(t, dir, 16<<20)
	defer s.Stop()
	defer c.Close()
	assertKept(t, c, ids)
}

// ext4Disk mounts a small ext4 file system on a loop device with errors=remount-ro, as servers' disks
// usually are, or skips where loop devices are not allowed. turnReadOnly makes the kernel see a file-system
// error, so it remounts the disk read-only under the running server, as a failing disk does; repair
// checks a copy of the disk and mounts it read-write, returning where.
func ext4Disk(t *testing.T) (dir string, turnReadOnly func(), repair func() string) {
	t.Helper()
	img := filepath.Join(t.TempDir(), "disk.img")
	dir = t.TempDir()
	run := func(name string, args ...string) (string, error) {
		out, err := exec.Command(name, args...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := run("sh", "-c", "truncate -s 160M "+img+" && mkfs.ext4 -q -F "+img); err != nil {
		t.Skipf("cannot make an ext4 image here (%v %s)", err, out)
	}
	loop, err := run("losetup", "-f", "--show", img)
	if err != nil {
		t.Skipf("cannot attach a loop device here (%v %s): the read-only test needs root and loop devices", err, loop)
	}
	t.Cleanup(func() { _, _ = run("umount", "-l", dir); _, _ = run("losetup", "-d", loop) })
	_, _ = run("blockdev", "--setrw", loop) // a loop device keeps the flag of its last use
	if out, err := run("mount", "-o", "errors=remount-ro", loop, dir); err != nil {
		t.Skipf("cannot mount the ext4 image (%v %s)", err, out)
	}
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(loop), "trigger_fs_error")
	if _, err := os.Stat(trigger); err != nil {
		t.Skipf("this kernel cannot simulate an ext4 error (%v)", err)
	}
	turnReadOnly = func() {
		if err := os.WriteFile(trigger, []byte("mlasim storage-fault test"), 0o200); err != nil {
			t.Fatalf("simulating a disk error: %v", err)
		}
	}
	repair = func() string {
		// The server process may still hold the failed disk's files, so the disk is checked and mounted
		// again from a copy of its image, as one would move a failed disk's data to a good one.
		copyImg := img + ".repaired"
		again := t.TempDir()
		if out, err := run("cp", "--sparse=always", img, copyImg); err != nil {
			t.Fatalf("copying the disk: %v %s", err, out)
		}
		_, _ = run("e2fsck", "-fy", copyImg) // exit 1: errors corrected
		loop2, err := run("losetup", "-f", "--show", copyImg)
		if err != nil {
			t.Fatalf("attaching the repaired disk: %v %s", err, loop2)
		}
		_, _ = run("blockdev", "--setrw", loop2)
		t.Cleanup(func() { _, _ = run("umount", "-l", again); _, _ = run("losetup", "-d", loop2) })
		if out, err := run("mount", loop2, again); err != nil {
			t.Fatalf("mounting the repaired disk: %v %s", err, out)
		}
		return again
	}
	return dir, turnReadOnly, repair
}

func TestReadOnlyDiskStopsTheServerWithAStorageFault(t *testing.T) {
	disk, turnReadOnly, repair := ext4Disk(t)
	dir := filepath.Join(disk, "state")
	s, c := startOn(t, dir, 1<<20)
	ids, _ := startSome(t, c, 5, 1024, nil)
	if len(ids) != 5 {
		t.Fatalf("%d of 5 workflows started", len(ids))
	}
	syscall.Sync() // what the server accepted is on the disk before it fails
	turnReadOnly()
	var fault error
	select {
	case fault = <-s.Faults():
	case <-time.After(30 * time.Second):
	}
	c.Close()
	s.Stop()
	var f *StorageFault
	if !errors.As(fault, &f) || !f.ReadOnly || !strings.Contains(f.Error(), "read-only") || !strings.Contains(f.Error(), dir) {
		t.Fatalf("after the disk turned read-only the server sent %v, want a read-only StorageFault naming %s", fault, dir)
	}
	t.Log(f)
	s, c = startOn(t, filepath.Join(repair(), "state"), 1<<20)
	defer s.Stop()
	defer c.Close()
	assertKept(t, c, ids)
}

func TestAFullDiskAtStartIsRefused(t *testing.T) {
	disk := smallDisk(t, "8m")
	_, err := Start(context.Background(), Options{StateDir: filepath.Join(disk, "state"), Port: 1, Headless: true})
	var f *StorageFault
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("starting on an 8 MiB disk (64 MiB needed) gave %v", err)
	}
}
