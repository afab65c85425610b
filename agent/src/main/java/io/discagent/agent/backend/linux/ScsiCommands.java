package io.discagent.agent.backend.linux;

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

    /** GET EVENT STATUS NOTIFICATION, polled, media class, 8 bytes: byte 5 bit 0 = tray open, bit 1 = media present. */
    static byte[] getEventStatusMedia() {
        return new byte[] {0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0};
    }
}
