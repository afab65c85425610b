package io.discagent.agent.backend.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A QEMU guest (software emulation: TCG) running a stock Debian kernel with a CD drive on virtio-scsi, the host's
 * root shared read-only over 9p and a writable 9p job share. The guest's {@code /init} (see
 * {@code agent/src/test/vm/init}) runs {@code run.sh} from the job share and powers off; QEMU itself runs under
 * {@code timeout}, so a hung guest cannot outlive its limit.
 */
final class QemuVm implements AutoCloseable {

    /** What {@code agent/src/test/vm/setup.sh} prepares, and where. */
    record Images(Path dir, Path kernel, Path initramfs, Path disc1, Path disc2) {

        static Images in(Path dir) {
            return new Images(dir, dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"),
                    dir.resolve("disc1.iso"), dir.resolve("disc2.iso"));
        }

        /** Why the VM cannot run here, or {@code null} when it can. */
        String missing() {
            for (Path p : List.of(dir.resolve("ready"), kernel, initramfs, disc1, disc2)) {
                if (!Files.isReadable(p)) {
                    return p + " is missing: run agent/src/test/vm/setup.sh (as root) first";
                }
            }
            for (String tool : List.of("qemu-system-x86_64", "timeout")) {
                if (!Shell.exists(tool)) {
                    return tool + " is not installed: run agent/src/test/vm/setup.sh (as root) first";
                }
            }
            return null;
        }
    }

    private final Process process;

    private QemuVm(Process process) {
        this.process = process;
    }

    /** Boots the guest with {@code images.disc1()} in the drive; the job share is {@code job}. */
    static QemuVm boot(Images images, Path job, Path qmpSocket, Duration limit) {
        List<String> command = new ArrayList<>(List.of("timeout", "--signal=KILL", Long.toString(limit.toSeconds()),
                "qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "2",
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", images.kernel().toString(), "-initrd", images.initramfs().toString(),
                "-append", "console=ttyS0 loglevel=4 panic=-1 rdinit=/init",
                "-serial", "file:" + job.resolve("console.log"),
                "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
                "-virtfs", "local,path=" + job + ",mount_tag=job,security_model=none",
                "-qmp", "unix:" + qmpSocket + ",server=on,wait=off",
                "-device", "virtio-scsi-pci,id=scsi0",
                "-drive", "if=none,id=cd0,media=cdrom,readonly=on,file=" + images.disc1(),
                "-device", "scsi-cd,bus=scsi0.0,drive=cd0,id=cdrom0"));
        try {
            Files.writeString(job.resolve("qemu.cmdline"), String.join(" ", command) + "\n");
            return new QemuVm(new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(job.resolve("qemu.log").toFile()).start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** QEMU's exit code (137 when {@code timeout} killed it), waiting at most {@code limit}. */
    int exitCode(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
