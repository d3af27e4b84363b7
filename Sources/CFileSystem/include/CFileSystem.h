#ifndef CFSP_CFILESYSTEM_H
#define CFSP_CFILESYSTEM_H

/// Linux file-system calls Swift's Glibc module does not import (they need _GNU_SOURCE).

/// Atomically exchanges the directory entries `first` and `second` (renameat2 with
/// RENAME_EXCHANGE): at every instant each path names one of the two. Returns 0, or -1 with errno
/// set (EINVAL or ENOSYS where the file system or kernel cannot exchange; ENOSYS off Linux).
int cfsp_rename_exchange(const char *first, const char *second);

/// Opens an unnamed regular file in `directory` for writing (open with O_TMPFILE): it has no
/// name until linked, so a process killed while writing leaves nothing behind. Returns the
/// descriptor, or -1 with errno set (EOPNOTSUPP, EISDIR or EINVAL where unsupported; ENOSYS off
/// Linux).
int cfsp_open_unnamed(const char *directory, unsigned int mode);

#endif
