package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading the traces of {@link TracedTool}: what reached the drive and what was refused. */
class TracedToolTests {

    @Test
    void successfulScsiAndCdromCallsCountAsReachingTheDriveLocalOnesDoNot() {
        TracedTool run = TracedTool.parse("eject-F", List.of("eject", "-F", "/dev/sr0"), 0, "", List.of(
                "1617  openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3",
                "1617  openat(AT_FDCWD, \"/dev/sr0\", O_RDONLY|O_NONBLOCK) = 3",
                "1617  ioctl(3, CDROM_GET_CAPABILITY, 0) = 1234",
                "1617  ioctl(3, CDROMAUDIOBUFSIZ or SCSI_IOCTL_GET_IDLUN, 0x7ffc76ef2cf8) = 0",
                "1617  ioctl(3, CDROM_LOCKDOOR, 0)       = 0",
                "1617  ioctl(3, CDROMEJECT, 0)           = 0",
                "1618  ioctl(4, SG_IO, {interface_id='S', dxfer_direction=SG_DXFER_FROM_DEV, cmd_len=6, "
                        + "cmdp=\"\\x12\\x00\\x00\\x00\\x24\\x00\", dxferp=\"QEMU, (x) = 1\"} => {status=0}) = 0"),
                Duration.ZERO);
        assertThat(run.driveCommands()).containsEntry("CDROM_LOCKDOOR", 1).containsEntry("CDROMEJECT", 1)
                .containsEntry("SG_IO", 1).hasSize(3);
        assertThat(run.commandsReachingTheDrive()).isEqualTo(3);
        assertThat(run.opens()).containsExactly("/dev/sr0 O_RDONLY|O_NONBLOCK");
        assertThat(run.refusals()).isEmpty();
        assertThat(run.refusedWithoutReachingTheDrive()).isFalse();
    }

    @Test
    void failedOpensAndLocksOnDriveNodesAreRefusals() {
        TracedTool run = TracedTool.parse("cdrskin", List.of("cdrskin", "dev=/dev/sr0", "-toc"), 3,
                "cdrskin: FATAL : Cannot open busy device '/dev/sr0'", List.of(
                        "1247  openat(AT_FDCWD, \"/dev/sr0\", O_RDWR|O_NONBLOCK) = 3",
                        "1247  fcntl(3, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=0}) = -1 "
                                + "EAGAIN (Resource temporarily unavailable)",
                        "1250  openat(AT_FDCWD, \"/dev/sg0\", O_RDWR|O_NONBLOCK|O_EXCL) = -1 EBUSY (Device or "
                                + "resource busy)",
                        "1250  flock(5, LOCK_EX|LOCK_NB) = -1 EWOULDBLOCK (Resource temporarily unavailable)"),
                Duration.ZERO);
        assertThat(run.refusals()).containsExactly("fcntl /dev/sr0 EAGAIN", "openat /dev/sg0 EBUSY");
        assertThat(run.commandsReachingTheDrive()).isZero();
        assertThat(run.refusedWithoutReachingTheDrive()).isTrue();
    }

    @Test
    void aBlockingOpenOfTheBlockNodeReachesTheDrive() {
        TracedTool run = TracedTool.parse("flock", List.of("flock", "/dev/sr0", "true"), 1, "", List.of(
                "900   openat(AT_FDCWD, \"/dev/sr0\", O_RDONLY|O_NOCTTY|O_CREAT, 0666) = 4"), Duration.ZERO);
        assertThat(run.driveCommands()).containsEntry("blocking open of /dev/sr0", 1);
        assertThat(run.refusedWithoutReachingTheDrive()).isFalse();
    }

    @Test
    void aShellLineQuotesEveryWordAndRunsInAShell() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("traced");
        String line = TracedTool.shellLine("x", dir, Duration.ofSeconds(9), List.of("sh", "-c", "echo \"it's\""));
        assertThat(line).startsWith("'timeout' '--signal=KILL' '9' 'strace' ")
                .contains("'sh' '-c' 'echo \"it'\\''s\"' ").endsWith("; echo $? > " + dir.resolve("x.rc"));
        org.junit.jupiter.api.Assumptions.assumeTrue(Shell.exists("strace")
                && Shell.run("strace", "-o", "/dev/null", "true").exit() == 0, "strace is missing or cannot trace here");
        assertThat(Shell.run("sh", "-c", line).exit()).isZero();
        TracedTool run = TracedTool.read("x", dir, List.of("sh"));
        assertThat(run.exit()).isZero();
        assertThat(run.output().trim()).isEqualTo("it's");
        TestFiles.deleteTree(dir);
    }
}
