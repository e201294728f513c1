package devserver

import "golang.org/x/sys/unix"

// diskState is the free space of the folder's file system for an unprivileged writer, and whether it is
// mounted read-only.
func diskState(dir string) (free uint64, readOnly bool, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false, err
	}
	return st.Bavail * uint64(st.Bsize), st.Flags&unix.ST_RDONLY != 0, nil
}
