package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.api.DiscState;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.TrayState;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads what is in an optical drive and what the drive writes, on a descriptor the caller holds: the tray and medium
 * ({@link MediaProbe}), GET CONFIGURATION (current profile, write features), READ DISC INFORMATION (blank,
 * appendable, closed, random-writable), READ TRACK INFORMATION of the invisible track (the free blocks of a sequential
 * medium), READ CAPACITY and READ FORMAT CAPACITIES (the size of an overwritable one). All are commands any opener
 * may send. The parsers are pure functions of the drive's answers. Runs on the thread that owns the descriptor.
 */
final class MediaDetails {

    private static final long SECTOR = MediaInfo.SECTOR;

    private MediaDetails() {
    }

    /** Reads the medium's details through {@code fd}; what a command does not answer is left unknown. */
    static MediaInfo read(DeviceFd fd, int timeoutMillis) {
        MediaState state = MediaProbe.probe(fd, timeoutMillis);
        SgIoResult config = command(fd, "GET CONFIGURATION", ScsiCommands.getConfiguration(),
                ScsiCommands.GET_CONFIGURATION_LENGTH, timeoutMillis);
        List<MediaProfile> writes = config.ok() ? writeProfiles(config.data()) : List.of();
        if (state == null) {
            return MediaInfo.unknown("the drive is becoming ready");
        }
        if (state != MediaState.MEDIA_PRESENT) {
            return MediaInfo.noMedium(state == MediaState.TRAY_OPEN ? TrayState.OPEN : TrayState.CLOSED, writes,
                    "CDROM_DRIVE_STATUS: " + state);
        }
        MediaProfile profile = config.ok() ? currentProfile(config.data()) : MediaProfile.UNKNOWN;
        SgIoResult disc = command(fd, "READ DISC INFORMATION", ScsiCommands.readDiscInformation(),
                ScsiCommands.DISC_INFORMATION_LENGTH, timeoutMillis);
        DiscState discState = disc.ok() ? discState(disc.data(), profile) : DiscState.UNKNOWN;
        long capacity = 0;
        long free = 0;
        if (discState == DiscState.BLANK || discState == DiscState.APPENDABLE) {
            SgIoResult track = command(fd, "READ TRACK INFORMATION", ScsiCommands.readTrackInformationInvisible(),
                    ScsiCommands.TRACK_INFORMATION_LENGTH, timeoutMillis);
            long[] startAndFree = track.ok() ? invisibleTrack(track.data()) : null;
            if (startAndFree != null) {
                free = startAndFree[1] * SECTOR;
                capacity = (startAndFree[0] + startAndFree[1]) * SECTOR;
            }
        }
        if (capacity == 0) {
            SgIoResult read = command(fd, "READ CAPACITY", ScsiCommands.readCapacity(), 8, timeoutMillis);
            capacity = read.ok() ? capacity(read.data()) : 0;
            if (capacity == 0 && discState == DiscState.OVERWRITABLE) {
                SgIoResult formats = command(fd, "READ FORMAT CAPACITIES", ScsiCommands.readFormatCapacities(),
                        ScsiCommands.FORMAT_CAPACITIES_LENGTH, timeoutMillis);
                capacity = formats.ok() ? formatCapacity(formats.data()) : 0;
            }
            if (discState == DiscState.OVERWRITABLE) {
                free = capacity;
            }
        }
        boolean writable = profile.recordable() && (writes.isEmpty() || writes.contains(profile))
                && (discState == DiscState.BLANK || discState == DiscState.OVERWRITABLE);
        String detail = "GET CONFIGURATION " + (config.ok() ? String.format("profile 0x%04X", profile.mmcProfile())
                : config.senseTriple()) + ", READ DISC INFORMATION " + (disc.ok() ? discState.toString()
                : disc.senseTriple());
        return new MediaInfo(TrayState.CLOSED, profile, discState, writable, capacity, writable ? free : 0, writes,
                detail);
    }

    /** A command, once more after a unit attention (reported once; the command itself was not run). */
    private static SgIoResult command(DeviceFd fd, String name, byte[] cdb, int length, int timeoutMillis) {
        SgIoResult result = fd.sgIo(name, cdb, length, timeoutMillis);
        if (!result.ok() && result.senseKey() == 6) {
            result = fd.sgIo(name, cdb, length, timeoutMillis);
        }
        return result;
    }

    // ------------------------------------------------------------------------------------------------ parsers

    /** The current profile of a GET CONFIGURATION answer (header bytes 6-7); {@link MediaProfile#NONE} for 0. */
    static MediaProfile currentProfile(byte[] config) {
        if (config.length < 8) {
            return MediaProfile.UNKNOWN;
        }
        return MediaProfile.ofMmcProfile(u16(config, 6));
    }

    /**
     * The kinds of medium a drive writes, from the write features of a GET CONFIGURATION answer: CD Track at Once
     * (2Dh) or CD Mastering (2Eh) for CD-R/RW, DVD-R/-RW Write (2Fh), DVD+RW (2Ah) and DVD+R (2Bh) with their write
     * bit, DVD+R Dual Layer (3Bh), BD Write (41h) for BD-R and BD-RE, Random Writable (20h) with a DVD-RAM profile.
     */
    static List<MediaProfile> writeProfiles(byte[] config) {
        Set<MediaProfile> writes = new LinkedHashSet<>();
        Set<Integer> profiles = new LinkedHashSet<>();
        int end = Math.min(config.length, 4 + (int) Math.min(Integer.MAX_VALUE, u32(config, 0)));
        boolean randomWritable = false;
        for (int at = 8; at + 4 <= end; ) {
            int code = u16(config, at);
            int length = config[at + 3] & 0xff;
            int data = at + 4;
            switch (code) {
                case 0x0000 -> {
                    for (int p = data; p + 4 <= Math.min(end, data + length); p += 4) {
                        profiles.add(u16(config, p));
                    }
                }
                case 0x0020 -> randomWritable = true;
                case 0x002D, 0x002E -> {
                    writes.add(MediaProfile.CD_R);
                    writes.add(MediaProfile.CD_RW);
                }
                case 0x002F -> {
                    writes.add(MediaProfile.DVD_DASH_R);
                    writes.add(MediaProfile.DVD_DASH_RW);
                }
                case 0x002A -> {
                    if (length >= 1 && data < end && (config[data] & 0x01) != 0) {
                        writes.add(MediaProfile.DVD_PLUS_RW);
                    }
                }
                case 0x002B -> {
                    if (length >= 1 && data < end && (config[data] & 0x01) != 0) {
                        writes.add(MediaProfile.DVD_PLUS_R);
                    }
                }
                case 0x003B -> {
                    if (length >= 1 && data < end && (config[data] & 0x01) != 0) {
                        writes.add(MediaProfile.DVD_PLUS_R_DL);
                    }
                }
                case 0x0041 -> {
                    writes.add(MediaProfile.BD_R);
                    writes.add(MediaProfile.BD_RE);
                }
                default -> { }
            }
            at = data + length;
        }
        if (randomWritable && profiles.contains(MediaProfile.DVD_RAM.mmcProfile())) {
            writes.add(MediaProfile.DVD_RAM);
        }
        List<MediaProfile> supported = new ArrayList<>();
        for (MediaProfile p : writes) {
            if (profiles.isEmpty() || profiles.stream().anyMatch(code -> MediaProfile.ofMmcProfile(code) == p)) {
                supported.add(p);
            }
        }
        return supported;
    }

    /**
     * The disc's state from READ DISC INFORMATION (byte 2, bits 0-1: 0 empty, 1 incomplete, 2 complete, 3 other, that
     * is random access) and the profile: an overwritable profile (DVD+RW, DVD-RAM, BD-RE, DVD-RW restricted overwrite)
     * is written in place, whatever the drive calls its status.
     */
    static DiscState discState(byte[] info, MediaProfile profile) {
        if (info.length < 3) {
            return DiscState.UNKNOWN;
        }
        if (profile == MediaProfile.DVD_PLUS_RW || profile == MediaProfile.DVD_PLUS_RW_DL
                || profile == MediaProfile.DVD_RAM || profile == MediaProfile.BD_RE) {
            return DiscState.OVERWRITABLE;
        }
        return switch (info[2] & 0x03) {
            case 0 -> DiscState.BLANK;
            case 1 -> DiscState.APPENDABLE;
            case 2 -> DiscState.CLOSED;
            default -> DiscState.OVERWRITABLE;
        };
    }

    /**
     * The invisible track of READ TRACK INFORMATION: its start address (bytes 8-11) and free blocks (16-19), or
     * {@code null} when the answer is too short.
     */
    static long @Nullable [] invisibleTrack(byte[] info) {
        if (info.length < 20) {
            return null;
        }
        return new long[] {u32(info, 8), u32(info, 16)};
    }

    /** The bytes of a medium from READ CAPACITY: (last LBA + 1) times the block length; 0 for none. */
    static long capacity(byte[] read) {
        if (read.length < 8) {
            return 0;
        }
        long last = u32(read, 0);
        long block = u32(read, 4);
        return last == 0xFFFFFFFFL || block == 0 ? 0 : (last + 1) * block;
    }

    /** The bytes of the current (or largest formattable) capacity of READ FORMAT CAPACITIES; 0 for none. */
    static long formatCapacity(byte[] formats) {
        if (formats.length < 12) {
            return 0;
        }
        long blocks = u32(formats, 4);
        long block = ((formats[9] & 0xffL) << 16) | ((formats[10] & 0xffL) << 8) | (formats[11] & 0xffL);
        return blocks * (block == 0 ? SECTOR : block);
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }

    private static long u32(byte[] b, int at) {
        return ((b[at] & 0xffL) << 24) | ((b[at + 1] & 0xffL) << 16) | ((b[at + 2] & 0xffL) << 8) | (b[at + 3] & 0xffL);
    }
}
