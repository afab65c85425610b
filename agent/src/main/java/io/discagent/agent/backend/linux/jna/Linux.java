package io.discagent.agent.backend.linux.jna;

/**
 * Constants of the Linux x86-64 ABI used by the backend, as printed from the kernel and glibc headers (reference
 * linux.md 2.5).
 */
public final class Linux {

    private Linux() {
    }

    // open(2)
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 0x2;
    public static final int O_EXCL = 0x80;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    // flock(2)
    public static final int LOCK_SH = 1;
    public static final int LOCK_EX = 2;
    public static final int LOCK_NB = 4;
    public static final int LOCK_UN = 8;

    // fcntl(2)
    public static final int F_GETLK = 5;
    public static final int F_SETLK = 6;
    public static final short F_RDLCK = 0;
    public static final short F_WRLCK = 1;
    public static final short F_UNLCK = 2;

    // sockets
    public static final int AF_NETLINK = 16;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int NETLINK_KOBJECT_UEVENT = 15;
    /** The kernel's uevent multicast group (group 2 is udevd's re-broadcast). */
    public static final int UEVENT_GROUP_KERNEL = 1;
    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVBUFFORCE = 33;
    public static final int MSG_DONTWAIT = 0x40;

    // ioctl requests
    public static final long SG_IO = 0x2285;
    public static final long CDROM_DRIVE_STATUS = 0x5326;
    /** The slot argument of the CD-ROM ioctls meaning "the current disc". */
    public static final long CDSL_CURRENT = Integer.MAX_VALUE;

    // CDROM_DRIVE_STATUS results
    public static final int CDS_NO_INFO = 0;
    public static final int CDS_NO_DISC = 1;
    public static final int CDS_TRAY_OPEN = 2;
    public static final int CDS_DRIVE_NOT_READY = 3;
    public static final int CDS_DISC_OK = 4;

    // SG_IO
    public static final int SG_INTERFACE_ID = 'S';
    public static final int SG_DXFER_NONE = -1;
    public static final int SG_DXFER_FROM_DEV = -3;
    public static final int SG_INFO_OK_MASK = 0x1;
    /** {@code host_status}: the command timed out in the low-level driver. */
    public static final int DID_TIME_OUT = 0x03;
    /** {@code driver_status} (low nibble): the mid layer timed the command out. */
    public static final int DRIVER_TIMEOUT = 0x06;
    /** {@code driver_status} (low nibble): sense data are valid. */
    public static final int DRIVER_SENSE = 0x08;
    /** SCSI status CHECK CONDITION. */
    public static final int SAM_STAT_CHECK_CONDITION = 0x02;

    // errno values
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;
    public static final int EROFS = 30;
    public static final int ENOBUFS = 105;
    public static final int ETIMEDOUT = 110;
    public static final int ENOMEDIUM = 123;
}
