package io.discagent.agent.backend.linux;

import org.jspecify.annotations.Nullable;

/** The MMC/SPC command blocks the backend sends (reference linux.md 2.6). */
final class ScsiCommands {

    private ScsiCommands() {
    }

    /** TEST UNIT READY. */
    static byte[] testUnitReady() {
        return new byte[] {0x00, 0, 0, 0, 0, 0};
    }

    /** PREVENT ALLOW MEDIUM REMOVAL: prevent (1) keeps the tray shut, allow (0) frees it. Never persistent. */
    static byte[] preventAllowMediumRemoval(boolean prevent) {
        return new byte[] {0x1e, 0, 0, 0, (byte) (prevent ? 1 : 0), 0};
    }

    /** How many bytes {@link #modeSenseCapabilities()} asks for. */
    static final int MODE_SENSE_LENGTH = 64;

    /**
     * MODE SENSE(10), current values of the CD/DVD capabilities and mechanical status page (2Ah), no block
     * descriptors: byte 6 of the page has the tray lock state (bit 1).
     */
    static byte[] modeSenseCapabilities() {
        return new byte[] {0x5a, 0x08, 0x2a, 0, 0, 0, 0, 0, (byte) MODE_SENSE_LENGTH, 0};
    }

    /**
     * The lock state bit (byte 6, bit 1) of a page 2Ah returned by {@link #modeSenseCapabilities()}: {@code true}
     * locked, {@code false} unlocked, {@code null} when the answer holds no such page.
     */
    static @Nullable Boolean trayLocked(byte[] modeData) {
        if (modeData.length < 8) {
            return null;
        }
        int blockDescriptors = ((modeData[6] & 0xff) << 8) | (modeData[7] & 0xff);
        int page = 8 + blockDescriptors;
        if (modeData.length < page + 7 || (modeData[page] & 0x3f) != 0x2a) {
            return null;
        }
        return (modeData[page + 6] & 0x02) != 0;
    }

    /** GET EVENT STATUS NOTIFICATION, polled, media class, 8 bytes: byte 5 bit 0 = tray open, bit 1 = media present. */
    static byte[] getEventStatusMedia() {
        return new byte[] {0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0};
    }

    /** How many bytes {@link #getConfiguration()} asks for: the profile list and every feature of a drive. */
    static final int GET_CONFIGURATION_LENGTH = 2048;

    /** GET CONFIGURATION, all features (RT 0) from feature 0: the current profile, the profile list, the features. */
    static byte[] getConfiguration() {
        return new byte[] {0x46, 0x00, 0, 0, 0, 0, 0, (byte) (GET_CONFIGURATION_LENGTH >> 8),
                (byte) GET_CONFIGURATION_LENGTH, 0};
    }

    /** How many bytes {@link #readDiscInformation()} asks for (the standard disc information block). */
    static final int DISC_INFORMATION_LENGTH = 34;

    /** READ DISC INFORMATION, standard disc information (data type 0). */
    static byte[] readDiscInformation() {
        return new byte[] {0x51, 0, 0, 0, 0, 0, 0, 0, DISC_INFORMATION_LENGTH, 0};
    }

    /** How many bytes {@link #readTrackInformationInvisible()} asks for. */
    static final int TRACK_INFORMATION_LENGTH = 48;

    /** READ TRACK INFORMATION of the invisible (next writable) track: address type 1, track 0xFF. */
    static byte[] readTrackInformationInvisible() {
        return new byte[] {0x52, 0x01, 0, 0, 0, (byte) 0xFF, 0, 0, TRACK_INFORMATION_LENGTH, 0};
    }

    /** READ CAPACITY(10): the last logical block address and the block length. */
    static byte[] readCapacity() {
        return new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    }

    /** How many bytes {@link #readFormatCapacities()} asks for. */
    static final int FORMAT_CAPACITIES_LENGTH = 252;

    /** READ FORMAT CAPACITIES: the capacity of a medium that is not formatted yet (a new DVD+RW or BD-RE). */
    static byte[] readFormatCapacities() {
        return new byte[] {0x23, 0, 0, 0, 0, 0, 0, 0, (byte) FORMAT_CAPACITIES_LENGTH, 0};
    }

    /** READ(10) of {@code blocks} 2048-byte blocks from {@code lba}. */
    static byte[] read10(long lba, int blocks) {
        return new byte[] {0x28, 0, (byte) (lba >> 24), (byte) (lba >> 16), (byte) (lba >> 8), (byte) lba, 0,
                (byte) (blocks >> 8), (byte) blocks, 0};
    }
}
