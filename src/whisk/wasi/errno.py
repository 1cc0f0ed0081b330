"""Constants of WASI preview 1 (``wasi_snapshot_preview1``), from the witx type definitions
(``legacy/preview1/witx/typenames.witx`` of WebAssembly/WASI). Data only, each defined once.

Names follow wasi-libc's ``__WASI_<TYPE>_<NAME>`` spelling without the ``__WASI_`` prefix:
``ERRNO_BADF``, ``RIGHTS_FD_READ``, ``FILETYPE_DIRECTORY``, ...
"""

from __future__ import annotations

import errno as _host_errno

# --- errno (enum, u16): error codes returned by functions ---------------------------------------
ERRNO_SUCCESS = 0
ERRNO_2BIG = 1
ERRNO_ACCES = 2
ERRNO_ADDRINUSE = 3
ERRNO_ADDRNOTAVAIL = 4
ERRNO_AFNOSUPPORT = 5
ERRNO_AGAIN = 6
ERRNO_ALREADY = 7
ERRNO_BADF = 8
ERRNO_BADMSG = 9
ERRNO_BUSY = 10
ERRNO_CANCELED = 11
ERRNO_CHILD = 12
ERRNO_CONNABORTED = 13
ERRNO_CONNREFUSED = 14
ERRNO_CONNRESET = 15
ERRNO_DEADLK = 16
ERRNO_DESTADDRREQ = 17
ERRNO_DOM = 18
ERRNO_DQUOT = 19
ERRNO_EXIST = 20
ERRNO_FAULT = 21
ERRNO_FBIG = 22
ERRNO_HOSTUNREACH = 23
ERRNO_IDRM = 24
ERRNO_ILSEQ = 25
ERRNO_INPROGRESS = 26
ERRNO_INTR = 27
ERRNO_INVAL = 28
ERRNO_IO = 29
ERRNO_ISCONN = 30
ERRNO_ISDIR = 31
ERRNO_LOOP = 32
ERRNO_MFILE = 33
ERRNO_MLINK = 34
ERRNO_MSGSIZE = 35
ERRNO_MULTIHOP = 36
ERRNO_NAMETOOLONG = 37
ERRNO_NETDOWN = 38
ERRNO_NETRESET = 39
ERRNO_NETUNREACH = 40
ERRNO_NFILE = 41
ERRNO_NOBUFS = 42
ERRNO_NODEV = 43
ERRNO_NOENT = 44
ERRNO_NOEXEC = 45
ERRNO_NOLCK = 46
ERRNO_NOLINK = 47
ERRNO_NOMEM = 48
ERRNO_NOMSG = 49
ERRNO_NOPROTOOPT = 50
ERRNO_NOSPC = 51
ERRNO_NOSYS = 52
ERRNO_NOTCONN = 53
ERRNO_NOTDIR = 54
ERRNO_NOTEMPTY = 55
ERRNO_NOTRECOVERABLE = 56
ERRNO_NOTSOCK = 57
ERRNO_NOTSUP = 58
ERRNO_NOTTY = 59
ERRNO_NXIO = 60
ERRNO_OVERFLOW = 61
ERRNO_OWNERDEAD = 62
ERRNO_PERM = 63
ERRNO_PIPE = 64
ERRNO_PROTO = 65
ERRNO_PROTONOSUPPORT = 66
ERRNO_PROTOTYPE = 67
ERRNO_RANGE = 68
ERRNO_ROFS = 69
ERRNO_SPIPE = 70
ERRNO_SRCH = 71
ERRNO_STALE = 72
ERRNO_TIMEDOUT = 73
ERRNO_TXTBSY = 74
ERRNO_XDEV = 75
ERRNO_NOTCAPABLE = 76

#: Witx name of every errno value, by value (``ERRNO_NAMES[8] == "badf"``).
ERRNO_NAMES: dict[int, str] = {
    value: name[len("ERRNO_"):].lower()
    for name, value in dict(globals()).items() if name.startswith("ERRNO_")
}

#: Host (Python ``errno`` module) error numbers to WASI errno values; hosts that lack a name
#: simply have no entry. Unlisted host errors map to ``ERRNO_IO``.
HOST_ERRNO: dict[int, int] = {
    getattr(_host_errno, host): wasi
    for host, wasi in (
        ("E2BIG", ERRNO_2BIG), ("EACCES", ERRNO_ACCES), ("EADDRINUSE", ERRNO_ADDRINUSE),
        ("EADDRNOTAVAIL", ERRNO_ADDRNOTAVAIL), ("EAFNOSUPPORT", ERRNO_AFNOSUPPORT),
        ("EAGAIN", ERRNO_AGAIN), ("EALREADY", ERRNO_ALREADY), ("EBADF", ERRNO_BADF),
        ("EBADMSG", ERRNO_BADMSG), ("EBUSY", ERRNO_BUSY), ("ECANCELED", ERRNO_CANCELED),
        ("ECHILD", ERRNO_CHILD), ("ECONNABORTED", ERRNO_CONNABORTED),
        ("ECONNREFUSED", ERRNO_CONNREFUSED), ("ECONNRESET", ERRNO_CONNRESET),
        ("EDEADLK", ERRNO_DEADLK), ("EDESTADDRREQ", ERRNO_DESTADDRREQ), ("EDOM", ERRNO_DOM),
        ("EDQUOT", ERRNO_DQUOT), ("EEXIST", ERRNO_EXIST), ("EFAULT", ERRNO_FAULT),
        ("EFBIG", ERRNO_FBIG), ("EHOSTUNREACH", ERRNO_HOSTUNREACH), ("EIDRM", ERRNO_IDRM),
        ("EILSEQ", ERRNO_ILSEQ), ("EINPROGRESS", ERRNO_INPROGRESS), ("EINTR", ERRNO_INTR),
        ("EINVAL", ERRNO_INVAL), ("EIO", ERRNO_IO), ("EISCONN", ERRNO_ISCONN),
        ("EISDIR", ERRNO_ISDIR), ("ELOOP", ERRNO_LOOP), ("EMFILE", ERRNO_MFILE),
        ("EMLINK", ERRNO_MLINK), ("EMSGSIZE", ERRNO_MSGSIZE), ("EMULTIHOP", ERRNO_MULTIHOP),
        ("ENAMETOOLONG", ERRNO_NAMETOOLONG), ("ENETDOWN", ERRNO_NETDOWN),
        ("ENETRESET", ERRNO_NETRESET), ("ENETUNREACH", ERRNO_NETUNREACH),
        ("ENFILE", ERRNO_NFILE), ("ENOBUFS", ERRNO_NOBUFS), ("ENODEV", ERRNO_NODEV),
        ("ENOENT", ERRNO_NOENT), ("ENOEXEC", ERRNO_NOEXEC), ("ENOLCK", ERRNO_NOLCK),
        ("ENOLINK", ERRNO_NOLINK), ("ENOMEM", ERRNO_NOMEM), ("ENOMSG", ERRNO_NOMSG),
        ("ENOPROTOOPT", ERRNO_NOPROTOOPT), ("ENOSPC", ERRNO_NOSPC), ("ENOSYS", ERRNO_NOSYS),
        ("ENOTCONN", ERRNO_NOTCONN), ("ENOTDIR", ERRNO_NOTDIR), ("ENOTEMPTY", ERRNO_NOTEMPTY),
        ("ENOTRECOVERABLE", ERRNO_NOTRECOVERABLE), ("ENOTSOCK", ERRNO_NOTSOCK),
        ("ENOTSUP", ERRNO_NOTSUP), ("EOPNOTSUPP", ERRNO_NOTSUP), ("ENOTTY", ERRNO_NOTTY),
        ("ENXIO", ERRNO_NXIO), ("EOVERFLOW", ERRNO_OVERFLOW), ("EOWNERDEAD", ERRNO_OWNERDEAD),
        ("EPERM", ERRNO_PERM), ("EPIPE", ERRNO_PIPE), ("EPROTO", ERRNO_PROTO),
        ("EPROTONOSUPPORT", ERRNO_PROTONOSUPPORT), ("EPROTOTYPE", ERRNO_PROTOTYPE),
        ("ERANGE", ERRNO_RANGE), ("EROFS", ERRNO_ROFS), ("ESPIPE", ERRNO_SPIPE),
        ("ESRCH", ERRNO_SRCH), ("ESTALE", ERRNO_STALE), ("ETIMEDOUT", ERRNO_TIMEDOUT),
        ("ETXTBSY", ERRNO_TXTBSY), ("EXDEV", ERRNO_XDEV), ("EWOULDBLOCK", ERRNO_AGAIN),
    )
    if hasattr(_host_errno, host)
}

# --- rights (flags, u64): what a file descriptor may be used for --------------------------------
RIGHTS_FD_DATASYNC = 1 << 0
RIGHTS_FD_READ = 1 << 1
RIGHTS_FD_SEEK = 1 << 2
RIGHTS_FD_FDSTAT_SET_FLAGS = 1 << 3
RIGHTS_FD_SYNC = 1 << 4
RIGHTS_FD_TELL = 1 << 5
RIGHTS_FD_WRITE = 1 << 6
RIGHTS_FD_ADVISE = 1 << 7
RIGHTS_FD_ALLOCATE = 1 << 8
RIGHTS_PATH_CREATE_DIRECTORY = 1 << 9
RIGHTS_PATH_CREATE_FILE = 1 << 10
RIGHTS_PATH_LINK_SOURCE = 1 << 11
RIGHTS_PATH_LINK_TARGET = 1 << 12
RIGHTS_PATH_OPEN = 1 << 13
RIGHTS_FD_READDIR = 1 << 14
RIGHTS_PATH_READLINK = 1 << 15
RIGHTS_PATH_RENAME_SOURCE = 1 << 16
RIGHTS_PATH_RENAME_TARGET = 1 << 17
RIGHTS_PATH_FILESTAT_GET = 1 << 18
RIGHTS_PATH_FILESTAT_SET_SIZE = 1 << 19
RIGHTS_PATH_FILESTAT_SET_TIMES = 1 << 20
RIGHTS_FD_FILESTAT_GET = 1 << 21
RIGHTS_FD_FILESTAT_SET_SIZE = 1 << 22
RIGHTS_FD_FILESTAT_SET_TIMES = 1 << 23
RIGHTS_PATH_SYMLINK = 1 << 24
RIGHTS_PATH_REMOVE_DIRECTORY = 1 << 25
RIGHTS_PATH_UNLINK_FILE = 1 << 26
RIGHTS_POLL_FD_READWRITE = 1 << 27
RIGHTS_SOCK_SHUTDOWN = 1 << 28
RIGHTS_SOCK_ACCEPT = 1 << 29
#: Every right defined by the witx.
RIGHTS_ALL = (1 << 30) - 1

# --- filetype (enum, u8) -------------------------------------------------------------------------
FILETYPE_UNKNOWN = 0
FILETYPE_BLOCK_DEVICE = 1
FILETYPE_CHARACTER_DEVICE = 2
FILETYPE_DIRECTORY = 3
FILETYPE_REGULAR_FILE = 4
FILETYPE_SOCKET_DGRAM = 5
FILETYPE_SOCKET_STREAM = 6
FILETYPE_SYMBOLIC_LINK = 7

# --- oflags (flags, u16): path_open ------------------------------------------------------------
OFLAGS_CREAT = 1 << 0
OFLAGS_DIRECTORY = 1 << 1
OFLAGS_EXCL = 1 << 2
OFLAGS_TRUNC = 1 << 3
OFLAGS_ALL = OFLAGS_CREAT | OFLAGS_DIRECTORY | OFLAGS_EXCL | OFLAGS_TRUNC

# --- fdflags (flags, u16) ------------------------------------------------------------------------
FDFLAGS_APPEND = 1 << 0
FDFLAGS_DSYNC = 1 << 1
FDFLAGS_NONBLOCK = 1 << 2
FDFLAGS_RSYNC = 1 << 3
FDFLAGS_SYNC = 1 << 4
FDFLAGS_ALL = FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK | FDFLAGS_RSYNC | FDFLAGS_SYNC

# --- lookupflags (flags, u32) --------------------------------------------------------------------
LOOKUPFLAGS_SYMLINK_FOLLOW = 1 << 0

# --- whence (enum, u8): fd_seek ------------------------------------------------------------------
WHENCE_SET = 0
WHENCE_CUR = 1
WHENCE_END = 2

# --- clockid (enum, u32) -------------------------------------------------------------------------
CLOCKID_REALTIME = 0
CLOCKID_MONOTONIC = 1
CLOCKID_PROCESS_CPUTIME_ID = 2
CLOCKID_THREAD_CPUTIME_ID = 3

# --- fstflags (flags, u16): fd_filestat_set_times / path_filestat_set_times ---------------------
FSTFLAGS_ATIM = 1 << 0
FSTFLAGS_ATIM_NOW = 1 << 1
FSTFLAGS_MTIM = 1 << 2
FSTFLAGS_MTIM_NOW = 1 << 3
FSTFLAGS_ALL = FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW | FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW

# --- advice (enum, u8): fd_advise ----------------------------------------------------------------
ADVICE_NORMAL = 0
ADVICE_SEQUENTIAL = 1
ADVICE_RANDOM = 2
ADVICE_WILLNEED = 3
ADVICE_DONTNEED = 4
ADVICE_NOREUSE = 5

# --- eventtype (enum, u8): poll_oneoff -----------------------------------------------------------
EVENTTYPE_CLOCK = 0
EVENTTYPE_FD_READ = 1
EVENTTYPE_FD_WRITE = 2

# --- subclockflags (flags, u16): subscription_clock.flags of poll_oneoff ----------------------
SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME = 1 << 0

# --- eventrwflags (flags, u16): event_fd_readwrite.flags of poll_oneoff -------------------------
EVENTRWFLAGS_FD_READWRITE_HANGUP = 1 << 0

# --- riflags (flags, u16): sock_recv input --------------------------------------------------------
RIFLAGS_RECV_PEEK = 1 << 0
RIFLAGS_RECV_WAITALL = 1 << 1

# --- roflags (flags, u16): sock_recv output -------------------------------------------------------
ROFLAGS_RECV_DATA_TRUNCATED = 1 << 0

# --- sdflags (flags, u8): sock_shutdown -----------------------------------------------------------
SDFLAGS_RD = 1 << 0
SDFLAGS_WR = 1 << 1

# --- preopentype (enum, u8): fd_prestat_get ------------------------------------------------------
PREOPENTYPE_DIR = 0

# --- record sizes in linear memory (bytes), as computed by witx (see wasi-libc's wasi/api.h) ----
SIZEOF_IOVEC = 8        # iovec / ciovec: buf u32 @0, buf_len u32 @4
SIZEOF_DIRENT = 24      # d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20
SIZEOF_FDSTAT = 24      # fs_filetype u8 @0, fs_flags u16 @2, rights_base u64 @8, inheriting u64 @16
SIZEOF_FILESTAT = 64    # dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48, ctim @56
SIZEOF_PRESTAT = 8      # tag u8 @0, pr_name_len u32 @4
SIZEOF_SUBSCRIPTION = 48  # userdata u64 @0, tag u8 @8, then @16: clock (id u32 @16, timeout u64 @24,
                          # precision u64 @32, flags u16 @40) or fd_readwrite (fd u32 @16)
SIZEOF_EVENT = 32         # userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24
