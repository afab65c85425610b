package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The formats the backend reads: mountinfo lines, uevent datagrams, {@code dev_t} values, MODE SENSE page 2Ah.
 */
class ParsingTests {

    @Test
    void mountinfoLinesGiveDeviceMountPointAndType() {
        MountTable.Mount mount = MountTable.parse(
                "36 35 7:3 / /media/my\\040disc rw,noatime master:1 - iso9660 /dev/sr0 ro,nojoliet");
        assertThat(mount).isNotNull();
        assertThat(mount.device()).isEqualTo(new DeviceNumber(7, 3));
        assertThat(mount.mountPoint()).isEqualTo("/media/my disc");
        assertThat(mount.fsType()).isEqualTo("iso9660");
        assertThat(mount.source()).isEqualTo("/dev/sr0");
        assertThat(MountTable.parse("36 35 11:0 / /mnt rw - ext4 /dev/sr0 rw").mountPoint()).isEqualTo("/mnt");
        assertThat(MountTable.parse("garbage")).isNull();
    }

    @Test
    void ueventsAreSplitIntoActionPathAndProperties() {
        byte[] datagram = ("change@/devices/virtual/block/loop1\0ACTION=change\0DEVPATH=/devices/virtual/block/loop1\0"
                + "SUBSYSTEM=block\0DISK_MEDIA_CHANGE=1\0MAJOR=7\0MINOR=1\0DEVNAME=loop1\0DEVTYPE=disk\0SEQNUM=827\0")
                .getBytes(StandardCharsets.UTF_8);
        Uevent event = Uevent.parse(datagram);
        assertThat(event).isNotNull();
        assertThat(event.action()).isEqualTo("change");
        assertThat(event.devpath()).isEqualTo("/devices/virtual/block/loop1");
        assertThat(event.subsystem()).isEqualTo("block");
        assertThat(event.devtype()).isEqualTo("disk");
        assertThat(event.name()).isEqualTo("loop1");
        assertThat(event.mediaEvent()).isTrue();
        assertThat(event.ejectRequest()).isFalse();
        assertThat(Uevent.parse("libudev\0\0\0".getBytes(StandardCharsets.UTF_8))).isNull();
        Uevent bsg = Uevent.parse("remove@/devices/x/bsg/0:0:0:0\0SUBSYSTEM=bsg\0DEVNAME=bsg/0:0:0:0\0"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(bsg.name()).isEqualTo("0:0:0:0");
    }

    @Test
    void devTValuesDecodeToMajorAndMinor() {
        assertThat(DeviceNumber.fromDevT(0x0b00)).isEqualTo(new DeviceNumber(11, 0));
        assertThat(DeviceNumber.fromDevT(0x0703)).isEqualTo(new DeviceNumber(7, 3));
        // glibc's large encoding: minor 256 of major 259 (NVMe partitions and the like)
        long dev = ((259L & 0xfff) << 8) | (256L & 0xff) | ((256L & ~0xffL) << 12);
        assertThat(DeviceNumber.fromDevT(dev)).isEqualTo(new DeviceNumber(259, 256));
        assertThat(DeviceNumber.parse("11:0")).isEqualTo(new DeviceNumber(11, 0));
    }

    @Test
    void theTrayLockBitComesFromByteSixOfTheCapabilitiesPage() {
        // QEMU's scsi-cd: header of 8 bytes (no block descriptors), page 2Ah; byte 6 was 0x2f held, 0x2d after ALLOW
        byte[] held = new byte[8 + 28];
        held[8] = 0x2a;
        held[9] = 26;
        held[8 + 6] = 0x2f;
        assertThat(ScsiCommands.trayLocked(held)).isTrue();
        held[8 + 6] = 0x2d;
        assertThat(ScsiCommands.trayLocked(held)).isFalse();
        // with an 8-byte block descriptor before the page
        byte[] withDescriptor = new byte[16 + 28];
        withDescriptor[7] = 8;
        withDescriptor[16] = (byte) 0xaa; // PS bit + page 2Ah
        withDescriptor[16 + 6] = 0x02;
        assertThat(ScsiCommands.trayLocked(withDescriptor)).isTrue();
        byte[] otherPage = held.clone();
        otherPage[8] = 0x01;
        assertThat(ScsiCommands.trayLocked(otherPage)).isNull();
        assertThat(ScsiCommands.trayLocked(new byte[4])).isNull();
    }

    @Test
    void anEjectRequestIsMediaEventOne() {
        // GET EVENT STATUS NOTIFICATION: 4-byte header (length, NEA + class 4 = media, supported), media descriptor
        byte[] request = {0, 6, 0x04, 0x10, 0x01, 0x02, 0, 0};
        assertThat(MediaProbe.isEjectRequest(request)).isTrue();
        byte[] newMedia = {0, 6, 0x04, 0x10, 0x02, 0x02, 0, 0};
        assertThat(MediaProbe.isEjectRequest(newMedia)).isFalse();
        byte[] noEventAvailable = {0, 2, (byte) 0x84, 0x10, 0x01, 0x02, 0, 0};
        assertThat(MediaProbe.isEjectRequest(noEventAvailable)).isFalse();
        assertThat(MediaProbe.isEjectRequest(new byte[] {0, 6, 0x04})).isFalse();
    }
}
