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
}
