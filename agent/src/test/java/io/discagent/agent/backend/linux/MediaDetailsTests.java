package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.DiscState;
import io.discagent.api.MediaProfile;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The MMC answers {@link MediaDetails} reads, built as MMC-6 lays them out: GET CONFIGURATION (current profile,
 * profile list, write features), READ DISC INFORMATION, READ TRACK INFORMATION, READ CAPACITY, READ FORMAT CAPACITIES.
 * The VM tests read the same answers from the user-space DVD+RW drive through the real kernel.
 */
class MediaDetailsTests {

    /** A GET CONFIGURATION answer: the header with the current profile, then the features as given. */
    private static byte[] configuration(int current, byte[]... features) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] feature : features) {
            body.writeBytes(feature);
        }
        byte[] all = new byte[8 + body.size()];
        int length = all.length - 4;
        all[0] = (byte) (length >> 24);
        all[1] = (byte) (length >> 16);
        all[2] = (byte) (length >> 8);
        all[3] = (byte) length;
        all[6] = (byte) (current >> 8);
        all[7] = (byte) current;
        System.arraycopy(body.toByteArray(), 0, all, 8, body.size());
        return all;
    }

    private static byte[] feature(int code, int... data) {
        byte[] f = new byte[4 + data.length];
        f[0] = (byte) (code >> 8);
        f[1] = (byte) code;
        f[2] = 0x03; // persistent, current
        f[3] = (byte) data.length;
        for (int i = 0; i < data.length; i++) {
            f[4 + i] = (byte) data[i];
        }
        return f;
    }

    /** The profile list feature with these profiles (the first current). */
    private static byte[] profiles(int... profiles) {
        int[] data = new int[profiles.length * 4];
        for (int i = 0; i < profiles.length; i++) {
            data[4 * i] = profiles[i] >> 8;
            data[4 * i + 1] = profiles[i] & 0xff;
            data[4 * i + 2] = i == 0 ? 1 : 0;
        }
        return feature(0x0000, data);
    }

    @Test
    void theDriveOfTheVmTestsWritesDvdPlusRwOnly() {
        byte[] config = configuration(0x1A, profiles(0x1A, 0x10), feature(0x0001, 0, 0, 0, 1, 1, 0, 0, 0),
                feature(0x002A, 0x01, 0, 0, 0), feature(0x0107, 0x02, 0, 0, 0));
        assertThat(MediaDetails.currentProfile(config)).isEqualTo(MediaProfile.DVD_PLUS_RW);
        assertThat(MediaDetails.writeProfiles(config)).containsExactly(MediaProfile.DVD_PLUS_RW);
    }

    @Test
    void aBurnerWritesWhatItsWriteFeaturesSayForTheProfilesItLists() {
        byte[] config = configuration(0x11, profiles(0x11, 0x09, 0x0A, 0x10, 0x13, 0x14, 0x1A, 0x1B, 0x2B, 0x08),
                feature(0x002D, 0, 0, 0, 0), feature(0x002F, 0, 0, 0, 0), feature(0x002A, 0x01, 0, 0, 0),
                feature(0x002B, 0x01, 0, 0, 0), feature(0x003B, 0x01, 0, 0, 0), feature(0x0041, 0, 0, 0, 0));
        assertThat(MediaDetails.currentProfile(config)).isEqualTo(MediaProfile.DVD_DASH_R);
        // BD Write is listed, but no BD profile: a DVD burner with a stray feature writes no BD
        assertThat(MediaDetails.writeProfiles(config)).containsExactlyInAnyOrder(MediaProfile.CD_R,
                MediaProfile.CD_RW, MediaProfile.DVD_DASH_R, MediaProfile.DVD_DASH_RW, MediaProfile.DVD_PLUS_RW,
                MediaProfile.DVD_PLUS_R, MediaProfile.DVD_PLUS_R_DL);
        byte[] reader = configuration(0x10, profiles(0x10, 0x08, 0x09), feature(0x002A, 0x00, 0, 0, 0));
        assertThat(MediaDetails.writeProfiles(reader)).as("DVD+RW read, not write").isEmpty();
        assertThat(MediaDetails.currentProfile(configuration(0))).isEqualTo(MediaProfile.NONE);
    }

    @Test
    void theDiscStatusOfReadDiscInformation() {
        byte[] info = new byte[34];
        info[2] = 0x00;
        assertThat(MediaDetails.discState(info, MediaProfile.DVD_PLUS_R)).isEqualTo(DiscState.BLANK);
        info[2] = 0x01 | 0x04;
        assertThat(MediaDetails.discState(info, MediaProfile.CD_R)).isEqualTo(DiscState.APPENDABLE);
        info[2] = 0x02 | 0x0C;
        assertThat(MediaDetails.discState(info, MediaProfile.DVD_DASH_R)).isEqualTo(DiscState.CLOSED);
        assertThat(MediaDetails.discState(info, MediaProfile.DVD_PLUS_RW)).as("written in place")
                .isEqualTo(DiscState.OVERWRITABLE);
        info[2] = 0x03;
        assertThat(MediaDetails.discState(info, MediaProfile.CD_RW)).isEqualTo(DiscState.OVERWRITABLE);
        assertThat(MediaDetails.discState(new byte[2], MediaProfile.CD_R)).isEqualTo(DiscState.UNKNOWN);
    }

    @Test
    void capacitiesFromTrackInformationReadCapacityAndFormatCapacities() {
        byte[] track = new byte[48];
        track[10] = 0x10; // start 4096
        track[17] = 0x23; // free 0x230000 blocks
        assertThat(MediaDetails.invisibleTrack(track)).containsExactly(4096, 0x230000);
        assertThat(MediaDetails.invisibleTrack(new byte[10])).isNull();
        byte[] capacity = {0, 0, 0x7F, (byte) 0xFF, 0, 0, 0x08, 0};
        assertThat(MediaDetails.capacity(capacity)).isEqualTo(32768L * 2048);
        assertThat(MediaDetails.capacity(new byte[] {-1, -1, -1, -1, 0, 0, 8, 0})).isZero();
        byte[] formats = new byte[20];
        formats[3] = 16;
        formats[6] = (byte) 0x80; // 32768 blocks
        formats[8] = 0x02;
        formats[10] = 0x08; // 2048
        assertThat(MediaDetails.formatCapacity(formats)).isEqualTo(32768L * 2048);
    }
}
