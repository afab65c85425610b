/*
 * tcmu-mmc: a recordable DVD+RW drive in user space, for the real-kernel tests of discagent.
 *
 * The kernel's SCSI target (target_core_user, "TCMU") hands every SCSI command of a backstore to this process over a
 * shared-memory ring (a UIO device); tcm_loop exposes the backstore's LUN on a local SCSI host, where the unmodified
 * sr and sg drivers bind it as /dev/srN and /dev/sgN. This program sets that up through configfs (no targetcli),
 * answers as an MMC drive (peripheral type 5) holding one formatted DVD+RW (profile 0x1A) backed by an image file,
 * logs every command it receives, and takes fault orders on a unix socket.
 *
 * Test support only: it lives in the tests' tree and is never part of the product.
 *
 *   tcmu-mmc serve --image FILE --blocks N --log FILE --control SOCKET [--name NAME]
 *       sets up the drive, prints "ready srN sgN" on stdout, serves until "quit" (or SIGTERM)
 *   tcmu-mmc ctl SOCKET WORD...
 *       sends one order, prints the reply. Orders:
 *         hold OPCODE SECONDS     hold the next command with this opcode (hex, e.g. 2a) that long before answering
 *                                 it; like a hung drive, nothing else is answered meanwhile
 *         release                 end a hold now
 *         medium-error LBA        READ/WRITE touching block LBA fail with MEDIUM ERROR (3/11/00 read, 3/0C/00 write)
 *         not-ready SECONDS       media commands answer NOT READY, becoming ready (2/04/01), that long
 *         swap FILE [GAP]         the disc is taken out (tray open, no medium, for GAP seconds, default 0) and FILE
 *                                 (a new blank disc, created if absent) put in: UNIT ATTENTION 6/28/00 once, and GET
 *                                 EVENT STATUS NOTIFICATION reports media removal, then new media
 *         slow MILLISECONDS       every WRITE takes at least that long (a slow burn, to act while it runs)
 *         remove                  the LUN leaves the SCSI host (the kernel deletes srN and sgN); replies when done
 *         add                     the LUN comes back
 *         clear                   no more faults
 *         note TEXT               writes TEXT into the command log
 *         status                  one line of state and counters
 *         quit                    takes the drive down and exits
 *
 * Log lines: "T+seconds id CDB-hex -> GOOD|CHECK k/asc/ascq [in|out N] [name]".
 */
#define _GNU_SOURCE
/* the kernel's ring layout; its struct iovec (linux/uio.h) has glibc's layout but clashes with glibc's name */
#define iovec kernel_iovec
#include <linux/target_core_user.h>
#undef iovec
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 2048
#define TARGET "/sys/kernel/config/target"
#define WWN "naa.5001405d15cacd01"
#define NEXUS "naa.5001405d15cacd02"
#define PROFILE_DVD_PLUS_RW 0x1A

/* ------------------------------------------------------------------------------------------------ state */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char name[64];
    char image[512];
    int image_fd;
    long long blocks;
    FILE *log;
    double started;
    /* the medium */
    int present;
    int tray_open;
    int prevented;
    int events;            /* pending media event code for GET EVENT STATUS NOTIFICATION (0 none) */
    int unit_attention;    /* pending 6/28/00 */
    unsigned char write_params[52]; /* mode page 05h */
    /* faults */
    int hold_opcode;       /* -1: none */
    double hold_seconds;
    int holding;
    int hold_released;
    long long medium_error_lba; /* -1: none */
    double not_ready_until;
    double swap_at;        /* a swap's new disc goes in at this time (0: no swap under way) */
    char swap_image[512];
    int write_delay_ms;
    /* counters */
    long commands, reads, writes, errors;
    long long blocks_written;
    char sr[256], sg[256];
    int linked;
} drive = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER, .name = "discagent", .image_fd = -1,
    .hold_opcode = -1, .medium_error_lba = -1,
};

static volatile sig_atomic_t stopping;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void logf_(const char *fmt, ...) {
    if (!drive.log) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(drive.log, "T+%.3f ", now() - drive.started);
    vfprintf(drive.log, fmt, ap);
    fputc('\n', drive.log);
    fflush(drive.log);
    va_end(ap);
}

static void die(const char *what) {
    fprintf(stderr, "tcmu-mmc: %s: %s\n", what, strerror(errno));
    logf_("FATAL %s: %s", what, strerror(errno));
    exit(1);
}

static void put16(unsigned char *p, unsigned v) { p[0] = v >> 8; p[1] = v; }
static void put24(unsigned char *p, unsigned v) { p[0] = v >> 16; p[1] = v >> 8; p[2] = v; }
static void put32(unsigned char *p, unsigned v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static unsigned get16(const unsigned char *p) { return p[0] << 8 | p[1]; }
static unsigned get32(const unsigned char *p) { return (unsigned) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* ------------------------------------------------------------------------------------------------ one command */

/** What one command produced: status, sense, data in (to the initiator). */
struct reply {
    size_t len;                /* bytes of data in */
    int check;                 /* CHECK CONDITION */
    unsigned char key, asc, ascq;
    long long info;            /* sense information field (LBA), -1 none */
    const char *name;
    unsigned char data[65536]; /* last: serve_entry clears the fields above and the first 4 KiB of this */
};

static void fail(struct reply *r, int key, int asc, int ascq) {
    r->check = 1;
    r->key = key;
    r->asc = asc;
    r->ascq = ascq;
    r->len = 0;
}

static void fill_sense(const struct reply *r, unsigned char *sense) {
    memset(sense, 0, 18);
    sense[0] = 0x70;
    sense[2] = r->key;
    if (r->info >= 0) {
        sense[0] |= 0x80;
        put32(sense + 3, (unsigned) r->info);
    }
    sense[7] = 10;
    sense[12] = r->asc;
    sense[13] = r->ascq;
}

/** Completes a swap whose gap is over: the new disc is in. Called with the lock held. */
static void settle(void) {
    if (drive.swap_at == 0 || now() < drive.swap_at) {
        return;
    }
    int fd = open(drive.swap_image, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0 && ftruncate(fd, drive.blocks * BLOCK) == 0) {
        close(drive.image_fd);
        drive.image_fd = fd;
        snprintf(drive.image, sizeof drive.image, "%s", drive.swap_image);
    } else if (fd >= 0) {
        close(fd);
    }
    drive.swap_at = 0;
    drive.present = 1;
    drive.tray_open = 0;
    drive.unit_attention = 1;
    drive.events = 2;          /* new media */
    logf_("SWAP new disc %s is in", drive.image);
}

/** The command's name for the log, also when it fails before it is looked at (unit attention, not ready). */
static const char *command_name(unsigned char op) {
    switch (op) {
    case 0x00: return "TEST UNIT READY";
    case 0x03: return "REQUEST SENSE";
    case 0x04: return "FORMAT UNIT";
    case 0x12: return "INQUIRY";
    case 0x15: case 0x55: return "MODE SELECT";
    case 0x1A: case 0x5A: return "MODE SENSE";
    case 0x1B: return "START STOP UNIT";
    case 0x1E: return "PREVENT ALLOW MEDIUM REMOVAL";
    case 0x23: return "READ FORMAT CAPACITIES";
    case 0x25: return "READ CAPACITY";
    case 0x28: case 0xA8: return "READ";
    case 0x2A: case 0xAA: case 0x2E: return "WRITE";
    case 0x35: case 0x91: return "SYNCHRONIZE CACHE";
    case 0x43: return "READ TOC/PMA/ATIP";
    case 0x46: return "GET CONFIGURATION";
    case 0x4A: return "GET EVENT STATUS NOTIFICATION";
    case 0x51: return "READ DISC INFORMATION";
    case 0x52: return "READ TRACK INFORMATION";
    case 0x5B: return "CLOSE TRACK/SESSION";
    case 0x5C: return "READ BUFFER CAPACITY";
    case 0xAC: return "GET PERFORMANCE";
    case 0xAD: return "READ DVD STRUCTURE";
    case 0xB6: return "SET STREAMING";
    case 0xBB: return "SET CD SPEED";
    case 0xBD: return "MECHANISM STATUS";
    default: return "UNSUPPORTED";
    }
}

/** Commands a real drive answers even while it has no medium, reports a unit attention or is becoming ready. */
static int medium_independent(unsigned char op) {
    switch (op) {
    case 0x12: case 0x03: case 0x46: case 0x4A: case 0x1E: case 0x1B: case 0x1A: case 0x5A: case 0x15: case 0x55:
    case 0xBD: case 0xBB: case 0xB6: case 0xAC:
        return 1;
    default:
        return 0;
    }
}

static void inquiry(const unsigned char *cdb, struct reply *r) {
    unsigned char *d = r->data;
    if (cdb[1] & 1) {
        switch (cdb[2]) {
        case 0x00:
            d[0] = 5; d[1] = 0; d[3] = 2; d[4] = 0x00; d[5] = 0x80;
            r->len = 6;
            return;
        case 0x80: {
            const char *serial = "DA-TCMU-0001";
            d[0] = 5; d[1] = 0x80; d[3] = strlen(serial);
            memcpy(d + 4, serial, strlen(serial));
            r->len = 4 + strlen(serial);
            return;
        }
        default:
            fail(r, 5, 0x24, 0);
            return;
        }
    }
    if (cdb[2]) {
        fail(r, 5, 0x24, 0);
        return;
    }
    memset(d, 0, 36);
    d[0] = 0x05;           /* MMC device */
    d[1] = 0x80;           /* removable */
    d[2] = 0x05;           /* SPC-3 */
    d[3] = 0x02;
    d[4] = 36 - 5;
    memcpy(d + 8, "DISCAGNT", 8);
    memcpy(d + 16, "TCMU DVD+RW     ", 16);
    memcpy(d + 32, "0001", 4);
    r->len = 36;
}

static int feature(unsigned char *p, unsigned code, int version, int current, const unsigned char *data, int n) {
    put16(p, code);
    p[2] = version << 2 | 1 << 1 | (current ? 1 : 0);
    p[3] = n;
    if (n) {
        memcpy(p + 4, data, n);
    }
    return 4 + n;
}

static void get_configuration(const unsigned char *cdb, struct reply *r) {
    int rt = cdb[1] & 3;
    unsigned start = get16(cdb + 2);
    unsigned char *d = r->data;
    unsigned char f[256];
    int len = 8;
    int cur = drive.present && !drive.tray_open;
    memset(d, 0, 8);
    put16(d + 6, cur ? PROFILE_DVD_PLUS_RW : 0);
    struct { unsigned code; int version; int current; int n; unsigned char data[32]; } list[] = {
        {0x0000, 0, 1, 8, {0x00, 0x1A, cur, 0, 0x00, 0x10, 0, 0}},           /* profiles: DVD+RW, DVD-ROM */
        {0x0001, 2, 1, 8, {0, 0, 0, 1, 0x01, 0, 0, 0}},                       /* core: SCSI, DBE */
        {0x0002, 1, 1, 4, {0x02, 0, 0, 0}},                                   /* morphing: OCEvent (GESN) */
        {0x0003, 0, 1, 4, {0x29, 0, 0, 0}},                                   /* removable medium: tray, eject, lock */
        {0x0010, 0, cur, 8, {0, 0, 0x08, 0, 0, 0x10, 0, 0}},                  /* random readable, 2048, blocking 16 */
        {0x001F, 0, cur, 0, {0}},                                             /* DVD read */
        {0x0023, 0, cur, 0, {0}},                                             /* formattable */
        {0x002A, 1, cur, 4, {0x01, 0, 0, 0}},                                 /* DVD+RW: write */
        {0x0100, 0, 1, 0, {0}},                                               /* power management */
        {0x0105, 0, 1, 0, {0}},                                               /* timeout */
        {0x0107, 3, cur, 4, {0x02, 0, 0, 0}},                                 /* real-time streaming: write speed */
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        if (list[i].code < start || (rt == 1 && !list[i].current) || (rt == 2 && list[i].code != start)) {
            continue;
        }
        int n = feature(f, list[i].code, list[i].version, list[i].current, list[i].data, list[i].n);
        memcpy(d + len, f, n);
        len += n;
    }
    put32(d, len - 4);
    r->len = len;
}

static int mode_page(int page, int pc, unsigned char *p) {
    if (page == 0x2A) {
        memset(p, 0, 36);
        p[0] = 0x2A;
        p[1] = 34;
        if (pc == 1) {
            return 36;     /* changeable: nothing */
        }
        p[2] = 0x3B;       /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
        p[3] = 0x20;       /* writes DVD-RAM (the kernel's "writer" bit for random-writable media) */
        p[4] = 0x40;       /* multi-session */
        p[6] = 0x20 | 0x08 | 0x04 | 0x01 | (drive.prevented ? 0x02 : 0); /* tray, eject, jumper, lock, lock state */
        put16(p + 8, 11080);  /* max read speed kB/s (8x DVD) */
        put16(p + 10, 256);
        put16(p + 12, 2048);  /* buffer KB */
        put16(p + 14, 11080);
        put16(p + 18, 5540);
        put16(p + 20, 5540);
        put16(p + 28, 5540);  /* current write speed selected */
        put16(p + 30, 1);     /* one write speed descriptor */
        put16(p + 34, 5540);
        return 36;
    }
    if (page == 0x05) {
        memcpy(p, drive.write_params, 52);
        if (pc == 1) {
            memset(p + 2, 0xff, 50);
        }
        return 52;
    }
    if (page == 0x01) {
        memset(p, 0, 12);
        p[0] = 0x01;
        p[1] = 10;
        return 12;
    }
    return -1;
}

static void mode_sense(const unsigned char *cdb, struct reply *r) {
    int ten = cdb[0] == 0x5A;
    int page = cdb[2] & 0x3F, pc = cdb[2] >> 6;
    int hdr = ten ? 8 : 4;
    unsigned char *d = r->data;
    int len = hdr;
    if (pc == 3) {
        fail(r, 5, 0x39, 0);   /* saving parameters not supported */
        return;
    }
    memset(d, 0, hdr);
    if (page == 0x3F) {
        int pages[] = {0x01, 0x05, 0x2A};
        for (int i = 0; i < 3; i++) {
            len += mode_page(pages[i], pc, d + len);
        }
    } else {
        int n = mode_page(page, pc, d + len);
        if (n < 0) {
            fail(r, 5, 0x24, 0);
            return;
        }
        len += n;
    }
    if (ten) {
        put16(d, len - 2);
    } else {
        d[0] = len - 1;
    }
    r->len = len;
}

static void mode_select(const unsigned char *cdb, const unsigned char *out, size_t n, struct reply *r) {
    int ten = cdb[0] == 0x55;
    size_t hdr = ten ? 8 : 4;
    if (n < hdr) {
        return;
    }
    size_t bd = ten ? get16(out + 6) : out[3];
    size_t at = hdr + bd;
    while (at + 2 <= n) {
        int page = out[at] & 0x3F;
        size_t plen = out[at + 1] + 2;
        if (page == 0x05 && plen <= 52 && at + plen <= n) {
            memcpy(drive.write_params + 2, out + at + 2, plen - 2);
        } else if (page != 0x2A && page != 0x01) {
            fail(r, 5, 0x26, 0);   /* invalid field in parameter list */
            return;
        }
        at += plen;
    }
}

static void read_capacity(struct reply *r) {
    put32(r->data, (unsigned) (drive.blocks - 1));
    put32(r->data + 4, BLOCK);
    r->len = 8;
}

static void read_disc_information(const unsigned char *cdb, struct reply *r) {
    unsigned char *d = r->data;
    if ((cdb[1] & 7) != 0) {
        fail(r, 5, 0x24, 0);
        return;
    }
    memset(d, 0, 34);
    put16(d, 32);
    d[2] = 0x10 | 0x0C | 0x02;   /* erasable, last session complete, disc complete (formatted DVD+RW) */
    d[3] = 1;                    /* first track */
    d[4] = 1;                    /* sessions */
    d[5] = 1;                    /* first track in last session */
    d[6] = 1;                    /* last track in last session */
    d[7] = 0x20 | 0x03;          /* unrestricted use, background format complete */
    put32(d + 16, 0xFFFFFFFF);
    put32(d + 20, 0xFFFFFFFF);
    r->len = 34;
}

static void read_track_information(const unsigned char *cdb, struct reply *r) {
    unsigned char *d = r->data;
    int type = cdb[1] & 3;
    unsigned address = get32(cdb + 2);
    if ((type == 0 && address >= drive.blocks) || (type == 1 && address != 1 && address != 0xFF)
            || (type == 2 && address != 1) || type == 3) {
        fail(r, 5, 0x24, 0);
        return;
    }
    memset(d, 0, 48);
    put16(d, 46);
    d[2] = 1;                    /* track 1 */
    d[3] = 1;                    /* session 1 */
    d[5] = 0x07;                 /* track mode (DVD) */
    d[6] = 0x10 | 0x01;          /* fixed packet, data mode 1 */
    d[7] = 0x01;                 /* NWA valid */
    put32(d + 8, 0);             /* track start */
    put32(d + 12, 0);            /* next writable address */
    put32(d + 16, (unsigned) drive.blocks);   /* free blocks */
    put32(d + 20, 16);           /* fixed packet size */
    put32(d + 24, (unsigned) drive.blocks);   /* track size */
    r->len = 48;
}

static void read_format_capacities(struct reply *r) {
    unsigned char *d = r->data;
    memset(d, 0, 20);
    d[3] = 16;                                 /* two descriptors */
    put32(d + 4, (unsigned) drive.blocks);
    d[8] = 0x02;                               /* formatted media */
    put24(d + 9, BLOCK);
    put32(d + 12, (unsigned) drive.blocks);
    d[16] = 0x26 << 2;                         /* DVD+RW full format */
    r->len = 20;
}

static void lba_to_msf(unsigned lba, unsigned char *p) {
    lba += 150;
    p[0] = 0;
    p[1] = lba / (60 * 75);
    p[2] = (lba / 75) % 60;
    p[3] = lba % 75;
}

static void read_toc(const unsigned char *cdb, struct reply *r) {
    int msf = cdb[1] & 2;
    int format = cdb[2] & 0x0F;
    if (format == 0 && (cdb[9] >> 6)) {
        format = cdb[9] >> 6;
    }
    unsigned char *d = r->data;
    memset(d, 0, 32);
    if (format == 0) {
        int track = cdb[6];
        int len = 4;
        d[2] = 1;
        d[3] = 1;
        if (track > 1 && track != 0xAA) {
            fail(r, 5, 0x24, 0);
            return;
        }
        if (track <= 1) {
            d[len + 1] = 0x14;
            d[len + 2] = 1;
            if (msf) lba_to_msf(0, d + len + 4); else put32(d + len + 4, 0);
            len += 8;
        }
        d[len + 1] = 0x14;
        d[len + 2] = 0xAA;
        if (msf) lba_to_msf((unsigned) drive.blocks, d + len + 4); else put32(d + len + 4, (unsigned) drive.blocks);
        len += 8;
        put16(d, len - 2);
        r->len = len;
    } else if (format == 1) {
        put16(d, 10);
        d[2] = 1;
        d[3] = 1;
        d[5] = 0x14;
        d[6] = 1;
        if (msf) lba_to_msf(0, d + 8); else put32(d + 8, 0);
        r->len = 12;
    } else {
        fail(r, 5, 0x24, 0);
    }
}

static void event_status(const unsigned char *cdb, struct reply *r) {
    unsigned char *d = r->data;
    if (!(cdb[1] & 1)) {
        fail(r, 5, 0x24, 0);   /* asynchronous notification is not supported */
        return;
    }
    memset(d, 0, 8);
    d[3] = 0x10;               /* supported classes: media */
    if (!(cdb[4] & 0x10)) {
        put16(d, 2);
        d[2] = 0x80;           /* no event available */
        r->len = 4;
        return;
    }
    put16(d, 6);
    d[2] = 0x04;               /* media class */
    d[4] = drive.events;
    d[5] = (drive.tray_open ? 1 : 0) | (drive.present ? 2 : 0);
    drive.events = 0;
    r->len = 8;
}

static void mechanism_status(struct reply *r) {
    memset(r->data, 0, 8);
    r->data[1] = drive.tray_open ? 0x10 : 0;
    r->len = 8;
}

static void start_stop(const unsigned char *cdb, struct reply *r) {
    int loej = cdb[4] & 2, start = cdb[4] & 1;
    if (!loej || (cdb[4] >> 4)) {
        return;
    }
    if (!start) {
        if (drive.prevented) {
            fail(r, 5, 0x53, 0x02);   /* medium removal prevented */
            return;
        }
        if (!drive.tray_open) {
            drive.tray_open = 1;
            drive.events = 3;         /* media removal */
            logf_("TRAY opened");
        }
    } else if (drive.tray_open) {
        drive.tray_open = 0;
        drive.events = 2;             /* new media */
        drive.unit_attention = 1;
        logf_("TRAY closed");
    }
}

static void read_buffer_capacity(const unsigned char *cdb, struct reply *r) {
    memset(r->data, 0, 12);
    put16(r->data, 10);
    if (cdb[1] & 1) {
        put32(r->data + 8, 2048 * 1024 / BLOCK);   /* block mode: available blocks */
    } else {
        put32(r->data + 4, 2048 * 1024);
        put32(r->data + 8, 2048 * 1024);
    }
    r->len = 12;
}

static void get_performance(const unsigned char *cdb, struct reply *r) {
    int type = cdb[10];
    unsigned char *d = r->data;
    memset(d, 0, 24);
    if (type == 0x00) {
        put32(d, 4 + 16);
        d[4] = cdb[1] & 0x04 ? 0x02 : 0;   /* write bit echoes the request */
        put32(d + 8, 0);
        put32(d + 12, 5540);
        put32(d + 16, (unsigned) drive.blocks - 1);
        put32(d + 20, 5540);
        r->len = 24;
    } else if (type == 0x03) {
        put32(d, 4 + 16);
        d[8] = 0x02;                        /* exact */
        put32(d + 12, (unsigned) drive.blocks - 1);
        put32(d + 16, 11080);
        put32(d + 20, 5540);
        r->len = 24;
    } else {
        fail(r, 5, 0x24, 0);
    }
}

static void read_dvd_structure(const unsigned char *cdb, struct reply *r) {
    int format = cdb[7];
    unsigned char *d = r->data;
    if (format == 0x00) {
        memset(d, 0, 4 + 2048);
        put16(d, 2048 + 2);
        d[4] = 0x92;                        /* book type DVD+RW, version 2 */
        d[5] = 0x0F;                        /* 120 mm, maximum rate not specified */
        d[6] = 0x04;                        /* one layer, rewritable */
        d[7] = 0x10;
        put32(d + 8, 0x030000);
        put32(d + 12, 0x030000 + (unsigned) drive.blocks - 1);
        r->len = 4 + 2048;
    } else if (format == 0xFF) {
        memset(d, 0, 8);
        put16(d, 6);
        d[4] = 0x00;
        d[5] = 0x40;                        /* readable */
        put16(d + 6, 2048 + 4);
        r->len = 8;
    } else {
        fail(r, 5, 0x24, 0);
    }
}

/** READ or WRITE of blocks [lba, lba+count): checks range and faults. Returns 0 when the transfer may go on. */
static int check_transfer(unsigned long long lba, unsigned count, int writing, struct reply *r) {
    if (lba + count > (unsigned long long) drive.blocks) {
        fail(r, 5, 0x21, 0);
        return -1;
    }
    if (drive.medium_error_lba >= 0 && (unsigned long long) drive.medium_error_lba >= lba
            && (unsigned long long) drive.medium_error_lba < lba + count) {
        if (writing) {
            fail(r, 3, 0x0C, 0x00);         /* write error */
        } else {
            fail(r, 3, 0x11, 0x00);         /* unrecovered read error */
        }
        r->info = drive.medium_error_lba;
        return -1;
    }
    return 0;
}

/**
 * Serves one command: cdb, data out gathered in {@code out} (n bytes), reply in r. Called with the lock held.
 * READ fills r->data only up to its size; bigger reads go straight from the image (see serve_entry).
 */
static void execute(const unsigned char *cdb, const unsigned char *out, size_t n, struct reply *r) {
    unsigned char op = cdb[0];
    if (op == 0x12) { r->name = "INQUIRY"; inquiry(cdb, r); return; }
    if (op == 0x03) {
        r->name = "REQUEST SENSE";
        struct reply s = {.info = -1};
        if (drive.unit_attention) {
            fail(&s, 6, 0x28, 0);
            drive.unit_attention = 0;
        } else if (!drive.present || drive.tray_open) {
            fail(&s, 2, 0x3A, drive.tray_open ? 2 : 1);
        }
        fill_sense(&s, r->data);
        r->len = 18;
        return;
    }
    if (drive.unit_attention && op != 0x12 && op != 0x03 && op != 0x4A) {
        drive.unit_attention = 0;
        fail(r, 6, 0x28, 0);   /* not ready to ready change, medium may have changed */
        return;
    }
    if (!medium_independent(op)) {
        if (drive.tray_open || !drive.present) {
            fail(r, 2, 0x3A, drive.tray_open ? 2 : 1);
            return;
        }
        if (now() < drive.not_ready_until) {
            fail(r, 2, 0x04, 0x01);
            return;
        }
    }
    switch (op) {
    case 0x00: r->name = "TEST UNIT READY"; return;
    case 0x46: r->name = "GET CONFIGURATION"; get_configuration(cdb, r); return;
    case 0x4A: r->name = "GET EVENT STATUS NOTIFICATION"; event_status(cdb, r); return;
    case 0x1E: r->name = "PREVENT ALLOW MEDIUM REMOVAL"; drive.prevented = cdb[4] & 1; return;
    case 0x1B: r->name = "START STOP UNIT"; start_stop(cdb, r); return;
    case 0x1A: case 0x5A: r->name = "MODE SENSE"; mode_sense(cdb, r); return;
    case 0x15: case 0x55: r->name = "MODE SELECT"; mode_select(cdb, out, n, r); return;
    case 0x25: r->name = "READ CAPACITY"; read_capacity(r); return;
    case 0x51: r->name = "READ DISC INFORMATION"; read_disc_information(cdb, r); return;
    case 0x52: r->name = "READ TRACK INFORMATION"; read_track_information(cdb, r); return;
    case 0x23: r->name = "READ FORMAT CAPACITIES"; read_format_capacities(r); return;
    case 0x43: r->name = "READ TOC/PMA/ATIP"; read_toc(cdb, r); return;
    case 0x35: case 0x91:
        r->name = "SYNCHRONIZE CACHE";
        if (fdatasync(drive.image_fd) != 0) {
            fail(r, 3, 0x0C, 0);
        }
        return;
    case 0x5C: r->name = "READ BUFFER CAPACITY"; read_buffer_capacity(cdb, r); return;
    case 0xAC: r->name = "GET PERFORMANCE"; get_performance(cdb, r); return;
    case 0xB6: r->name = "SET STREAMING"; return;
    case 0xBB: r->name = "SET CD SPEED"; return;
    case 0xBD: r->name = "MECHANISM STATUS"; mechanism_status(r); return;
    case 0xAD: r->name = "READ DVD STRUCTURE"; read_dvd_structure(cdb, r); return;
    case 0x5B: r->name = "CLOSE TRACK/SESSION"; return;
    case 0x04: r->name = "FORMAT UNIT"; return;   /* already formatted: nothing to do */
    default:
        r->name = "UNSUPPORTED";
        fail(r, 5, 0x20, 0);   /* invalid command operation code */
    }
}

/* ------------------------------------------------------------------------------------------------ the ring */

static void *ring_map;
static size_t ring_size;
static int uio_fd = -1;

static void *at(uint64_t offset) {
    return (char *) ring_map + offset;
}

static int cdb_length(unsigned char op) {
    switch (op >> 5) {
    case 0: return 6;
    case 1: case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return 10;
    }
}

/** Copies iovecs' bytes to (out != NULL) or from a flat buffer; returns bytes moved. */
static size_t scatter(struct iovec *iov, unsigned cnt, const void *from, size_t len) {
    size_t done = 0;
    for (unsigned i = 0; i < cnt && done < len; i++) {
        size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
        memcpy(at((uint64_t) (uintptr_t) iov[i].iov_base), (const char *) from + done, n);
        done += n;
    }
    return done;
}

static size_t gather(struct iovec *iov, unsigned cnt, void *to, size_t max) {
    size_t done = 0;
    for (unsigned i = 0; i < cnt && done < max; i++) {
        size_t n = iov[i].iov_len < max - done ? iov[i].iov_len : max - done;
        memcpy((char *) to + done, at((uint64_t) (uintptr_t) iov[i].iov_base), n);
        done += n;
    }
    return done;
}

static size_t iov_total(struct iovec *iov, unsigned cnt) {
    size_t t = 0;
    for (unsigned i = 0; i < cnt; i++) {
        t += iov[i].iov_len;
    }
    return t;
}

/** READ/WRITE(10/12): straight between the image and the data area. */
static int transfer(const unsigned char *cdb, struct iovec *iov, unsigned cnt, struct reply *r) {
    unsigned char op = cdb[0];
    int writing = op == 0x2A || op == 0xAA || op == 0x2E;
    unsigned long long lba = get32(cdb + 2);
    unsigned count = (op == 0xA8 || op == 0xAA) ? get32(cdb + 6) : get16(cdb + 7);
    r->name = writing ? "WRITE" : "READ";
    if (drive.tray_open || !drive.present) {
        fail(r, 2, 0x3A, drive.tray_open ? 2 : 1);
        return -1;
    }
    if (now() < drive.not_ready_until) {
        fail(r, 2, 0x04, 0x01);
        return -1;
    }
    if (check_transfer(lba, count, writing, r) != 0) {
        return -1;
    }
    off_t pos = (off_t) lba * BLOCK;
    size_t want = (size_t) count * BLOCK, done = 0;
    for (unsigned i = 0; i < cnt && done < want; i++) {
        char *p = at((uint64_t) (uintptr_t) iov[i].iov_base);
        size_t n = iov[i].iov_len < want - done ? iov[i].iov_len : want - done;
        ssize_t k;
        if (writing) {
            k = pwrite(drive.image_fd, p, n, pos + done);
        } else {
            k = pread(drive.image_fd, p, n, pos + done);
            if (k >= 0 && (size_t) k < n) {
                memset(p + k, 0, n - k);   /* never written: reads as zeros */
                k = n;
            }
        }
        if (k != (ssize_t) n) {
            logf_("image %s failed at %lld: %s", writing ? "write" : "read", (long long) (pos + done),
                    k < 0 ? strerror(errno) : "short");
            fail(r, 3, writing ? 0x0C : 0x11, 0);
            return -1;
        }
        done += n;
    }
    if (writing && drive.write_delay_ms > 0) {
        pthread_mutex_unlock(&drive.lock);   /* control orders go on while the "drive" writes */
        usleep(drive.write_delay_ms * 1000);
        pthread_mutex_lock(&drive.lock);
    }
    if (writing) {
        drive.writes++;
        drive.blocks_written += count;
    } else {
        drive.reads++;
    }
    return 0;
}

static void hex(const unsigned char *p, int n, char *out) {
    for (int i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", p[i]);
    }
}

/** Waits out a hold on this command (the lock is held; the wait releases it so that control orders go on). */
static void maybe_hold(unsigned char op, unsigned id, const char *cdbhex) {
    if (drive.hold_opcode != op) {
        return;
    }
    drive.hold_opcode = -1;
    drive.holding = 1;
    drive.hold_released = 0;
    double until = now() + drive.hold_seconds;
    logf_("HOLD %u %s for %.1f s", id, cdbhex, drive.hold_seconds);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    double wait = drive.hold_seconds;
    deadline.tv_sec += (time_t) wait;
    deadline.tv_nsec += (long) ((wait - (time_t) wait) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (!drive.hold_released && !stopping && now() < until) {
        if (pthread_cond_timedwait(&drive.changed, &drive.lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    drive.holding = 0;
    logf_("HOLD %u ends (%s)", id, drive.hold_released ? "released" : "time is up");
}

static struct reply reply_buffer;
static unsigned char out_buffer[65536];

static void serve_entry(struct tcmu_cmd_entry *ent) {
    unsigned char *cdb = at(ent->req.cdb_off);
    unsigned cnt = ent->req.iov_cnt;
    struct iovec *iov = (struct iovec *) (void *) ((char *) ent + offsetof(struct tcmu_cmd_entry, req.iov));
    size_t total = iov_total(iov, cnt);
    int len = cdb_length(cdb[0]);
    char cdbhex[64];
    hex(cdb, len, cdbhex);
    struct reply *r = &reply_buffer;
    memset(r, 0, offsetof(struct reply, data) + 4096);
    r->info = -1;
    unsigned char op = cdb[0];

    pthread_mutex_lock(&drive.lock);
    drive.commands++;
    maybe_hold(op, ent->hdr.cmd_id, cdbhex);
    settle();
    int rw = op == 0x28 || op == 0xA8 || op == 0x2A || op == 0xAA || op == 0x2E;
    size_t moved = 0;
    int data_out = 0;
    if (rw && !(drive.unit_attention)) {
        data_out = op != 0x28 && op != 0xA8;
        if (transfer(cdb, iov, cnt, r) == 0) {
            moved = total;
        }
    } else {
        size_t n = 0;
        if (op == 0x15 || op == 0x55 || op == 0xB6 || op == 0x04 || op == 0x2A) {
            n = gather(iov, cnt, out_buffer, sizeof out_buffer);
            data_out = 1;
        }
        execute(cdb, out_buffer, n, r);   /* a READ/WRITE under a unit attention fails here */
        if (!r->check && r->len && !data_out) {
            moved = scatter(iov, cnt, r->data, r->len < total ? r->len : total);
        }
        if (data_out) {
            moved = n;
        }
    }
    if (r->check) {
        drive.errors++;
    }
    r->name = command_name(op);
    pthread_mutex_unlock(&drive.lock);

    if (r->check) {
        logf_("%u %s -> CHECK %x/%02x/%02x %s", ent->hdr.cmd_id, cdbhex, r->key, r->asc, r->ascq,
                r->name ? r->name : "");
    } else {
        logf_("%u %s -> GOOD %s %zu %s", ent->hdr.cmd_id, cdbhex, data_out ? "out" : "in", moved,
                r->name ? r->name : "");
    }
    memset(&ent->rsp, 0, sizeof ent->rsp);
    if (r->check) {
        ent->rsp.scsi_status = 0x02;
        fill_sense(r, (unsigned char *) ent->rsp.sense_buffer);
    } else {
        ent->rsp.scsi_status = 0x00;
        if (!data_out && moved < total) {
            ent->hdr.uflags |= TCMU_UFLAG_READ_LEN;
            ent->rsp.read_len = (uint32_t) moved;
        }
    }
}

static void *ring_thread(void *unused) {
    (void) unused;
    struct tcmu_mailbox *mb = ring_map;
    for (;;) {
        uint32_t events;
        if (read(uio_fd, &events, 4) != 4) {
            if (errno == EINTR && !stopping) {
                continue;
            }
            return NULL;
        }
        for (;;) {
            uint32_t head = __atomic_load_n(&mb->cmd_head, __ATOMIC_ACQUIRE);
            uint32_t tail = mb->cmd_tail;
            if (tail == head) {
                break;
            }
            struct tcmu_cmd_entry *ent = at(mb->cmdr_off + tail);
            uint32_t len = tcmu_hdr_get_len(ent->hdr.len_op);
            switch (tcmu_hdr_get_op(ent->hdr.len_op)) {
            case TCMU_OP_PAD:
                break;
            case TCMU_OP_CMD:
                serve_entry(ent);
                break;
            case TCMU_OP_TMR:
                logf_("TMR notification (ignored)");
                break;
            default:
                ent->hdr.uflags |= TCMU_UFLAG_UNKNOWN_OP;
            }
            __atomic_store_n(&mb->cmd_tail, (tail + len) % mb->cmdr_size, __ATOMIC_RELEASE);
            uint32_t one = 1;
            if (write(uio_fd, &one, 4) != 4) {
                logf_("uio write: %s", strerror(errno));
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------------ configfs */

static void write_file(const char *path, const char *value) {
    int fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t) strlen(value)) {
        fprintf(stderr, "tcmu-mmc: writing '%s' to %s: %s\n", value, path, strerror(errno));
        exit(1);
    }
    close(fd);
}

static void backstore_path(char *out, size_t n, const char *tail) {
    snprintf(out, n, TARGET "/core/user_0/%s%s", drive.name, tail);
}

static void lun_link_path(char *out, size_t n) {
    snprintf(out, n, TARGET "/loopback/" WWN "/tpgt_1/lun/lun_0/%s", drive.name);
}

static int open_uio(void) {
    char want[160];
    snprintf(want, sizeof want, "/%s/mmc/%s", drive.name, drive.name);
    DIR *d = opendir("/sys/class/uio");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char path[300], name[256] = "";
        snprintf(path, sizeof path, "/sys/class/uio/%s/name", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) {
            continue;
        }
        if (!fgets(name, sizeof name, f)) {
            name[0] = 0;
        }
        fclose(f);
        name[strcspn(name, "\n")] = 0;
        if (strstr(name, want)) {
            char size[64] = "";
            snprintf(path, sizeof path, "/sys/class/uio/%s/maps/map0/size", e->d_name);
            f = fopen(path, "r");
            if (!f || !fgets(size, sizeof size, f)) {
                die("uio map size");
            }
            fclose(f);
            ring_size = strtoull(size, NULL, 0);
            snprintf(path, sizeof path, "/dev/%s", e->d_name);
            closedir(d);
            logf_("backstore on %s (%s), ring map 0x%zx", path, name, ring_size);
            return open(path, O_RDWR | O_CLOEXEC);
        }
    }
    if (d) {
        closedir(d);
    }
    errno = ENOENT;
    return -1;
}

/** srN and sgN of the LUN, from sysfs. */
static void find_nodes(void) {
    drive.sr[0] = drive.sg[0] = 0;
    DIR *d = opendir("/sys/bus/scsi/devices");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], vendor[64] = "";
        snprintf(path, sizeof path, "/sys/bus/scsi/devices/%s/vendor", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) {
            continue;
        }
        if (!fgets(vendor, sizeof vendor, f)) {
            vendor[0] = 0;
        }
        fclose(f);
        if (strncmp(vendor, "DISCAGNT", 8) != 0) {
            continue;
        }
        char sub[320];
        snprintf(sub, sizeof sub, "/sys/bus/scsi/devices/%s/block", e->d_name);
        DIR *b = opendir(sub);
        struct dirent *x;
        while (b && (x = readdir(b))) {
            if (x->d_name[0] != '.') {
                snprintf(drive.sr, sizeof drive.sr, "%s", x->d_name);
            }
        }
        if (b) closedir(b);
        snprintf(sub, sizeof sub, "/sys/bus/scsi/devices/%s/scsi_generic", e->d_name);
        b = opendir(sub);
        while (b && (x = readdir(b))) {
            if (x->d_name[0] != '.') {
                snprintf(drive.sg, sizeof drive.sg, "%s", x->d_name);
            }
        }
        if (b) closedir(b);
    }
    if (d) closedir(d);
}

static int link_lun(void) {
    char store[256], link[256];
    backstore_path(store, sizeof store, "");
    lun_link_path(link, sizeof link);
    if (symlink(store, link) != 0) {
        return -1;
    }
    drive.linked = 1;
    find_nodes();
    return 0;
}

static int unlink_lun(void) {
    char link[256];
    lun_link_path(link, sizeof link);
    if (unlink(link) != 0) {
        return -1;
    }
    drive.linked = 0;
    return 0;
}

static void setup(void) {
    char path[300], value[300];
    backstore_path(path, sizeof path, "");
    if (mkdir(TARGET "/core/user_0", 0755) != 0 && errno != EEXIST) die("mkdir core/user_0 (is configfs mounted?)");
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die("mkdir backstore");
    backstore_path(path, sizeof path, "/control");
    snprintf(value, sizeof value, "dev_size=%lld,dev_config=mmc/%s,max_data_area_mb=16",
            drive.blocks * BLOCK, drive.name);
    write_file(path, value);
    backstore_path(path, sizeof path, "/enable");
    write_file(path, "1");
    uio_fd = open_uio();
    if (uio_fd < 0) die("no uio device for the backstore");
    ring_map = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, uio_fd, 0);
    if (ring_map == MAP_FAILED) die("mmap ring");
    struct tcmu_mailbox *mb = ring_map;
    logf_("mailbox version %u flags 0x%x cmdr_off %u cmdr_size %u", mb->version, mb->flags, mb->cmdr_off,
            mb->cmdr_size);
    pthread_t t;
    if (pthread_create(&t, NULL, ring_thread, NULL) != 0) die("ring thread");
    if (mkdir(TARGET "/loopback", 0755) != 0 && errno != EEXIST) die("mkdir loopback (tcm_loop loaded?)");
    if (mkdir(TARGET "/loopback/" WWN, 0755) != 0 && errno != EEXIST) die("mkdir loopback wwn");
    if (mkdir(TARGET "/loopback/" WWN "/tpgt_1", 0755) != 0 && errno != EEXIST) die("mkdir tpgt_1");
    if (mkdir(TARGET "/loopback/" WWN "/tpgt_1/lun", 0755) != 0 && errno != EEXIST) { /* created by the kernel */ }
    if (mkdir(TARGET "/loopback/" WWN "/tpgt_1/lun/lun_0", 0755) != 0 && errno != EEXIST) die("mkdir lun_0");
    write_file(TARGET "/loopback/" WWN "/tpgt_1/nexus", NEXUS);
    if (link_lun() != 0) die("link the LUN");
}

static void teardown(void) {
    char path[300];
    if (drive.linked) {
        unlink_lun();
    }
    rmdir(TARGET "/loopback/" WWN "/tpgt_1/lun/lun_0");
    rmdir(TARGET "/loopback/" WWN "/tpgt_1");
    rmdir(TARGET "/loopback/" WWN);
    backstore_path(path, sizeof path, "");
    rmdir(path);
}

/* ------------------------------------------------------------------------------------------------ control */

static int open_image(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size < drive.blocks * BLOCK && ftruncate(fd, drive.blocks * BLOCK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void order(char *line, char *answer, size_t n) {
    char *word = strtok(line, " \t\r\n");
    char *arg = strtok(NULL, " \t\r\n");
    char *arg2 = strtok(NULL, "\r\n");
    if (!word) {
        snprintf(answer, n, "error: empty order");
        return;
    }
    if (!strcmp(word, "remove") || !strcmp(word, "add")) {
        /* outside the lock: the kernel waits for the commands in flight, which the ring thread must answer */
        int removing = !strcmp(word, "remove");
        logf_("CONTROL %s", word);
        double t0 = now();
        int rc = removing ? unlink_lun() : link_lun();
        logf_("CONTROL %s done rc=%d in %.3f s", word, rc, now() - t0);
        if (rc != 0) {
            snprintf(answer, n, "error: %s", strerror(errno));
        } else {
            snprintf(answer, n, "ok %s %s", drive.sr, drive.sg);
        }
        return;
    }
    pthread_mutex_lock(&drive.lock);
    if (!strcmp(word, "hold") && arg && arg2) {
        drive.hold_opcode = (int) strtol(arg, NULL, 16);
        drive.hold_seconds = atof(arg2);
        snprintf(answer, n, "ok hold %02x %.1f", drive.hold_opcode, drive.hold_seconds);
    } else if (!strcmp(word, "release")) {
        drive.hold_released = 1;
        drive.hold_opcode = -1;
        pthread_cond_broadcast(&drive.changed);
        snprintf(answer, n, "ok");
    } else if (!strcmp(word, "medium-error") && arg) {
        drive.medium_error_lba = atoll(arg);
        snprintf(answer, n, "ok medium-error %lld", drive.medium_error_lba);
    } else if (!strcmp(word, "not-ready") && arg) {
        drive.not_ready_until = now() + atof(arg);
        snprintf(answer, n, "ok not-ready %s", arg);
    } else if (!strcmp(word, "swap") && arg) {
        double gap = arg2 ? atof(arg2) : 0;
        snprintf(drive.swap_image, sizeof drive.swap_image, "%s", arg);
        drive.present = 0;
        drive.tray_open = 1;
        drive.events = 3;          /* media removal */
        drive.swap_at = now() + gap;
        if (gap <= 0) {
            settle();
        }
        snprintf(answer, n, "ok swap %s %.1f", arg, gap);
    } else if (!strcmp(word, "slow") && arg) {
        drive.write_delay_ms = atoi(arg);
        snprintf(answer, n, "ok slow %d", drive.write_delay_ms);
    } else if (!strcmp(word, "clear")) {
        drive.hold_opcode = -1;
        drive.medium_error_lba = -1;
        drive.not_ready_until = 0;
        drive.write_delay_ms = 0;
        snprintf(answer, n, "ok");
    } else if (!strcmp(word, "note")) {
        snprintf(answer, n, "ok");
    } else if (!strcmp(word, "status")) {
        settle();
        snprintf(answer, n, "ok %s %s commands=%ld reads=%ld writes=%ld errors=%ld blocks_written=%lld "
                "prevented=%d tray_open=%d holding=%d image=%s", drive.sr, drive.sg, drive.commands, drive.reads,
                drive.writes, drive.errors, drive.blocks_written, drive.prevented, drive.tray_open, drive.holding,
                drive.image);
    } else if (!strcmp(word, "quit")) {
        stopping = 1;
        drive.hold_released = 1;
        pthread_cond_broadcast(&drive.changed);
        snprintf(answer, n, "ok");
    } else {
        snprintf(answer, n, "error: unknown order '%s'", word);
    }
    pthread_mutex_unlock(&drive.lock);
    if (!strcmp(word, "status")) {
        /* asked often while waiting: not logged */
    } else if (!strcmp(word, "note")) {
        logf_("NOTE %s%s%s", arg ? arg : "", arg2 ? " " : "", arg2 ? arg2 : "");
    } else {
        logf_("CONTROL %s%s%s%s%s -> %s", word, arg ? " " : "", arg ? arg : "", arg2 ? " " : "", arg2 ? arg2 : "",
                answer);
    }
}

static int listen_on(const char *path) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    if (s < 0 || bind(s, (struct sockaddr *) &a, sizeof a) != 0 || listen(s, 8) != 0) die("control socket");
    return s;
}

static void *control_connection(void *arg) {
    int c = (int) (intptr_t) arg;
    char line[1024];
    size_t got = 0;
    ssize_t k;
    while (got < sizeof line - 1 && (k = read(c, line + got, sizeof line - 1 - got)) > 0) {
        got += k;
        if (memchr(line, '\n', got)) {
            break;
        }
    }
    line[got] = 0;
    char answer[2048];
    order(line, answer, sizeof answer);
    strcat(answer, "\n");
    if (write(c, answer, strlen(answer)) < 0) {
        /* the client left */
    }
    close(c);
    return NULL;
}

static void on_signal(int sig) {
    (void) sig;
    stopping = 1;
}

static int serve(int argc, char **argv) {
    const char *control = NULL, *logpath = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--image")) snprintf(drive.image, sizeof drive.image, "%s", argv[i + 1]);
        else if (!strcmp(argv[i], "--blocks")) drive.blocks = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--log")) logpath = argv[i + 1];
        else if (!strcmp(argv[i], "--control")) control = argv[i + 1];
        else if (!strcmp(argv[i], "--name")) snprintf(drive.name, sizeof drive.name, "%s", argv[i + 1]);
    }
    if (!drive.image[0] || drive.blocks <= 0 || !control) {
        fprintf(stderr, "usage: tcmu-mmc serve --image FILE --blocks N --control SOCKET [--log FILE] [--name N]\n");
        return 2;
    }
    drive.started = now();
    drive.log = logpath ? fopen(logpath, "a") : NULL;
    drive.image_fd = open_image(drive.image);
    if (drive.image_fd < 0) die(drive.image);
    drive.present = 1;
    drive.write_params[0] = 0x05;
    drive.write_params[1] = 50;
    drive.write_params[2] = 0x40 | 0x01;    /* BUFE, track at once */
    drive.write_params[3] = 0x04;           /* track mode 4 */
    drive.write_params[4] = 0x08;           /* mode 1 */
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int s = listen_on(control);
    setup();
    printf("ready %s %s\n", drive.sr[0] ? drive.sr : "-", drive.sg[0] ? drive.sg : "-");
    fflush(stdout);
    logf_("ready %s %s, %lld blocks, image %s", drive.sr, drive.sg, drive.blocks, drive.image);
    while (!stopping) {
        struct pollfd pfd = {.fd = s, .events = POLLIN};
        if (poll(&pfd, 1, 200) <= 0) {
            continue;
        }
        int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            continue;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, control_connection, (void *) (intptr_t) c) == 0) {
            pthread_detach(t);
        } else {
            close(c);
        }
    }
    logf_("stopping");
    teardown();
    unlink(control);
    return 0;
}

static int ctl(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: tcmu-mmc ctl SOCKET ORDER [ARG...]\n");
        return 2;
    }
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", argv[2]);
    if (connect(s, (struct sockaddr *) &a, sizeof a) != 0) die("connect");
    char line[1024] = "";
    for (int i = 3; i < argc; i++) {
        strncat(line, argv[i], sizeof line - strlen(line) - 2);
        strcat(line, i + 1 < argc ? " " : "\n");
    }
    if (write(s, line, strlen(line)) < 0) die("write");
    char answer[1024];
    ssize_t k, got = 0;
    while ((k = read(s, answer + got, sizeof answer - 1 - got)) > 0) {
        got += k;
    }
    answer[got > 0 ? got : 0] = 0;
    fputs(answer, stdout);
    return strncmp(answer, "ok", 2) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "serve")) {
        return serve(argc, argv);
    }
    if (argc >= 2 && !strcmp(argv[1], "ctl")) {
        return ctl(argc, argv);
    }
    fprintf(stderr, "usage: tcmu-mmc serve ... | tcmu-mmc ctl SOCKET ORDER...\n");
    return 2;
}
