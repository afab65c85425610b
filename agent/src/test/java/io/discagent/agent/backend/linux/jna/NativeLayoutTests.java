package io.discagent.agent.backend.linux.jna;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JNA structures lay out in memory as the x86-64 C structures measured with {@code offsetof} (reference
 * linux.md 2.4): each field is written through JNA and read back from the raw memory at its C offset.
 */
class NativeLayoutTests {

    @BeforeAll
    static void onX8664Linux() {
        assumeTrue(Platform.isLinux() && Platform.isIntel() && Platform.is64Bit(),
                "layouts are those of x86-64 Linux");
    }

    @Test
    void sgIoHdrIs88BytesWithItsHoleBeforeUsrPtr() {
        SgIoHdr h = new SgIoHdr();
        h.interface_id = 'S';
        h.cmd_len = 6;
        h.mx_sb_len = 64;
        h.dxfer_len = 0x01020304;
        h.dxferp = new Pointer(0x1111_2222_3333_4444L);
        h.timeout = 5000;
        h.pack_id = 0x0a0b0c0d;
        h.usr_ptr = new Pointer(0x5555_6666_7777_8888L);
        h.info = 0x77;
        h.write();
        Pointer raw = h.getPointer();
        assertThat(h.size()).isEqualTo(88);
        assertThat(raw.getInt(0)).isEqualTo('S');
        assertThat(raw.getByte(8)).isEqualTo((byte) 6);
        assertThat(raw.getByte(9)).isEqualTo((byte) 64);
        assertThat(raw.getInt(12)).isEqualTo(0x01020304);
        assertThat(raw.getLong(16)).isEqualTo(0x1111_2222_3333_4444L);
        assertThat(raw.getInt(40)).isEqualTo(5000);
        assertThat(raw.getInt(48)).isEqualTo(0x0a0b0c0d);
        assertThat(raw.getLong(56)).isEqualTo(0x5555_6666_7777_8888L);
        assertThat(raw.getInt(80)).isEqualTo(0x77);

        raw.setByte(64, (byte) 2);
        raw.setByte(67, (byte) 18);
        raw.setShort(68, (short) 7);
        raw.setShort(70, (short) 8);
        raw.setInt(72, 12);
        h.read();
        assertThat(h.status).isEqualTo((byte) 2);
        assertThat(h.sb_len_wr).isEqualTo((byte) 18);
        assertThat(h.host_status).isEqualTo((short) 7);
        assertThat(h.driver_status).isEqualTo((short) 8);
        assertThat(h.resid).isEqualTo(12);
    }

    @Test
    void flockAndSockaddrNlLayouts() {
        Flock lock = Flock.wholeFile(Linux.F_WRLCK);
        lock.l_start = 0x0102030405060708L;
        lock.l_pid = 4242;
        lock.write();
        assertThat(lock.size()).isEqualTo(32);
        assertThat(lock.getPointer().getShort(0)).isEqualTo(Linux.F_WRLCK);
        assertThat(lock.getPointer().getLong(8)).isEqualTo(0x0102030405060708L);
        assertThat(lock.getPointer().getInt(24)).isEqualTo(4242);

        SockaddrNl address = new SockaddrNl();
        address.nl_family = 16;
        address.nl_groups = 1;
        address.write();
        assertThat(address.size()).isEqualTo(12);
        assertThat(address.getPointer().getShort(0)).isEqualTo((short) 16);
        assertThat(address.getPointer().getInt(8)).isEqualTo(1);
    }

    @Test
    void errnoComesBackTyped() {
        NativeCallException missing = catchThrowableOfType(NativeCallException.class,
                () -> DeviceFd.open("/nonexistent/discagent", Linux.O_RDONLY));
        assertThat(missing.errno()).isEqualTo(Linux.ENOENT);
        assertThat(missing.detail().symbol()).isEqualTo("ENOENT");
        assertThat(missing.detail().description()).isEqualTo("No such file or directory");
        assertThat(missing.call()).isEqualTo("open(/nonexistent/discagent, O_RDONLY)");
    }
}
